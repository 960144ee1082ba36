"""Which reminders are due at an instant: pure functions of the facts, the policy and ``at``.

The rules never read the clock and never touch the database; :mod:`services.reminders` loads
the facts, expands audiences to people and records what was sent.

Ladders. For a milestone due on ``D`` (and not done or skipped) of an *active* agreement:

* the side that must act (the milestone's responsible region, or every party when none is
  named) climbs ``upcoming`` (``D - 7``, ``D - 1`` by default) then ``overdue`` (``D + 1``);
* the escalation ladder (``D + 14``, ``D + 30``) goes to the agreement's owner region and to
  the admins, naming the regions that have not acted. When the owner itself is the laggard
  the escalation goes to the admins only: nobody escalates to themselves.

For an agreement ending on ``E``, every party climbs ``renewal`` (``E - 90``, ``E - 30``).

Only the *current* rung of each ladder is due: after downtime a coordinator hears "due
tomorrow", not also the stale "due in 7 days". A rung older than ``catch_up_days`` is not
sent any more (the weekly digest still lists the milestone), so importing years-old
agreements does not flood anyone. The one exception is the escalation that replaced the stale
rungs: after a long outage an open milestone whose last escalation rung fell while Sinergi
held the agreement (on or after the day it was recorded) and before it ended still escalates,
once, with that rung. A rung that fell before the agreement was recorded is history that came
with the record, and stays unsent.

Time zones and working hours. Every audience lives in its region's time zone (WIB, WITA,
WIT); the admins in ``default_timezone``. A rung becomes due on its calendar day *in that
zone* and is only handed out while it is a working slot there (working day, working hours).
So a reminder that falls due on a Saturday, or at 03:00, goes out at the next working slot:
the first pass that runs in working hours on the next working day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.config import Settings
from mou_tracker import rules as tracker_rules
from mou_tracker.reminders.schemas import (
    ADMINS,
    SETTLED_MILESTONE_STATUSES,
    AgreementFacts,
    Kind,
    MilestoneFacts,
    Trigger,
)
from mou_tracker.schemas import AgreementFacts as TrackerAgreementFacts
from mou_tracker.schemas import MilestoneFacts as TrackerMilestoneFacts
from mou_tracker.schemas import Thresholds


@dataclass(frozen=True)
class ReminderPolicy:
    """The knobs of the rules (from :class:`core.config.Settings`)."""

    upcoming_days: tuple[int, ...] = (7, 1)
    overdue_days: tuple[int, ...] = (1,)
    escalation_days: tuple[int, ...] = (14, 30)
    renewal_days: tuple[int, ...] = (90, 30)
    working_hours_start: int = 8
    working_hours_end: int = 16
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = frozenset()
    """Public holidays and collective leave: not working days, whatever their weekday."""
    default_timezone: str = "Asia/Jakarta"
    catch_up_days: int = 14
    digest_ahead_days: int = 14
    stalled_after_days: int = 90
    at_risk_within_days: int = 14
    digest_ended_grace_days: int = 90
    """A digest leaves out agreements that ended longer ago than this."""

    def __post_init__(self) -> None:
        if not 0 <= self.working_hours_start < self.working_hours_end <= 24:
            raise ValueError("working hours must satisfy 0 <= start < end <= 24")
        if not self.working_days:
            raise ValueError("at least one working day is needed")

    @classmethod
    def from_settings(cls, settings: Settings) -> ReminderPolicy:
        return cls(
            upcoming_days=tuple(sorted(set(settings.reminder_upcoming_days), reverse=True)),
            overdue_days=tuple(sorted(set(settings.reminder_overdue_days))),
            escalation_days=tuple(sorted(set(settings.reminder_escalation_days))),
            renewal_days=tuple(sorted(set(settings.reminder_renewal_days), reverse=True)),
            working_hours_start=settings.working_hours_start,
            working_hours_end=settings.working_hours_end,
            working_days=frozenset(settings.working_days),
            holidays=frozenset(settings.holidays),
            catch_up_days=settings.reminder_catch_up_days,
            default_timezone=settings.timezone,
            stalled_after_days=settings.stalled_after_days,
            at_risk_within_days=settings.at_risk_within_days,
            digest_ended_grace_days=settings.digest_ended_grace_days,
        )

    @property
    def lookback_days(self) -> int:
        """How far back a milestone's due date can lie and still have a rung due."""
        return max((*self.overdue_days, *self.escalation_days, 0)) + self.catch_up_days + 1

    @property
    def lookahead_days(self) -> int:
        """How far ahead a milestone's due date can lie and already have a rung due."""
        return max((*self.upcoming_days, 0)) + 1


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A cached :class:`ZoneInfo` (raises ``ZoneInfoNotFoundError`` for unknown names)."""
    return ZoneInfo(name)


def is_working_day(day: date, policy: ReminderPolicy) -> bool:
    """A working weekday that is not a holiday."""
    return day.weekday() in policy.working_days and day not in policy.holidays


def is_working_slot(local: datetime, policy: ReminderPolicy) -> bool:
    """Whether a local wall-clock time is on a working day within working hours."""
    return (
        is_working_day(local.date(), policy)
        and policy.working_hours_start <= local.hour < policy.working_hours_end
    )


def next_working_slot(at: datetime, timezone: str, policy: ReminderPolicy) -> datetime:
    """The first instant at or after ``at`` that is a working slot in ``timezone`` (UTC)."""
    tz = zone(timezone)
    local = at.astimezone(tz)
    if is_working_slot(local, policy):
        return at.astimezone(UTC)
    day = local.date()
    if local.hour >= policy.working_hours_start:
        day += timedelta(days=1)
    for _ in range(len(policy.holidays) + 8):
        if is_working_day(day, policy):
            start = datetime.combine(day, time(policy.working_hours_start), tzinfo=tz)
            return start.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("a policy with working days always has a next slot")  # pragma: no cover


class LocalCalendar:
    """One instant seen from each time zone: its local date and whether it is a working slot.

    Built once per pass; the per-zone answers are cached because thousands of agreements share
    the four zones of Indonesia.
    """

    def __init__(self, at: datetime, policy: ReminderPolicy) -> None:
        if at.tzinfo is None:
            raise ValueError("the rules need an aware instant")
        self.at = at
        self.policy = policy
        self._cache: dict[str, tuple[date, bool, datetime]] = {}

    def _view(self, timezone: str) -> tuple[date, bool, datetime]:
        view = self._cache.get(timezone)
        if view is None:
            local = self.at.astimezone(zone(timezone))
            view = (local.date(), is_working_slot(local, self.policy), local)
            self._cache[timezone] = view
        return view

    def today(self, timezone: str) -> date:
        return self._view(timezone)[0]

    def local(self, timezone: str) -> datetime:
        return self._view(timezone)[2]

    def in_working_slot(self, timezone: str) -> bool:
        return self._view(timezone)[1]


Rung = tuple[date, Kind, int]


def _current_rung(rungs: Iterable[Rung], today: date, catch_up_days: int) -> Rung | None:
    """The latest rung that has come (trigger day <= today), if it is not too old to send."""
    best: Rung | None = None
    for rung in rungs:
        if rung[0] <= today and (best is None or rung[0] > best[0]):
            best = rung
    if best is None or (today - best[0]).days > catch_up_days:
        return None
    return best


def _missed_escalation(
    rungs: Iterable[Rung], today: date, agreement: AgreementFacts
) -> Rung | None:
    """The escalation an outage kept back: the latest rung that has come, if it fell while
    Sinergi held the agreement (see the module docstring) and the agreement still runs."""
    if agreement.recorded_on is None:
        return None
    if agreement.ends_on is not None and today > agreement.ends_on:
        return None
    came = [rung for rung in rungs if rung[0] <= today]
    if not came:
        return None
    latest = max(came, key=lambda rung: rung[0])
    return latest if latest[0] >= agreement.recorded_on else None


def _responsible_rungs(due_on: date, policy: ReminderPolicy) -> list[Rung]:
    rungs: list[Rung] = [(due_on - timedelta(days=d), "upcoming", d) for d in policy.upcoming_days]
    rungs += [(due_on + timedelta(days=d), "overdue", d) for d in policy.overdue_days]
    return rungs


def _escalation_rungs(due_on: date, policy: ReminderPolicy) -> list[Rung]:
    return [(due_on + timedelta(days=d), "escalation", d) for d in policy.escalation_days]


def _renewal_rungs(ends_on: date, policy: ReminderPolicy) -> list[Rung]:
    return [(ends_on - timedelta(days=d), "renewal", d) for d in policy.renewal_days]


def needs_reminders(milestone: MilestoneFacts) -> bool:
    """Done and skipped milestones, and milestones without a due date, are never reminded."""
    return milestone.due_on is not None and milestone.status not in SETTLED_MILESTONE_STATUSES


def acting_regions(agreement: AgreementFacts, milestone: MilestoneFacts) -> tuple[str, ...]:
    """The regions that must act on a milestone: the responsible one, or every party."""
    if milestone.responsible_region_code:
        return (milestone.responsible_region_code,)
    return agreement.party_codes


def due_triggers(
    agreement: AgreementFacts,
    milestones: Sequence[MilestoneFacts],
    *,
    calendar: LocalCalendar,
    timezone_of: Callable[[str], str],
) -> list[Trigger]:
    """Every reminder due for ``agreement`` at ``calendar.at``, one per audience and ladder.

    Args:
        calendar: the instant, with the policy, seen from each time zone.
        timezone_of: a region code -> its IANA time zone.
    """
    if agreement.status != "active":
        return []
    policy = calendar.policy
    out: list[Trigger] = []

    def admit(audience: str) -> tuple[date, bool]:
        tz = policy.default_timezone if audience == ADMINS else timezone_of(audience)
        return calendar.today(tz), calendar.in_working_slot(tz)

    for milestone in milestones:
        if milestone.agreement_id != agreement.id or not needs_reminders(milestone):
            continue
        due_on = milestone.due_on
        assert due_on is not None  # checked by needs_reminders
        acting = acting_regions(agreement, milestone)
        responsible = _responsible_rungs(due_on, policy)
        for region in acting:
            today, open_now = admit(region)
            if not open_now:
                continue
            rung = _current_rung(responsible, today, policy.catch_up_days)
            if rung is not None:
                out.append(
                    Trigger(rung[1], rung[2], agreement.id, milestone.id, region, due_on, rung[0])
                )
        escalations = _escalation_rungs(due_on, policy)
        audiences = [ADMINS]
        if agreement.owner_region_code and agreement.owner_region_code not in acting:
            audiences.insert(0, agreement.owner_region_code)
        for audience in audiences:
            today, open_now = admit(audience)
            if not open_now:
                continue
            rung = _current_rung(escalations, today, policy.catch_up_days)
            if rung is None:
                rung = _missed_escalation(escalations, today, agreement)
            if rung is not None:
                out.append(
                    Trigger(
                        rung[1],
                        rung[2],
                        agreement.id,
                        milestone.id,
                        audience,
                        due_on,
                        rung[0],
                        laggards=acting,
                    )
                )
    if agreement.ends_on is not None:
        renewals = _renewal_rungs(agreement.ends_on, policy)
        for region in agreement.party_codes:
            today, open_now = admit(region)
            if not open_now or today > agreement.ends_on:
                continue
            rung = _current_rung(renewals, today, policy.catch_up_days)
            if rung is not None:
                out.append(
                    Trigger(
                        rung[1], rung[2], agreement.id, None, region, agreement.ends_on, rung[0]
                    )
                )
    return out


def digest_week(local_today: date) -> int:
    """The ISO week a digest belongs to, as ``YYYYWW`` (its outbox threshold)."""
    iso = local_today.isocalendar()
    return iso.year * 100 + iso.week


def digest_due(calendar: LocalCalendar, timezone: str) -> int | None:
    """The week whose digest is due now in ``timezone``, or None.

    A digest is due on the first working day of the week (Monday by default; Tuesday when
    Monday is a holiday) in working hours: normally the first pass after 08:00 sends it; after
    a morning outage, the first pass later that day. A week whose digest day passed entirely in
    an outage gets none (the next one comes a week later); the outbox keeps it to one per week.
    A week without any working day gets no digest.
    """
    if not calendar.in_working_slot(timezone):
        return None
    today = calendar.today(timezone)
    monday = today - timedelta(days=today.weekday())
    first = next(
        (
            day
            for day in (monday + timedelta(days=n) for n in range(7))
            if is_working_day(day, calendar.policy)
        ),
        None,
    )
    if first != today:
        return None
    return digest_week(today)


@dataclass(frozen=True)
class AgreementOutlook:
    """An agreement as the weekly digest shows it."""

    agreement_id: int
    health: str
    overdue: tuple[MilestoneFacts, ...]
    due_soon: tuple[MilestoneFacts, ...]
    renewal_due: bool


def in_digest(agreement: AgreementFacts, *, today: date, policy: ReminderPolicy) -> bool:
    """Whether a weekly digest still lists the agreement: not one that ended (by its end date)
    more than ``digest_ended_grace_days`` ago, however its status was left (an "active" 2018
    agreement that ended in 2023 would otherwise bring its 2019 milestones every week)."""
    if agreement.ends_on is None:
        return True
    return (today - agreement.ends_on).days <= policy.digest_ended_grace_days


def outlook(
    agreement: AgreementFacts,
    milestones: Sequence[MilestoneFacts],
    *,
    today: date,
    policy: ReminderPolicy,
) -> AgreementOutlook:
    """Health (the tracker's rule), overdue and soon-due milestones of one agreement.

    ``milestones`` must be *all* the agreement's milestones (done ones included), so "paper
    only" (signed long ago, nothing done since) can be told apart.
    """
    thresholds = Thresholds(
        stalled_after_days=policy.stalled_after_days,
        at_risk_within_days=policy.at_risk_within_days,
        renewal_days=policy.renewal_days,
    )
    tracker_agreement = TrackerAgreementFacts(
        status=agreement.status, signed_on=agreement.signed_on, ends_on=agreement.ends_on
    )
    tracker_milestones = [
        TrackerMilestoneFacts(status=m.status, due_on=m.due_on, completed_on=m.completed_on)
        for m in milestones
    ]
    state = tracker_rules.health(tracker_agreement, tracker_milestones, today, thresholds)
    open_ = sorted(
        (m for m in milestones if needs_reminders(m)), key=lambda m: (m.due_on, m.position)
    )
    overdue = tuple(m for m in open_ if m.due_on is not None and m.due_on < today)
    horizon = today + timedelta(days=policy.digest_ahead_days)
    due_soon = tuple(m for m in open_ if m.due_on is not None and today <= m.due_on <= horizon)
    renewal = tracker_rules.renewal_due(tracker_agreement, today, thresholds)
    return AgreementOutlook(agreement.id, state, overdue, due_soon, renewal)
