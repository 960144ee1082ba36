"""Tracking cooperation agreements: agreements, milestones with evidence, health, import/export.

``TrackerService`` is ``Services.tracker``. Every method takes the acting subject first (a bot
user, or the :class:`~accounts.schemas.Operator`) and decides what it may see and do; the
transports only translate the refusals. Each method is one unit of work: load, call the rule
(:mod:`mou_tracker.validation`, :mod:`mou_tracker.planning`, :mod:`mou_tracker.report`), write
through the repository, commit. An import either writes every row or nothing.

Scope: an admin (and the operator) sees every agreement; a coordinator those their region is a
party to and those they are bound to. An agreement outside the subject's scope is "not found",
exactly like a missing one, so its existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from accounts.schemas import AuthSubject, Operator
from core.clock import Clock
from core.config import Settings
from core.errors import AppError, ServiceUnavailable
from core.memory import gc_paused
from mou_tracker import exporter, reconcile, report, validation
from mou_tracker.dates import parse_date
from mou_tracker.errors import (
    ImportRejected,
    InvalidAgreement,
    MilestoneChanged,
    MilestoneNotFound,
    UnsupportedExportFile,
)
from mou_tracker.importer import normalize_number, read_import
from mou_tracker.models import Agreement, Milestone
from mou_tracker.planning import plan_agreement, plan_import
from mou_tracker.planning import plan_insertion as plan_milestone_insertion
from mou_tracker.regions import Region, RegionDirectory
from mou_tracker.repository import TrackerRepository
from mou_tracker.rules import (
    SEEN_OPEN,
    attention_rank,
    check_health,
    parse_agreement_id,
    seen_mark,
    still_as_seen,
)
from mou_tracker.schemas import (
    AgreementChanges,
    AgreementDetail,
    AgreementScope,
    AgreementSummary,
    AuditEntryView,
    ExportResult,
    ImportProblem,
    ImportResult,
    MilestoneDetail,
    MilestoneView,
    NewAgreement,
    NewMilestone,
    NewParty,
    PartyView,
    PortfolioReport,
    Thresholds,
)
from mou_tracker.templates import TemplateLibrary
from mou_tracker.views import Viewer, audit_view, iso, milestone_view
from services.messages import column_name, describe_problem
from services.tracker_scope import (
    agreement_of_milestone,
    may_see,
    milestone_in_scope,
    scope_of,
    visible_agreement,
)
from services.wording import status_name

__all__ = [
    "SEEN_OPEN",
    "AgreementChanges",
    "AgreementDetail",
    "AgreementSummary",
    "AuditEntryView",
    "ExportResult",
    "ImportProblem",
    "ImportRejected",
    "ImportResult",
    "MilestoneChanged",
    "MilestoneDetail",
    "MilestoneView",
    "NewAgreement",
    "NewMilestone",
    "NewParty",
    "Operator",
    "PartyView",
    "PortfolioReport",
    "Region",
    "RegionSearch",
    "TrackerService",
    "TrackerVocabulary",
    "attention_rank",
    "check_health",
    "column_name",
    "describe_problem",
    "find_region",
    "parse_agreement_id",
    "parse_date",
    "seen_mark",
    "still_as_seen",
]

EXPORT_FORMATS = (".csv", ".xlsx", ".ics")


@dataclass(frozen=True)
class TrackerVocabulary:
    """Names the tracker's data gives questions: its apps and the home regions (owners)."""

    apps: tuple[str, ...]
    home_regions: tuple[str, ...]


@dataclass(frozen=True)
class RegionSearch:
    """A name looked up as ``sinergi regions find`` shows it."""

    match: Region | None
    error: AppError | None
    """Why there is no single match (ambiguous, unknown); None when there is one."""
    candidates: tuple[Region, ...]
    """The match; or the regions an ambiguous name may mean, then the closest; or, for an
    unknown name, only the near names its message gives (never unrelated closest ones)."""


def find_region(regions: RegionDirectory, name: str, *, limit: int = 5) -> RegionSearch:
    """Resolve ``name`` to one region, or say why not with the candidates to choose from."""
    try:
        match = regions.resolve(name)
    except AppError as error:
        if error.code == "region.ambiguous":
            wanted = set(error.params.get("candidate_list", []))
            ambiguous = [r for r in regions.all() if r.name in wanted]
            closest = [r for r in regions.search(name, limit=limit) if r not in ambiguous]
            return RegionSearch(None, error, tuple(ambiguous + closest))
        near = list(error.params.get("suggestion_list", ()))
        by_name = {r.name: r for r in regions.all() if r.name in near}
        return RegionSearch(None, error, tuple(by_name[n] for n in near if n in by_name))
    return RegionSearch(match, None, (match,))


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
        self.thresholds = Thresholds.from_settings(settings)
        self._viewer = Viewer(regions, self.thresholds, settings.timezone)

    @property
    def templates(self) -> TemplateLibrary:
        return self._templates

    def today(self) -> date:
        """Today in the deployment's time zone (WIB by default)."""
        return self._clock.now().astimezone(ZoneInfo(self._settings.timezone)).date()

    # --- reading -------------------------------------------------------------------------------

    def list_agreements(
        self,
        subject: AuthSubject,
        *,
        at: date | None = None,
        region_codes: Collection[str] | None = None,
    ) -> list[AgreementSummary]:
        """The agreements ``subject`` sees (those a region is party to, if given), with their
        health as of ``at``."""
        access_rules.require(subject, access_rules.Permission.VIEW_AGREEMENTS)
        scope = scope_of(subject)
        with gc_paused():  # see core.memory
            return self._list_agreements(at or self.today(), region_codes, scope)

    def _list_agreements(
        self, at: date, region_codes: Collection[str] | None, scope: AgreementScope | None
    ) -> list[AgreementSummary]:
        narrowed = region_codes is not None or scope is not None
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            rows = repo.agreement_rows(at, self.thresholds, region_codes=region_codes, scope=scope)
            ids = [r.id for r in rows] if narrowed else None
            parties = repo.party_rows(ids)
            apps = repo.app_names(ids)
        return [
            self._viewer.summary(r, parties.get(r.id, []), apps.get(r.id, []), at) for r in rows
        ]

    def get_agreement(
        self, subject: AuthSubject, agreement_id: int, *, at: date | None = None
    ) -> AgreementDetail:
        """One agreement with its parties, apps and milestones."""
        at = at or self.today()
        with self._sf.begin() as s:
            agreement = visible_agreement(subject, TrackerRepository(s), agreement_id)
            return self._viewer.detail(agreement, at)

    def details(
        self, subject: AuthSubject, agreement_ids: Sequence[int], *, at: date | None = None
    ) -> list[AgreementDetail]:
        """Several agreements with their milestones, in id order; those outside the subject's
        scope (or missing) are left out, exactly as :meth:`list_agreements` leaves them out."""
        access_rules.require(subject, access_rules.Permission.VIEW_AGREEMENTS)
        at = at or self.today()
        with self._sf.begin() as s:
            loaded = TrackerRepository(s).load_agreements(sorted(set(agreement_ids)))
            return [self._viewer.detail(a, at) for a in loaded if may_see(subject, a)]

    def vocabulary(self) -> TrackerVocabulary:
        """The app names and home regions the tracker knows, for reading questions.

        Not scoped: app names and the replicating regions say nothing about any agreement a
        subject may not see, and every question is read before anyone's scope applies.
        """
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            return TrackerVocabulary(
                apps=tuple(repo.known_app_names()), home_regions=tuple(repo.owner_region_codes())
            )

    def get_milestone(
        self,
        subject: AuthSubject,
        milestone_id: int,
        *,
        agreement_id: int | None = None,
        at: date | None = None,
    ) -> MilestoneDetail:
        """A milestone with its agreement (``agreement_id``: it must belong to that one)."""
        at = at or self.today()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            agreement = agreement_of_milestone(subject, repo, milestone_id, agreement_id)
            detail = self._viewer.detail(agreement, at)
        milestone = next((m for m in detail.milestones if m.id == milestone_id), None)
        if milestone is None:
            raise MilestoneNotFound(milestone_id)
        return MilestoneDetail(detail, milestone)

    def audit(self, subject: AuthSubject, agreement_id: int) -> list[AuditEntryView]:
        """The audit log of an agreement, oldest first."""
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            visible_agreement(subject, repo, agreement_id)
            return [audit_view(e) for e in repo.audit_entries(agreement_id)]

    def count_agreements(self, subject: AuthSubject) -> int:
        access_rules.require(subject, access_rules.Permission.PORTFOLIO)
        with self._sf.begin() as s:
            return TrackerRepository(s).count_agreements()

    # --- writing agreements --------------------------------------------------------------------

    def add_agreement(self, subject: AuthSubject, data: NewAgreement) -> AgreementDetail:
        """Store a new agreement, with milestones from its template (if any).

        An admin records any agreement; a coordinator those their region is a party to. An
        agreement of the same kind holding one of its document numbers is already recorded:
        refused, as an import would (updating it is ``import --update`` or the bot's draft).
        """
        access_rules.require_may_record(subject, [p.region_code for p in data.parties])
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            if data.import_key:
                existing = repo.existing_import_keys([data.import_key])
                if existing:
                    raise InvalidAgreement("duplicate", agreement_id=existing[data.import_key])
            numbers = {
                normalize_number(p.document_number) for p in data.parties if p.document_number
            }
            same = repo.agreements_by_kind_number(numbers) if numbers else {}
            recorded = sorted(
                i for (kind, _), ids in same.items() if kind == data.kind for i in ids
            )
            if recorded:
                raise InvalidAgreement("duplicate", agreement_id=recorded[0])
            created = self._create(repo, data, actor=subject.actor, now=now)
            agreement = repo.load_agreement(created.id)
            assert agreement is not None
            return self._viewer.detail(agreement, self.today())

    def set_status(self, subject: AuthSubject, agreement_id: int, status: str) -> AgreementDetail:
        """Change an agreement's own status (e.g. terminated, completed), audited."""
        access_rules.require(subject, access_rules.Permission.MANAGE_AGREEMENTS)
        validation.known_status(status)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            agreement = visible_agreement(subject, repo, agreement_id)
            validation.check_status(status, agreement.signed_on)
            old = agreement.status
            agreement.status = status
            agreement.updated_at = now
            repo.add_audit(
                at=now,
                actor=subject.actor,
                action="agreement.status",
                agreement_id=agreement_id,
                details={"from": old, "to": status},
            )
            return self._viewer.detail(agreement, self.today())

    def _create(
        self,
        repo: TrackerRepository,
        data: NewAgreement,
        *,
        actor: str,
        now: datetime,
        parent_id: int | None = None,
    ) -> Agreement:
        parent_known = data.parent_id is not None and repo.agreement_exists(data.parent_id)
        checked = validation.check_agreement(
            data, regions=self._regions, parent_known=parent_known, latest=self.today()
        )
        template = self._templates.get(data.template) if data.template else None
        plan = plan_agreement(
            data,
            checked,
            template=template,
            actor=actor,
            now=now,
            language=self._settings.language,
            parent_id=parent_id,
        )
        agreement = repo.add_agreement(plan, now=now)
        repo.add_audit(
            at=now,
            actor=actor,
            action="agreement.created",
            agreement_id=agreement.id,
            details={
                "kind": plan.kind,
                "title": plan.title,
                "parties": list(checked.party_codes),
                "template": plan.template,
                "milestones": len(plan.milestones),
                "import_key": plan.import_key,
            },
        )
        return agreement

    # --- milestones ----------------------------------------------------------------------------

    def update_milestone(
        self,
        subject: AuthSubject,
        milestone_id: int,
        status: str,
        *,
        agreement_id: int | None = None,
        note: str | None = None,
        link: str | None = None,
        file_ref: str | None = None,
        reason: str | None = None,
        on: date | None = None,
        seen: str | None = None,
    ) -> MilestoneView:
        """Change a milestone's status with its evidence; every change is audited.

        ``done`` needs evidence (a note, a link or a file reference); ``blocked`` needs a reason.
        ``agreement_id`` (a button's): the milestone must belong to that agreement.
        ``seen`` (a button's): the milestone as the user was shown it (``seen_mark``); if it
        no longer stands so (``still_as_seen``), nothing changes and ``MilestoneChanged`` is
        raised.
        """
        with self._sf.begin() as s:
            return self.change_milestone(
                s,
                subject,
                milestone_id,
                status,
                agreement_id=agreement_id,
                note=note,
                link=link,
                file_ref=file_ref,
                reason=reason,
                on=on,
                seen=seen,
            )

    def change_milestone(
        self,
        s: Session,
        subject: AuthSubject,
        milestone_id: int,
        status: str,
        *,
        agreement_id: int | None = None,
        note: str | None = None,
        link: str | None = None,
        file_ref: str | None = None,
        reason: str | None = None,
        on: date | None = None,
        seen: str | None = None,
    ) -> MilestoneView:
        """:meth:`update_milestone` inside the caller's unit of work (the evidence service
        records the file in the same transaction, so a milestone is never done without it)."""
        access_rules.require(subject, access_rules.Permission.UPDATE_MILESTONE)
        now = self._clock.now()
        today = self.today()
        repo = TrackerRepository(s)
        repo.lock_agreement_of(milestone_id)  # two people at once: the second sees the first
        # The milestone first, then the change: "no such milestone" is the answer to an update
        # of one that does not exist (or is out of scope), whatever evidence came with it.
        milestone = milestone_in_scope(subject, repo, milestone_id, agreement_id)
        change = validation.check_milestone_change(
            status, note=note, link=link, file_ref=file_ref, reason=reason
        )
        if on is not None and change.status == "done":
            validation.check_completion(on, self.today())
        before = milestone.status
        # Read under the agreement's lock: of two people pressing at once, the second sees the
        # first's change here and changes nothing.
        if seen is not None and not still_as_seen(milestone, seen):
            raise MilestoneChanged(milestone_id=milestone_id, status=before)
        # The same status reported again (a button pressed twice) keeps its day of completion
        # unless one is given, and is not a change unless it brings new evidence or reason.
        completed_on = (
            milestone.completed_on
            if before == change.status and on is None
            else change.completed_on(on or today)
        )
        blocked_reason = change.reason if change.status == "blocked" else None
        if (
            before == change.status
            and completed_on == milestone.completed_on
            and blocked_reason == milestone.blocked_reason
            and change.note in (None, milestone.evidence_note)
            and change.link in (None, milestone.evidence_link)
            and change.file_ref in (None, milestone.evidence_file)
        ):
            return milestone_view(milestone, today)
        milestone.status = change.status
        milestone.completed_on = completed_on
        if change.note:
            milestone.evidence_note = change.note
        if change.link:
            milestone.evidence_link = change.link
        if change.file_ref:
            milestone.evidence_file = change.file_ref
        milestone.blocked_reason = blocked_reason
        milestone.updated_by = subject.actor
        milestone.updated_at = now
        repo.touch_agreement(milestone.agreement_id, now)
        repo.add_audit(
            at=now,
            actor=subject.actor,
            action="milestone.status",
            agreement_id=milestone.agreement_id,
            milestone_id=milestone.id,
            details={
                "from": before,
                "to": change.status,
                "completed_on": iso(milestone.completed_on),
                "note": change.note,
                "link": change.link,
                "file": change.file_ref,
                "reason": change.reason,
            },
        )
        return milestone_view(milestone, today)

    def add_milestone(
        self,
        subject: AuthSubject,
        agreement_id: int,
        title: str,
        *,
        due_on: date | None = None,
        responsible_region_code: str | None = None,
        key: str | None = None,
        position: int | None = None,
    ) -> MilestoneView:
        """Add a milestone to one agreement (after the others, or at ``position``)."""
        access_rules.require(subject, access_rules.Permission.MANAGE_AGREEMENTS)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            repo.lock_agreement(agreement_id)  # positions shift: see change_milestone
            agreement = visible_agreement(subject, repo, agreement_id)
            codes = [p.region_code for p in agreement.parties]
            validation.check_new_milestone(
                NewMilestone(
                    title=title,
                    due_on=due_on,
                    key=key,
                    responsible_region_code=responsible_region_code,
                ),
                codes,
            )
            place = plan_milestone_insertion(
                title,
                key=key,
                position=position,
                existing=[(m.position, m.key) for m in agreement.milestones],
            )
            for m in agreement.milestones:
                if m.position >= place.position:
                    m.position += 1
            milestone = repo.add_milestone(
                Milestone(
                    agreement_id=agreement_id,
                    key=place.key,
                    title=title.strip(),
                    position=place.position,
                    due_on=due_on,
                    responsible_region_code=responsible_region_code,
                    status="planned",
                    updated_by=subject.actor,
                    updated_at=now,
                )
            )
            agreement.updated_at = now
            repo.add_audit(
                at=now,
                actor=subject.actor,
                action="milestone.added",
                agreement_id=agreement_id,
                milestone_id=milestone.id,
                details={
                    "key": milestone.key,
                    "title": milestone.title,
                    "position": place.position,
                    "due_on": iso(due_on),
                    "responsible": responsible_region_code,
                },
            )
            return milestone_view(milestone, self.today())

    def move_milestone(
        self,
        subject: AuthSubject,
        milestone_id: int,
        due_on: date | None,
        *,
        reason: str | None = None,
    ) -> MilestoneView:
        """Give a milestone a new due date (audited with the old one and the reason)."""
        access_rules.require(subject, access_rules.Permission.MANAGE_AGREEMENTS)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            repo.lock_agreement_of(milestone_id)  # see change_milestone
            milestone = milestone_in_scope(subject, repo, milestone_id, None)
            old = milestone.due_on
            milestone.due_on = due_on
            milestone.updated_by = subject.actor
            milestone.updated_at = now
            repo.touch_agreement(milestone.agreement_id, now)
            repo.add_audit(
                at=now,
                actor=subject.actor,
                action="milestone.moved",
                agreement_id=milestone.agreement_id,
                milestone_id=milestone_id,
                details={"from": iso(old), "to": iso(due_on), "reason": validation.clean(reason)},
            )
            return milestone_view(milestone, self.today())

    def drop_milestone(
        self, subject: AuthSubject, milestone_id: int, *, reason: str | None = None
    ) -> None:
        """Remove a milestone from its agreement; the audit log keeps what it was."""
        access_rules.require(subject, access_rules.Permission.MANAGE_AGREEMENTS)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            repo.lock_agreement_of(milestone_id)  # see change_milestone
            milestone = milestone_in_scope(subject, repo, milestone_id, None)
            view = milestone_view(milestone, self.today())
            repo.delete_milestone(milestone)
            repo.touch_agreement(view.agreement_id, now)
            repo.add_audit(
                at=now,
                actor=subject.actor,
                action="milestone.dropped",
                agreement_id=view.agreement_id,
                milestone_id=milestone_id,
                details={
                    "key": view.key,
                    "title": view.title,
                    "status": view.status,
                    "due_on": iso(view.due_on),
                    "reason": validation.clean(reason),
                },
            )

    # --- portfolio -----------------------------------------------------------------------------

    def report(self, subject: AuthSubject, *, at: date) -> PortfolioReport:
        """Portfolio figures as of ``at``: health counts, follow-through, who must act."""
        access_rules.require(subject, access_rules.Permission.PORTFOLIO)
        with gc_paused():  # hundreds of thousands of small acyclic objects; see core.memory
            return self._report(at)

    def _report(self, at: date) -> PortfolioReport:
        th = self.thresholds
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            rows = repo.agreement_rows(at, th)
            parties = repo.party_codes()
            health = report.healths(rows, at, th)
            stalled = [i for i, h in health.items() if h == "stalled"]
            next_open = repo.milestones_at(report.next_positions(rows, stalled))
            overdue_ids = [i for i, h in health.items() if h == "overdue"]
            overdue_rows = repo.overdue_milestones(at, overdue_ids)
        return report.build_report(
            at=at,
            thresholds=th,
            rows=rows,
            health=health,
            parties=parties,
            next_open=next_open,
            overdue_milestones=overdue_rows,
            region_names=self._viewer.region_names,
        )

    # --- import / export -----------------------------------------------------------------------

    def import_file(
        self,
        subject: AuthSubject,
        path: Path,
        *,
        dry_run: bool = False,
        update: bool = False,
        keep_existing: bool = False,
    ) -> ImportResult:
        """Import agreements from CSV/XLSX: every row or none, and never one agreement twice.

        A row that is a stored agreement (by its ``id`` cell, import key or document number:
        :mod:`mou_tracker.reconcile`) and holds the same values is unchanged. One that differs
        updates the agreement field by field with ``update`` (each change audited), is left
        alone with ``keep_existing`` (the demo seed), and otherwise refuses the import,
        naming the fields. ``dry_run`` checks and reports the same, writing nothing.

        Raises:
            ImportRejected: some rows are bad; ``problems`` lists each (row, column, reason).
            UnsupportedImportFile, UnreadableImportFile: the file itself cannot be read.
        """
        access_rules.require(subject, access_rules.Permission.MANAGE_AGREEMENTS)
        path = Path(path)
        parsed = read_import(path, self._regions, self._templates)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            found = reconcile.lookups(parsed)
            by_key = repo.existing_import_keys(found.keys)
            by_number = repo.agreements_by_kind_number(found.numbers)
            stored_numbers = repo.agreements_by_number(found.numbers)
            ids = set(found.ids) | set(by_key.values()) | {i for v in by_number.values() for i in v}
            ids |= set(repo.agreement_ids_signed(found.kind_dates))
            stored = {a.id: self._stored(a) for a in repo.load_agreements(sorted(ids))}
            matching = reconcile.reconcile(
                parsed, stored=stored, by_key=by_key, by_number=by_number, parents=stored_numbers
            )
            plan = plan_import(parsed, matched=matching.matched, stored_numbers=stored_numbers)
            problems = [*plan.problems, *matching.problems]
            updates = matching.updates if not keep_existing else ()
            if updates and not update:
                problems += [
                    ImportProblem(
                        u.row.row,
                        "-",
                        "import.changed",
                        {"id": u.agreement_id, "fields": [c.field for c in u.changes]},
                    )
                    for u in updates
                ]
            if problems:
                problems.sort(key=lambda p: (p.row, p.column))
                raise ImportRejected(str(path), tuple(problems), [u.summary for u in updates])
            unchanged = len(matching.matched) - len(updates)
            result = ImportResult(
                path=str(path),
                rows=parsed.total_rows,
                created=len(plan.new_rows),
                unchanged=unchanged,
                dry_run=dry_run,
                notes=tuple(parsed.notes),
                corrections=tuple(parsed.corrections),
                updated=len(updates),
                changes=tuple(u.summary for u in updates),
            )
            if dry_run:
                return result
            created_by_row: dict[int, int] = {}
            for step in plan.steps:
                parent_id = (
                    created_by_row[step.parent_row]
                    if step.parent_row is not None
                    else step.parent_id
                )
                try:
                    agreement = self._create(
                        repo, step.row.agreement, actor=subject.actor, now=now, parent_id=parent_id
                    )
                except ServiceUnavailable:
                    raise  # a locked or full database is not a bad row: retry later (6)
                except AppError as err:  # a check the file reader could not make
                    problem = ImportProblem(step.row.row, "-", err.code, dict(err.params))
                    raise ImportRejected(str(path), (problem,)) from err
                created_by_row[step.row.row] = agreement.id
            if plan.cycle:
                raise ImportRejected(str(path), plan.cycle)
            for item in updates:
                self._apply_update(repo, item, actor=subject.actor, now=now, file=path.name)
            repo.add_audit(
                at=now,
                actor=subject.actor,
                action="import",
                details={
                    "file": path.name,
                    "rows": parsed.total_rows,
                    "created": len(created_by_row),
                    "updated": len(updates),
                    "unchanged": unchanged,
                },
            )
        return replace(
            result, created=len(created_by_row), agreement_ids=tuple(created_by_row.values())
        )

    def _stored(self, agreement: Agreement) -> reconcile.StoredAgreement:
        """A loaded agreement as an import compares it."""
        return reconcile.StoredAgreement(
            id=agreement.id,
            kind=agreement.kind,
            title=agreement.title,
            status=agreement.status,
            parties=tuple(
                reconcile.StoredParty(
                    code=p.region_code,
                    name=self._viewer.region_name(p.region_code),
                    document_number=p.document_number,
                    signatory=p.signatory,
                    coordinator_name=p.coordinator_name,
                )
                for p in agreement.parties
            ),
            signed_on=agreement.signed_on,
            ends_on=agreement.ends_on,
            objective=agreement.objective,
            apps=tuple(a.name for a in agreement.apps),
            template=agreement.template,
            parent_id=agreement.parent_id,
            import_key=agreement.import_key,
            milestone_keys=tuple(m.key for m in agreement.milestones),
            done_keys=frozenset(m.key for m in agreement.milestones if m.status == "done"),
        )

    def _apply_update(
        self,
        repo: TrackerRepository,
        item: reconcile.RowUpdate,
        *,
        actor: str,
        now: datetime,
        file: str,
    ) -> None:
        """Write one row's changes to its agreement: one audit entry per field, and one per
        milestone the file marks done."""
        agreement = repo.load_agreement(item.agreement_id)
        assert agreement is not None  # loaded in the same unit of work
        repo.update_agreement(
            agreement, item.row.agreement, item.fields, import_key=item.import_key, now=now
        )
        for change in item.changes:
            if change.field == "done":
                continue
            repo.add_audit(
                at=now,
                actor=actor,
                action="agreement.updated",
                agreement_id=agreement.id,
                details={
                    "field": change.field,
                    "from": change.before,
                    "to": change.after,
                    "file": file,
                },
            )
        for milestone in agreement.milestones:
            if milestone.key not in item.done_keys:
                continue
            before = milestone.status
            milestone.status = "done"
            milestone.updated_by = actor
            milestone.updated_at = now
            repo.add_audit(
                at=now,
                actor=actor,
                action="milestone.status",
                agreement_id=agreement.id,
                milestone_id=milestone.id,
                details={"from": before, "to": "done", "file": file},
            )

    def export(
        self, subject: AuthSubject, path: Path, *, at: date | None = None, lang: str = "id"
    ) -> ExportResult:
        """Write every agreement to ``path``: ``.csv``, ``.xlsx`` or ``.ics`` (milestone dates).

        The calendar names statuses in ``lang`` (its readers' words); the CSV and XLSX keep
        the codes, which an import reads back.
        """
        access_rules.require(subject, access_rules.Permission.PORTFOLIO)
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in EXPORT_FORMATS:
            raise UnsupportedExportFile(str(path), suffix or "-")
        at = at or self.today()
        with self._sf.begin() as s:
            repo = TrackerRepository(s)
            details = [
                self._viewer.detail(a, at) for a in repo.load_agreements(repo.all_agreement_ids())
            ]
        if suffix == ".csv":
            exporter.write_csv(path, details)
        elif suffix == ".xlsx":
            exporter.write_xlsx(path, details)
        else:
            exporter.write_ics(
                path,
                details,
                now=self._clock.now(),
                status_label=lambda status: status_name(status, lang),
            )
        return ExportResult(
            path=str(path),
            format=suffix.lstrip("."),
            agreements=len(details),
            milestones=sum(len(d.milestones) for d in details),
        )
