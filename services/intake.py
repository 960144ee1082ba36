"""From a signed paper to a tracked agreement: read a KB, PKS or addendum into a draft, let a
person check and edit it field by field, then save it.

Nothing is stored in the tracker until :meth:`IntakeService.confirm`. Reading keeps the file
in the content-addressed store (so a confirmation minutes later, from another process, finds
it) and finds, by document number, an agreement the draft duplicates (offered as an update)
and the agreement a PKS or addendum refers to. Confirming creates the agreement with the
replication milestones (or updates the duplicate, or applies an addendum's new end date and
scope to the agreement it amends, audited), attaches the file as the source document, and puts
its text in the knowledge base (``doc_type`` agreement).

The acting subject decides what a draft may link to and who may save it: an admin records any
agreement, a coordinator those their region is a party to (``accounts.rules.may_record``), and
a duplicate or amended agreement must be one the subject sees (:mod:`services.tracker_scope`).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from accounts.schemas import AuthSubject
from core.clock import Clock
from core.config import Settings
from core.errors import AppError
from ingestion import scans
from ingestion.ocr import PageProgress, TesseractOcr
from mou_tracker import validation
from mou_tracker.dates import parse_date
from mou_tracker.errors import (
    IntakeIncomplete,
    IntakeSourceMissing,
    InvalidAgreement,
    RegionAmbiguous,
)
from mou_tracker.importer import KINDS
from mou_tracker.intake.rules import add_term, normalize_number, read_agreement
from mou_tracker.intake.schemas import FIELDS, AgreementReading, Found, SourcePage, Term
from mou_tracker.models import AgreementApp
from mou_tracker.regions import RegionDirectory
from mou_tracker.repository import TrackerRepository
from mou_tracker.schemas import NewAgreement, NewParty
from mou_tracker.templates import DEFAULT_TEMPLATE
from services.evidence import EvidenceService, StoredFile
from services.ingest import IngestService
from services.tracker import TrackerService
from services.tracker_scope import may_see, visible_agreement

#: The fields of a draft in the order every transport shows, numbers and confirms them.
DRAFT_FIELDS = FIELDS

log = logging.getLogger(__name__)

LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Location:
    """Where a value was read: page (None without pages), line on that page, confidence."""

    page: int | None
    line: int
    confidence: float
    text: str = ""


@dataclass(frozen=True)
class DraftParty:
    name: str
    code: str | None
    region_name: str | None
    candidates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IntakeDraft:
    """A read agreement, not yet saved. Plain values only: it can wait in a chat's state."""

    filename: str
    sha256: str
    path: str
    media_type: str
    size: int
    pages: int
    ocr_pages: int
    kind: str | None = None
    numbers: tuple[str, ...] = ()
    title: str | None = None
    signed_on: date | None = None
    ends_on: date | None = None
    term: str | None = None
    parties: tuple[DraftParty, ...] = ()
    apps: tuple[str, ...] = ()
    parent_numbers: tuple[str, ...] = ()
    found: dict[str, tuple[Location, ...]] = field(default_factory=dict)
    duplicate_of: int | None = None
    parent_id: int | None = None
    text: str = ""

    @property
    def region_codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.parties if p.code)

    @property
    def questions(self) -> tuple[DraftParty, ...]:
        """Parties whose region the reader would not guess (several fit)."""
        return tuple(p for p in self.parties if p.code is None)

    def missing(self) -> list[str]:
        """Fields that must be filled in before the draft can be saved."""
        gaps = [name for name in ("kind", "title") if not getattr(self, name)]
        if self.questions or len(self.region_codes) < 2:
            gaps.append("region_codes")
        if self.kind == "addendum" and self.parent_id is None:
            gaps.append("parent_numbers")
        return gaps

    def to_json(self) -> dict[str, Any]:
        """The draft as ``mou intake --json`` prints it."""
        return {
            "kind": self.kind,
            "numbers": list(self.numbers),
            "title": self.title,
            "signed_on": self.signed_on.isoformat() if self.signed_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "region_codes": list(self.region_codes),
            "apps": list(self.apps),
            "parent_numbers": list(self.parent_numbers),
            "found": {name: [asdict(loc) for loc in self.found.get(name, ())] for name in FIELDS},
            "term": self.term,
            "parties": [asdict(p) for p in self.parties],
            "questions": [
                {
                    "field": "region_codes",
                    "name": p.name,
                    "candidates": [{"code": c, "name": n} for c, n in p.candidates],
                }
                for p in self.questions
            ],
            "duplicate_of": self.duplicate_of,
            "parent_id": self.parent_id,
            "missing": self.missing(),
            "file": {
                "name": self.filename,
                "sha256": self.sha256,
                "media_type": self.media_type,
                "size": self.size,
                "pages": self.pages,
                "ocr_pages": self.ocr_pages,
            },
        }


@dataclass(frozen=True)
class IntakeResult:
    """What confirming did: ``outcome`` is created, updated (a duplicate) or amended."""

    agreement_id: int
    outcome: str
    milestones: int
    file_id: int
    kb_doc_id: str | None = None
    kb_error: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    amended_id: int | None = None


class IntakeService:
    """Reading signed agreements into drafts, and saving confirmed drafts."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        settings: Settings,
        clock: Clock,
        regions: RegionDirectory,
        ocr: TesseractOcr | None,
        evidence: EvidenceService,
        tracker: TrackerService,
        ingest: IngestService,
    ) -> None:
        self._sf = session_factory
        self._settings = settings
        self._clock = clock
        self._regions = regions
        self._ocr = ocr
        self._evidence = evidence
        self._tracker = tracker
        self._ingest = ingest

    # ---- reading ------------------------------------------------------------------------------

    def read(
        self,
        subject: AuthSubject,
        filename: str,
        data: bytes,
        *,
        progress: PageProgress | None = None,
    ) -> IntakeDraft:
        """Read a KB, PKS or addendum (OCR where needed) into a draft; nothing is saved."""
        access_rules.require(subject, access_rules.Permission.RECORD_AGREEMENT)
        stored = self._evidence.keep(filename, data, read_text=False)
        document = scans.read_lines(stored.filename, data, self._ocr, progress=progress)
        pages = [SourcePage(p.page, p.lines, p.confidence) for p in document.pages]
        reading = read_agreement(pages, self._regions)
        draft = self._draft(stored, reading, len(document.pages), document.ocr_pages)
        return self._link(subject, replace(draft, text=document.text))

    def _draft(
        self, stored: StoredFile, reading: AgreementReading, pages: int, ocr_pages: int
    ) -> IntakeDraft:
        def loc(items: tuple[Found[Any], ...] | Found[Any] | None) -> tuple[Location, ...]:
            if items is None:
                return ()
            many = items if isinstance(items, tuple) else (items,)
            return tuple(Location(f.page, f.line, f.confidence, f.text) for f in many)

        parties = tuple(
            DraftParty(p.name, p.code, self._region_name(p.code) if p.code else None, p.candidates)
            for p in reading.parties
        )
        term = reading.term.value if reading.term else None
        term_text = None
        if term is not None:
            term_text = f"{term.years} tahun" if term.years else f"{term.months} bulan"
        found = {
            "kind": loc(reading.kind),
            "numbers": loc(reading.numbers),
            "title": loc(reading.title),
            "signed_on": loc(reading.signed_on),
            "ends_on": loc(reading.ends_on),
            "region_codes": tuple(Location(p.page, p.line, p.confidence) for p in reading.parties),
            "apps": loc(reading.apps),
            "parent_numbers": loc(reading.parent_numbers),
        }
        return IntakeDraft(
            filename=stored.filename,
            sha256=stored.sha256,
            path=stored.path,
            media_type=stored.media_type,
            size=stored.size,
            pages=pages,
            ocr_pages=ocr_pages,
            kind=reading.kind.value if reading.kind else None,
            numbers=tuple(n.value for n in reading.numbers),
            title=reading.title.value if reading.title else None,
            signed_on=reading.signed_on.value if reading.signed_on else None,
            ends_on=reading.ends_on.value if reading.ends_on else None,
            term=term_text,
            parties=parties,
            apps=tuple(a.value for a in reading.apps),
            parent_numbers=tuple(n.value for n in reading.parent_numbers),
            found=found,
        )

    def _link(self, subject: AuthSubject, draft: IntakeDraft) -> IntakeDraft:
        """Find the agreement this draft duplicates, and the one it refers to, by number
        (among those the subject sees)."""
        keys = {_key(n): n for n in draft.numbers}
        parents = {_key(n): n for n in draft.parent_numbers}
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            existing = {
                key: agreement_id
                for key, agreement_id in repo.agreements_by_number(set(keys) | set(parents)).items()
                if (found := repo.load_agreement(agreement_id)) is not None
                and may_see(subject, found)
            }
        duplicate = next((existing[k] for k in keys if k in existing), None)
        parent = next((existing[k] for k in parents if k in existing), None)
        return replace(draft, duplicate_of=duplicate, parent_id=parent)

    def _region_name(self, code: str) -> str:
        try:
            return self._regions.get(code).name
        except AppError:
            return code

    # ---- editing ------------------------------------------------------------------------------

    def edit(self, subject: AuthSubject, draft: IntakeDraft, name: str, text: str) -> IntakeDraft:
        """The draft with one field replaced by what a person typed.

        Lists (numbers, regions, apps, parent numbers) are separated by ";". Regions are
        names as officials write them; an ambiguous one raises ``RegionAmbiguous``.
        """
        text = text.strip()
        manual = (Location(None, 0, 1.0, "manual"),)
        found = dict(draft.found)
        found[name] = manual
        if name == "kind":
            kind = KINDS.get(" ".join(text.lower().split()))
            if kind is None:
                raise InvalidAgreement("bad_kind", value=text, allowed="kb, pks, addendum")
            return replace(draft, kind=kind, found=found)
        if name == "title":
            title = validation.check_agreement_title(" ".join(text.split()))
            return replace(draft, title=title, found=found)
        if name in ("signed_on", "ends_on"):
            value = None if text in ("", "-") else parse_date(text)
            if name == "signed_on":
                return replace(draft, signed_on=value, found=found)
            return replace(draft, ends_on=value, found=found)
        items = tuple(part.strip() for part in text.split(LIST_SEPARATOR) if part.strip())
        if name == "region_codes":
            parties = tuple(self._party(item) for item in items)
            return replace(draft, parties=parties, found=found)
        if name == "apps":
            return replace(draft, apps=items, found=found)
        if name in ("numbers", "parent_numbers"):
            numbers = tuple(normalize_number(item) for item in items)
            if name == "numbers":
                return self._link(subject, replace(draft, numbers=numbers, found=found))
            return self._link(subject, replace(draft, parent_numbers=numbers, found=found))
        raise InvalidAgreement("bad_field", value=name, allowed=", ".join(FIELDS))

    def choose_region(self, draft: IntakeDraft, index: int, code: str) -> IntakeDraft:
        """Answer "which Tasikmalaya?" for the party at ``index`` with one of its candidates."""
        parties = list(draft.parties)
        # A button of an earlier draft may name a party this one does not have, or one it
        # knows already: only the choices offered for this party are taken (kept after a
        # choice, so the user can still change their mind).
        if not 0 <= index < len(parties) or code not in {c for c, _ in parties[index].candidates}:
            raise InvalidAgreement("bad_region_choice", value=code)
        party = parties[index]
        parties[index] = DraftParty(party.name, code, self._region_name(code), party.candidates)
        return replace(draft, parties=tuple(parties))

    def _party(self, name: str) -> DraftParty:
        try:
            region = self._regions.resolve(name)
        except RegionAmbiguous as err:
            names = list(err.params.get("candidate_list", []))
            options = [r for r in self._regions.search(name, limit=10) if r.name in names]
            return DraftParty(name, None, None, tuple((r.code, r.name) for r in options))
        return DraftParty(name, region.code, region.name)

    # ---- saving -------------------------------------------------------------------------------

    def confirm(self, subject: AuthSubject, draft: IntakeDraft) -> IntakeResult:
        """Save a checked draft: a new agreement, an update of its duplicate, or an addendum
        applied to the agreement it amends. The file becomes the source document, its text
        goes into the knowledge base.

        Raises:
            IntakeIncomplete: fields still missing (nothing is saved).
            NotYourRegion: a coordinator whose region is not a party.
        """
        access_rules.require(subject, access_rules.Permission.RECORD_AGREEMENT)
        missing = draft.missing()
        if missing:
            raise IntakeIncomplete(missing)
        access_rules.require_may_record(subject, draft.region_codes)
        data = self._evidence.store.read(draft.path)
        if data is None:
            raise IntakeSourceMissing(draft.filename)
        stored = StoredFile(
            draft.sha256,
            draft.path,
            draft.filename,
            draft.media_type,
            draft.size,
            draft.pages,
            draft.text or None,
        )
        if draft.duplicate_of is not None:
            result = self._update_duplicate(subject, draft, stored)
        else:
            result = self._create(subject, draft, stored)
        return self._index(draft, data, result, subject.actor)

    def _parties(self, draft: IntakeDraft) -> tuple[NewParty, ...]:
        numbers = list(draft.numbers)
        return tuple(
            NewParty(code, document_number=numbers[i] if i < len(numbers) else None)
            for i, code in enumerate(draft.region_codes)
        )

    def _create(self, subject: AuthSubject, draft: IntakeDraft, stored: StoredFile) -> IntakeResult:
        assert draft.kind is not None and draft.title is not None
        actor = subject.actor
        ends_on = draft.ends_on
        detail = self._tracker.add_agreement(
            subject,
            NewAgreement(
                kind=draft.kind,
                title=draft.title,
                parties=self._parties(draft),
                signed_on=draft.signed_on,
                ends_on=ends_on,
                apps=draft.apps,
                parent_id=draft.parent_id,
                template=DEFAULT_TEMPLATE if draft.kind != "addendum" else None,
            ),
        )
        changes: dict[str, Any] = {}
        with self._sf.begin() as s:
            row = self._evidence.record(
                s, stored, agreement_id=detail.id, role="source", actor=actor
            )
            file_id = row.id
            if draft.kind == "addendum" and draft.parent_id is not None:
                changes = self._amend(s, subject, draft, detail.id)
        return IntakeResult(
            detail.id,
            "amended" if changes else "created",
            len(detail.milestones),
            file_id,
            changes=changes,
            amended_id=draft.parent_id if changes else None,
        )

    def _amend(
        self, s: Session, subject: AuthSubject, draft: IntakeDraft, addendum_id: int
    ) -> dict[str, Any]:
        """Apply an addendum's end date and scope (apps) to the agreement it amends."""
        assert draft.parent_id is not None
        repo = TrackerRepository(s)
        parent = visible_agreement(subject, repo, draft.parent_id)
        now = self._clock.now()
        changes: dict[str, Any] = {}
        ends_on = draft.ends_on
        if ends_on is None and draft.term and parent.ends_on is not None:
            count, unit = draft.term.split()
            term = Term(years=int(count)) if unit == "tahun" else Term(months=int(count))
            ends_on = add_term(parent.ends_on, term)
        if ends_on is not None and ends_on != parent.ends_on:
            changes["ends_on"] = {
                "from": parent.ends_on.isoformat() if parent.ends_on else None,
                "to": ends_on.isoformat(),
            }
            parent.ends_on = ends_on
        old_apps = [a.name for a in parent.apps]
        new_apps = [a for a in draft.apps if a.lower() not in {o.lower() for o in old_apps}]
        if new_apps:
            changes["apps"] = {"from": old_apps, "to": old_apps + new_apps}
            parent.apps = [*parent.apps, *(AgreementApp(name=name) for name in new_apps)]
        if changes:
            parent.updated_at = now
            repo.add_audit(
                at=now,
                actor=subject.actor,
                action="agreement.amended",
                agreement_id=parent.id,
                details={"addendum_id": addendum_id, "numbers": list(draft.numbers), **changes},
            )
        return changes

    def _update_duplicate(
        self, subject: AuthSubject, draft: IntakeDraft, stored: StoredFile
    ) -> IntakeResult:
        assert draft.duplicate_of is not None
        actor = subject.actor
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            agreement = visible_agreement(subject, repo, draft.duplicate_of)
            changes: dict[str, Any] = {}
            for name in ("title", "signed_on", "ends_on"):
                new = getattr(draft, name)
                old = getattr(agreement, name)
                if new is not None and new != old:
                    changes[name] = {"from": _plain(old), "to": _plain(new)}
                    setattr(agreement, name, new)
            if (
                agreement.signed_on
                and agreement.ends_on
                and agreement.ends_on < agreement.signed_on
            ):
                raise InvalidAgreement(
                    "ends_before_signed",
                    ends_on=agreement.ends_on.isoformat(),
                    signed_on=agreement.signed_on.isoformat(),
                )
            old_apps = [a.name for a in agreement.apps]
            added = [a for a in draft.apps if a.lower() not in {o.lower() for o in old_apps}]
            if added:
                changes["apps"] = {"from": old_apps, "to": old_apps + added}
                agreement.apps = [*agreement.apps, *(AgreementApp(name=n) for n in added)]
            if changes:
                agreement.updated_at = now
                repo.add_audit(
                    at=now,
                    actor=actor,
                    action="agreement.updated",
                    agreement_id=agreement.id,
                    details={"source": draft.filename, **changes},
                )
            row = self._evidence.record(
                s, stored, agreement_id=agreement.id, role="source", actor=actor
            )
            return IntakeResult(
                agreement.id, "updated", len(agreement.milestones), row.id, changes=changes
            )

    def _index(
        self, draft: IntakeDraft, data: bytes, result: IntakeResult, actor: str
    ) -> IntakeResult:
        """The source's text into the knowledge base; a failure there keeps the agreement."""
        app = draft.apps[0] if len(draft.apps) == 1 else None
        try:
            report = self._ingest.ingest_upload(
                draft.filename,
                data,
                app=app,
                doc_type="agreement",
                uploader=actor,
                title=draft.title,
                offer_intake=False,
            )
        except AppError as err:
            return replace(result, kb_error=err.code)
        if report.failed:
            return replace(result, kb_error=report.failed[0].code)
        doc_id = report.documents[0] if report.documents else None
        if doc_id:
            self._evidence.link_kb(result.file_id, doc_id)
        return replace(result, kb_doc_id=doc_id)


def _key(number: str) -> str:
    return "".join(number.split()).lower()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
