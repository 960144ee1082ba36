"""The knowledge index: documents and chunks in the database, vectors in Chroma, BM25 beside it.

Work in progress: the public API below is stable; the implementation is being filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from knowledge_base.schemas import (
    ChunkInput,
    DocumentInfo,
    DocumentInput,
    SearchFilters,
    SearchHit,
    SearchMode,
)

Progress = Callable[[int, int], None]
"""``progress(done, total)``: chunks embedded so far out of those that need embedding."""


class KnowledgeIndex:
    """Hybrid (dense + BM25) index of document chunks with diff-based updates."""

    def document(self, doc_id: str) -> DocumentInfo | None:
        """The indexed version of ``doc_id``, or ``None``."""
        raise NotImplementedError

    def list_documents(self) -> list[DocumentInfo]:
        """Every indexed document, by title."""
        raise NotImplementedError

    def replace_document(
        self,
        doc: DocumentInput,
        chunks: Sequence[ChunkInput],
        progress: Progress | None = None,
    ) -> int:
        """Index ``chunks`` as the new version of ``doc``; returns the number of chunks embedded.

        Chunk texts the previous version already had are not embedded again. Readers keep
        seeing the old version until the new one is fully written; on any error the old version
        stays in place.
        """
        raise NotImplementedError

    def remove_document(self, doc_id: str) -> bool:
        """Remove ``doc_id`` and all its chunks from every index; ``False`` if it was unknown."""
        raise NotImplementedError

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """The ``k`` best passages for ``query``, best first (fused score, see ``fusion``)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the vector store's client."""
        raise NotImplementedError
