"""Files of agreements: milestone evidence (photos, documents) and signed source documents.

Bytes are kept under ``<data_dir>/evidence/<sha256[:2]>/<sha256><ext>`` (content-addressed: the
same photo sent twice is stored once); a row in ``agreement_files`` says which agreement and
milestone a file belongs to, who sent it, and holds the text read from it (text layer or OCR),
so an agreement's papers can be searched. Every attached file is in the audit log.

Every method takes the acting subject first and answers only within its scope
(:mod:`services.tracker_scope`), like the tracker.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from accounts.schemas import AuthSubject
from core.clock import Clock
from core.config import Settings
from core.errors import AppError
from core.files import private_dir, write_atomically
from core.text import clean_line
from ingestion import detect, scans
from ingestion.errors import FileTooLarge, OcrUnavailable
from ingestion.ocr import PageProgress, TesseractOcr
from mou_tracker import files
from mou_tracker.errors import AgreementFileNotFound, MilestoneChanged
from mou_tracker.files import AgreementFileView, FileHit
from mou_tracker.models import AgreementFile
from mou_tracker.repository import TrackerRepository
from mou_tracker.rules import still_as_seen
from mou_tracker.schemas import MilestoneView
from services.tracker_scope import milestone_in_scope, visible_agreement

if TYPE_CHECKING:
    from services.tracker import TrackerService

__all__ = ["AgreementFileView", "EvidenceService", "FileHit", "FileStore", "StoredFile"]

log = logging.getLogger(__name__)

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    detect.PDF: ".pdf",
    detect.DOCX: ".docx",
    detect.HTML: ".html",
    detect.MARKDOWN: ".md",
    detect.TEXT: ".txt",
}


@dataclass(frozen=True)
class StoredFile:
    """Bytes kept in the store, with what was read from them."""

    sha256: str
    path: str  # relative to the data dir
    filename: str
    media_type: str
    size: int
    pages: int | None = None
    text: str | None = None
    text_note: str | None = None  # an error code when the text could not be read (kept anyway)


def media_type_of(filename: str, data: bytes) -> str:
    """The file's media type from its bytes; unknown kinds are kept as octet streams."""
    kind = detect.image_kind(data)
    if kind is not None:
        return scans.IMAGE_MEDIA_TYPES[kind]
    try:
        return detect.detect(filename, data).media_type
    except AppError:
        return "application/octet-stream"


class FileStore:
    """Content-addressed files under ``<data_dir>/evidence``."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def put(self, data: bytes, media_type: str) -> tuple[str, str]:
        """Keep ``data``; returns (sha256, path relative to the data dir)."""
        digest = hashlib.sha256(data).hexdigest()
        relative = Path("evidence") / digest[:2] / f"{digest}{_EXTENSIONS.get(media_type, '')}"
        target = self._settings.data_dir / relative
        if not target.is_file():
            private_dir(target.parent)
            write_atomically(target, lambda handle: handle.write(data))
        return digest, relative.as_posix()

    def read(self, relative: str) -> bytes | None:
        path = (self._settings.data_dir / relative).resolve()
        root = self._settings.data_dir.resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path.read_bytes()


class EvidenceService:
    """Evidence for milestones and the files of agreements."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        settings: Settings,
        clock: Clock,
        ocr: TesseractOcr | None,
        tracker: TrackerService,
    ) -> None:
        """``tracker`` changes the milestone (status, evidence, audit) the file proves."""
        self._sf = session_factory
        self._settings = settings
        self._clock = clock
        self._ocr = ocr
        self._tracker = tracker
        self.store = FileStore(settings)

    # ---- keeping files ------------------------------------------------------------------------

    def keep(
        self,
        filename: str,
        data: bytes,
        *,
        read_text: bool = True,
        progress: PageProgress | None = None,
    ) -> StoredFile:
        """Store the bytes and read their text (OCR for photos and scans) where possible.

        A photo is kept even when its text cannot be read (no Tesseract, a blurred shot):
        evidence is evidence; ``text_note`` says why there is no text.
        """
        # The name is shown and stored: no controls or direction overrides, whatever was sent.
        name = clean_line(PurePath(filename.replace("\\", "/")).name) or "berkas"
        if len(data) > self._settings.max_upload_bytes:
            raise FileTooLarge(
                name,
                size_mb=round(len(data) / 2**20, 1),
                limit_mb=round(self._settings.max_upload_mb, 1),
            )
        media_type = media_type_of(name, data)
        text: str | None = None
        pages: int | None = None
        note: str | None = None
        if read_text and media_type != "application/octet-stream":
            try:
                read = scans.read_lines(name, data, self._ocr, progress=progress)
                text, pages = read.text, len(read.pages)
            except OcrUnavailable as err:
                note = err.code
            except AppError as err:  # unreadable text; the file itself is still evidence
                note = err.code
        digest, path = self.store.put(data, media_type)
        return StoredFile(digest, path, name, media_type, len(data), pages, text, note)

    def record(
        self,
        session: Session,
        stored: StoredFile,
        *,
        agreement_id: int,
        role: str,
        actor: str,
        milestone_id: int | None = None,
        kb_doc_id: str | None = None,
    ) -> AgreementFile:
        """Add the file's row and its audit entry (in the caller's transaction)."""
        now = self._clock.now()
        repo = TrackerRepository(session)
        row = repo.add_file(
            AgreementFile(
                agreement_id=agreement_id,
                milestone_id=milestone_id,
                role=role,
                sha256=stored.sha256,
                path=stored.path,
                filename=stored.filename[:300],
                media_type=stored.media_type,
                size=stored.size,
                pages=stored.pages,
                text=stored.text,
                kb_doc_id=kb_doc_id,
                uploaded_by=actor,
                uploaded_at=now,
            )
        )
        repo.add_audit(
            at=now,
            actor=actor,
            action=f"file.{role}",
            agreement_id=agreement_id,
            milestone_id=milestone_id,
            details={
                "file_id": row.id,
                "filename": stored.filename,
                "sha256": stored.sha256,
                "path": stored.path,
                "media_type": stored.media_type,
                "size": stored.size,
                "text": bool(stored.text),
                "text_note": stored.text_note,
            },
        )
        return row

    # ---- milestone evidence -----------------------------------------------------------------

    def complete_with_file(
        self,
        subject: AuthSubject,
        milestone_id: int,
        filename: str,
        data: bytes,
        *,
        agreement_id: int | None = None,
        status: str = "done",
        note: str | None = None,
        seen: str | None = None,
    ) -> tuple[MilestoneView, AgreementFileView, StoredFile]:
        """Mark a milestone (default done) with a photo or document as its evidence.

        The subject must be allowed to update the milestone, and the milestone must still be
        as ``seen`` (``TrackerService.update_milestone``): both checked before anything is kept,
        and again with the change.
        """
        access_rules.require(subject, access_rules.Permission.UPDATE_MILESTONE)
        with self._sf.begin() as s:
            found = milestone_in_scope(subject, TrackerRepository(s), milestone_id, agreement_id)
            if seen is not None and not still_as_seen(found, seen):
                raise MilestoneChanged(milestone_id=milestone_id, status=found.status)
        stored = self.keep(filename, data)
        # One transaction: the milestone is never done with evidence that is not on record.
        with self._sf.begin() as s:
            view = self._tracker.change_milestone(
                s,
                subject,
                milestone_id,
                status,
                agreement_id=agreement_id,
                note=note,
                file_ref=stored.path,
                seen=seen,
            )
            row = self.record(
                s,
                stored,
                agreement_id=view.agreement_id,
                role="evidence",
                actor=subject.actor,
                milestone_id=milestone_id,
            )
            return view, files.view(row), stored

    # ---- reading ------------------------------------------------------------------------------

    def list_files(self, subject: AuthSubject, agreement_id: int) -> list[AgreementFileView]:
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            visible_agreement(subject, repo, agreement_id)
            return [files.view(row) for row in repo.agreement_files(agreement_id)]

    def file_bytes(self, subject: AuthSubject, file_id: int) -> tuple[AgreementFileView, bytes]:
        """A kept file and its bytes (e.g. to send an evidence photo back)."""
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            row = repo.agreement_file(file_id)
            if row is None:
                raise AgreementFileNotFound(file_id)
            try:
                visible_agreement(subject, repo, row.agreement_id)
            except AppError as err:  # a file of a hidden agreement is as missing as it
                raise AgreementFileNotFound(file_id) from err
            found = files.view(row)
        data = self.store.read(found.path)
        if data is None:
            raise AgreementFileNotFound(file_id)
        return found, data

    def search(self, subject: AuthSubject, agreement_id: int, query: str) -> list[FileHit]:
        """The agreement's files (source and evidence) whose text holds every word of ``query``."""
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            visible_agreement(subject, repo, agreement_id)
            return files.search_text(repo.agreement_files(agreement_id), query)

    def link_kb(self, file_id: int, doc_id: str) -> None:
        with self._sf.begin() as s:
            TrackerRepository(s).link_file_to_kb(file_id, doc_id)
