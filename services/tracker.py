"""Tracking cooperation agreements: agreements, milestones with evidence, health, import/export.

``TrackerService`` is ``Services.tracker``. It owns the unit of work: every method opens one
transaction, and an import either writes every row or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock
from core.config import Settings
from core.errors import AppError, ServiceUnavailable
from core.memory import gc_paused
from core.text import clean_line, clean_optional_block
from mou_tracker import exporter, repository, rules
from mou_tracker.errors import (
    AgreementNotFound,
    ImportRejected,
    InvalidAgreement,
    InvalidMilestoneChange,
    MilestoneNotFound,
    RegionNotFound,
    UnsupportedImportFile,
)
from mou_tracker.importer import normalize_number, read_import
from mou_tracker.models import (
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    MILESTONE_STATUSES,
    Agreement,
    AgreementApp,
    AgreementParty,
    Milestone,
)
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import (
    AgreementDetail,
    AgreementFacts,
    AgreementSummary,
    AuditEntryView,
    ExportResult,
    ImportProblem,
    ImportResult,
    MilestoneFacts,
    MilestoneView,
    NewAgreement,
    NewMilestone,
    NewParty,
    OverdueItem,
    PartyView,
    PortfolioReport,
    RenewalItem,
    StalledItem,
    Thresholds,
)
from mou_tracker.templates import TemplateLibrary
from services.messages import catalog

__all__ = [
    "AgreementDetail",
    "AgreementSummary",
    "AuditEntryView",
    "ExportResult",
    "ImportProblem",
    "ImportResult",
    "MilestoneView",
    "NewAgreement",
    "NewMilestone",
    "NewParty",
    "PartyView",
    "PortfolioReport",
    "TrackerService",
    "describe_problem",
]

EXPORT_FORMATS = (".csv", ".xlsx", ".ics")


class UnsupportedExportFile(UnsupportedImportFile):
    code = "export.unsupported_type"


def describe_problem(problem: ImportProblem, lang: str = "id") -> str:
    """One import problem as a sentence in ``lang``: row, column and reason."""
    cat = catalog()
    column_key = f"tracker.column.{problem.column}"
    column = cat.t(column_key, lang) if cat.has(column_key) else problem.column
    reason_key = f"error.{problem.code}"
    reason = cat.t(reason_key, lang, **problem.params) if cat.has(reason_key) else problem.code
    return cat.t("tracker.problem", lang, row=problem.row, column=column, reason=reason)


def thresholds_from(settings: Settings) -> Thresholds:
    return Thresholds(
        stalled_after_days=settings.stalled_after_days,
        at_risk_within_days=settings.at_risk_within_days,
        renewal_days=tuple(settings.reminder_renewal_days),
    )


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")[:60] or "custom"


def _clean(text: str | None) -> str | None:
    # Control characters go too, so "\x07" is as empty as "" when evidence is required.
    return clean_optional_block(text)


class TrackerService:
    """Agreements, their milestones and the portfolio's health."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        regions: RegionDirectory,
        settings: Settings,
        clock: Clock,
        templates: TemplateLibrary | None = None,
    ) -> None:
        self._sf = session_factory
        self._regions = regions
        self._settings = settings
        self._clock = clock
        self._templates = templates or TemplateLibrary([settings.data_dir / "templates"])
        self.thresholds = thresholds_from(settings)

    @property
    def templates(self) -> TemplateLibrary:
        return self._templates

    def today(self) -> date:
        """Today in the deployment's time zone (WIB by default)."""
        return self._clock.now().astimezone(ZoneInfo(self._settings.timezone)).date()

    # --- reading -------------------------------------------------------------------------------

    def list_agreements(
        self, *, at: date | None = None, region_codes: Collection[str] | None = None
    ) -> list[AgreementSummary]:
        """Every agreement (or those a region is party to) with its health as of ``at``."""
        with gc_paused():  # see core.memory
            return self._list_agreements(at or self.today(), region_codes)

    def _list_agreements(
        self, at: date, region_codes: Collection[str] | None
    ) -> list[AgreementSummary]:
        with self._sf.begin() as s:
            rows = repository.agreement_rows(s, at, self.thresholds, region_codes=region_codes)
            ids = [r.id for r in rows] if region_codes is not None else None
            parties = repository.party_rows(s, ids)
            apps = repository.app_names(s, ids)
        return [
            AgreementSummary(
                id=r.id,
                kind=r.kind,
                number=self._number(parties.get(r.id, [])),
                title=r.title,
                parties=tuple(self._party_view(p) for p in parties.get(r.id, [])),
                signed_on=r.signed_on,
                ends_on=r.ends_on,
                status=r.status,
                health=rules.health_from_tally(r.facts, r.tally, at, self.thresholds),
                renewal_due=rules.renewal_due(r.facts, at, self.thresholds),
                apps=tuple(apps.get(r.id, [])),
                owner_region_code=r.owner_region_code,
            )
            for r in rows
        ]

    def get_agreement(self, agreement_id: int, *, at: date | None = None) -> AgreementDetail:
        at = at or self.today()
        with self._sf.begin() as s:
            agreement = repository.load_agreement(s, agreement_id)
            if agreement is None:
                raise AgreementNotFound(agreement_id)
            return self._detail(agreement, at)

    def audit(self, agreement_id: int) -> list[AuditEntryView]:
        """The audit log of an agreement, oldest first."""
        with self._sf.begin() as s:
            entries = repository.audit_entries(s, agreement_id)
            if not entries and s.get(Agreement, agreement_id) is None:
                raise AgreementNotFound(agreement_id)
            return [
                AuditEntryView(
                    e.id, e.at, e.actor, e.agreement_id, e.milestone_id, e.action, dict(e.details)
                )
                for e in entries
            ]

    # --- writing agreements --------------------------------------------------------------------

    def add_agreement(self, data: NewAgreement, *, actor: str) -> AgreementDetail:
        """Store a new agreement, with milestones from its template (if any)."""
        now = self._clock.now()
        with self._sf.begin() as s:
            if data.import_key:
                existing = repository.existing_import_keys(s, [data.import_key])
                if existing:
                    raise InvalidAgreement("duplicate", agreement_id=existing[data.import_key])
            created = self._create(s, data, actor=actor, now=now)
            s.flush()
            agreement = repository.load_agreement(s, created.id)
            assert agreement is not None
            return self._detail(agreement, self.today())

    def set_status(self, agreement_id: int, status: str, *, actor: str) -> AgreementDetail:
        """Change an agreement's own status (e.g. terminated, completed), audited."""
        if status not in AGREEMENT_STATUSES:
            raise InvalidAgreement(
                "bad_status", value=status, allowed=", ".join(AGREEMENT_STATUSES)
            )
        now = self._clock.now()
        with self._sf.begin() as s:
            agreement = repository.load_agreement(s, agreement_id)
            if agreement is None:
                raise AgreementNotFound(agreement_id)
            if status != "draft" and agreement.signed_on is None:
                raise InvalidAgreement("signed_on_required")
            old = agreement.status
            agreement.status = status
            agreement.updated_at = now
            repository.add_audit(
                s,
                at=now,
                actor=actor,
                action="agreement.status",
                agreement_id=agreement_id,
                details={"from": old, "to": status},
            )
            return self._detail(agreement, self.today())

    def _validate(self, s: Session, data: NewAgreement) -> tuple[str, str, list[str]]:
        if data.kind not in AGREEMENT_KINDS:
            raise InvalidAgreement("bad_kind", value=data.kind, allowed=", ".join(AGREEMENT_KINDS))
        if not clean_line(data.title):
            raise InvalidAgreement("empty_title")
        codes = [p.region_code for p in data.parties]
        if len(codes) < 2:
            raise InvalidAgreement("too_few_parties", count=len(codes))
        for code in codes:
            self._regions.get(code)
        if len(set(codes)) != len(codes):
            raise InvalidAgreement("repeated_party")
        if data.signed_on and data.ends_on and data.ends_on < data.signed_on:
            raise InvalidAgreement(
                "ends_before_signed",
                ends_on=data.ends_on.isoformat(),
                signed_on=data.signed_on.isoformat(),
            )
        status = data.status or ("active" if data.signed_on else "draft")
        if status not in AGREEMENT_STATUSES:
            raise InvalidAgreement(
                "bad_status", value=status, allowed=", ".join(AGREEMENT_STATUSES)
            )
        if status != "draft" and data.signed_on is None:
            raise InvalidAgreement("signed_on_required")
        owner = data.owner_region_code or codes[0]
        if owner not in codes:
            raise InvalidAgreement("owner_not_party", code=owner)
        if data.parent_id is not None and s.get(Agreement, data.parent_id) is None:
            raise AgreementNotFound(data.parent_id)
        for milestone in data.milestones:
            self._check_new_milestone(milestone, codes)
        return status, owner, codes

    def _check_new_milestone(self, milestone: NewMilestone, codes: Sequence[str]) -> None:
        if not clean_line(milestone.title):
            raise InvalidMilestoneChange("empty_title")
        if milestone.status not in MILESTONE_STATUSES:
            raise InvalidMilestoneChange(
                "bad_status", value=milestone.status, allowed=", ".join(MILESTONE_STATUSES)
            )
        code = milestone.responsible_region_code
        if code is not None and code not in codes:
            raise InvalidMilestoneChange("responsible_not_party", code=code)

    def _create(
        self,
        s: Session,
        data: NewAgreement,
        *,
        actor: str,
        now: datetime,
        parent_id: int | None = None,
    ) -> Agreement:
        status, owner, codes = self._validate(s, data)
        template = self._templates.get(data.template) if data.template else None
        agreement = Agreement(
            kind=data.kind,
            title=" ".join(data.title.split()),
            objective=_clean(data.objective),
            status=status,
            signed_on=data.signed_on,
            ends_on=data.ends_on,
            parent_id=parent_id if parent_id is not None else data.parent_id,
            owner_region_code=owner,
            template=template.name if template else None,
            import_key=data.import_key,
            created_at=now,
            updated_at=now,
        )
        agreement.parties = [
            AgreementParty(
                position=i,
                region_code=p.region_code,
                document_number=_clean(p.document_number),
                signatory=_clean(p.signatory),
                coordinator_name=_clean(p.coordinator_name),
                coordinator_contact=_clean(p.coordinator_contact),
            )
            for i, p in enumerate(data.parties, start=1)
        ]
        agreement.apps = [AgreementApp(name=name) for name in data.apps if clean_line(name)]
        milestones: list[Milestone] = []
        done_keys = set(data.done_keys)
        if template is not None:
            for planned in template.plan(
                data.signed_on, owner, codes, lang=self._settings.language
            ):
                done = planned.key in done_keys
                milestones.append(
                    Milestone(
                        key=planned.key,
                        title=planned.title,
                        position=planned.position,
                        due_on=planned.due_on,
                        responsible_region_code=planned.responsible_region_code,
                        status="done" if done else "planned",
                        updated_by=actor if done else None,
                        updated_at=now if done else None,
                    )
                )
        for extra in data.milestones:
            milestones.append(
                Milestone(
                    key=extra.key or _slug(extra.title),
                    title=extra.title.strip(),
                    position=len(milestones) + 1,
                    due_on=extra.due_on,
                    responsible_region_code=extra.responsible_region_code,
                    status=extra.status,
                    completed_on=extra.completed_on,
                    updated_by=actor,
                    updated_at=now,
                )
            )
        agreement.milestones = milestones
        s.add(agreement)
        s.flush()
        repository.add_audit(
            s,
            at=now,
            actor=actor,
            action="agreement.created",
            agreement_id=agreement.id,
            details={
                "kind": agreement.kind,
                "title": agreement.title,
                "parties": codes,
                "template": agreement.template,
                "milestones": len(milestones),
                "import_key": agreement.import_key,
            },
        )
        return agreement

    # --- milestones ----------------------------------------------------------------------------

    def update_milestone(
        self,
        milestone_id: int,
        status: str,
        *,
        actor: str,
        note: str | None = None,
        link: str | None = None,
        file_ref: str | None = None,
        reason: str | None = None,
        on: date | None = None,
    ) -> MilestoneView:
        """Change a milestone's status with its evidence; every change is audited.

        ``done`` needs evidence (a note, a link or a file reference); ``blocked`` needs a reason.
        """
        if status not in MILESTONE_STATUSES:
            raise InvalidMilestoneChange(
                "bad_status", value=status, allowed=", ".join(MILESTONE_STATUSES)
            )
        note, link, file_ref, reason = _clean(note), _clean(link), _clean(file_ref), _clean(reason)
        if status == "done" and not (note or link or file_ref):
            raise InvalidMilestoneChange("evidence_required")
        if status == "blocked":
            reason = reason or note
            if not reason:
                raise InvalidMilestoneChange("reason_required")
        now = self._clock.now()
        today = self.today()
        with self._sf.begin() as s:
            milestone = s.get(Milestone, milestone_id)
            if milestone is None:
                raise MilestoneNotFound(milestone_id)
            before = {"status": milestone.status, "completed_on": _iso(milestone.completed_on)}
            milestone.status = status
            milestone.completed_on = (on or today) if status == "done" else None
            if note:
                milestone.evidence_note = note
            if link:
                milestone.evidence_link = link
            if file_ref:
                milestone.evidence_file = file_ref
            milestone.blocked_reason = reason if status == "blocked" else None
            milestone.updated_by = actor
            milestone.updated_at = now
            s.execute(
                update(Agreement)
                .where(Agreement.id == milestone.agreement_id)
                .values(updated_at=now)
            )
            repository.add_audit(
                s,
                at=now,
                actor=actor,
                action="milestone.status",
                agreement_id=milestone.agreement_id,
                milestone_id=milestone.id,
                details={
                    "from": before["status"],
                    "to": status,
                    "completed_on": _iso(milestone.completed_on),
                    "note": note,
                    "link": link,
                    "file": file_ref,
                    "reason": reason,
                },
            )
            return _milestone_view(milestone, today)

    def add_milestone(
        self,
        agreement_id: int,
        title: str,
        *,
        actor: str,
        due_on: date | None = None,
        responsible_region_code: str | None = None,
        key: str | None = None,
        position: int | None = None,
    ) -> MilestoneView:
        """Add a milestone to one agreement (after the others, or at ``position``)."""
        now = self._clock.now()
        with self._sf.begin() as s:
            agreement = repository.load_agreement(s, agreement_id)
            if agreement is None:
                raise AgreementNotFound(agreement_id)
            codes = [p.region_code for p in agreement.parties]
            new = NewMilestone(
                title=title,
                due_on=due_on,
                key=key,
                responsible_region_code=responsible_region_code,
            )
            self._check_new_milestone(new, codes)
            last = max((m.position for m in agreement.milestones), default=0)
            if position is None or position > last:
                position = last + 1
            position = max(position, 1)
            for m in agreement.milestones:
                if m.position >= position:
                    m.position += 1
            milestone_key = key or _slug(title)
            if any(m.key == milestone_key for m in agreement.milestones):
                milestone_key = f"{milestone_key}_{last + 1}"
            milestone = Milestone(
                agreement_id=agreement_id,
                key=milestone_key,
                title=title.strip(),
                position=position,
                due_on=due_on,
                responsible_region_code=responsible_region_code,
                status="planned",
                updated_by=actor,
                updated_at=now,
            )
            s.add(milestone)
            agreement.updated_at = now
            s.flush()
            repository.add_audit(
                s,
                at=now,
                actor=actor,
                action="milestone.added",
                agreement_id=agreement_id,
                milestone_id=milestone.id,
                details={
                    "key": milestone.key,
                    "title": milestone.title,
                    "position": position,
                    "due_on": _iso(due_on),
                    "responsible": responsible_region_code,
                },
            )
            return _milestone_view(milestone, self.today())

    def move_milestone(
        self, milestone_id: int, due_on: date | None, *, actor: str, reason: str | None = None
    ) -> MilestoneView:
        """Give a milestone a new due date (audited with the old one and the reason)."""
        now = self._clock.now()
        with self._sf.begin() as s:
            milestone = s.get(Milestone, milestone_id)
            if milestone is None:
                raise MilestoneNotFound(milestone_id)
            old = milestone.due_on
            milestone.due_on = due_on
            milestone.updated_by = actor
            milestone.updated_at = now
            repository.add_audit(
                s,
                at=now,
                actor=actor,
                action="milestone.moved",
                agreement_id=milestone.agreement_id,
                milestone_id=milestone_id,
                details={"from": _iso(old), "to": _iso(due_on), "reason": _clean(reason)},
            )
            return _milestone_view(milestone, self.today())

    def drop_milestone(self, milestone_id: int, *, actor: str, reason: str | None = None) -> None:
        """Remove a milestone from its agreement; the audit log keeps what it was."""
        now = self._clock.now()
        with self._sf.begin() as s:
            milestone = s.get(Milestone, milestone_id)
            if milestone is None:
                raise MilestoneNotFound(milestone_id)
            view = _milestone_view(milestone, self.today())
            agreement_id = milestone.agreement_id
            s.delete(milestone)
            repository.add_audit(
                s,
                at=now,
                actor=actor,
                action="milestone.dropped",
                agreement_id=agreement_id,
                milestone_id=milestone_id,
                details={
                    "key": view.key,
                    "title": view.title,
                    "status": view.status,
                    "due_on": _iso(view.due_on),
                    "reason": _clean(reason),
                },
            )

    # --- portfolio -----------------------------------------------------------------------------

    def report(self, *, at: date) -> PortfolioReport:
        """Portfolio figures as of ``at``: health counts, follow-through, who must act."""
        with gc_paused():  # hundreds of thousands of small acyclic objects; see core.memory
            return self._report(at)

    def _report(self, at: date) -> PortfolioReport:
        th = self.thresholds
        with self._sf.begin() as s:
            rows = repository.agreement_rows(s, at, th)
            parties = repository.party_codes(s)
            health = {r.id: rules.health_from_tally(r.facts, r.tally, at, th) for r in rows}
            by_id = {r.id: r for r in rows}
            stalled_ids = [i for i, h in health.items() if h == "stalled"]
            next_open = repository.milestones_at(
                s,
                [
                    (i, by_id[i].next_position)  # type: ignore[misc]  # filtered just below
                    for i in stalled_ids
                    if by_id[i].next_position is not None
                ],
            )
            overdue_ids = [i for i, h in health.items() if h == "overdue"]
            overdue_rows = repository.overdue_milestones(s, at, overdue_ids)

        by_health = dict.fromkeys(rules.HEALTH_ORDER, 0)
        for value in health.values():
            by_health[value] += 1
        names: dict[tuple[str, ...], tuple[str, ...]] = {}

        def acting_names(codes: tuple[str, ...]) -> tuple[str, ...]:
            if codes not in names:
                names[codes] = self._names(codes)
            return names[codes]

        def party_list(agreement_id: int) -> list[str]:
            return parties.get(agreement_id, ([], None))[0]

        def number(agreement_id: int) -> str | None:
            return parties.get(agreement_id, ([], None))[1]

        stalled: list[StalledItem] = []
        for agreement_id in stalled_ids:
            r = by_id[agreement_id]
            nxt = next_open.get(agreement_id)
            acting = rules.must_act(
                nxt.responsible_region_code if nxt else None, party_list(agreement_id)
            )
            assert r.signed_on is not None  # stalled implies signed
            stalled.append(
                StalledItem(
                    agreement_id=agreement_id,
                    number=number(agreement_id),
                    title=r.title,
                    signed_on=r.signed_on,
                    days_since_signing=(at - r.signed_on).days,
                    next_milestone=nxt.title if nxt else None,
                    must_act=acting,
                    must_act_names=acting_names(acting),
                )
            )
        stalled.sort(key=lambda item: -item.days_since_signing)

        overdue: list[OverdueItem] = []
        for m in overdue_rows:
            if m.due_on is None:  # pragma: no cover - the query only returns dated ones
                continue
            acting = rules.must_act(m.responsible_region_code, party_list(m.agreement_id))
            overdue.append(
                OverdueItem(
                    agreement_id=m.agreement_id,
                    number=number(m.agreement_id),
                    title=by_id[m.agreement_id].title,
                    milestone_id=m.id,
                    milestone=m.title,
                    due_on=m.due_on,
                    days_overdue=(at - m.due_on).days,
                    status=m.status,
                    must_act=acting,
                    must_act_names=acting_names(acting),
                )
            )

        renewals = [
            RenewalItem(
                agreement_id=r.id,
                number=number(r.id),
                title=r.title,
                ends_on=r.ends_on,
                days_left=(r.ends_on - at).days,
                owner_region_code=r.owner_region_code,
            )
            for r in rows
            if r.ends_on is not None and rules.renewal_due(r.facts, at, th)
        ]
        renewals.sort(key=lambda item: item.days_left)

        signed = [r for r in rows if health[r.id] != "draft"]
        beyond = sum(1 for r in signed if r.tally.done > 0)
        # Follow-through counts milestones of signed agreements, as of ``at``.
        due = sum(r.due for r in signed)
        done = sum(r.due_done for r in signed)
        return PortfolioReport(
            at=at,
            total=len(rows),
            by_health=by_health,
            milestones_due=due,
            milestones_done_of_due=done,
            follow_through_rate=rules.follow_through_rate(due, done),
            beyond_paper_rate=round(beyond / len(signed), 4) if signed else None,
            stalled=tuple(stalled),
            overdue=tuple(overdue),
            renewal_due=tuple(renewals),
        )

    # --- import / export -----------------------------------------------------------------------

    def import_file(self, path: Path, *, dry_run: bool = False, actor: str) -> ImportResult:
        """Import agreements from CSV/XLSX: all rows or none; existing ones are left alone.

        Raises:
            ImportRejected: some rows are bad; ``problems`` lists each (row, column, reason).
            UnsupportedImportFile, UnreadableImportFile: the file itself cannot be read.
        """
        path = Path(path)
        parsed = read_import(path, self._regions, self._templates)
        problems = list(parsed.problems)
        now = self._clock.now()
        with self._sf.begin() as s:
            keys = [r.agreement.import_key for r in parsed.rows if r.agreement.import_key]
            existing = repository.existing_import_keys(s, keys)
            new_rows = [r for r in parsed.rows if r.agreement.import_key not in existing]
            in_file = {
                normalize_number(p.document_number): r.row
                for r in parsed.rows
                for p in r.agreement.parties
                if p.document_number
            }
            wanted = {normalize_number(r.parent_number) for r in new_rows if r.parent_number}
            in_db = repository.agreements_by_number(s, wanted)
            for r in new_rows:
                if not r.parent_number:
                    continue
                key = normalize_number(r.parent_number)
                if key not in in_db and key not in in_file:
                    problems.append(
                        ImportProblem(
                            r.row, "parent", "import.parent_not_found", {"number": r.parent_number}
                        )
                    )
                elif in_file.get(key) == r.row:
                    problems.append(ImportProblem(r.row, "parent", "import.parent_is_self", {}))
            if problems:
                problems.sort(key=lambda p: (p.row, p.column))
                raise ImportRejected(str(path), tuple(problems))
            if dry_run:
                return ImportResult(
                    path=str(path),
                    rows=parsed.total_rows,
                    created=len(new_rows),
                    unchanged=len(parsed.rows) - len(new_rows),
                    dry_run=True,
                    notes=tuple(parsed.notes),
                    corrections=tuple(parsed.corrections),
                )
            created_by_row: dict[int, int] = {}
            row_by_number = dict(in_file)
            pending = list(new_rows)
            created: list[int] = []
            # Parents first: a PKS may name a KB that appears later in the same file.
            while pending:
                progressed = False
                for r in list(pending):
                    parent_id: int | None = None
                    if r.parent_number:
                        key = normalize_number(r.parent_number)
                        if key in row_by_number and row_by_number[key] in {
                            p.row for p in pending if p is not r
                        }:
                            continue
                        parent_row = row_by_number.get(key)
                        if parent_row is not None and parent_row in created_by_row:
                            parent_id = created_by_row[parent_row]
                        elif key in in_db:
                            parent_id = in_db[key]
                        elif parent_row is not None:
                            parent_key = next(
                                x.agreement.import_key for x in parsed.rows if x.row == parent_row
                            )
                            parent_id = existing.get(parent_key or "")
                    try:
                        agreement = self._create(
                            s, r.agreement, actor=actor, now=now, parent_id=parent_id
                        )
                    except ServiceUnavailable:
                        raise  # a locked or full database is not a bad row: retry later (6)
                    except AppError as err:  # a check the file reader could not make
                        raise ImportRejected(
                            str(path), (ImportProblem(r.row, "-", err.code, dict(err.params)),)
                        ) from err
                    created_by_row[r.row] = agreement.id
                    created.append(agreement.id)
                    pending.remove(r)
                    progressed = True
                if not progressed:  # parents pointing at each other
                    raise ImportRejected(
                        str(path),
                        tuple(
                            ImportProblem(r.row, "parent", "import.parent_cycle", {})
                            for r in pending
                        ),
                    )
            repository.add_audit(
                s,
                at=now,
                actor=actor,
                action="import",
                details={
                    "file": path.name,
                    "rows": parsed.total_rows,
                    "created": len(created),
                    "unchanged": len(parsed.rows) - len(new_rows),
                },
            )
        return ImportResult(
            path=str(path),
            rows=parsed.total_rows,
            created=len(created),
            unchanged=len(parsed.rows) - len(new_rows),
            dry_run=False,
            agreement_ids=tuple(created),
            notes=tuple(parsed.notes),
            corrections=tuple(parsed.corrections),
        )

    def export(self, path: Path, *, at: date | None = None) -> ExportResult:
        """Write every agreement to ``path``: ``.csv``, ``.xlsx`` or ``.ics`` (milestone dates)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in EXPORT_FORMATS:
            raise UnsupportedExportFile(str(path), suffix or "-")
        at = at or self.today()
        with self._sf.begin() as s:
            ids = repository.all_agreement_ids(s)
            details = [self._detail(a, at) for a in repository.load_agreements(s, ids)]
        if suffix == ".csv":
            exporter.write_csv(path, details)
        elif suffix == ".xlsx":
            exporter.write_xlsx(path, details)
        else:
            exporter.write_ics(path, details, now=self._clock.now())
        return ExportResult(
            path=str(path),
            format=suffix.lstrip("."),
            agreements=len(details),
            milestones=sum(len(d.milestones) for d in details),
        )

    def count_agreements(self) -> int:
        with self._sf.begin() as s:
            return int(s.scalar(select(func.count()).select_from(Agreement)) or 0)

    # --- views ---------------------------------------------------------------------------------

    def _names(self, codes: Sequence[str]) -> tuple[str, ...]:
        return tuple(self._region_name(c) for c in codes)

    def _region_name(self, code: str) -> str:
        try:
            return self._regions.get(code).name
        except RegionNotFound:
            return code

    @staticmethod
    def _number(parties: Sequence[Any]) -> str | None:
        for p in parties:
            if p.document_number:
                return str(p.document_number)
        return None

    def _party_view(self, p: Any) -> PartyView:
        try:
            region = self._regions.get(p.region_code)
            name, level, tz = region.name, str(region.level), region.timezone
        except RegionNotFound:  # a code from an older directory: still show it
            name, level, tz = p.region_code, "", self._settings.timezone
        return PartyView(
            code=p.region_code,
            name=name,
            level=level,
            timezone=tz,
            document_number=p.document_number,
            signatory=p.signatory,
            coordinator_name=p.coordinator_name,
            coordinator_contact=p.coordinator_contact,
        )

    def _detail(self, agreement: Agreement, at: date) -> AgreementDetail:
        facts = AgreementFacts(agreement.status, agreement.signed_on, agreement.ends_on)
        milestone_facts = [
            MilestoneFacts(m.status, m.due_on, m.completed_on) for m in agreement.milestones
        ]
        return AgreementDetail(
            id=agreement.id,
            kind=agreement.kind,
            number=self._number(agreement.parties),
            title=agreement.title,
            parties=tuple(self._party_view(p) for p in agreement.parties),
            signed_on=agreement.signed_on,
            ends_on=agreement.ends_on,
            status=agreement.status,
            health=rules.health(facts, milestone_facts, at, self.thresholds),
            renewal_due=rules.renewal_due(facts, at, self.thresholds),
            apps=tuple(a.name for a in agreement.apps),
            owner_region_code=agreement.owner_region_code,
            objective=agreement.objective,
            milestones=tuple(
                _milestone_view(m, at)
                for m in sorted(agreement.milestones, key=lambda m: (m.position, m.id))
            ),
            parent_id=agreement.parent_id,
            template=agreement.template,
        )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _milestone_view(m: Milestone, at: date) -> MilestoneView:
    return MilestoneView(
        id=m.id,
        agreement_id=m.agreement_id,
        key=m.key,
        title=m.title,
        position=m.position,
        due_on=m.due_on,
        status=m.status,
        responsible_region_code=m.responsible_region_code,
        completed_on=m.completed_on,
        evidence_note=m.evidence_note,
        evidence_link=m.evidence_link,
        evidence_file=m.evidence_file,
        blocked_reason=m.blocked_reason,
        updated_by=m.updated_by,
        updated_at=m.updated_at,
        overdue=rules.is_overdue(MilestoneFacts(m.status, m.due_on, m.completed_on), at),
    )
