"""What the tracker accepts: agreements, milestones and status changes, checked before writing.

Pure functions: no database, no clock. The service loads what a rule needs (does the parent
agreement exist? which regions are parties?), calls the rule, and writes what it returns.
A rule that refuses raises the domain error whose ``code`` names the reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from core.text import clean_line, clean_optional_block
from mou_tracker.errors import AgreementNotFound, InvalidAgreement, InvalidMilestoneChange
from mou_tracker.models import AGREEMENT_KINDS, AGREEMENT_STATUSES, MILESTONE_STATUSES
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import NewAgreement, NewMilestone

#: The longest titles stored (the columns' sizes): longer ones are refused, never cut, and
#: SQLite (which would keep them) and PostgreSQL (which would refuse them) agree.
MAX_AGREEMENT_TITLE = 500
MAX_MILESTONE_TITLE = 300
EVIDENCE_STATUS = "done"
REASON_STATUS = "blocked"


def clean(text: str | None) -> str | None:
    """Text as stored: stripped, and ``None`` when nothing is left. Control characters go too,
    so "\x07" is as empty as "" where evidence or a reason is required."""
    return clean_optional_block(text)


def slug(text: str) -> str:
    """A milestone key from its title: ``Serah terima kode`` -> ``serah_terima_kode``."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")[:60] or "custom"


# --- agreements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedAgreement:
    """What :func:`check_agreement` settled: the status, the owner region, the party codes."""

    status: str
    owner_region_code: str
    party_codes: tuple[str, ...]


def known_status(status: str) -> str:
    """One of the agreement statuses (``draft``, ``active``, ...)."""
    if status not in AGREEMENT_STATUSES:
        raise InvalidAgreement("bad_status", value=status, allowed=", ".join(AGREEMENT_STATUSES))
    return status


def check_status(status: str, signed_on: date | None) -> str:
    """An agreement status that may be stored for an agreement signed on ``signed_on``."""
    known_status(status)
    if status != "draft" and signed_on is None:
        raise InvalidAgreement("signed_on_required")
    return status


def check_agreement(
    data: NewAgreement,
    *,
    regions: RegionDirectory,
    parent_known: bool,
    latest: date | None = None,
) -> CheckedAgreement:
    """Check a new agreement; the first failing rule raises (in the order below).

    Args:
        regions: every party must be a known region (``RegionNotFound`` otherwise).
        parent_known: whether ``data.parent_id`` names a stored agreement (ignored without one).
        latest: today (the deployment's day); a milestone done after it is refused.
    """
    if data.kind not in AGREEMENT_KINDS:
        raise InvalidAgreement("bad_kind", value=data.kind, allowed=", ".join(AGREEMENT_KINDS))
    check_agreement_title(data.title)
    codes = tuple(p.region_code for p in data.parties)
    if len(codes) < 2:
        raise InvalidAgreement("too_few_parties", count=len(codes))
    for code in codes:
        regions.get(code)
    if len(set(codes)) != len(codes):
        raise InvalidAgreement("repeated_party")
    if data.signed_on and data.ends_on and data.ends_on < data.signed_on:
        raise InvalidAgreement(
            "ends_before_signed",
            ends_on=data.ends_on.isoformat(),
            signed_on=data.signed_on.isoformat(),
        )
    status = check_status(data.status or ("active" if data.signed_on else "draft"), data.signed_on)
    owner = data.owner_region_code or codes[0]
    if owner not in codes:
        raise InvalidAgreement("owner_not_party", code=owner)
    if data.parent_id is not None and not parent_known:
        raise AgreementNotFound(data.parent_id)
    for milestone in data.milestones:
        check_new_milestone(milestone, codes, latest=latest)
    return CheckedAgreement(status, owner, codes)


def check_agreement_title(title: str) -> str:
    """The title as stored (one line); an empty or too long one is refused."""
    line = clean_line(title)
    if not line:
        raise InvalidAgreement("empty_title")
    if len(line) > MAX_AGREEMENT_TITLE:
        raise InvalidAgreement("title_too_long", length=len(line), limit=MAX_AGREEMENT_TITLE)
    return line


# --- milestones ---------------------------------------------------------------------------------


def check_new_milestone(
    milestone: NewMilestone, party_codes: Collection[str], *, latest: date | None = None
) -> None:
    """A milestone given by hand: a title, a known status, a responsible side that is a party,
    and no completion after ``latest`` (when given)."""
    line = clean_line(milestone.title)
    if not line:
        raise InvalidMilestoneChange("empty_title")
    if len(line) > MAX_MILESTONE_TITLE:
        raise InvalidMilestoneChange("title_too_long", length=len(line), limit=MAX_MILESTONE_TITLE)
    if milestone.status not in MILESTONE_STATUSES:
        raise InvalidMilestoneChange(
            "bad_status", value=milestone.status, allowed=", ".join(MILESTONE_STATUSES)
        )
    code = milestone.responsible_region_code
    if code is not None and code not in party_codes:
        raise InvalidMilestoneChange("responsible_not_party", code=code)
    if latest is not None and milestone.completed_on is not None:
        check_completion(milestone.completed_on, latest)


def check_completion(on: date, latest: date) -> None:
    """A milestone is done on a day that has come: ``on`` no later than ``latest``, today in
    the deployment's time zone, the day every view and report counts from (a day later,
    eastern Indonesia's for two hours, would show the milestone as open and overdue)."""
    if on > latest:
        raise InvalidMilestoneChange(
            "completed_in_future", on=on.isoformat(), today=latest.isoformat()
        )


@dataclass(frozen=True)
class MilestoneChange:
    """A status change that passed :func:`check_milestone_change`, its texts cleaned."""

    status: str
    note: str | None
    link: str | None
    file_ref: str | None
    reason: str | None

    def completed_on(self, on: date) -> date | None:
        """The completion date to store: ``on`` for ``done``, else none."""
        return on if self.status == EVIDENCE_STATUS else None


def check_milestone_change(
    status: str,
    *,
    note: str | None = None,
    link: str | None = None,
    file_ref: str | None = None,
    reason: str | None = None,
) -> MilestoneChange:
    """``done`` needs evidence (a note, a link or a file); ``blocked`` a reason (or a note)."""
    if status not in MILESTONE_STATUSES:
        raise InvalidMilestoneChange(
            "bad_status", value=status, allowed=", ".join(MILESTONE_STATUSES)
        )
    note, link, file_ref, reason = clean(note), clean(link), clean(file_ref), clean(reason)
    if status == EVIDENCE_STATUS and not (note or link or file_ref):
        raise InvalidMilestoneChange("evidence_required")
    if status == REASON_STATUS:
        reason = reason or note
        if not reason:
            raise InvalidMilestoneChange("reason_required")
    return MilestoneChange(status, note, link, file_ref, reason)
