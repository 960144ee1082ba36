"""Planning reminders: what is due at an instant and for whom, snoozes, the reminder buttons' check.

:class:`ReminderPlanner` loads the facts (``ReminderRepository``) and the people (the access
directory, read once per pass through a :class:`Roster`), asks the
pure rules (:mod:`mou_tracker.reminders.rules` for *when*, :mod:`mou_tracker.reminders.planning`
for *whom*) and leaves out what the outbox already holds. Delivering is
:mod:`services.reminder_delivery`'s part.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules as access_rules
from core.clock import Clock, SystemClock, ensure_utc
from core.config import Settings
from core.errors import AppError
from mou_tracker.errors import MilestoneNotFound
from mou_tracker.reminders import planning
from mou_tracker.reminders.errors import InvalidSnooze, MilestoneSettled, ReminderActionDenied
from mou_tracker.reminders.planning import SNOOZE_DAYS, SNOOZE_RIPE_DAYS, RipeSnooze
from mou_tracker.reminders.repository import ReminderRepository
from mou_tracker.reminders.rules import LocalCalendar, ReminderPolicy, due_triggers, zone
from mou_tracker.reminders.schemas import (
    ADMINS,
    SETTLED_MILESTONE_STATUSES,
    AgreementFacts,
    DueReminder,
    MilestoneContext,
    MilestoneFacts,
    SnoozeView,
)

__all__ = ["SNOOZE_DAYS", "Person", "RecipientDirectory", "ReminderPlanner", "Roster"]


class Person(planning.Person, Protocol):
    """A user as the access service describes one (``accounts.schemas.UserView``)."""

    @property
    def name(self) -> str: ...


class RecipientDirectory(Protocol):
    """Who receives what: the part of ``services.access.AccessService`` reminders need."""

    def coordinators_for_region(self, code: str) -> Sequence[Person]: ...

    def admins(self) -> Sequence[Person]: ...

    def get_user(self, telegram_id: int) -> Person | None: ...


class Roster:
    """The directory seen once per pass: users are read once, not once per region or message.

    With the access service (it has ``list_users``), one query gives every user; a directory
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
            everyone = cast(Sequence[Person], lister())
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
            found = list(self._directory.coordinators_for_region(code))
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


class ReminderPlanner:
    """What is due, for whom; snoozes; who may act on a milestone from a reminder.

    Args:
        directory: who coordinates which region and who the admins are (``Services.access``);
            ``None`` leaves every reminder addressed to a ``region:<code>``/``admins``
            placeholder.
        timezone_of: region code -> IANA time zone (from the region directory).
        region_name: region code -> display name.
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
    ) -> None:
        self._sf = session_factory
        self._settings = settings
        self.policy = ReminderPolicy.from_settings(settings)
        self.directory = directory
        self._timezone_of = timezone_of or (lambda _code: settings.timezone)
        self._region_name = region_name or (lambda code: code)
        self._clock = clock or SystemClock()
        self._tz_cache: dict[str, str] = {}
        self._names: dict[str, str] = {}

    # --- lookups -------------------------------------------------------------------------------

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

    def name(self, code: str) -> str:
        """A region's display name (its code when the directory does not know it)."""
        found = self._names.get(code)
        if found is None:
            try:
                found = self._region_name(code)
            except (AppError, LookupError):
                found = code
            self._names[code] = found
        return found

    def roster(self) -> Roster:
        return Roster(self.directory)

    # --- what is due -------------------------------------------------------------------------

    def due(self, *, at: datetime) -> list[DueReminder]:
        """Every reminder due at ``at`` for every recipient, minus what the outbox holds."""
        return self.plan(ensure_utc(at), self.roster())

    def plan(self, at: datetime, roster: Roster) -> list[DueReminder]:
        """:meth:`due` with the pass's roster."""
        calendar = LocalCalendar(at, self.policy)
        base = at.date()
        policy = self.policy
        min_renewal = min((*policy.renewal_days, 0))
        max_renewal = max((*policy.renewal_days, 0))
        with self._sf.begin() as s:
            repo = ReminderRepository(s)
            agreements, milestones = repo.load_due_facts(
                due_from=base - timedelta(days=policy.lookback_days + 1),
                due_to=base + timedelta(days=policy.lookahead_days + 1),
                ends_from=base + timedelta(days=min_renewal - policy.catch_up_days - 1),
                ends_to=base + timedelta(days=max_renewal + 1),
                last_escalation=max(policy.escalation_days, default=None),
                today=base - timedelta(days=1),
            )
            snoozes = repo.snoozes(ending_after=at - timedelta(days=SNOOZE_RIPE_DAYS))
            ripe = [
                self._ripe(repo, z.id, z.telegram_id, z.milestone_id)
                for z in snoozes
                if z.until_at <= at
            ]
        by_agreement: dict[int, list[MilestoneFacts]] = defaultdict(list)
        for m in milestones:
            by_agreement[m.agreement_id].append(m)
        milestone_by_id = {m.id: m for m in milestones}
        snoozed = {(z.milestone_id, z.telegram_id) for z in snoozes if z.until_at > at}

        audiences: dict[str, list[planning.Audience]] = {}

        def people(audience: str) -> list[planning.Audience]:
            if audience not in audiences:
                found = (
                    roster.admins()
                    if audience == ADMINS
                    else roster.coordinators_for_region(audience)
                )
                audiences[audience] = planning.audience(audience, found, self._settings.language)
            return audiences[audience]

        out: list[DueReminder] = []
        for agreement in agreements:
            for trigger in due_triggers(
                agreement,
                by_agreement.get(agreement.id, ()),
                calendar=calendar,
                timezone_of=self.timezone_of,
            ):
                milestone = milestone_by_id.get(trigger.milestone_id or -1)
                for person in people(trigger.audience):
                    if (
                        trigger.milestone_id is not None
                        and person.telegram_id is not None
                        and (trigger.milestone_id, person.telegram_id) in snoozed
                    ):
                        continue
                    out.append(
                        planning.from_trigger(
                            trigger,
                            person,
                            agreement,
                            milestone,
                            name=self.name,
                            timezone_of=self.timezone_of,
                        )
                    )
        for snooze in ripe:
            reminder = planning.snooze_reminder(
                snooze,
                roster.get_user(snooze.telegram_id),
                calendar=calendar,
                name=self.name,
                timezone_of=self.timezone_of,
            )
            if reminder is not None:
                out.append(reminder)
        out += self._digests(calendar, roster)
        with self._sf.begin() as s:
            recorded = ReminderRepository(s).existing_keys({r.dedup_key for r in out})
        return planning.unique_and_new(out, recorded)

    @staticmethod
    def _ripe(
        repo: ReminderRepository, snooze_id: int, telegram_id: int, milestone_id: int
    ) -> RipeSnooze:
        milestone = repo.load_milestone(milestone_id)
        agreements: list[AgreementFacts] = []
        if milestone is not None:
            agreements, _ = repo.load_portfolio_for([milestone.agreement_id])
        return RipeSnooze(snooze_id, telegram_id, milestone, agreements[0] if agreements else None)

    def _digests(self, calendar: LocalCalendar, roster: Roster) -> list[DueReminder]:
        """Weekly digests not yet recorded: coordinators of every party region, and admins."""
        if not roster.available:
            return []
        with self._sf.begin() as s:
            regions = ReminderRepository(s).active_party_regions()
        candidates = planning.digest_candidates(
            calendar,
            regions=regions,
            coordinators=roster.coordinators_for_region,
            admins=roster.admins(),
            timezone_of=self.timezone_of,
        )
        if not candidates:
            return []
        with self._sf.begin() as s:
            repo = ReminderRepository(s)
            recorded = repo.existing_keys({c.dedup_key for c in candidates})
            wanted = [c for c in candidates if c.dedup_key not in recorded]
            if not wanted:
                return []
            agreements, milestones = repo.load_portfolio()
        return planning.digests(wanted, agreements, milestones, calendar=calendar, name=self.name)

    # --- the reminder buttons ----------------------------------------------------------------

    def authorize(self, telegram_id: int, milestone_id: int) -> MilestoneContext:
        """The milestone if ``telegram_id`` may act on it from a reminder.

        Admins may act on any milestone; a coordinator on those of agreements their region is a
        party to (or that they are bound to). The user is read afresh, never trusted from the
        button.

        Raises:
            MilestoneNotFound: no such milestone.
            ReminderActionDenied: the user may not act on it.
        """
        return self._authorize(telegram_id, milestone_id)[0]

    def _authorize(self, telegram_id: int, milestone_id: int) -> tuple[MilestoneContext, Person]:
        with self._sf.begin() as s:
            repo = ReminderRepository(s)
            milestone = repo.load_milestone(milestone_id)
            agreements: list[AgreementFacts] = []
            if milestone is not None:
                agreements, _ = repo.load_portfolio_for([milestone.agreement_id])
        if milestone is None or not agreements:
            raise MilestoneNotFound(milestone_id)
        agreement = agreements[0]
        person = self.directory.get_user(telegram_id) if self.directory else None
        if (
            person is None
            or not access_rules.allows(person, access_rules.Permission.UPDATE_MILESTONE)
            or not access_rules.may_act_on(person, agreement.id, agreement.party_codes)
        ):
            raise ReminderActionDenied(milestone_id=milestone_id)
        context = MilestoneContext(
            milestone_id=milestone.id,
            agreement_id=agreement.id,
            title=milestone.title,
            status=milestone.status,
            due_on=milestone.due_on,
            agreement_title=agreement.title,
            party_codes=agreement.party_codes,
        )
        return context, person

    def snooze(
        self,
        milestone_id: int,
        *,
        telegram_id: int,
        days: int = SNOOZE_DAYS,
        now: datetime | None = None,
    ) -> SnoozeView:
        """Hold this milestone's reminders for ``telegram_id`` and remind again after ``days``.

        The repeat goes out at the first working slot once the time is up (kind ``snooze``).
        """
        if not 1 <= days <= 30:
            raise InvalidSnooze(detail="days must be between 1 and 30", days=days)
        context, person = self._authorize(telegram_id, milestone_id)
        # An old reminder's button, pressed after the milestone was done: a snooze would
        # promise a reminder that is never sent (settled milestones are not reminded).
        if context.status in SETTLED_MILESTONE_STATUSES:
            raise MilestoneSettled(milestone_id=milestone_id, title=context.title)
        at = ensure_utc(now or self._clock.now())
        with self._sf.begin() as s:
            row = ReminderRepository(s).add_snooze(
                agreement_id=context.agreement_id,
                milestone_id=milestone_id,
                telegram_id=telegram_id,
                until_at=at + timedelta(days=days),
                now=at,
                created_by=f"tg:{telegram_id}",
            )
            return SnoozeView(
                row.milestone_id,
                row.agreement_id,
                row.telegram_id,
                row.until_at,
                milestone_title=context.title,
                timezone=self.timezone_of(person.region_code),
            )
