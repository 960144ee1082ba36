"""An in-memory stand-in for the knowledge index that keeps its contract.

``replace_document`` embeds only chunk texts the previous version did not have, reports
progress, and swaps the new version in only when it is complete: an embedder failure
(``fail_after``) leaves the previous version in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from core.errors import ServiceUnavailable
from knowledge_base.schemas import ChunkInput, DocumentInfo, DocumentInput


class MemoryIndex:
    """Documents and chunk texts in dicts; an embedder that can be told to fail."""

    def __init__(self) -> None:
        self.docs: dict[str, DocumentInfo] = {}
        self.chunks: dict[str, tuple[ChunkInput, ...]] = {}
        self.embedded_texts: list[str] = []
        self.fail_after: int | None = None  # embed this many chunks, then the "model" fails

    def document(self, doc_id: str) -> DocumentInfo | None:
        return self.docs.get(doc_id)

    def list_documents(self) -> list[DocumentInfo]:
        return sorted(self.docs.values(), key=lambda d: d.title)

    def replace_document(
        self,
        doc: DocumentInput,
        chunks: Sequence[ChunkInput],
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        known = {c.text for c in self.chunks.get(doc.doc_id, ())}
        todo = [c.text for c in chunks if c.text not in known]
        for done, text in enumerate(todo, start=1):
            if self.fail_after is not None and done > self.fail_after:
                raise ServiceUnavailable("embedder down", service="embeddings")
            self.embedded_texts.append(text)
            if progress:
                progress(done, len(todo))
        # Swap in the new version only when everything is ready (the contract's atomicity).
        self.chunks[doc.doc_id] = tuple(chunks)
        self.docs[doc.doc_id] = DocumentInfo(
            **asdict(doc), chunk_count=len(chunks), ingested_at=datetime(2026, 3, 2, tzinfo=UTC)
        )
        return len(todo)

    def text_of(self, doc_id: str) -> str:
        return "\n".join(c.text for c in self.chunks.get(doc_id, ()))

    def remove_document(self, doc_id: str) -> bool:
        self.chunks.pop(doc_id, None)
        return self.docs.pop(doc_id, None) is not None
