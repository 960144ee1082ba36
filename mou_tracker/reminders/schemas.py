"""Plain, frozen inputs and outputs of the reminder rules (no ORM rows cross this line)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from core.errors import AppError

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
    recorded_on: date | None = None
    """The day Sinergi recorded the agreement (UTC): a rung that fell since was missed (the
    scheduler was down), one that fell before is history that came with the record."""


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


# --- what planning produces -------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    """A reminder due for one recipient at an instant, and not yet recorded in the outbox.

    ``recipient`` is ``tg:<telegram id>`` for a user; ``region:<code>`` or ``admins`` when no
    active coordinator (or admin) exists to receive it.
    """

    dedup_key: str
    kind: str
    threshold: int
    agreement_id: int | None
    milestone_id: int | None
    recipient: str
    telegram_id: int | None
    region_code: str | None
    due_on: date | None
    trigger_on: date
    timezone: str
    language: str
    agreement_title: str | None = None
    agreement_number: str | None = None
    milestone_title: str | None = None
    laggards: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class OutboxRow:
    """One reminder to record in the outbox (a :class:`DueReminder`, or a notice to an admin).

    ``payload`` is what the message will show (titles, region names, laggards), fixed now.
    """

    dedup_key: str
    kind: str
    threshold: int
    agreement_id: int | None
    milestone_id: int | None
    recipient: str
    telegram_id: int | None
    region_code: str | None
    language: str
    due_on: date | None
    trigger_on: date
    payload: Mapping[str, Any]


# --- what delivery hands the sender ------------------------------------------------------------


@dataclass(frozen=True)
class ReminderEntry:
    """An outbox row detached from its session, with its recipient's time zone resolved."""

    id: int
    kind: str
    threshold: int
    agreement_id: int | None
    milestone_id: int | None
    recipient: str
    telegram_id: int | None
    region_code: str | None
    language: str
    due_on: date | None
    trigger_on: date
    payload: Mapping[str, Any]
    attempts: int
    timezone: str
    resends: int = 0
    """How often an operator sent it again (a failure after a resend is news to the admins)."""


@dataclass(frozen=True)
class ReminderMessage:
    """One message's worth of reminders for one recipient: a single reminder, several to
    collapse into one, or a weekly digest. The sender renders it (``bot.views.reminders``)."""

    telegram_id: int
    language: str
    entries: tuple[ReminderEntry, ...]
    at: datetime
    """When it is sent: days left are counted from here, in each entry's time zone."""

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.kind for e in self.entries))


# --- what the services report ------------------------------------------------------------------


@dataclass(frozen=True)
class PassReport:
    """What one delivery pass did."""

    at: datetime
    due: int
    recorded: int
    messages_sent: int
    reminders_sent: int
    failed: int
    undeliverable: int
    routed_to_admins: int
    reclaimed: int
    unconfirmed: int


@dataclass(frozen=True)
class OutboxView:
    """One outbox row, for ``sinergi reminders log``."""

    id: int
    kind: str
    threshold: int
    agreement_id: int | None
    milestone_id: int | None
    recipient: str
    status: str
    attempts: int
    trigger_on: date
    due_on: date | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    message_id: int | None
    resends: int = 0
    """How often an operator sent it again; ``resent_by`` asked last, at ``resent_at``."""
    resent_by: str | None = None
    resent_at: datetime | None = None


@dataclass(frozen=True)
class ResendReport:
    """What ``resend`` did with each id asked for, in the order asked."""

    resent: tuple[int, ...]
    """Back to ``pending``: the next delivery pass sends them."""
    refused: tuple[tuple[int, AppError], ...]
    """Left as they were, each with why (not found, not resendable, no recipient)."""


@dataclass(frozen=True)
class MilestoneContext:
    """A milestone with what a reminder button needs to check and answer."""

    milestone_id: int
    agreement_id: int
    title: str
    status: str
    due_on: date | None
    agreement_title: str
    party_codes: tuple[str, ...]


@dataclass(frozen=True)
class SnoozeView:
    """A "remind me later": until when, in the zone of the person who asked."""

    milestone_id: int
    agreement_id: int
    telegram_id: int
    until_at: datetime
    milestone_title: str
    timezone: str
