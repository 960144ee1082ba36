"""Plain, frozen inputs and outputs of the reminder rules (no ORM rows cross this line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

#: What a reminder is about. The first four come from the rules; ``snooze`` is a "remind me
#: again" a user asked for; ``digest``/``portfolio`` are the weekly summaries; ``undeliverable``
#: tells the admins that someone could not be reached.
Kind = Literal[
    "upcoming",
    "overdue",
    "escalation",
    "renewal",
    "snooze",
    "digest",
    "portfolio",
    "undeliverable",
]

#: The audience a rule names when the admins must hear about something.
ADMINS = "admins"

#: Milestone statuses that need no more reminders.
SETTLED_MILESTONE_STATUSES = frozenset({"done", "skipped"})
#: Milestones that still need someone to act (the tracker's other statuses).
OPEN_MILESTONE_STATUSES = ("planned", "in_progress", "blocked")


@dataclass(frozen=True)
class AgreementFacts:
    """What the rules need to know about one agreement."""

    id: int
    title: str
    status: str
    owner_region_code: str
    party_codes: tuple[str, ...]
    number: str | None = None
    signed_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True)
class MilestoneFacts:
    """What the rules need to know about one milestone."""

    id: int
    agreement_id: int
    title: str
    status: str
    due_on: date | None
    responsible_region_code: str | None = None
    position: int = 0
    completed_on: date | None = None


@dataclass(frozen=True)
class Trigger:
    """A reminder the rules say is due for one audience (a region code or :data:`ADMINS`).

    Attributes:
        threshold: the rule's day count (7 for "7 days before", 14 for "14 days overdue").
        due_on: the milestone's due date, or the agreement's end date for a renewal.
        trigger_on: the calendar day (in the audience's time zone) the reminder became due.
        laggards: the region codes that have not acted (for escalations).
    """

    kind: Kind
    threshold: int
    agreement_id: int
    milestone_id: int | None
    audience: str
    due_on: date
    trigger_on: date
    laggards: tuple[str, ...] = field(default=())
