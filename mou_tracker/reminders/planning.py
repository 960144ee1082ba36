"""Who gets which reminder: triggers expanded to people, snoozes, weekly digests, admin notices.

Pure functions over facts (:mod:`mou_tracker.reminders.schemas`), the people the service read
from the access directory, and two lookups (a region's name, a region's time zone). The
service (:mod:`services.reminder_planning`) loads the facts, calls these and records the
result; :mod:`mou_tracker.reminders.rules` decides *when* something is due.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Protocol

from mou_tracker.reminders.outbox import RULE_KINDS
from mou_tracker.reminders.rules import (
    AgreementOutlook,
    LocalCalendar,
    ReminderPolicy,
    digest_due,
    in_digest,
    outlook,
)
from mou_tracker.reminders.schemas import (
    ADMINS,
    SETTLED_MILESTONE_STATUSES,
    AgreementFacts,
    DueReminder,
    MilestoneFacts,
    OutboxRow,
    Trigger,
)

SNOOZE_DAYS: Final = 3
#: A snooze whose time came more than this long ago is not repeated any more.
SNOOZE_RIPE_DAYS: Final = 14
#: How many stalled and ending agreements the admins' weekly overview lists (it counts all).
PORTFOLIO_LISTED: Final = 40

RegionName = Callable[[str], str]
TimezoneOf = Callable[[str | None], str]


class Person(Protocol):
    """A user as the access service describes one (``accounts.schemas.UserView``)."""

    @property
    def telegram_id(self) -> int: ...
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


#: Reminders about a date (a milestone's due date, an agreement's end): their key names the
#: date, so moving it re-arms the steps already sent for the old one.
DATED_KINDS: Final = ("upcoming", "overdue", "escalation", "renewal")


def dedup_key(
    kind: str,
    agreement_id: int | None,
    milestone_id: int | None,
    threshold: int | str,
    recipient: str,
    *,
    on: date | None = None,
) -> str:
    """The outbox's uniqueness: one row per reminder per recipient (and per date ``on``, for
    :data:`DATED_KINDS`: "7 days before 15 December" is another reminder than "7 days before
    1 December"), ever. ``migrations/versions/0010`` rewrote the older keys to this form."""
    a = "-" if agreement_id is None else str(agreement_id)
    m = "-" if milestone_id is None else str(milestone_id)
    step = f"{threshold}" if on is None else f"{threshold}@{on.isoformat()}"
    return f"{kind}:{a}:{m}:{step}:{recipient}"


# --- rule reminders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """One recipient of an audience: a person, or a placeholder when nobody holds the role."""

    recipient: str
    telegram_id: int | None
    language: str
    region_code: str | None


def audience(audience: str, people: Sequence[Person], default_language: str) -> list[Audience]:
    """The active people of an audience (a region's coordinators, or :data:`ADMINS`).

    Nobody active: one placeholder (``region:<code>`` or ``admins``), so the reminder is still
    recorded and the admins hear that nobody could receive it.
    """
    region = None if audience == ADMINS else audience
    found = [
        Audience(f"tg:{p.telegram_id}", p.telegram_id, p.language or "id", region)
        for p in people
        if p.status == "active"
    ]
    if not found:
        placeholder = ADMINS if audience == ADMINS else f"region:{audience}"
        found = [Audience(placeholder, None, default_language, region)]
    return found


def from_trigger(
    trigger: Trigger,
    person: Audience,
    agreement: AgreementFacts,
    milestone: MilestoneFacts | None,
    *,
    name: RegionName,
    timezone_of: TimezoneOf,
) -> DueReminder:
    """A rule's trigger as a reminder for one recipient, with the names the message shows."""
    region = None if trigger.audience == ADMINS else trigger.audience
    details = {
        "partners": [name(c) for c in agreement.party_codes if c != region],
        "laggards": [name(c) for c in trigger.laggards],
        "region_name": name(region) if region else None,
    }
    return DueReminder(
        dedup_key=dedup_key(
            trigger.kind,
            trigger.agreement_id,
            trigger.milestone_id,
            trigger.threshold,
            person.recipient,
            on=trigger.due_on,
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
        timezone=timezone_of(region),
        language=person.language,
        agreement_title=agreement.title,
        agreement_number=agreement.number,
        milestone_title=milestone.title if milestone else None,
        laggards=trigger.laggards,
        details=details,
    )


@dataclass(frozen=True)
class RipeSnooze:
    """A snooze whose time is up, with what it is about (``None``: gone from the tracker)."""

    id: int
    telegram_id: int
    milestone: MilestoneFacts | None
    agreement: AgreementFacts | None


def snooze_reminder(
    snooze: RipeSnooze,
    person: Person | None,
    *,
    calendar: LocalCalendar,
    name: RegionName,
    timezone_of: TimezoneOf,
) -> DueReminder | None:
    """The "remind me again" of a ripe snooze, if it is still wanted and may go out now.

    Not for a milestone done or skipped since, an agreement no longer active, a person no
    longer active, or outside the person's working hours (a later pass sends it).
    """
    milestone, agreement = snooze.milestone, snooze.agreement
    if milestone is None or milestone.status in SETTLED_MILESTONE_STATUSES:
        return None
    if agreement is None or agreement.status != "active":
        return None
    if person is None or person.status != "active":
        return None
    tz = timezone_of(person.region_code)
    if not calendar.in_working_slot(tz):
        return None
    recipient = f"tg:{snooze.telegram_id}"
    return DueReminder(
        dedup_key=dedup_key("snooze", agreement.id, milestone.id, snooze.id, recipient),
        kind="snooze",
        threshold=snooze.id,
        agreement_id=agreement.id,
        milestone_id=milestone.id,
        recipient=recipient,
        telegram_id=snooze.telegram_id,
        region_code=person.region_code,
        due_on=milestone.due_on,
        trigger_on=calendar.today(tz),
        timezone=tz,
        language=person.language or "id",
        agreement_title=agreement.title,
        agreement_number=agreement.number,
        milestone_title=milestone.title,
        details={
            "partners": [name(c) for c in agreement.party_codes if c != person.region_code],
            "laggards": [],
            "region_name": None,
        },
    )


def unique_and_new(
    reminders: Iterable[DueReminder], recorded: Collection[str]
) -> list[DueReminder]:
    """Leave out what the outbox holds; one reminder per key (two rules may name someone
    twice); ordered by recipient, agreement, milestone and kind."""
    unique = {r.dedup_key: r for r in reminders if r.dedup_key not in recorded}
    return sorted(
        unique.values(),
        key=lambda r: (r.recipient, r.agreement_id or 0, r.milestone_id or 0, r.kind),
    )


# --- weekly digests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestCandidate:
    """A weekly digest someone should get now, if the outbox does not hold it yet."""

    kind: str  # "digest" (a coordinator's agreements) or "portfolio" (the admins' overview)
    person: Person
    timezone: str
    week: int

    @property
    def dedup_key(self) -> str:
        return dedup_key(self.kind, None, None, self.week, f"tg:{self.person.telegram_id}")


def digest_candidates(
    calendar: LocalCalendar,
    *,
    regions: Iterable[str],
    coordinators: Callable[[str], Sequence[Person]],
    admins: Sequence[Person],
    timezone_of: TimezoneOf,
) -> list[DigestCandidate]:
    """Coordinators of every party region (one digest each, in their region's zone) and the
    admins (the portfolio overview, in the default zone), where it is digest time now."""
    candidates: list[DigestCandidate] = []
    seen: set[tuple[str, int]] = set()
    for region in sorted(regions):
        tz = timezone_of(region)
        week = digest_due(calendar, tz)
        if week is None:
            continue
        for person in coordinators(region):
            if person.status == "active" and ("digest", person.telegram_id) not in seen:
                seen.add(("digest", person.telegram_id))
                candidates.append(DigestCandidate("digest", person, tz, week))
    tz = calendar.policy.default_timezone
    week = digest_due(calendar, tz)
    if week is not None:
        for person in admins:
            if person.status == "active" and ("portfolio", person.telegram_id) not in seen:
                seen.add(("portfolio", person.telegram_id))
                candidates.append(DigestCandidate("portfolio", person, tz, week))
    return candidates


def digests(
    wanted: Sequence[DigestCandidate],
    agreements: Sequence[AgreementFacts],
    milestones: Sequence[MilestoneFacts],
    *,
    calendar: LocalCalendar,
    name: RegionName,
) -> list[DueReminder]:
    """The digests of ``wanted`` (ordered by key) over the active portfolio."""
    policy = calendar.policy
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
            view = outlook(a, by_agreement.get(a.id, ()), today=today, policy=policy)
            outlooks[(a.id, today)] = view
        return view

    portfolios: dict[date, dict[str, Any]] = {}
    out = []
    for candidate in sorted(wanted, key=lambda c: c.dedup_key):
        person = candidate.person
        today = calendar.today(candidate.timezone)
        if candidate.kind == "digest":
            mine = {a.id: a for a in by_region.get(person.region_code or "", [])}
            for agreement_id in person.agreement_ids:
                if agreement_id in agreement_by_id:
                    mine[agreement_id] = agreement_by_id[agreement_id]
            details = digest_details(
                person, [mine[i] for i in sorted(mine)], outlook_of, today, name, policy
            )
        else:
            if today not in portfolios:
                portfolios[today] = portfolio_details(agreements, outlook_of, today, name)
            details = portfolios[today]
        out.append(
            DueReminder(
                dedup_key=candidate.dedup_key,
                kind=candidate.kind,
                threshold=candidate.week,
                agreement_id=None,
                milestone_id=None,
                recipient=f"tg:{person.telegram_id}",
                telegram_id=person.telegram_id,
                region_code=person.region_code if candidate.kind == "digest" else None,
                due_on=None,
                trigger_on=today,
                timezone=candidate.timezone,
                language=person.language or "id",
                details=details,
            )
        )
    return out


def digest_details(
    person: Person,
    mine: Sequence[AgreementFacts],
    outlook_of: Callable[[AgreementFacts, date], AgreementOutlook],
    today: date,
    name: RegionName,
    policy: ReminderPolicy,
) -> dict[str, Any]:
    """A coordinator's agreements: health, overdue and soon-due milestones, renewals."""
    items = []
    for a in mine:
        if not in_digest(a, today=today, policy=policy):
            continue
        view = outlook_of(a, today)
        items.append(
            {
                "id": a.id,
                "title": a.title,
                "partners": [name(c) for c in a.party_codes if c != person.region_code],
                "health": view.health,
                "overdue": [_milestone_brief(m) for m in view.overdue],
                "due_soon": [_milestone_brief(m) for m in view.due_soon],
                "renewal_due": view.renewal_due,
                "ends_on": a.ends_on.isoformat() if a.ends_on else None,
            }
        )
    return {
        "region_name": name(person.region_code) if person.region_code else None,
        "agreements": items,
        "ahead_days": policy.digest_ahead_days,
    }


def portfolio_details(
    agreements: Sequence[AgreementFacts],
    outlook_of: Callable[[AgreementFacts, date], AgreementOutlook],
    today: date,
    name: RegionName,
) -> dict[str, Any]:
    """The admins' overview: counts by health, the stalled ones, those nearing their end."""
    counts: dict[str, int] = defaultdict(int)
    stalled = []
    nearing_end = []
    for a in sorted(agreements, key=lambda a: a.id):
        view = outlook_of(a, today)
        counts[view.health] += 1
        parties = [name(c) for c in a.party_codes]
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


def _milestone_brief(m: MilestoneFacts) -> dict[str, Any]:
    return {"id": m.id, "title": m.title, "due_on": m.due_on.isoformat() if m.due_on else None}


# --- what is recorded ----------------------------------------------------------------------------


def outbox_row(r: DueReminder) -> OutboxRow:
    """A due reminder as the outbox records it; the payload is what its message will show."""
    return OutboxRow(
        dedup_key=r.dedup_key,
        kind=r.kind,
        threshold=r.threshold,
        agreement_id=r.agreement_id,
        milestone_id=r.milestone_id,
        recipient=r.recipient,
        telegram_id=r.telegram_id,
        region_code=r.region_code,
        language=r.language,
        due_on=r.due_on,
        trigger_on=r.trigger_on,
        payload={
            "agreement_title": r.agreement_title,
            "agreement_number": r.agreement_number,
            "milestone_title": r.milestone_title,
            "timezone": r.timezone,
            "laggard_codes": list(r.laggards),
            **dict(r.details),
        },
    )


class Undelivered(Protocol):
    """A recorded reminder nobody could receive (an outbox row, or its detached copy)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def threshold(self) -> int: ...
    @property
    def agreement_id(self) -> int | None: ...
    @property
    def milestone_id(self) -> int | None: ...
    @property
    def recipient(self) -> str: ...
    @property
    def telegram_id(self) -> int | None: ...
    @property
    def region_code(self) -> str | None: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def resends(self) -> int: ...
    @property
    def trigger_on(self) -> date: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


def admin_notices(
    entries: Iterable[Undelivered],
    admins: Sequence[Person],
    reason: str,
    *,
    name: RegionName,
    default_timezone: str,
) -> list[OutboxRow]:
    """Tell every active admin about reminders nobody could receive (never about their own).

    One notice per reminder and admin, however many of its recipients failed or in which way;
    only reminders about a region's milestones or agreements are worth a notice.
    """
    routable = [e for e in entries if e.kind in RULE_KINDS and e.region_code is not None]
    active = [a for a in admins if a.status == "active"]
    rows = []
    for e in routable:
        assert e.region_code is not None
        who = name(e.region_code) if e.telegram_id is None else e.recipient
        for admin in active:
            if admin.telegram_id == e.telegram_id:
                continue
            recipient = f"tg:{admin.telegram_id}"
            rows.append(
                OutboxRow(
                    dedup_key=dedup_key(
                        "undeliverable",
                        e.agreement_id,
                        e.milestone_id,
                        # Sent again by an operator and failed again: news, so a key of its
                        # own (a row never resent keeps the key it always had).
                        f"{e.kind}.{e.threshold}" + (f".r{e.resends}" if e.resends else ""),
                        recipient,
                        on=e.due_on if e.kind in DATED_KINDS else None,
                    ),
                    kind="undeliverable",
                    threshold=e.id,
                    agreement_id=e.agreement_id,
                    milestone_id=e.milestone_id,
                    recipient=recipient,
                    telegram_id=admin.telegram_id,
                    region_code=None,
                    language=admin.language or "id",
                    due_on=e.due_on,
                    trigger_on=e.trigger_on,
                    payload={
                        **dict(e.payload),
                        "timezone": default_timezone,  # the admins' zone
                        "original_kind": e.kind,
                        "original_recipient": who,
                        "region_name": name(e.region_code),
                        "reason": reason,
                        # The row an admin can send again once the cause is fixed (one for a
                        # role nobody held has nobody to go to).
                        "resend_id": e.id if e.telegram_id is not None else None,
                    },
                )
            )
    return rows
