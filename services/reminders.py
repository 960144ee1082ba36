"""Reminders, escalations and weekly digests: ``Services.reminders``.

:class:`ReminderService` puts the two halves together for the transports: planning
(:mod:`services.reminder_planning`: what is due for whom, snoozes, the buttons' check) and
delivery (:mod:`services.reminder_delivery`: the exactly-once pass and its log). The rules are
pure functions in :mod:`mou_tracker.reminders` (``rules``: when; ``planning``: whom;
``outbox``: the state machine); rendering a message for Telegram is the bot's
(``bot.views.reminders``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock, ensure_utc
from core.config import Settings
from mou_tracker.dates import MAX_YEAR, MIN_YEAR
from mou_tracker.errors import MilestoneNotFound
from mou_tracker.reminders.errors import (
    InvalidInstant,
    InvalidSnooze,
    ReminderActionDenied,
    ReminderError,
    TransientSendError,
    UnconfirmedSendError,
    UndeliverableError,
)
from mou_tracker.reminders.planning import SNOOZE_DAYS, dedup_key, outbox_row
from mou_tracker.reminders.rules import ReminderPolicy, zone
from mou_tracker.reminders.schemas import (
    DueReminder,
    MilestoneContext,
    OutboxView,
    PassReport,
    ReminderEntry,
    ReminderMessage,
    ResendReport,
    SnoozeView,
)
from services.deferred import DeferredWrites
from services.reminder_delivery import ReminderDelivery, ReminderSender
from services.reminder_planning import Person, RecipientDirectory, ReminderPlanner

__all__ = [
    "SNOOZE_DAYS",
    "DueReminder",
    "InvalidInstant",
    "InvalidSnooze",
    "MilestoneContext",
    "MilestoneNotFound",
    "OutboxView",
    "PassReport",
    "Person",
    "RecipientDirectory",
    "ReminderActionDenied",
    "ReminderEntry",
    "ReminderError",
    "ReminderMessage",
    "ReminderSender",
    "ReminderService",
    "ResendReport",
    "SnoozeView",
    "TransientSendError",
    "UnconfirmedSendError",
    "UndeliverableError",
    "dedup_key",
    "outbox_row",
    "parse_instant",
]


def parse_instant(text: str, *, timezone: str, start_hour: int = 8) -> datetime:
    """An instant as operators type it, as aware UTC.

    ``2026-03-02T09:00+07:00`` (with offset), ``2026-03-02 09:00`` (wall clock in
    ``timezone``), ``2026-03-02`` (the start of that working day in ``timezone``).

    Raises:
        InvalidInstant: anything else.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            parsed = datetime(day.year, day.month, day.day, start_hour, tzinfo=zone(timezone))
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone(timezone))
        # The years the tracker's dates may take: beyond them the reminder ladders (days
        # before and after a due date) would leave the calendar (year 1 or 9999).
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ValueError(f"year {parsed.year}")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as err:
        raise InvalidInstant(value=text) from err


class ReminderService:
    """Due reminders, the delivery pass, the log and snoozes.

    Args:
        session_factory: sessions on the database holding the tracker and outbox tables.
        settings: reminder thresholds, working hours, default time zone and language.
        directory: who coordinates which region and who the admins are (``Services.access``);
            ``None`` leaves every reminder addressed to a ``region:<code>``/``admins``
            placeholder (``due`` still works, nothing can be delivered).
        timezone_of: region code -> IANA time zone (from the region directory).
        region_name: region code -> display name.
        lease: how long a claim holds rows; must exceed one send's worst-case duration
            (default: ``settings.reminder_lease_minutes``).
        max_attempts: transient failures after which a reminder is given up (undeliverable;
            default: ``settings.reminder_max_attempts``).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        directory: RecipientDirectory | None = None,
        timezone_of: Callable[[str], str] | None = None,
        region_name: Callable[[str], str] | None = None,
        clock: Clock | None = None,
        lease: timedelta | None = None,
        max_attempts: int | None = None,
        bookkeeping: sessionmaker[Session] | None = None,
    ) -> None:
        self._clock = clock
        self.planning = ReminderPlanner(
            session_factory,
            settings,
            directory=directory,
            timezone_of=timezone_of,
            region_name=region_name,
            clock=clock,
        )
        self.delivery = ReminderDelivery(
            session_factory,
            self.planning,
            lease=lease or timedelta(minutes=settings.reminder_lease_minutes),
            max_attempts=max_attempts or settings.reminder_max_attempts,
            bookkeeping=bookkeeping,
        )

    @property
    def policy(self) -> ReminderPolicy:
        return self.planning.policy

    def timezone_of(self, region_code: str | None) -> str:
        """The IANA zone of a region (the default zone for admins and unknown regions)."""
        return self.planning.timezone_of(region_code)

    def due(self, *, at: datetime) -> list[DueReminder]:
        """Every reminder due at ``at`` for every recipient, minus what the outbox holds."""
        return self.planning.due(at=at)

    def run_pass(
        self, *, now: datetime, sender: ReminderSender, deferred: DeferredWrites | None = None
    ) -> PassReport:
        """Record what is due at ``now`` and deliver everything ready (see the delivery);
        ``deferred``: where the "sent" marks go while the database is write-locked (the bot,
        which writes them once the lock is free)."""
        return self.delivery.run_pass(now=ensure_utc(now), sender=sender, deferred=deferred)

    def log(
        self, *, limit: int = 50, status: str | None = None, recipient: str | None = None
    ) -> list[OutboxView]:
        """Outbox rows, newest first: what was sent, to whom, when, and what failed."""
        return self.delivery.log(limit=limit, status=status, recipient=recipient)

    def resend(self, ids: Sequence[int], *, by: str, now: datetime | None = None) -> ResendReport:
        """Send ``unconfirmed`` or ``undeliverable`` reminders again at the next pass (as
        fresh reminders: working hours, staleness, the recipient's eligibility); any other id
        is refused and left as it was. ``by``: who asked, kept on the row."""
        at = ensure_utc(now or (self._clock or SystemClock()).now())
        return self.delivery.resend(ids, by=by, now=at)

    def resendable(self, *, limit: int = 10) -> list[OutboxView]:
        """The newest reminders an operator may send again (see :meth:`resend`)."""
        return self.delivery.resendable(limit=limit)

    def counts(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        return self.delivery.counts()

    def authorize(self, telegram_id: int, milestone_id: int) -> MilestoneContext:
        """The milestone if ``telegram_id`` may act on it from a reminder (see the planner)."""
        return self.planning.authorize(telegram_id, milestone_id)

    def snooze(
        self,
        milestone_id: int,
        *,
        telegram_id: int,
        days: int = SNOOZE_DAYS,
        now: datetime | None = None,
    ) -> SnoozeView:
        """Hold this milestone's reminders for ``telegram_id`` and remind again after ``days``."""
        return self.planning.snooze(milestone_id, telegram_id=telegram_id, days=days, now=now)
