"""Ingest documents: files or uploads -> originals kept on disk -> chunks in the knowledge index.

Re-ingest is a diff. A file whose bytes (SHA-256) and metadata match the indexed version is
reported unchanged without even being parsed; a changed one is re-chunked and handed to
:meth:`KnowledgeIndex.replace_document`, which embeds only chunk texts it has not seen and keeps
the old version answering until the new one is complete. Every failure is per file: the batch
goes on and the report lists the file with a reason in the user's language.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any, Literal, Protocol

from core.config import Settings
from core.errors import AppError, storage_error
from core.files import private_dir, write_atomically
from core.text import clean_optional_line, display_name
from ingestion import detect, scans
from ingestion.errors import (
    DuplicateName,
    FileNotFound,
    FileTooLarge,
    IngestError,
    InvalidDocType,
    LinkOutsideFolder,
    NotRegularFile,
    OriginalChanged,
    OriginalMissing,
    UnreadableFile,
    UnsupportedFileType,
)
from ingestion.metadata import (
    DOC_TYPES,
    distinct_doc_id,
    doc_id_for,
    document_key,
    normalize_app,
    normalize_doc_type,
)
from ingestion.ocr import OcrLimits, TesseractOcr
from ingestion.pipeline import PreparedDocument, prepare, sha256
from knowledge_base.schemas import ChunkInput, DocumentInfo, DocumentInput
from mou_tracker.intake.rules import looks_like_agreement
from services.messages import catalog, error_message

_HASH_BLOCK = 1 << 20
"""How much of an over-large kept original is read at a time to hash it."""

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
class IngestNote:
    """Something the uploader should know about a file that was ingested, e.g. that it got its
    own id because another document already had the one its name gives (``code``
    ``ingest.note.distinct_id``, params ``doc_id``, ``other_doc_id``, ``other_file``)."""

    file: str
    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)


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
    notes: tuple[IngestNote, ...] = ()

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
    ocr_deleted: int = 0
    """Files whose OCR'd pages were kept (``Settings.ocr_cache_dir``) and whose original is
    gone: their pages are deleted with it (a removed document's text leaves the disk)."""


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    chunks: int = 0
    documents: list[str] = field(default_factory=list)
    notes: list[IngestNote] = field(default_factory=list)

    def report(self) -> IngestReport:
        return IngestReport(
            self.added,
            self.updated,
            self.unchanged,
            tuple(self.failed),
            self.chunks,
            tuple(self.documents),
            tuple(self.notes),
        )


@dataclass(frozen=True)
class _Source:
    name: str  # what the report calls the file (the path as given, or the upload's name)
    filename: str  # the bare file name: the document id and title fall back to it
    path: Path | None = None
    data: bytes | None = None
    title: str | None = None
    offer_intake: bool = True  # say so when it reads as a signed agreement


@dataclass(frozen=True)
class _Ingested:
    outcome: Outcome
    embedded: int
    unread_pages: tuple[int, ...] = ()
    agreement_kind: str | None = None


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
        """Ingest files and folders (folders recursively: every supported, non-hidden file).

        A folder is read as its owner sees it: links that lead out of it, named pipes and
        devices are refused (each with its reason in the report), never followed or read.
        File names that are not UTF-8 are shown and stored in a readable form.
        """
        self._check_doc_type(doc_type)
        tally = _Tally()
        sources: list[_Source] = []
        for path in paths:
            shown = display_name(str(path))
            try:
                info = path.stat()
            except FileNotFoundError:
                self._fail(tally, shown, FileNotFound(shown), lang)
                continue
            except OSError as exc:
                error: IngestError = (
                    NotRegularFile(shown, kind="link-loop")
                    if exc.errno == errno.ELOOP
                    else UnreadableFile(shown, reason=exc.strerror or "")
                )
                self._fail(tally, shown, error, lang)
                continue
            if stat.S_ISDIR(info.st_mode):
                found, refused = _walk(path)
                sources.extend(
                    _Source(display_name(str(f)), display_name(f.name), path=target)
                    for f, target in found
                )
                for error in refused:
                    self._fail(tally, error.file, error, lang)
            elif stat.S_ISREG(info.st_mode):
                sources.append(_Source(shown, display_name(path.name), path=path.resolve()))
            else:
                self._fail(tally, shown, NotRegularFile(shown, kind=_kind(info.st_mode)), lang)
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
        offer_intake: bool = True,
    ) -> IngestReport:
        """Ingest one uploaded file (e.g. a document sent to the bot); ``title`` overrides the
        one found in the file (an agreement's source gets the agreement's title).

        A file that reads as a signed agreement gets a note saying how to record it in the
        tracker, unless ``offer_intake`` is False (the intake itself is filing it).
        """
        self._check_doc_type(doc_type)
        name = display_name(PurePath(filename.replace("\\", "/")).name) or "dokumen"
        tally = _Tally()
        source = _Source(name, name, data=data, title=title, offer_intake=offer_intake)
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
                data = self._read_original(original, name, info)
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

    def _read_original(self, path: Path, name: str, info: DocumentInfo) -> bytes:
        """The kept original's bytes, checked against the upload's hash.

        Read as an upload is (:meth:`_read`): a FIFO swapped in after :meth:`original_file`
        looked is not waited on, and a file over the upload limit is never read into memory
        (a 5 GB file put in its place stopped the whole reindex with a MemoryError). Its
        hash, read a block at a time, tells which it is: another file (changed) or the
        upload itself, over a limit lowered since (too large).

        Raises:
            OriginalMissing: no longer a regular file.
            OriginalChanged: its bytes are not the upload's.
            FileTooLarge: the upload's bytes, over ``MAX_UPLOAD_MB``.
        """
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
        with os.fdopen(os.open(path, flags), "rb") as handle:
            found = os.fstat(handle.fileno())
            if not stat.S_ISREG(found.st_mode):
                raise OriginalMissing(name, doc_id=info.doc_id)
            limit = self._settings.max_upload_bytes
            if found.st_size <= limit:
                data = handle.read(limit + 1)
                if len(data) <= limit:
                    if info.source_hash and sha256(data) != info.source_hash:
                        raise OriginalChanged(name, doc_id=info.doc_id)
                    return data
                handle.seek(0)
            digest = hashlib.sha256()
            size = 0
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
                size += len(block)
        if info.source_hash and digest.hexdigest() != info.source_hash:
            raise OriginalChanged(name, doc_id=info.doc_id)
        raise self._too_large(name, size)

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
        # As typed: a terminal under the C locale passes undecodable bytes as lone surrogates,
        # which no database stores.
        app = clean_optional_line(app)
        seen: dict[str, str] = {}
        total = len(sources)
        for number, source in enumerate(sources, start=1):
            if progress:
                progress(IngestProgress(source.name, number, total, "start"))
            outcome: Outcome = "failed"
            try:
                doc_id, holder = self._document_id(source.filename)
                if doc_id in seen:
                    raise DuplicateName(source.name, doc_id=doc_id, other=seen[doc_id])
                seen[doc_id] = source.name
                data = source.data if source.data is not None else self._read(source)
                done = self._ingest_one(
                    source, doc_id, data, app, doc_type, uploader, number, total, progress
                )
                outcome, embedded = done.outcome, done.embedded
                if holder is not None:
                    tally.notes.append(self._distinct_id_note(source, doc_id, holder, lang))
                if done.unread_pages:
                    tally.notes.append(self._unread_pages_note(source, done.unread_pages, lang))
                if done.agreement_kind is not None and source.offer_intake:
                    params = {"file": source.name, "kind": done.agreement_kind.upper()}
                    tally.notes.append(self._note(source, "ingest.note.agreement", params, lang))
                tally.chunks += embedded
                setattr(tally, outcome, getattr(tally, outcome) + 1)
                tally.documents.append(doc_id)
            except AppError as err:
                self._fail(tally, source.name, err, lang)
            if progress:
                progress(IngestProgress(source.name, number, total, "done", outcome=outcome))

    def _document_id(self, filename: str) -> tuple[str, DocumentInfo | None]:
        """The id ``filename`` is indexed under, and the other document that holds its plain
        id when it has to get a distinct one.

        Only the same document (:func:`document_key`) replaces itself: a name whose slug
        collides with another document's ("… Bagian 1"/"… Bagian 2" cut at 80 characters,
        "文档一"/"文档二" both "dokumen") gets :func:`distinct_doc_id`, stable across uploads.
        """
        key = document_key(filename)
        distinct = distinct_doc_id(filename)
        found = self.index.document(distinct)
        if found is not None and _same_document(found, key):
            return distinct, None
        plain = doc_id_for(filename)
        holder = self.index.document(plain)
        if holder is None or _same_document(holder, key):
            return plain, None
        return distinct, holder

    def _distinct_id_note(
        self, source: _Source, doc_id: str, holder: DocumentInfo, lang: str | None
    ) -> IngestNote:
        params = {
            "file": source.name,
            "doc_id": doc_id,
            "other_doc_id": holder.doc_id,
            "other_file": holder.source_name or holder.title,
        }
        return self._note(source, "ingest.note.distinct_id", params, lang)

    def _unread_pages_note(
        self, source: _Source, pages: tuple[int, ...], lang: str | None
    ) -> IngestNote:
        """The scanned pages of a PDF read without OCR are not in the index: say which."""
        shown = ", ".join(str(p) for p in pages[:20]) + (", …" if len(pages) > 20 else "")
        params = {"file": source.name, "pages": shown, "count": len(pages)}
        return self._note(source, "ingest.note.unread_pages", params, lang)

    def _note(
        self, source: _Source, code: str, params: dict[str, Any], lang: str | None
    ) -> IngestNote:
        message = catalog().t(code, lang or self._settings.language, **params)
        return IngestNote(source.name, code, message, params)

    def _too_large(self, name: str, size: int) -> FileTooLarge:
        """The error for a file of ``size`` bytes over ``MAX_UPLOAD_MB``."""
        return FileTooLarge(
            name,
            size_mb=round(size / 2**20, 1),
            limit_mb=round(self._settings.max_upload_mb, 1),
        )

    def _read(self, source: _Source) -> bytes:
        """The file's bytes, opened without following a last link (the walk checked where
        links lead) and refused unless it is a regular file, even if it changed since."""
        assert source.path is not None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(source.path, flags)
        except OSError as exc:
            raise UnreadableFile(source.name, reason=exc.strerror or str(exc)) from exc
        with os.fdopen(fd, "rb") as handle:
            try:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise NotRegularFile(source.name, kind=_kind(info.st_mode))
                limit = self._settings.max_upload_bytes
                if info.st_size > limit:  # refuse before reading it into memory
                    raise self._too_large(source.name, info.st_size)
                return handle.read(limit + 1)
            except OSError as exc:
                raise UnreadableFile(source.name, reason=exc.strerror or str(exc)) from exc

    def _ingest_one(
        self,
        source: _Source,
        doc_id: str,
        data: bytes,
        app: str | None,
        doc_type: str | None,
        uploader: str | None,
        number: int,
        total: int,
        progress: ProgressCallback | None,
    ) -> _Ingested:
        if len(data) > self._settings.max_upload_bytes:
            raise self._too_large(source.name, len(data))
        digest = sha256(data)
        existing = self.index.document(doc_id)
        if existing is not None and self._unchanged(existing, digest, app, doc_type):
            return _Ingested("unchanged", 0)
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
        document = replace(prepared.document, doc_id=doc_id, original_path=stored)

        def on_embed(done: int, count: int) -> None:
            if progress:
                progress(IngestProgress(source.name, number, total, "embed", done, count))

        try:
            embedded = self.index.replace_document(document, prepared.chunks, progress=on_embed)
        except BaseException:
            # Whatever failed (our error, a bug, an interrupt), no original without a document.
            if created:
                self._discard_original(stored)
            raise
        if existing is not None and existing.original_path not in (None, stored):
            self._discard_if_unreferenced(existing.original_path or "")
        head = "\n".join(chunk.text for chunk in prepared.chunks[:8])
        return _Ingested(
            "added" if existing is None else "updated",
            embedded,
            prepared.unread_pages,
            looks_like_agreement(head),
        )

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
        try:
            private_dir(target.parent)
            # A crash never leaves a truncated original under its final name.
            write_atomically(target, lambda handle: handle.write(data))
        except OSError as exc:
            raise storage_error(exc, str(target)) from exc
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
            deleted=deleted,
            bytes_freed=freed,
            kept_recent=kept_recent,
            referenced=len(referenced),
            ocr_deleted=self._prune_ocr_cache(cutoff),
        )

    def _prune_ocr_cache(self, cutoff: float) -> int:
        """Delete the kept OCR pages of files no original is kept for any more, unless read
        since ``cutoff`` (an intake draft's scan, about to be confirmed)."""
        root = self._settings.originals_dir
        kept = (
            {p.name.split(".")[0] for p in root.rglob("*") if p.is_file()}
            if root.is_dir()
            else set()
        )
        deleted = 0
        for content, folder in scans.cached_contents(self._settings.ocr_cache_dir).items():
            if content in kept:
                continue
            try:
                pages = list(folder.iterdir())
                if any(p.stat().st_mtime > cutoff for p in pages):
                    continue
                for page in pages:
                    page.unlink(missing_ok=True)
                folder.rmdir()
            except OSError:  # a page being written meanwhile: the next prune takes it
                continue
            deleted += 1
        return deleted

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
        cache_dir=settings.ocr_cache_dir,
        limits=OcrLimits(
            max_pages=settings.ocr_max_pages,
            max_pixels=settings.ocr_max_pixels,
            dpi=settings.ocr_dpi,
            page_timeout_s=settings.ocr_page_timeout_s,
            total_timeout_s=settings.ocr_timeout_s,
        ),
    )


def _same_document(info: DocumentInfo, key: str) -> bool:
    # Documents indexed before names were recorded cannot be told apart: they replace, as before.
    return info.source_name is None or document_key(info.source_name) == key


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISDIR(mode):
        return "folder"
    return "other"


def _walk(folder: Path) -> tuple[list[tuple[Path, Path]], list[IngestError]]:
    """Supported, non-hidden files under ``folder`` in a stable order, each with the real path
    to read; and the entries refused: links leading out of the folder, pipes, devices.

    Folders are not entered through links (a link to ``/`` would walk the whole disk); a link
    to a file inside the folder is read as that file.
    """
    root = folder.resolve()
    found: list[tuple[Path, Path]] = []
    refused: list[IngestError] = []
    for current, dirs, files in os.walk(folder, followlinks=False):
        base = Path(current)
        for name in [d for d in dirs if (base / d).is_symlink()]:
            dirs.remove(name)  # never entered; one leading out is reported
            target = (base / name).resolve()
            if not target.is_relative_to(root) and not name.startswith((".", "~$")):
                shown = display_name(str(base / name))
                refused.append(LinkOutsideFolder(shown, target=display_name(str(target))))
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "~$")))
        for name in sorted(files):
            if name.startswith((".", "~$")):
                continue
            path = base / name
            if detect.extension(name) not in detect.SUPPORTED_EXTENSIONS:
                continue
            shown = display_name(str(path))
            try:
                target = path.resolve()
            except (RuntimeError, OSError):  # a link loop (a -> b -> a): nothing to read
                refused.append(NotRegularFile(shown, kind="link-loop"))
                continue
            if path.is_symlink() and not target.is_relative_to(root):
                refused.append(LinkOutsideFolder(shown, target=display_name(str(target))))
                continue
            try:
                mode = target.stat().st_mode
            except OSError:
                refused.append(NotRegularFile(shown, kind="broken-link"))
                continue
            if not stat.S_ISREG(mode):
                refused.append(NotRegularFile(shown, kind=_kind(mode)))
                continue
            found.append((path, target))
    found.sort(key=lambda pair: pair[0])
    return found, refused
