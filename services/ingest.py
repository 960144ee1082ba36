"""Ingest documents: files or uploads -> originals kept on disk -> chunks in the knowledge index.

Re-ingest is a diff. A file whose bytes (SHA-256) and metadata match the indexed version is
reported unchanged without even being parsed; a changed one is re-chunked and handed to
:meth:`KnowledgeIndex.replace_document`, which embeds only chunk texts it has not seen and keeps
the old version answering until the new one is complete. Every failure is per file: the batch
goes on and the report lists the file with a reason in the user's language.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any, Literal, Protocol

from core.config import Settings
from core.errors import AppError
from ingestion import detect
from ingestion.errors import (
    DuplicateName,
    FileNotFound,
    FileTooLarge,
    IngestError,
    InvalidDocType,
    OriginalMissing,
    UnreadableFile,
    UnsupportedFileType,
)
from ingestion.metadata import DOC_TYPES, doc_id_for, normalize_app, normalize_doc_type
from ingestion.ocr import OcrLimits, TesseractOcr
from ingestion.pipeline import PreparedDocument, prepare, sha256
from knowledge_base.schemas import ChunkInput, DocumentInfo, DocumentInput
from services.messages import error_message

Outcome = Literal["added", "updated", "unchanged", "failed"]
Stage = Literal["start", "ocr", "embed", "done"]

_EXTENSION_FOR = {
    detect.PDF: ".pdf",
    detect.DOCX: ".docx",
    detect.HTML: ".html",
    detect.MARKDOWN: ".md",
    detect.TEXT: ".txt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
}


class DocumentIndex(Protocol):
    """The part of :class:`knowledge_base.index.KnowledgeIndex` that ingestion uses."""

    def document(self, doc_id: str) -> DocumentInfo | None: ...

    def list_documents(self) -> list[DocumentInfo]: ...

    def replace_document(
        self,
        doc: DocumentInput,
        chunks: Sequence[ChunkInput],
        progress: Callable[[int, int], None] | None = None,
    ) -> int: ...


@dataclass(frozen=True)
class IngestFailure:
    """One file that was not ingested, with the reason (``code``) and a readable ``message``."""

    file: str
    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestProgress:
    """Where a batch is: file ``index`` (1-based) of ``total``; chunks of the current file,
    or (stage ``ocr``) its scanned pages read so far."""

    file: str
    index: int
    total: int
    stage: Stage
    chunks_done: int = 0
    chunks_total: int = 0
    outcome: Outcome | None = None
    pages_done: int = 0
    pages_total: int = 0


ProgressCallback = Callable[[IngestProgress], None]


@dataclass(frozen=True)
class IngestReport:
    """The result of one batch: counts per outcome, failures per file, chunks embedded."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: tuple[IngestFailure, ...] = ()
    chunks_embedded: int = 0
    documents: tuple[str, ...] = ()
    """Ids of the documents ingested (added, updated or unchanged), in input order."""

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.failed)


@dataclass(frozen=True)
class PruneReport:
    """What ``prune_originals`` did: files deleted, bytes freed, unreferenced files spared."""

    deleted: int
    bytes_freed: int
    kept_recent: int
    """Unreferenced but changed within ``min_age`` (an ingest may be about to use them)."""
    referenced: int
    """Originals still used by an indexed document."""


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    chunks: int = 0
    documents: list[str] = field(default_factory=list)

    def report(self) -> IngestReport:
        return IngestReport(
            self.added,
            self.updated,
            self.unchanged,
            tuple(self.failed),
            self.chunks,
            tuple(self.documents),
        )


@dataclass(frozen=True)
class _Source:
    name: str  # what the report calls the file (the path as given, or the upload's name)
    filename: str  # the bare file name: the document id and title fall back to it
    path: Path | None = None
    data: bytes | None = None
    title: str | None = None


class IngestService:
    """Use cases around getting documents into the knowledge base."""

    def __init__(
        self,
        settings: Settings,
        index: Callable[[], DocumentIndex],
        *,
        ocr: TesseractOcr | None = None,
    ) -> None:
        """``index`` is called on first need, so checks like :meth:`check_upload` stay cheap.

        ``ocr`` reads scans and photos; without it they fail with ``ingest.ocr_unavailable``
        (:func:`ocr_from_settings` builds the Tesseract one).
        """
        self._settings = settings
        self._index_factory = index
        self._index: DocumentIndex | None = None
        self.ocr = ocr

    @property
    def index(self) -> DocumentIndex:
        if self._index is None:
            self._index = self._index_factory()
        return self._index

    # ---- checks before any work ------------------------------------------------------------

    def check_upload(self, filename: str, size: int, *, limit_bytes: int | None = None) -> None:
        """Refuse an upload by name and size before downloading it.

        Args:
            limit_bytes: a lower limit of the transport (Telegram's cloud Bot API serves
                files up to 20 MB); the smaller of it and ``settings.max_upload_mb`` applies.

        Raises:
            FileTooLarge: ``size`` is above the limit (``ingest.too_large``).
            UnsupportedFileType: the extension is not one we read (``ingest.unsupported_type``).
        """
        name = PurePath(filename).name
        limit = self._settings.max_upload_bytes
        if limit_bytes is not None:
            limit = min(limit, limit_bytes)
        if size > limit:
            raise FileTooLarge(
                name, size_mb=round(size / 2**20, 1), limit_mb=round(limit / 2**20, 1)
            )
        ext = detect.extension(name)
        if ext and ext not in detect.UPLOAD_EXTENSIONS:
            raise UnsupportedFileType(name, kind=ext.lstrip("."))

    # ---- ingest ------------------------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Sequence[Path],
        *,
        app: str | None = None,
        doc_type: str | None = None,
        uploader: str | None = None,
        progress: ProgressCallback | None = None,
        lang: str | None = None,
    ) -> IngestReport:
        """Ingest files and folders (folders recursively: every supported, non-hidden file)."""
        self._check_doc_type(doc_type)
        tally = _Tally()
        sources: list[_Source] = []
        for path in paths:
            if path.is_dir():
                sources.extend(_Source(str(found), found.name, path=found) for found in _walk(path))
            elif path.is_file():
                sources.append(_Source(str(path), path.name, path=path))
            else:
                self._fail(tally, str(path), FileNotFound(str(path)), lang)
        self._run(sources, tally, app, doc_type, uploader, progress, lang)
        return tally.report()

    def ingest_upload(
        self,
        filename: str,
        data: bytes,
        *,
        app: str | None = None,
        doc_type: str | None = None,
        uploader: str | None = None,
        progress: ProgressCallback | None = None,
        lang: str | None = None,
        title: str | None = None,
    ) -> IngestReport:
        """Ingest one uploaded file (e.g. a document sent to the bot); ``title`` overrides the
        one found in the file (an agreement's source gets the agreement's title)."""
        self._check_doc_type(doc_type)
        name = PurePath(filename.replace("\\", "/")).name or "dokumen"
        tally = _Tally()
        source = _Source(name, name, data=data, title=title)
        self._run([source], tally, app, doc_type, uploader, progress, lang)
        return tally.report()

    def reindex(
        self,
        doc_ids: Iterable[str] | None = None,
        *,
        progress: ProgressCallback | None = None,
        lang: str | None = None,
    ) -> IngestReport:
        """Re-chunk documents from their kept originals (after a chunking change, or a lost
        vector store); the metadata given at upload time is kept. Unknown ids are ignored."""
        wanted = set(doc_ids) if doc_ids is not None else None
        documents = [d for d in self.index.list_documents() if wanted is None or d.doc_id in wanted]
        tally = _Tally()
        for number, info in enumerate(documents, start=1):
            name = info.source_name or info.doc_id
            if progress:
                progress(IngestProgress(name, number, len(documents), "start"))
            try:
                original = self.original_file(info)
                if original is None:
                    raise OriginalMissing(name, doc_id=info.doc_id)
                data = original.read_bytes()
                prepared = self._prepare(
                    name,
                    data,
                    info.app,
                    info.doc_type,
                    info.uploader,
                    info.language,
                    progress=self._ocr_progress(name, number, len(documents), progress),
                )
                document = replace(
                    prepared.document,
                    doc_id=info.doc_id,
                    original_path=info.original_path,
                )
                tally.chunks += self.index.replace_document(document, prepared.chunks)
                tally.updated += 1
                tally.documents.append(info.doc_id)
            except OSError as exc:
                self._fail(tally, name, UnreadableFile(name, reason=exc.strerror or ""), lang)
            except AppError as err:
                self._fail(tally, name, err, lang)
            if progress:
                progress(IngestProgress(name, number, len(documents), "done"))
        return tally.report()

    def original_file(self, document: DocumentInput) -> Path | None:
        """Where the kept original of an indexed document is, if it is still there."""
        if not document.original_path:
            return None
        path = Path(document.original_path)
        if not path.is_absolute():
            path = self._settings.data_dir / path
        return path if path.is_file() else None

    # ---- internals -------------------------------------------------------------------------

    def _check_doc_type(self, doc_type: str | None) -> None:
        normalized = normalize_doc_type(doc_type)
        if normalized is not None and normalized not in DOC_TYPES:
            raise InvalidDocType("", doc_type=doc_type, choices=", ".join(DOC_TYPES))

    def _run(
        self,
        sources: list[_Source],
        tally: _Tally,
        app: str | None,
        doc_type: str | None,
        uploader: str | None,
        progress: ProgressCallback | None,
        lang: str | None,
    ) -> None:
        seen: dict[str, str] = {}
        total = len(sources)
        for number, source in enumerate(sources, start=1):
            if progress:
                progress(IngestProgress(source.name, number, total, "start"))
            outcome: Outcome = "failed"
            doc_id = doc_id_for(source.filename)
            try:
                if doc_id in seen:
                    raise DuplicateName(source.name, doc_id=doc_id, other=seen[doc_id])
                seen[doc_id] = source.name
                data = source.data if source.data is not None else self._read(source)
                outcome, embedded = self._ingest_one(
                    source, data, app, doc_type, uploader, number, total, progress
                )
                tally.chunks += embedded
                setattr(tally, outcome, getattr(tally, outcome) + 1)
                tally.documents.append(doc_id)
            except AppError as err:
                self._fail(tally, source.name, err, lang)
            if progress:
                progress(IngestProgress(source.name, number, total, "done", outcome=outcome))

    def _read(self, source: _Source) -> bytes:
        assert source.path is not None
        try:
            size = source.path.stat().st_size
            if size > self._settings.max_upload_bytes:  # refuse before reading it into memory
                raise FileTooLarge(
                    source.name,
                    size_mb=round(size / 2**20, 1),
                    limit_mb=round(self._settings.max_upload_mb, 1),
                )
            return source.path.read_bytes()
        except OSError as exc:
            raise UnreadableFile(source.name, reason=exc.strerror or str(exc)) from exc

    def _ingest_one(
        self,
        source: _Source,
        data: bytes,
        app: str | None,
        doc_type: str | None,
        uploader: str | None,
        number: int,
        total: int,
        progress: ProgressCallback | None,
    ) -> tuple[Outcome, int]:
        if len(data) > self._settings.max_upload_bytes:
            raise FileTooLarge(
                source.name,
                size_mb=round(len(data) / 2**20, 1),
                limit_mb=round(self._settings.max_upload_mb, 1),
            )
        digest = sha256(data)
        existing = self.index.document(doc_id_for(source.filename))
        if existing is not None and self._unchanged(existing, digest, app, doc_type):
            return "unchanged", 0
        prepared = self._prepare(
            source.filename,
            data,
            app,
            doc_type,
            uploader,
            None,
            digest,
            progress=self._ocr_progress(source.name, number, total, progress),
            title=source.title,
        )
        stored, created = self._store_original(digest, prepared.document.media_type, data)
        document = replace(prepared.document, original_path=stored)

        def on_embed(done: int, count: int) -> None:
            if progress:
                progress(IngestProgress(source.name, number, total, "embed", done, count))

        try:
            embedded = self.index.replace_document(document, prepared.chunks, progress=on_embed)
        except AppError:
            if created:
                self._discard_original(stored)
            raise
        if existing is not None and existing.original_path not in (None, stored):
            self._discard_if_unreferenced(existing.original_path or "")
        return ("added" if existing is None else "updated"), embedded

    def _unchanged(
        self, existing: DocumentInfo, digest: str, app: str | None, doc_type: str | None
    ) -> bool:
        if existing.source_hash != digest or self.original_file(existing) is None:
            return False
        if app is not None and normalize_app(app) != existing.app:
            return False
        return doc_type is None or normalize_doc_type(doc_type) == existing.doc_type

    def _prepare(
        self,
        filename: str,
        data: bytes,
        app: str | None,
        doc_type: str | None,
        uploader: str | None,
        language: str | None = None,
        digest: str | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
        title: str | None = None,
    ) -> PreparedDocument:
        return prepare(
            filename,
            data,
            chunk_size=self._settings.chunk_size,
            chunk_overlap=self._settings.chunk_overlap,
            max_bytes=self._settings.max_upload_bytes,
            app=app,
            doc_type=doc_type,
            language=language,
            uploader=uploader,
            source_hash=digest,
            ocr=self.ocr,
            ocr_progress=progress,
            title=title,
        )

    @staticmethod
    def _ocr_progress(
        name: str, number: int, total: int, progress: ProgressCallback | None
    ) -> Callable[[int, int], None] | None:
        if progress is None:
            return None

        def on_page(done: int, count: int) -> None:
            progress(IngestProgress(name, number, total, "ocr", pages_done=done, pages_total=count))

        return on_page

    def _store_original(self, digest: str, media_type: str | None, data: bytes) -> tuple[str, bool]:
        """Keep the original, content-addressed; returns (path relative to data_dir, created)."""
        relative = (
            Path("originals") / digest[:2] / f"{digest}{_EXTENSION_FOR.get(media_type or '', '')}"
        )
        target = self._settings.data_dir / relative
        if target.is_file():
            # Fresh again: prune_originals spares recently touched files, and this one is about
            # to be referenced by the document being indexed.
            os.utime(target)
            return relative.as_posix(), False
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a crash never leaves a truncated original under its final name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return relative.as_posix(), True

    def prune_originals(
        self, *, min_age: timedelta = timedelta(hours=1), now: float | None = None
    ) -> PruneReport:
        """Delete kept originals no indexed document refers to (e.g. of removed documents).

        An ingest stores (or touches) the original just before indexing it, so files changed
        in the last ``min_age`` are spared: pruning is safe while the bot is ingesting.
        """
        referenced = {d.original_path for d in self.index.list_documents() if d.original_path}
        root = self._settings.originals_dir
        cutoff = (time.time() if now is None else now) - min_age.total_seconds()
        deleted = kept_recent = freed = 0
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if not path.is_file():
                continue
            relative = path.relative_to(self._settings.data_dir).as_posix()
            if relative in referenced:
                continue
            stat = path.stat()
            if stat.st_mtime > cutoff:
                kept_recent += 1
                continue
            path.unlink(missing_ok=True)
            deleted += 1
            freed += stat.st_size
        return PruneReport(
            deleted=deleted, bytes_freed=freed, kept_recent=kept_recent, referenced=len(referenced)
        )

    def _discard_if_unreferenced(self, relative: str) -> None:
        # The previous version's original, once no document (another name, same bytes) uses it.
        if not any(d.original_path == relative for d in self.index.list_documents()):
            self._discard_original(relative)

    def _discard_original(self, relative: str) -> None:
        # Only called for a file this very ingest created, so no indexed document refers to it.
        (self._settings.data_dir / relative).unlink(missing_ok=True)

    def _fail(self, tally: _Tally, name: str, err: AppError, lang: str | None) -> None:
        language = lang or self._settings.language
        params = dict(err.params)
        params.setdefault("file", name)
        if isinstance(err, IngestError) and not err.file:
            err.params["file"] = name
        tally.failed.append(IngestFailure(name, err.code, error_message(err, language), params))


def ocr_from_settings(settings: Settings) -> TesseractOcr:
    """The Tesseract reader with the deployment's languages and bounds."""
    return TesseractOcr(
        languages=settings.ocr_languages,
        command=settings.tesseract_cmd,
        concurrency=settings.ocr_concurrency,
        limits=OcrLimits(
            max_pages=settings.ocr_max_pages,
            max_pixels=settings.ocr_max_pixels,
            dpi=settings.ocr_dpi,
            page_timeout_s=settings.ocr_page_timeout_s,
            total_timeout_s=settings.ocr_timeout_s,
        ),
    )


def _walk(folder: Path) -> list[Path]:
    """Supported, non-hidden files under ``folder``, in a stable order."""
    found: list[Path] = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith((".", "~$")) for part in relative.parts):
            continue
        if path.is_file() and detect.extension(path.name) in detect.SUPPORTED_EXTENSIONS:
            found.append(path)
    return found
