"""Frozen data the tracker hands out and takes in: never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from core.config import Settings

# --- rules' inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """The settings the health rules depend on."""

    stalled_after_days: int = 90
    at_risk_within_days: int = 14
    renewal_days: tuple[int, ...] = (90, 30)

    @property
    def renewal_window_days(self) -> int:
        return max(self.renewal_days, default=0)

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            stalled_after_days=settings.stalled_after_days,
            at_risk_within_days=settings.at_risk_within_days,
            renewal_days=tuple(settings.reminder_renewal_days),
        )


@dataclass(frozen=True)
class AgreementFacts:
    """What the rules need to know about an agreement."""

    status: str
    signed_on: date | None
    ends_on: date | None


@dataclass(frozen=True)
class MilestoneFacts:
    """What the rules need to know about a milestone."""

    status: str
    due_on: date | None
    completed_on: date | None = None


class MilestoneTally(NamedTuple):
    """Counts over an agreement's milestones as of a date: all the health rule needs.

    The portfolio report computes the same tally in SQL for thousands of agreements at once
    (an immutable named tuple rather than a dataclass: it is built once per agreement there).
    """

    total: int = 0  # not skipped
    done: int = 0  # done as of the date
    active: int = 0  # in progress or blocked (work has started)
    overdue: int = 0  # open and due before the date
    due_soon: int = 0  # planned (not started) and due within the at-risk window
    blocked: int = 0


@dataclass(frozen=True)
class AgreementScope:
    """The agreements someone who does not see the whole portfolio sees: those their region
    is a party to, and those they are bound to."""

    region_code: str | None
    agreement_ids: tuple[int, ...] = ()


# --- rows the portfolio queries return ---------------------------------------------------------


class AgreementRow(NamedTuple):
    """An agreement's own columns and its milestone tally as of a date."""

    id: int
    kind: str
    title: str
    status: str
    signed_on: date | None
    ends_on: date | None
    owner_region_code: str
    tally: MilestoneTally
    #: Position of the first open milestone (``None`` when nothing is open).
    next_position: int | None = None
    #: Milestones due by the date (not skipped), and how many of those are done by then.
    due: int = 0
    due_done: int = 0

    @property
    def facts(self) -> AgreementFacts:
        return AgreementFacts(self.status, self.signed_on, self.ends_on)


@dataclass(frozen=True)
class PartyRow:
    agreement_id: int
    position: int
    region_code: str
    document_number: str | None
    signatory: str | None
    coordinator_name: str | None
    coordinator_contact: str | None


class OpenMilestoneRow(NamedTuple):
    id: int
    agreement_id: int
    title: str
    position: int
    due_on: date | None
    status: str
    responsible_region_code: str | None


# --- views -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyView:
    code: str
    name: str
    level: str
    timezone: str
    document_number: str | None = None
    signatory: str | None = None
    coordinator_name: str | None = None
    coordinator_contact: str | None = None


@dataclass(frozen=True)
class MilestoneView:
    id: int
    agreement_id: int
    key: str
    title: str
    position: int
    due_on: date | None
    status: str
    responsible_region_code: str | None
    completed_on: date | None
    evidence_note: str | None
    evidence_link: str | None
    evidence_file: str | None
    blocked_reason: str | None
    updated_by: str | None
    updated_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class AgreementSummary:
    id: int
    kind: str
    number: str | None
    title: str
    parties: tuple[PartyView, ...]
    signed_on: date | None
    ends_on: date | None
    status: str
    health: str
    renewal_due: bool
    apps: tuple[str, ...]
    owner_region_code: str


@dataclass(frozen=True)
class AgreementDetail(AgreementSummary):
    objective: str | None = None
    milestones: tuple[MilestoneView, ...] = ()
    parent_id: int | None = None
    template: str | None = None


@dataclass(frozen=True)
class MilestoneDetail:
    """A milestone with the agreement it belongs to."""

    agreement: AgreementDetail
    milestone: MilestoneView


@dataclass(frozen=True)
class AuditEntryView:
    id: int
    at: datetime
    actor: str
    agreement_id: int | None
    milestone_id: int | None
    action: str
    details: dict[str, Any]


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewParty:
    region_code: str
    document_number: str | None = None
    signatory: str | None = None
    coordinator_name: str | None = None
    coordinator_contact: str | None = None


@dataclass(frozen=True)
class NewMilestone:
    """A milestone given explicitly (instead of, or on top of, a template)."""

    title: str
    due_on: date | None = None
    key: str | None = None
    responsible_region_code: str | None = None
    status: str = "planned"
    completed_on: date | None = None


@dataclass(frozen=True)
class NewAgreement:
    """An agreement to store. The first party owns the apps unless ``owner_region_code`` says."""

    kind: str
    title: str
    parties: tuple[NewParty, ...]
    signed_on: date | None = None
    ends_on: date | None = None
    objective: str | None = None
    apps: tuple[str, ...] = ()
    status: str | None = None  # default: active when signed, else draft
    parent_id: int | None = None
    owner_region_code: str | None = None
    template: str | None = None
    milestones: tuple[NewMilestone, ...] = ()
    #: Template keys already done (imports of agreements that are under way).
    done_keys: tuple[str, ...] = ()
    import_key: str | None = None


# --- import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One reason a row cannot be imported. ``row`` counts the header as row 1, like a sheet."""

    row: int
    column: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    """One field of a stored agreement, named by its import column, before and after."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AgreementChanges:
    """What an import changes (or, refused or dry, would change) in one stored agreement."""

    row: int
    agreement_id: int
    title: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ImportResult:
    path: str
    rows: int
    created: int
    unchanged: int
    dry_run: bool
    agreement_ids: tuple[int, ...] = ()
    #: Stored agreements the file changed (``--update``), field by field.
    updated: int = 0
    changes: tuple[AgreementChanges, ...] = ()
    notes: tuple[str, ...] = ()  # catalog codes, e.g. "import.note.cp1252"
    #: Cells read differently from how they were written (e.g. a region name corrected).
    corrections: tuple[ImportProblem, ...] = ()


@dataclass(frozen=True)
class ExportResult:
    path: str
    format: str
    agreements: int
    milestones: int


# --- report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StalledItem:
    agreement_id: int
    number: str | None
    title: str
    signed_on: date | None
    days_since_signing: int
    next_milestone: str | None
    must_act: tuple[str, ...]  # region codes
    must_act_names: tuple[str, ...]


@dataclass(frozen=True)
class OverdueItem:
    agreement_id: int
    number: str | None
    title: str
    milestone_id: int
    milestone: str
    due_on: date
    days_overdue: int
    status: str
    must_act: tuple[str, ...]
    must_act_names: tuple[str, ...]


@dataclass(frozen=True)
class RenewalItem:
    agreement_id: int
    number: str | None
    title: str
    ends_on: date
    days_left: int
    owner_region_code: str


@dataclass(frozen=True)
class PortfolioReport:
    at: date
    total: int
    by_health: dict[str, int]
    milestones_due: int
    milestones_done_of_due: int
    #: Share of the milestones due by ``at`` (not skipped) that are done; ``None`` if none due.
    follow_through_rate: float | None
    #: Share of signed agreements with at least one milestone done ("beyond paper").
    beyond_paper_rate: float | None
    stalled: tuple[StalledItem, ...]
    overdue: tuple[OverdueItem, ...]
    renewal_due: tuple[RenewalItem, ...]
