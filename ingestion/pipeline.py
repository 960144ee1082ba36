"""Load -> clean -> chunk: one file's bytes to a document and its chunks, ready to index.

Pure and deterministic (no I/O, no clock): the service decides whether to index, stores the
original and calls the index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ingestion import scans
from ingestion.chunking import chunk_blocks
from ingestion.errors import FileTooLarge, InvalidDocType, NoText
from ingestion.language import detect_language
from ingestion.metadata import (
    DOC_TYPES,
    doc_id_for,
    guess_app,
    guess_doc_type,
    guess_version,
    normalize_app,
    normalize_doc_type,
    title_from_filename,
)
from ingestion.ocr import PageProgress, TesseractOcr
from ingestion.repeats import drop_repeated_runs
from ingestion.schemas import Block
from ingestion.structure import find_regulation, structure_regulation
from knowledge_base.schemas import ChunkInput, DocumentInput


@dataclass(frozen=True)
class PreparedDocument:
    """A parsed and chunked file, not yet indexed."""

    document: DocumentInput
    chunks: tuple[ChunkInput, ...]
    page_count: int | None = None
    unread_pages: tuple[int, ...] = ()
    """Scanned pages not read (no OCR here): not in the chunks, so not answerable."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(
    filename: str,
    data: bytes,
    *,
    chunk_size: int,
    chunk_overlap: int,
    max_bytes: int | None = None,
    app: str | None = None,
    doc_type: str | None = None,
    language: str | None = None,
    uploader: str | None = None,
    source_hash: str | None = None,
    ocr: TesseractOcr | None = None,
    ocr_progress: PageProgress | None = None,
    title: str | None = None,
) -> PreparedDocument:
    """Parse and chunk one file; raises an :class:`~ingestion.errors.IngestError` if unusable.

    Explicit ``app``/``doc_type``/``language`` win over what the document declares (Markdown
    front matter, HTML ``lang``), which wins over what is guessed from its title and name.
    Scanned pages and images are read with ``ocr`` (see :mod:`ingestion.scans`).
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLarge(
            filename, size_mb=round(len(data) / 2**20, 1), limit_mb=round(max_bytes / 2**20, 1)
        )
    loaded = scans.load(filename, data, ocr, progress=ocr_progress)
    declared = loaded.declared
    # Stretches the file repeats word for word (a scan fed twice) are indexed once.
    blocks: Sequence[Block] = drop_repeated_runs(loaded.blocks)
    body = "\n".join(b.text for b in blocks[:200])
    # A regulation is rebuilt along its BAB/Pasal/ayat structure and named as it is cited.
    structured = structure_regulation(blocks)
    regulation = find_regulation(body) if structured is not None else None
    if structured is not None:
        blocks = structured
    title = (
        title
        or declared.get("title")
        or (regulation.title if regulation else None)
        or loaded.title
        or title_from_filename(filename)
    ).strip()
    title = title[:200]
    chosen_type = normalize_doc_type(doc_type or declared.get("doc_type") or declared.get("type"))
    if chosen_type is not None and chosen_type not in DOC_TYPES:
        raise InvalidDocType(filename, doc_type=chosen_type, choices=", ".join(DOC_TYPES))
    if chosen_type is None and structured is not None:
        chosen_type = "regulation"
    chunks = chunk_blocks(blocks, title, size=chunk_size, overlap=chunk_overlap)
    if not chunks:
        raise NoText(filename)
    document = DocumentInput(
        doc_id=doc_id_for(filename),
        title=title,
        app=normalize_app(app or declared.get("app")) or guess_app(title, filename),
        doc_type=chosen_type or guess_doc_type(title, filename),
        language=language or _declared_language(declared) or detect_language(body),
        version=declared.get("version")
        or loaded.version
        or guess_version(filename, title)
        or loaded.date,
        uploader=uploader,
        source_name=filename,
        source_hash=source_hash or sha256(data),
        media_type=loaded.media_type,
    )
    return PreparedDocument(
        document,
        tuple(ChunkInput(c.text, c.section or None, c.page, c.position, c.anchors) for c in chunks),
        page_count=loaded.page_count,
        unread_pages=loaded.unread_pages,
    )


def _declared_language(declared: dict[str, str]) -> str | None:
    value = (declared.get("language") or declared.get("lang") or "").lower()[:2]
    return value if value in ("id", "en") else None
