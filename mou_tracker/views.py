"""Read models: stored rows -> the frozen views the tracker hands out (never ORM rows).

Pure functions: health comes from :mod:`mou_tracker.rules`, names from the region directory;
a code the directory no longer knows is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from mou_tracker import rules
from mou_tracker.errors import RegionNotFound
from mou_tracker.models import Agreement, AuditEntry, Milestone
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import (
    AgreementDetail,
    AgreementFacts,
    AgreementRow,
    AgreementSummary,
    AuditEntryView,
    MilestoneFacts,
    MilestoneView,
    PartyView,
    Thresholds,
)


class PartyLike(Protocol):
    """A party as stored (``AgreementParty``) or as the portfolio query reads it (``PartyRow``)."""

    @property
    def region_code(self) -> str: ...
    @property
    def document_number(self) -> str | None: ...
    @property
    def signatory(self) -> str | None: ...
    @property
    def coordinator_name(self) -> str | None: ...
    @property
    def coordinator_contact(self) -> str | None: ...


class Viewer:
    """Builds views with one region directory, thresholds and fallback time zone."""

    def __init__(
        self, regions: RegionDirectory, thresholds: Thresholds, default_timezone: str
    ) -> None:
        self.regions = regions
        self.thresholds = thresholds
        self.default_timezone = default_timezone

    def region_name(self, code: str) -> str:
        try:
            return self.regions.get(code).name
        except RegionNotFound:
            return code

    def region_names(self, codes: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.region_name(c) for c in codes)

    def party(self, p: PartyLike) -> PartyView:
        try:
            region = self.regions.get(p.region_code)
            name, level, tz = region.name, str(region.level), region.timezone
        except RegionNotFound:  # a code from an older directory: still show it
            name, level, tz = p.region_code, "", self.default_timezone
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

    def summary(
        self, row: AgreementRow, parties: Sequence[PartyLike], apps: Sequence[str], at: date
    ) -> AgreementSummary:
        return AgreementSummary(
            id=row.id,
            kind=row.kind,
            number=agreement_number(parties),
            title=row.title,
            parties=tuple(self.party(p) for p in parties),
            signed_on=row.signed_on,
            ends_on=row.ends_on,
            status=row.status,
            health=rules.health_from_tally(row.facts, row.tally, at, self.thresholds),
            renewal_due=rules.renewal_due(row.facts, at, self.thresholds),
            apps=tuple(apps),
            owner_region_code=row.owner_region_code,
        )

    def detail(self, agreement: Agreement, at: date) -> AgreementDetail:
        facts = AgreementFacts(agreement.status, agreement.signed_on, agreement.ends_on)
        milestone_facts = [
            MilestoneFacts(m.status, m.due_on, m.completed_on) for m in agreement.milestones
        ]
        return AgreementDetail(
            id=agreement.id,
            kind=agreement.kind,
            number=agreement_number(agreement.parties),
            title=agreement.title,
            parties=tuple(self.party(p) for p in agreement.parties),
            signed_on=agreement.signed_on,
            ends_on=agreement.ends_on,
            status=agreement.status,
            health=rules.health(facts, milestone_facts, at, self.thresholds),
            renewal_due=rules.renewal_due(facts, at, self.thresholds),
            apps=tuple(a.name for a in agreement.apps),
            owner_region_code=agreement.owner_region_code,
            objective=agreement.objective,
            milestones=tuple(
                milestone_view(m, at)
                for m in sorted(agreement.milestones, key=lambda m: (m.position, m.id))
            ),
            parent_id=agreement.parent_id,
            template=agreement.template,
        )


def agreement_number(parties: Sequence[PartyLike]) -> str | None:
    """An agreement's number: the first party's document number that is set."""
    for p in parties:
        if p.document_number:
            return str(p.document_number)
    return None


def milestone_view(m: Milestone, at: date) -> MilestoneView:
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


def audit_view(e: AuditEntry) -> AuditEntryView:
    return AuditEntryView(
        e.id, e.at, e.actor, e.agreement_id, e.milestone_id, e.action, dict(e.details)
    )


def iso(value: date | None) -> str | None:
    """A date as the audit log keeps it."""
    return value.isoformat() if value else None
