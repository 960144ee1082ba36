"""The health of an agreement as of a date: pure functions, no database, no clock.

Health, in order of precedence:

``draft``      not signed (or signed after the as-of date);
``completed``  marked completed, or every milestone that counts is done;
``expired``    marked expired/terminated, or ``ends_on`` has passed;
``stalled``    "paper only": signed over ``stalled_after_days`` ago, nothing done or started;
``overdue``    a milestone still open past its due date;
``at_risk``    a milestone is blocked, or one not yet started is due within ``at_risk_within_days``;
``on_track``   everything else.

The portfolio report computes :class:`MilestoneTally` in SQL with exactly the semantics of
:func:`tally` (a test holds the two together) and then calls :func:`health_from_tally`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from core.errors import InvalidChoice
from mou_tracker.errors import InvalidAgreementId
from mou_tracker.schemas import AgreementFacts, MilestoneFacts, MilestoneTally, Thresholds

HEALTHS = ("draft", "on_track", "at_risk", "overdue", "stalled", "completed", "expired")
#: Order used in reports: most urgent first.
HEALTH_ORDER = ("stalled", "overdue", "at_risk", "on_track", "draft", "completed", "expired")

#: Order of agreement lists and answers: the ones that need attention first.
ATTENTION_ORDER = ("overdue", "stalled", "at_risk", "on_track", "draft", "completed", "expired")
_ATTENTION_RANK = {health: rank for rank, health in enumerate(ATTENTION_ORDER)}

OPEN = frozenset({"planned", "in_progress", "blocked"})


def attention_rank(health: str) -> int:
    """Where an agreement of this health stands in a list (0 first; unknown healths last)."""
    return _ATTENTION_RANK.get(health, len(ATTENTION_ORDER))


def check_health(value: str) -> str:
    """``value`` if it is a health state, else :class:`InvalidChoice` listing them."""
    if value not in HEALTHS:
        raise InvalidChoice("health", value, HEALTH_ORDER)
    return value


def is_done(milestone: MilestoneFacts, at: date) -> bool:
    """Done by ``at`` (a done milestone with no completion date counts as done)."""
    return milestone.status == "done" and (
        milestone.completed_on is None or milestone.completed_on <= at
    )


def is_open(milestone: MilestoneFacts, at: date) -> bool:
    """Still needing work as of ``at``: open now, or done only after ``at``."""
    return milestone.status in OPEN or (milestone.status == "done" and not is_done(milestone, at))


def is_overdue(milestone: MilestoneFacts, at: date) -> bool:
    """Open and due before ``at`` (a milestone due today is not overdue yet)."""
    return is_open(milestone, at) and milestone.due_on is not None and milestone.due_on < at


def is_started(milestone: MilestoneFacts, at: date) -> bool:
    return milestone.status in ("in_progress", "blocked") or (
        milestone.status == "done" and not is_done(milestone, at)
    )


def is_due_soon(milestone: MilestoneFacts, at: date, within_days: int) -> bool:
    """Not started yet and due between ``at`` and ``within_days`` later (inclusive)."""
    return (
        milestone.status == "planned"
        and milestone.due_on is not None
        and at <= milestone.due_on <= at + timedelta(days=within_days)
    )


def tally(milestones: Iterable[MilestoneFacts], at: date, thresholds: Thresholds) -> MilestoneTally:
    """Count what the health rule needs over one agreement's milestones."""
    total = done = active = overdue = due_soon = blocked = 0
    for m in milestones:
        if m.status == "skipped":
            continue
        total += 1
        done += is_done(m, at)
        active += is_started(m, at)
        overdue += is_overdue(m, at)
        due_soon += is_due_soon(m, at, thresholds.at_risk_within_days)
        blocked += m.status == "blocked"
    return MilestoneTally(
        total=total, done=done, active=active, overdue=overdue, due_soon=due_soon, blocked=blocked
    )


def health_from_tally(
    agreement: AgreementFacts, counts: MilestoneTally, at: date, thresholds: Thresholds
) -> str:
    """The health of an agreement given its milestone counts as of ``at``."""
    if agreement.status == "draft" or agreement.signed_on is None:
        return "draft"
    if agreement.status == "completed":
        return "completed"
    if agreement.status in ("expired", "terminated"):
        return "expired"
    if agreement.signed_on > at:
        return "draft"
    if counts.total > 0 and counts.done == counts.total:
        return "completed"
    if agreement.ends_on is not None and agreement.ends_on < at:
        return "expired"
    if (
        counts.done == 0
        and counts.active == 0
        and (at - agreement.signed_on).days > thresholds.stalled_after_days
    ):
        return "stalled"
    if counts.overdue > 0:
        return "overdue"
    if counts.blocked > 0 or counts.due_soon > 0:
        return "at_risk"
    return "on_track"


def health(
    agreement: AgreementFacts,
    milestones: Sequence[MilestoneFacts],
    at: date,
    thresholds: Thresholds,
) -> str:
    """The health of an agreement as of ``at`` (see the module docstring)."""
    return health_from_tally(agreement, tally(milestones, at, thresholds), at, thresholds)


def days_to_end(agreement: AgreementFacts, at: date) -> int | None:
    if agreement.ends_on is None:
        return None
    return (agreement.ends_on - at).days


def renewal_due(agreement: AgreementFacts, at: date, thresholds: Thresholds) -> bool:
    """An active agreement whose ``ends_on`` falls within the widest renewal window."""
    left = days_to_end(agreement, at)
    if agreement.status != "active" or left is None:
        return False
    if agreement.signed_on is not None and agreement.signed_on > at:
        return False
    return 0 <= left <= thresholds.renewal_window_days


def must_act(responsible_region_code: str | None, party_codes: Sequence[str]) -> tuple[str, ...]:
    """Which regions must act on a milestone: the responsible one, or every party."""
    if responsible_region_code:
        return (responsible_region_code,)
    return tuple(party_codes)


def follow_through_rate(due: int, done: int) -> float | None:
    """Share of the milestones due that are done; ``None`` when nothing was due yet."""
    if due <= 0:
        return None
    return round(done / due, 4)


# An id as people type it: ASCII digits after an optional "#". A number too large for the
# database is still a number: the lookup refuses it naming the largest id (ValueOutOfRange).
_AGREEMENT_ID = re.compile(r"#?0*([1-9][0-9]{0,999})")


def parse_agreement_id(text: str) -> int:
    """An agreement's number as typed after ``/mou`` ("12", "#12").

    Raises:
        InvalidAgreementId: anything else (``-1``, ``0``, ``1e5``, ``²``, markup, a word).
    """
    match = _AGREEMENT_ID.fullmatch(text.strip())
    if match is None:
        raise InvalidAgreementId(text)
    return int(match.group(1))


#: What a reminder's buttons saw: a milestone still to act on, whatever its open status.
SEEN_OPEN = "open"


class MilestoneState(Protocol):
    """What a status button remembers of a milestone (the stored row or its view)."""

    @property
    def status(self) -> str: ...
    @property
    def completed_on(self) -> date | None: ...
    @property
    def evidence_note(self) -> str | None: ...
    @property
    def evidence_link(self) -> str | None: ...
    @property
    def evidence_file(self) -> str | None: ...
    @property
    def blocked_reason(self) -> str | None: ...
    @property
    def updated_at(self) -> datetime | None: ...


STAMP_BYTES = 9
"""The stamp of a milestone a status button carries: 72 bits, 12 characters. The longest
button ("mpv|<agreement>,<milestone>,in_progress.<stamp>|<mac>", both ids at the largest a
database integer column holds, 10 digits) is then 63 bytes of Telegram's 64."""
_LEGACY_STAMP_CHARS = 6
"""Buttons sent before the stamp grew carry 3 bytes in hex: still read as they were made."""


def _recorded(milestone: MilestoneState) -> bytes:
    """Everything a status change records of a milestone, as bytes to stamp."""
    when = milestone.updated_at
    if when is not None:
        # To the second, in UTC: however the database hands the instant back.
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    state = (
        milestone.status,
        milestone.completed_on.isoformat() if milestone.completed_on else "",
        milestone.evidence_note or "",
        milestone.evidence_link or "",
        milestone.evidence_file or "",
        milestone.blocked_reason or "",
        when.isoformat(timespec="seconds") if when is not None else "",
    )
    return "\x00".join(state).encode("utf-8", "surrogatepass")


def seen_mark(milestone: MilestoneState) -> str:
    """What a status button carries of the milestone it was shown with: its status and a
    stamp of everything a status change records (day, evidence, reason, when), so a change
    that keeps the status (a new blocked reason, more evidence) is seen too
    ("blocked.Kq3f9a0c_x1Z"; :data:`STAMP_BYTES`, URL-safe base64: no "|" nor ",")."""
    digest = hashlib.blake2b(_recorded(milestone), digest_size=STAMP_BYTES).digest()
    return f"{milestone.status}.{base64.urlsafe_b64encode(digest).decode()}"


def still_as_seen(milestone: MilestoneState, seen: str) -> bool:
    """Whether ``milestone`` is still as a button made for ``seen`` showed it.

    ``seen`` is :func:`seen_mark` of the milestone as shown (the same status and nothing else
    recorded since); a bare status, from a button made before the marks, compares the status
    only; :data:`SEEN_OPEN` (a reminder's buttons) asks for a milestone not done or skipped.
    """
    if seen == SEEN_OPEN:
        return milestone.status not in ("done", "skipped")
    if "." not in seen:
        return milestone.status == seen
    if len(seen.partition(".")[2]) == _LEGACY_STAMP_CHARS:
        legacy = hashlib.blake2b(_recorded(milestone), digest_size=3).hexdigest()
        return f"{milestone.status}.{legacy}" == seen
    return seen_mark(milestone) == seen
