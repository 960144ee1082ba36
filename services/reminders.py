"""Reminders, escalations and weekly digests, delivered exactly once through a sender.

``ReminderService.due(at=...)`` asks the pure rules (:mod:`mou_tracker.reminders.rules`) what is
due, expands each audience (a region, or the admins) to people through the access service,
and leaves out what the outbox already holds. ``run_pass(now=..., sender=...)`` records those
reminders in the outbox and delivers them, one message per recipient, through a
:class:`ReminderSender` (the bot's Telegram sender, or a fake in tests and benchmarks). The
messages themselves (texts and buttons) are rendered by :mod:`services.reminder_messages`.

Exactly once, in short (the full argument is in :mod:`mou_tracker.reminders.repository`): the
outbox row's unique ``dedup_key`` makes a reminder recordable once; a pass *claims* rows with a
lease before sending, commits ``sending`` right before the Telegram call and ``sent`` after
Telegram accepted it. A pass that dies before the call leaves ``claimed`` rows that go back to
``pending`` when the lease expires; one that dies during the call leaves ``sending`` rows that
become ``unconfirmed`` and are never re-sent (at most once, since the Bot API cannot tell us
whether the message arrived).

After downtime every reminder that fell due meanwhile is claimed in the same pass and goes out
as ONE message per recipient; the weekly digests are separate messages.

Failures: an :class:`UndeliverableError` (blocked the bot, chat gone), a recipient who left or
lost the role, or a region without a coordinator marks the reminder ``undeliverable`` and tells
the admins once; a :class:`TransientSendError` is retried with backoff (Telegram's
``retry_after``, else 1, 2, 4... minutes) and given up after ``max_attempts``. Nothing is sent
outside the recipient's working hours, retries included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from core.clock import Clock, SystemClock, ensure_utc
from core.config import Settings
from core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from mou_tracker.reminders import repository as repo
from mou_tracker.reminders.models import (
    FAILED,
    PENDING,
    UNDELIVERABLE,
    OutboxEntry,
)
from mou_tracker.reminders.rules import (
    AgreementOutlook,
    LocalCalendar,
    ReminderPolicy,
    digest_due,
    due_triggers,
    next_working_slot,
    outlook,
    zone,
)
from mou_tracker.reminders.schemas import ADMINS, AgreementFacts, MilestoneFacts, Trigger
from services.reminder_messages import OutgoingMessage, ReminderButton, ReminderRenderer

__all__ = [
    "DueReminder",
    "InvalidInstant",
    "MilestoneContext",
    "OutboxView",
    "OutgoingMessage",
    "PassReport",
    "ReminderButton",
    "ReminderError",
    "ReminderSender",
    "ReminderService",
    "SnoozeView",
    "TransientSendError",
    "UndeliverableError",
    "parse_instant",
]

#: Kinds the rules produce about one milestone or agreement (these are collapsed per recipient).
RULE_KINDS = ("upcoming", "overdue", "escalation", "renewal", "snooze")
#: Kinds that are always a message of their own.
DIGEST_KINDS = ("digest", "portfolio")
SNOOZE_DAYS = 3
#: A snooze whose time came more than this long ago is not repeated any more.
SNOOZE_RIPE_DAYS = 14
PORTFOLIO_LISTED = 40

# --- errors -------------------------------------------------------------------------------------


class ReminderError(AppError):
    """Base of the reminder errors."""

    code = "reminders.error"


class TransientSendError(ReminderError):
    """The sender could not deliver now but may later (rate limit, timeout, server error).

    Args:
        retry_after: seconds the transport asked us to wait, if it said.
    """

    code = "reminders.transient"

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail or self.code, detail=detail, retry_after=retry_after)
        self.retry_after = retry_after


class UndeliverableError(ReminderError):
    """Nobody will ever receive this message there (blocked the bot, chat gone, bad request)."""

    code = "reminders.undeliverable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code, detail=detail)


class MilestoneNotFound(NotFound):
    code = "reminders.milestone_not_found"


class ReminderActionDenied(PermissionDenied):
    code = "reminders.action_denied"


class InvalidSnooze(InvalidInput):
    code = "reminders.invalid_snooze"


class InvalidInstant(InvalidInput):
    code = "reminders.invalid_instant"


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
            local = datetime(day.year, day.month, day.day, start_hour, tzinfo=zone(timezone))
            return local.astimezone(UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        raise InvalidInstant(value=text) from err
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(timezone))
    return parsed.astimezone(UTC)


# --- what the service talks to ------------------------------------------------------------------


class Person(Protocol):
    """A user as the access service describes one (``accounts.schemas.UserView``)."""

    @property
    def telegram_id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def agreement_ids(self) -> tuple[int, ...]: ...


class RecipientDirectory(Protocol):
    """Who receives what: the part of ``services.access.AccessService`` reminders need."""

    def coordinators_for_region(self, code: str) -> Sequence[Person]: ...

    def admins(self) -> Sequence[Person]: ...

    def get_user(self, telegram_id: int) -> Person | None: ...


class ReminderSender(Protocol):
    """Delivers a message; returns the transport's message id.

    Raises:
        TransientSendError: try again later (the outbox schedules the retry with backoff).
        UndeliverableError: never deliverable to this recipient (routed to the admins).
    """

    def send(self, message: OutgoingMessage) -> int | None: ...


# --- results ------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class SnoozeView:
    milestone_id: int
    agreement_id: int
    telegram_id: int
    until_at: datetime


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


# --- the service --------------------------------------------------------------------------------


def dedup_key(
    kind: str,
    agreement_id: int | None,
    milestone_id: int | None,
    threshold: int | str,
    recipient: str,
) -> str:
    """The outbox's uniqueness: one row per reminder per recipient, ever."""
    a = "-" if agreement_id is None else str(agreement_id)
    m = "-" if milestone_id is None else str(milestone_id)
    return f"{kind}:{a}:{m}:{threshold}:{recipient}"


@dataclass
class _Audience:
    recipient: str
    telegram_id: int | None
    language: str
    region_code: str | None
    agreement_ids: tuple[int, ...] = ()


class _Roster:
    """The directory seen once per pass: users are read once, not once per region or message.

    With the access service (it has ``list_users``), two queries give every user; a directory
    with only the protocol's three methods is asked per region and cached.
    """

    def __init__(self, directory: RecipientDirectory | None) -> None:
        self._directory = directory
        self._by_region: dict[str, list[Person]] | None = None
        self._admins: list[Person] | None = None
        self._by_id: dict[int, Person] | None = None
        self._cache: dict[str, list[Person]] = {}
        lister = getattr(directory, "list_users", None)
        if callable(lister):
            everyone: Sequence[Person] = lister()
            self._by_id = {p.telegram_id: p for p in everyone}
            self._by_region = defaultdict(list)
            self._admins = []
            for p in everyone:
                if p.status != "active":
                    continue
                if p.role == "coordinator" and p.region_code:
                    self._by_region[p.region_code].append(p)
                elif p.role == "admin":
                    self._admins.append(p)

    @property
    def available(self) -> bool:
        return self._directory is not None

    def coordinators_for_region(self, code: str) -> Sequence[Person]:
        if self._by_region is not None:
            return self._by_region.get(code, [])
        if self._directory is None:
            return []
        found = self._cache.get(code)
        if found is None:
            found = [p for p in self._directory.coordinators_for_region(code)]
            self._cache[code] = found
        return found

    def admins(self) -> Sequence[Person]:
        if self._admins is None:
            self._admins = list(self._directory.admins()) if self._directory else []
        return self._admins

    def get_user(self, telegram_id: int) -> Person | None:
        if self._by_id is not None:
            return self._by_id.get(telegram_id)
        return self._directory.get_user(telegram_id) if self._directory else None


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
    ) -> None:
        self._sf = session_factory
        self._settings = settings
        self.policy = ReminderPolicy.from_settings(settings)
        self._directory = directory
        self._timezone_of = timezone_of or (lambda _code: settings.timezone)
        self._region_name = region_name or (lambda code: code)
        self._clock = clock or SystemClock()
        self._lease = lease or timedelta(minutes=settings.reminder_lease_minutes)
        self._max_attempts = max_attempts or settings.reminder_max_attempts
        self._tz_cache: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._renderer = ReminderRenderer(self.policy, self.timezone_of)

    # --- helpers ---------------------------------------------------------------------------

    def timezone_of(self, region_code: str | None) -> str:
        """The IANA zone of a region (the default zone for admins and unknown regions)."""
        if not region_code:
            return self.policy.default_timezone
        tz = self._tz_cache.get(region_code)
        if tz is None:
            try:
                tz = self._timezone_of(region_code)
                zone(tz)
            except (AppError, LookupError, ValueError):
                tz = self.policy.default_timezone
            self._tz_cache[region_code] = tz
        return tz

    def _name(self, code: str) -> str:
        name = self._names.get(code)
        if name is None:
            try:
                name = self._region_name(code)
            except (AppError, LookupError):
                name = code
            self._names[code] = name
        return name

    def _audiences(
        self, audience: str, cache: dict[str, list[_Audience]], roster: _Roster
    ) -> list[_Audience]:
        found = cache.get(audience)
        if found is not None:
            return found
        people = roster.admins() if audience == ADMINS else roster.coordinators_for_region(audience)
        region = None if audience == ADMINS else audience
        found = [
            _Audience(
                f"tg:{p.telegram_id}", p.telegram_id, p.language or "id", region, p.agreement_ids
            )
            for p in people
            if p.status == "active"
        ]
        if not found:
            placeholder = ADMINS if audience == ADMINS else f"region:{audience}"
            found = [_Audience(placeholder, None, self._settings.language, region)]
        cache[audience] = found
        return found

    # --- what is due -------------------------------------------------------------------------

    def due(self, *, at: datetime) -> list[DueReminder]:
        """Every reminder due at ``at`` for every recipient, minus what the outbox holds."""
        return self._due(ensure_utc(at), _Roster(self._directory))

    def _due(self, at: datetime, roster: _Roster) -> list[DueReminder]:
        calendar = LocalCalendar(at, self.policy)
        base = at.date()
        policy = self.policy
        min_renewal = min((*policy.renewal_days, 0))
        max_renewal = max((*policy.renewal_days, 0))
        with self._sf.begin() as s:
            agreements, milestones = repo.load_due_facts(
                s,
                due_from=base - timedelta(days=policy.lookback_days + 1),
                due_to=base + timedelta(days=policy.lookahead_days + 1),
                ends_from=base + timedelta(days=min_renewal - policy.catch_up_days - 1),
                ends_to=base + timedelta(days=max_renewal + 1),
            )
            snoozes = repo.snoozes(s, ending_after=at - timedelta(days=SNOOZE_RIPE_DAYS))
        by_agreement: dict[int, list[MilestoneFacts]] = defaultdict(list)
        for m in milestones:
            by_agreement[m.agreement_id].append(m)
        milestone_by_id = {m.id: m for m in milestones}
        snoozed = {(z.milestone_id, z.telegram_id) for z in snoozes if z.until_at > at}

        cache: dict[str, list[_Audience]] = {}
        out: list[DueReminder] = []
        for agreement in agreements:
            for trigger in due_triggers(
                agreement,
                by_agreement.get(agreement.id, ()),
                calendar=calendar,
                timezone_of=self.timezone_of,
            ):
                milestone = milestone_by_id.get(trigger.milestone_id or -1)
                for person in self._audiences(trigger.audience, cache, roster):
                    if (
                        trigger.milestone_id is not None
                        and person.telegram_id is not None
                        and (trigger.milestone_id, person.telegram_id) in snoozed
                    ):
                        continue
                    out.append(self._from_trigger(trigger, person, agreement, milestone))
        out += self._snoozed_due(at, calendar, snoozes, roster)
        out += self._digests_due(calendar, roster)
        keys = {r.dedup_key for r in out}
        with self._sf.begin() as s:
            recorded = repo.existing_keys(s, keys)
        out = [r for r in out if r.dedup_key not in recorded]
        # One reminder per key even if two rules named the same recipient twice.
        unique = {r.dedup_key: r for r in out}
        return sorted(
            unique.values(),
            key=lambda r: (r.recipient, r.agreement_id or 0, r.milestone_id or 0, r.kind),
        )

    def _from_trigger(
        self,
        trigger: Trigger,
        person: _Audience,
        agreement: AgreementFacts,
        milestone: MilestoneFacts | None,
    ) -> DueReminder:
        region = None if trigger.audience == ADMINS else trigger.audience
        details = {
            "partners": [self._name(c) for c in agreement.party_codes if c != region],
            "laggards": [self._name(c) for c in trigger.laggards],
            "region_name": self._name(region) if region else None,
        }
        return DueReminder(
            dedup_key=dedup_key(
                trigger.kind,
                trigger.agreement_id,
                trigger.milestone_id,
                trigger.threshold,
                person.recipient,
            ),
            kind=trigger.kind,
            threshold=trigger.threshold,
            agreement_id=trigger.agreement_id,
            milestone_id=trigger.milestone_id,
            recipient=person.recipient,
            telegram_id=person.telegram_id,
            region_code=region,
            due_on=trigger.due_on,
            trigger_on=trigger.trigger_on,
            timezone=self.timezone_of(region),
            language=person.language,
            agreement_title=agreement.title,
            agreement_number=agreement.number,
            milestone_title=milestone.title if milestone else None,
            laggards=trigger.laggards,
            details=details,
        )

    def _snoozed_due(
        self, at: datetime, calendar: LocalCalendar, snoozes: Sequence[Any], roster: _Roster
    ) -> list[DueReminder]:
        ripe = [z for z in snoozes if z.until_at <= at]
        if not ripe:
            return []
        out = []
        with self._sf.begin() as s:
            for z in ripe:
                milestone = repo.load_milestone(s, z.milestone_id)
                if milestone is None or milestone.status in ("done", "skipped"):
                    continue
                agreements, _ = repo.load_portfolio_for(s, [milestone.agreement_id])
                if not agreements or agreements[0].status != "active":
                    continue
                agreement = agreements[0]
                person = roster.get_user(z.telegram_id)
                if person is None or person.status != "active":
                    continue
                tz = self.timezone_of(person.region_code)
                if not calendar.in_working_slot(tz):
                    continue
                recipient = f"tg:{z.telegram_id}"
                out.append(
                    DueReminder(
                        dedup_key=dedup_key("snooze", agreement.id, milestone.id, z.id, recipient),
                        kind="snooze",
                        threshold=z.id,
                        agreement_id=agreement.id,
                        milestone_id=milestone.id,
                        recipient=recipient,
                        telegram_id=z.telegram_id,
                        region_code=person.region_code,
                        due_on=milestone.due_on,
                        trigger_on=calendar.today(tz),
                        timezone=tz,
                        language=person.language or "id",
                        agreement_title=agreement.title,
                        agreement_number=agreement.number,
                        milestone_title=milestone.title,
                        details={
                            "partners": [
                                self._name(c)
                                for c in agreement.party_codes
                                if c != person.region_code
                            ],
                            "laggards": [],
                            "region_name": None,
                        },
                    )
                )
        return out

    def _digests_due(self, calendar: LocalCalendar, roster: _Roster) -> list[DueReminder]:
        """Weekly digests not yet recorded: coordinators of every party region, and admins."""
        if not roster.available:
            return []
        with self._sf.begin() as s:
            regions = repo.active_party_regions(s)
        candidates: list[tuple[str, Person, str, int]] = []  # kind, person, tz, week
        seen: set[tuple[str, int]] = set()
        for region in sorted(regions):
            tz = self.timezone_of(region)
            week = digest_due(calendar, tz)
            if week is None:
                continue
            for person in roster.coordinators_for_region(region):
                if person.status == "active" and ("digest", person.telegram_id) not in seen:
                    seen.add(("digest", person.telegram_id))
                    candidates.append(("digest", person, tz, week))
        tz = self.policy.default_timezone
        week = digest_due(calendar, tz)
        if week is not None:
            for person in roster.admins():
                if person.status == "active" and ("portfolio", person.telegram_id) not in seen:
                    seen.add(("portfolio", person.telegram_id))
                    candidates.append(("portfolio", person, tz, week))
        if not candidates:
            return []
        keyed = {
            dedup_key(kind, None, None, week, f"tg:{p.telegram_id}"): (kind, p, tz, week)
            for kind, p, tz, week in candidates
        }
        with self._sf.begin() as s:
            missing = set(keyed) - repo.existing_keys(s, keyed)
            if not missing:
                return []
            agreements, milestones = repo.load_portfolio(s)
        by_agreement: dict[int, list[MilestoneFacts]] = defaultdict(list)
        for m in milestones:
            by_agreement[m.agreement_id].append(m)
        by_region: dict[str, list[AgreementFacts]] = defaultdict(list)
        for a in agreements:
            for code in a.party_codes:
                by_region[code].append(a)
        agreement_by_id = {a.id: a for a in agreements}
        outlooks: dict[tuple[int, date], AgreementOutlook] = {}

        def outlook_of(a: AgreementFacts, today: date) -> AgreementOutlook:
            view = outlooks.get((a.id, today))
            if view is None:
                view = outlook(a, by_agreement.get(a.id, ()), today=today, policy=self.policy)
                outlooks[(a.id, today)] = view
            return view

        portfolios: dict[date, dict[str, Any]] = {}
        out = []
        for key in sorted(missing):
            kind, person, tz, week = keyed[key]
            today = calendar.today(tz)
            if kind == "digest":
                mine = {a.id: a for a in by_region.get(person.region_code or "", [])}
                for agreement_id in person.agreement_ids:
                    if agreement_id in agreement_by_id:
                        mine[agreement_id] = agreement_by_id[agreement_id]
                details = self._digest_details(
                    person, [mine[i] for i in sorted(mine)], outlook_of, today
                )
            else:
                if today not in portfolios:
                    portfolios[today] = self._portfolio_details(agreements, outlook_of, today)
                details = portfolios[today]
            out.append(
                DueReminder(
                    dedup_key=key,
                    kind=kind,
                    threshold=week,
                    agreement_id=None,
                    milestone_id=None,
                    recipient=f"tg:{person.telegram_id}",
                    telegram_id=person.telegram_id,
                    region_code=person.region_code if kind == "digest" else None,
                    due_on=None,
                    trigger_on=today,
                    timezone=tz,
                    language=person.language or "id",
                    details=details,
                )
            )
        return out

    def _digest_details(
        self,
        person: Person,
        mine: Sequence[AgreementFacts],
        outlook_of: Callable[[AgreementFacts, date], AgreementOutlook],
        today: date,
    ) -> dict[str, Any]:
        items = []
        for a in mine:
            view = outlook_of(a, today)
            items.append(
                {
                    "id": a.id,
                    "title": a.title,
                    "partners": [self._name(c) for c in a.party_codes if c != person.region_code],
                    "health": view.health,
                    "overdue": [_milestone_brief(m) for m in view.overdue],
                    "due_soon": [_milestone_brief(m) for m in view.due_soon],
                    "renewal_due": view.renewal_due,
                    "ends_on": a.ends_on.isoformat() if a.ends_on else None,
                }
            )
        return {
            "region_name": self._name(person.region_code) if person.region_code else None,
            "agreements": items,
            "ahead_days": self.policy.digest_ahead_days,
        }

    def _portfolio_details(
        self,
        agreements: Sequence[AgreementFacts],
        outlook_of: Callable[[AgreementFacts, date], AgreementOutlook],
        today: date,
    ) -> dict[str, Any]:
        counts: dict[str, int] = defaultdict(int)
        stalled = []
        nearing_end = []
        for a in sorted(agreements, key=lambda a: a.id):
            view = outlook_of(a, today)
            counts[view.health] += 1
            parties = [self._name(c) for c in a.party_codes]
            if view.health == "stalled":
                stalled.append(
                    {
                        "id": a.id,
                        "title": a.title,
                        "parties": parties,
                        "signed_on": a.signed_on.isoformat() if a.signed_on else None,
                    }
                )
            if view.renewal_due and a.ends_on is not None:
                nearing_end.append(
                    {
                        "id": a.id,
                        "title": a.title,
                        "parties": parties,
                        "ends_on": a.ends_on.isoformat(),
                    }
                )
        nearing_end.sort(key=lambda item: str(item["ends_on"]))
        # The message lists the first few; the counts say how many there are in all.
        return {
            "total": len(agreements),
            "counts": dict(sorted(counts.items())),
            "stalled": stalled[:PORTFOLIO_LISTED],
            "stalled_count": len(stalled),
            "nearing_end": nearing_end[:PORTFOLIO_LISTED],
            "nearing_end_count": len(nearing_end),
        }

    # --- the delivery pass -------------------------------------------------------------------

    def run_pass(self, *, now: datetime, sender: ReminderSender) -> PassReport:
        """Record what is due at ``now`` and deliver everything ready, one message per recipient.

        Safe to run concurrently with another pass and after a crash of a previous one (see the
        module docstring).
        """
        now = ensure_utc(now)
        roster = _Roster(self._directory)
        with self._sf.begin() as s:
            reclaimed, unconfirmed = repo.recover_expired_leases(s, now)
        due = self._due(now, roster)
        recorded = 0
        routed = 0
        with self._sf.begin() as s:
            recorded = repo.enqueue(s, [self._outbox_row(r, now) for r in due])
            placeholders = [r.dedup_key for r in due if r.telegram_id is None]
            if placeholders:
                rows = repo.entries(s, dedup_keys=placeholders, statuses=[PENDING], limit=None)
                repo.mark_undeliverable_unclaimed(
                    s, [r.id for r in rows], now=now, error="no active recipient for this role"
                )
                routed += self._route_to_admins(s, rows, "no_recipient", now, roster)
        sent_messages = sent_reminders = failed = undeliverable = 0
        # A second round delivers what the first routed to the admins.
        for _round in range(3):
            with self._sf.begin() as s:
                claim_id, claimed = repo.claim(s, now=now, lease_until=now + self._lease)
                batch = [_snapshot(e) for e in claimed]
            if not batch:
                break
            # Deliveries Telegram accepted, to be marked ``sent`` in the next transaction we
            # open anyway (one commit per message instead of two). Until then they stay
            # ``sending``: a crash in between leaves them unconfirmed, never re-sent.
            unmarked: list[tuple[list[int], str, int | None]] = []
            try:
                for group in _groups(batch):
                    outcome = self._deliver(group, claim_id, now, sender, roster, unmarked)
                    sent_messages += outcome[0]
                    sent_reminders += outcome[1]
                    failed += outcome[2]
                    undeliverable += outcome[3]
                    routed += outcome[4]
            except Exception:
                self._flush_sent(unmarked, now)
                raise
            self._flush_sent(unmarked, now)
        return PassReport(
            at=now,
            due=len(due),
            recorded=recorded,
            messages_sent=sent_messages,
            reminders_sent=sent_reminders,
            failed=failed,
            undeliverable=undeliverable,
            routed_to_admins=routed,
            reclaimed=reclaimed,
            unconfirmed=unconfirmed,
        )

    def _outbox_row(self, r: DueReminder, now: datetime) -> dict[str, Any]:
        return {
            "dedup_key": r.dedup_key,
            "kind": r.kind,
            "threshold": r.threshold,
            "agreement_id": r.agreement_id,
            "milestone_id": r.milestone_id,
            "recipient": r.recipient,
            "telegram_id": r.telegram_id,
            "region_code": r.region_code,
            "language": r.language,
            "due_on": r.due_on,
            "trigger_on": r.trigger_on,
            "payload": {
                "agreement_title": r.agreement_title,
                "agreement_number": r.agreement_number,
                "milestone_title": r.milestone_title,
                "timezone": r.timezone,
                "laggard_codes": list(r.laggards),
                **dict(r.details),
            },
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }

    def _eligible(self, entry: _Entry, roster: _Roster) -> str | None:
        """Why the recipient may no longer receive ``entry`` (None if they still may)."""
        if not roster.available or entry.telegram_id is None:
            return "no_recipient"
        person = roster.get_user(entry.telegram_id)
        if person is None:
            return "left"
        if person.status != "active":
            return "inactive"
        if entry.kind == "undeliverable" or entry.kind == "portfolio":
            return None if person.role == "admin" else "lost_role"
        if entry.kind == "snooze":
            return None
        if entry.region_code is None:  # escalations to the admins
            return None if person.role == "admin" else "lost_role"
        if person.role == "coordinator" and person.region_code == entry.region_code:
            return None
        return "lost_role"

    def _flush_sent(self, unmarked: list[tuple[list[int], str, int | None]], now: datetime) -> None:
        if unmarked:
            with self._sf.begin() as s:
                _mark_all_sent(s, unmarked, now)

    def _deliver(
        self,
        group: list[_Entry],
        claim_id: str,
        now: datetime,
        sender: ReminderSender,
        roster: _Roster,
        unmarked: list[tuple[list[int], str, int | None]],
    ) -> tuple[int, int, int, int, int]:
        """Send one recipient's group.

        Returns:
            (messages, reminders, failed, undeliverable, routed to admins)
        """
        ids = [e.id for e in group]
        # A retry, or a row left from a pass that died, may come up after hours: it waits for
        # the recipient's next working slot like a fresh reminder would.
        zone_name = str(group[0].payload.get("timezone") or self.policy.default_timezone)
        slot = next_working_slot(now, zone_name, self.policy)
        if slot > now:
            with self._sf.begin() as s:
                _mark_all_sent(s, unmarked, now)
                _hand_back(s, ids, claim_id, now, next_attempt_at=slot)
            return 0, 0, 0, 0, 0
        reason = self._eligible(group[0], roster)
        if reason is not None:
            with self._sf.begin() as s:
                _mark_all_sent(s, unmarked, now)
                routed = self._give_up(
                    s, group, claim_id, now, roster, reason=reason, error=reason, attempted=False
                )
            return 0, 0, 0, len(ids), routed
        message = self.render(group, now=now)
        with self._sf.begin() as s:
            _mark_all_sent(s, unmarked, now)
            fenced = repo.mark_sending(
                s, ids, claim_id=claim_id, lease_until=now + self._lease, now=now
            )
            if not fenced:
                # Our lease ran out and another pass took (some of) the rows: leave them to it.
                _hand_back(s, ids, claim_id, now)
                return 0, 0, 0, 0, 0
        try:
            message_id = sender.send(message)
        except TransientSendError as err:
            attempts = max(e.attempts for e in group) + 1
            with self._sf.begin() as s:
                _mark_all_sent(s, unmarked, now)
                if attempts >= self._max_attempts:
                    error = f"gave up after {attempts} attempts: {err.params.get('detail')}"
                    routed = self._give_up(s, group, claim_id, now, roster, "gave_up", error)
                    return 0, 0, 0, len(ids), routed
                repo.release(
                    s,
                    ids,
                    claim_id=claim_id,
                    status=FAILED,
                    now=now,
                    error=str(err.params.get("detail") or err.code),
                    next_attempt_at=now + _backoff(attempts, err.retry_after),
                )
            return 0, 0, len(ids), 0, 0
        except UndeliverableError as err:
            with self._sf.begin() as s:
                _mark_all_sent(s, unmarked, now)
                error = str(err.params.get("detail") or err.code)
                routed = self._give_up(s, group, claim_id, now, roster, "blocked", error)
            return 0, 0, 0, len(ids), routed
        unmarked.append((ids, claim_id, message_id))
        return 1, len(ids), 0, 0, 0

    def _give_up(
        self,
        s: Session,
        group: Sequence[_Entry],
        claim_id: str,
        now: datetime,
        roster: _Roster,
        reason: str,
        error: str,
        *,
        attempted: bool = True,
    ) -> int:
        """Mark the group undeliverable and tell the admins; returns the notices recorded.

        ``attempted``: whether a send was tried (it counts as an attempt).
        """
        ids = [e.id for e in group]
        repo.release(
            s,
            ids,
            claim_id=claim_id,
            status=UNDELIVERABLE,
            now=now,
            error=error,
            count_attempt=attempted,
        )
        return self._route_to_admins(s, group, reason, now, roster)

    def _route_to_admins(
        self,
        s: Session,
        entries: Iterable[OutboxEntry | _Entry],
        reason: str,
        now: datetime,
        roster: _Roster,
    ) -> int:
        """Tell every admin about reminders nobody could receive (never about their own)."""
        routable = [e for e in entries if e.kind in RULE_KINDS and e.region_code is not None]
        if not routable:
            return 0
        admins = [a for a in roster.admins() if a.status == "active"]
        rows = []
        for e in routable:
            payload = dict(e.payload)
            who = (
                self._name(e.region_code)
                if e.telegram_id is None and e.region_code
                else e.recipient
            )
            for admin in admins:
                if admin.telegram_id == e.telegram_id:
                    continue
                recipient = f"tg:{admin.telegram_id}"
                rows.append(
                    {
                        # One notice per reminder and admin, however many of its
                        # recipients failed or in which way.
                        "dedup_key": dedup_key(
                            "undeliverable",
                            e.agreement_id,
                            e.milestone_id,
                            f"{e.kind}.{e.threshold}",
                            recipient,
                        ),
                        "kind": "undeliverable",
                        "threshold": e.id,
                        "agreement_id": e.agreement_id,
                        "milestone_id": e.milestone_id,
                        "recipient": recipient,
                        "telegram_id": admin.telegram_id,
                        "region_code": None,
                        "language": admin.language or "id",
                        "due_on": e.due_on,
                        "trigger_on": e.trigger_on,
                        "payload": {
                            **payload,
                            "timezone": self.policy.default_timezone,  # the admins' zone
                            "original_kind": e.kind,
                            "original_recipient": who,
                            "region_name": self._name(e.region_code) if e.region_code else None,
                            "reason": reason,
                        },
                        "status": PENDING,
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        return repo.enqueue(s, rows)

    # --- rendering (services.reminder_messages) ----------------------------------------------

    def render(self, group: Sequence[_Entry], *, now: datetime) -> OutgoingMessage:
        """One message for one recipient: a single reminder, a collapsed list, or a digest."""
        return self._renderer.render(group, now=now)

    def milestone_buttons(
        self, agreement_id: int, milestone_id: int, lang: str
    ) -> tuple[tuple[ReminderButton, ...], ...]:
        """The four actions on a milestone, two per row."""
        return self._renderer.milestone_buttons(agreement_id, milestone_id, lang)

    # --- log, snooze and button checks -------------------------------------------------------

    def log(
        self,
        *,
        limit: int = 50,
        status: str | None = None,
        recipient: str | None = None,
    ) -> list[OutboxView]:
        """Outbox rows, newest first: what was sent, to whom, when, and what failed."""
        if limit < 1:
            raise InvalidInput(detail="limit must be at least 1")
        with self._sf.begin() as s:
            rows = repo.entries(
                s, statuses=[status] if status else None, recipient=recipient, limit=limit
            )
            return [_view(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        with self._sf.begin() as s:
            return repo.status_counts(s)

    def milestone(self, milestone_id: int) -> MilestoneContext:
        """A milestone and its agreement's parties (NotFound ``reminders.milestone_not_found``)."""
        with self._sf.begin() as s:
            milestone = repo.load_milestone(s, milestone_id)
            if milestone is None:
                raise MilestoneNotFound(what=str(milestone_id), milestone_id=milestone_id)
            agreements, _ = repo.load_portfolio_for(s, [milestone.agreement_id])
        if not agreements:
            raise MilestoneNotFound(what=str(milestone_id), milestone_id=milestone_id)
        agreement = agreements[0]
        return MilestoneContext(
            milestone_id=milestone.id,
            agreement_id=agreement.id,
            title=milestone.title,
            status=milestone.status,
            due_on=milestone.due_on,
            agreement_title=agreement.title,
            party_codes=agreement.party_codes,
        )

    def authorize(self, telegram_id: int, milestone_id: int) -> MilestoneContext:
        """The milestone if ``telegram_id`` may act on it from a reminder.

        Admins may act on any milestone; a coordinator on those of agreements their region is a
        party to (or that they are bound to).

        Raises:
            MilestoneNotFound: no such milestone.
            ReminderActionDenied: the user may not act on it.
        """
        context = self.milestone(milestone_id)
        person = self._directory.get_user(telegram_id) if self._directory else None
        allowed = (
            person is not None
            and person.status == "active"
            and (
                person.role == "admin"
                or (
                    person.role == "coordinator"
                    and (
                        person.region_code in context.party_codes
                        or context.agreement_id in person.agreement_ids
                    )
                )
            )
        )
        if not allowed:
            raise ReminderActionDenied(milestone_id=milestone_id)
        return context

    def snooze(
        self,
        milestone_id: int,
        *,
        telegram_id: int,
        days: int = SNOOZE_DAYS,
        now: datetime | None = None,
        actor: str | None = None,
    ) -> SnoozeView:
        """Hold this milestone's reminders for ``telegram_id`` and remind again after ``days``.

        The repeat goes out at the first working slot once the time is up (kind ``snooze``).
        """
        if not 1 <= days <= 30:
            raise InvalidSnooze(detail="days must be between 1 and 30", days=days)
        context = self.authorize(telegram_id, milestone_id)
        at = ensure_utc(now or self._clock.now())
        with self._sf.begin() as s:
            row = repo.add_snooze(
                s,
                agreement_id=context.agreement_id,
                milestone_id=milestone_id,
                telegram_id=telegram_id,
                until_at=at + timedelta(days=days),
                now=at,
                created_by=actor or f"tg:{telegram_id}",
            )
            return SnoozeView(row.milestone_id, row.agreement_id, row.telegram_id, row.until_at)


# --- small helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    """An outbox row detached from its session."""

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


def _snapshot(e: OutboxEntry) -> _Entry:
    return _Entry(
        id=e.id,
        kind=e.kind,
        threshold=e.threshold,
        agreement_id=e.agreement_id,
        milestone_id=e.milestone_id,
        recipient=e.recipient,
        telegram_id=e.telegram_id,
        region_code=e.region_code,
        language=e.language,
        due_on=e.due_on,
        trigger_on=e.trigger_on,
        payload=dict(e.payload or {}),
        attempts=e.attempts,
    )


def _mark_all_sent(
    s: Session, unmarked: list[tuple[list[int], str, int | None]], now: datetime
) -> None:
    for ids, claim_id, message_id in unmarked:
        repo.mark_sent(s, ids, claim_id=claim_id, message_id=message_id, now=now)
    unmarked.clear()


def _hand_back(
    s: Session,
    ids: Sequence[int],
    claim_id: str,
    now: datetime,
    *,
    next_attempt_at: datetime | None = None,
) -> None:
    """Return claimed rows to ``pending`` without counting an attempt (nothing was sent)."""
    repo.release(
        s,
        ids,
        claim_id=claim_id,
        status=PENDING,
        now=now,
        error=None,
        next_attempt_at=next_attempt_at,
        count_attempt=False,
    )


def _groups(entries: Sequence[_Entry]) -> list[list[_Entry]]:
    """Per recipient: every rule reminder in one group (collapsed), each digest on its own."""
    groups: dict[tuple[Any, ...], list[_Entry]] = {}
    for e in entries:
        key: tuple[Any, ...] = (
            (e.telegram_id, e.kind, e.id) if e.kind in DIGEST_KINDS else (e.telegram_id, "rules")
        )
        groups.setdefault(key, []).append(e)
    return list(groups.values())


def _backoff(attempts: int, retry_after: float | None) -> timedelta:
    """What the transport asked for (RetryAfter), else 1, 2, 4... minutes, at most an hour."""
    if retry_after is not None:
        return timedelta(seconds=max(int(retry_after) + 1, 1))
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def _view(r: OutboxEntry) -> OutboxView:
    return OutboxView(
        id=r.id,
        kind=r.kind,
        threshold=r.threshold,
        agreement_id=r.agreement_id,
        milestone_id=r.milestone_id,
        recipient=r.recipient,
        status=r.status,
        attempts=r.attempts,
        trigger_on=r.trigger_on,
        due_on=r.due_on,
        created_at=r.created_at,
        updated_at=r.updated_at,
        sent_at=r.sent_at,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        message_id=r.message_id,
    )


def _milestone_brief(m: MilestoneFacts) -> dict[str, Any]:
    return {"id": m.id, "title": m.title, "due_on": m.due_on.isoformat() if m.due_on else None}
