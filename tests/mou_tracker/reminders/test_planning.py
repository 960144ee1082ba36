"""Who gets which reminder: audiences, snoozes, digests and admin notices, without a database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from mou_tracker.reminders import planning
from mou_tracker.reminders.rules import LocalCalendar, ReminderPolicy, in_digest
from mou_tracker.reminders.schemas import (
    ADMINS,
    AgreementFacts,
    MilestoneFacts,
    Trigger,
)

BANDUNG, KERINCI, JAYAPURA = "32.73", "15.01", "91.71"
ZONES = {BANDUNG: "Asia/Jakarta", KERINCI: "Asia/Jakarta", JAYAPURA: "Asia/Jayapura"}
NAMES = {BANDUNG: "Kota Bandung", KERINCI: "Kabupaten Kerinci", JAYAPURA: "Kota Jayapura"}
POLICY = ReminderPolicy()
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 WIB, 11:00 WIT
TUESDAY = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
AGREEMENT = AgreementFacts(
    1, "KB Hayu.Bdg", "active", BANDUNG, (BANDUNG, KERINCI), "1/KB", date(2025, 6, 1)
)
MILESTONE = MilestoneFacts(10, 1, "Pelatihan staf", "planned", date(2026, 3, 4), KERINCI, 1)


def tz(code: str | None) -> str:
    return ZONES.get(code or "", "Asia/Jakarta")


def name(code: str) -> str:
    return NAMES.get(code, code)


@dataclass(frozen=True)
class Person:
    telegram_id: int
    role: str = "coordinator"
    status: str = "active"
    region_code: str | None = KERINCI
    language: str = "id"
    agreement_ids: tuple[int, ...] = ()


def test_an_audience_without_anyone_active_gets_a_placeholder() -> None:
    people = [Person(1), Person(2, status="blocked")]
    assert planning.audience(KERINCI, people, "id") == [planning.Audience("tg:1", 1, "id", KERINCI)]
    assert planning.audience(KERINCI, [Person(2, status="blocked")], "en") == [
        planning.Audience(f"region:{KERINCI}", None, "en", KERINCI)
    ]
    assert planning.audience(ADMINS, [], "id")[0].recipient == "admins"


def test_a_trigger_becomes_a_reminder_with_the_names_it_shows() -> None:
    trigger = Trigger(
        "escalation", 14, 1, 10, ADMINS, date(2026, 2, 14), date(2026, 2, 28), (KERINCI,)
    )
    person = planning.audience(ADMINS, [Person(9, role="admin", region_code=None)], "id")[0]
    due = planning.from_trigger(trigger, person, AGREEMENT, MILESTONE, name=name, timezone_of=tz)
    assert due.dedup_key == "escalation:1:10:14@2026-02-14:tg:9"
    assert (due.region_code, due.timezone, due.milestone_title) == (
        None,
        "Asia/Jakarta",
        "Pelatihan staf",
    )
    assert due.details == {
        "partners": ["Kota Bandung", "Kabupaten Kerinci"],
        "laggards": ["Kabupaten Kerinci"],
        "region_name": None,
    }
    row = planning.outbox_row(due)
    assert row.payload["laggard_codes"] == [KERINCI] and row.payload["agreement_number"] == "1/KB"
    assert row.payload["partners"] == ["Kota Bandung", "Kabupaten Kerinci"]


def test_a_ripe_snooze_reminds_again_unless_its_reason_is_gone() -> None:
    calendar = LocalCalendar(TUESDAY, POLICY)
    ripe = planning.RipeSnooze(7, 5, MILESTONE, AGREEMENT)
    due = planning.snooze_reminder(ripe, Person(5), calendar=calendar, name=name, timezone_of=tz)
    assert due is not None and (due.kind, due.threshold, due.dedup_key) == (
        "snooze",
        7,
        "snooze:1:10:7:tg:5",
    )
    assert due.details["partners"] == ["Kota Bandung"]
    done = planning.RipeSnooze(7, 5, MilestoneFacts(10, 1, "X", "done", None), AGREEMENT)
    ended = planning.RipeSnooze(
        7, 5, MILESTONE, AgreementFacts(1, "X", "terminated", BANDUNG, (BANDUNG, KERINCI))
    )
    gone = planning.RipeSnooze(7, 5, None, None)
    evening = LocalCalendar(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), POLICY)  # 19:00 WIB
    for snooze, person, at in (
        (done, Person(5), calendar),
        (ended, Person(5), calendar),
        (gone, Person(5), calendar),
        (ripe, Person(5, status="blocked"), calendar),
        (ripe, None, calendar),
        (ripe, Person(5), evening),
    ):
        assert (
            planning.snooze_reminder(snooze, person, calendar=at, name=name, timezone_of=tz) is None
        )


def test_weekly_digests_go_to_each_coordinator_once_and_the_portfolio_to_admins() -> None:
    calendar = LocalCalendar(MONDAY, POLICY)
    both = Person(5, region_code=KERINCI)
    coordinators = {
        BANDUNG: [Person(4, region_code=BANDUNG)],
        KERINCI: [both, Person(6, status="blocked")],
    }
    admin = Person(9, role="admin", region_code=None)
    candidates = planning.digest_candidates(
        calendar,
        regions={KERINCI, BANDUNG},
        coordinators=lambda code: coordinators.get(code, []),
        admins=[admin],
        timezone_of=tz,
    )
    assert [(c.kind, c.person.telegram_id, c.week) for c in candidates] == [
        ("digest", 5, 202610),
        ("digest", 4, 202610),
        ("portfolio", 9, 202610),
    ]
    assert planning.digest_candidates(
        LocalCalendar(TUESDAY, POLICY), regions={KERINCI}, coordinators=lambda code: [both],
        admins=[admin], timezone_of=tz,
    ) == []  # fmt: skip
    overdue = MilestoneFacts(11, 1, "Go-live", "planned", date(2026, 2, 20), KERINCI, 2)
    digests = planning.digests(
        candidates, [AGREEMENT], [MILESTONE, overdue], calendar=calendar, name=name
    )
    by_recipient = {d.recipient: d for d in digests}
    mine = by_recipient["tg:5"].details
    assert mine["region_name"] == "Kabupaten Kerinci" and len(mine["agreements"]) == 1
    item = mine["agreements"][0]
    assert item["partners"] == ["Kota Bandung"] and item["health"] == "stalled"  # paper only
    assert [m["title"] for m in item["overdue"]] == ["Go-live"]
    assert [m["title"] for m in item["due_soon"]] == ["Pelatihan staf"]
    portfolio = by_recipient["tg:9"].details
    assert (portfolio["total"], portfolio["counts"]) == (1, {"stalled": 1})
    assert [a["id"] for a in portfolio["stalled"]] == [1]


def test_digests_leave_out_agreements_that_ended_long_ago() -> None:
    """A coordinator's weekly digest once listed seven 2019 milestones of a 2018 agreement that
    ended in 2023 (its status left "active"): an agreement ended longer ago than the grace
    period is left out; one that ended within it is still listed."""
    calendar = LocalCalendar(MONDAY, POLICY)
    [candidate] = planning.digest_candidates(
        calendar, regions={KERINCI}, coordinators=lambda code: [Person(5)], admins=[],
        timezone_of=tz,
    )  # fmt: skip
    ended_long_ago = AgreementFacts(
        2, "KB 2018", "active", BANDUNG, (BANDUNG, KERINCI), "2/KB", date(2018, 10, 30),
        ends_on=date(2023, 10, 30),
    )  # fmt: skip
    ended_lately = AgreementFacts(
        3, "KB 2021", "active", BANDUNG, (BANDUNG, KERINCI), "3/KB", date(2021, 3, 1),
        ends_on=date(2026, 2, 1),
    )  # fmt: skip
    old = [
        MilestoneFacts(20 + i, 2, f"Tahap {i}", "planned", date(2019, i, 1), KERINCI, i)
        for i in range(1, 8)
    ]
    [digest] = planning.digests(
        [candidate], [AGREEMENT, ended_long_ago, ended_lately], [MILESTONE, *old],
        calendar=calendar, name=name,
    )  # fmt: skip
    assert [a["id"] for a in digest.details["agreements"]] == [1, 3]
    assert in_digest(ended_lately, today=date(2026, 3, 2), policy=POLICY)
    assert not in_digest(
        ended_lately, today=date(2026, 6, 1), policy=POLICY
    )  # 120 days after its end


def test_admins_hear_once_about_what_nobody_could_receive() -> None:
    @dataclass(frozen=True)
    class Entry:
        id: int
        kind: str
        threshold: int
        agreement_id: int | None
        milestone_id: int | None
        recipient: str
        telegram_id: int | None
        region_code: str | None
        due_on: date | None
        trigger_on: date
        payload: dict[str, object]
        resends: int = 0

    lost = Entry(
        3,
        "upcoming",
        1,
        1,
        10,
        f"region:{KERINCI}",
        None,
        KERINCI,
        None,
        date(2026, 3, 3),
        {"timezone": "Asia/Jakarta"},
    )
    own = Entry(4, "escalation", 14, 1, 10, "tg:9", 9, BANDUNG, None, date(2026, 3, 3), {})
    digest = Entry(5, "digest", 202610, None, None, "tg:5", 5, KERINCI, None, date(2026, 3, 2), {})
    admins = [
        Person(9, role="admin"),
        Person(8, role="admin", status="blocked"),
        Person(7, role="admin", language="en"),
    ]
    notices = planning.admin_notices(
        [lost, own, digest], admins, "no_recipient", name=name, default_timezone="Asia/Jakarta"
    )
    assert [(n.recipient, n.threshold, n.language) for n in notices] == [
        ("tg:9", 3, "id"),
        ("tg:7", 3, "en"),
        ("tg:7", 4, "en"),  # never about an admin's own reminder
    ]
    assert notices[0].dedup_key == "undeliverable:1:10:upcoming.1:tg:9"
    assert notices[0].payload["original_recipient"] == "Kabupaten Kerinci"
    assert notices[2].payload["original_recipient"] == "tg:9"
    assert notices[0].payload["reason"] == "no_recipient"
    # Nobody held the role: no row to send again. Tg:9's own reminder can be.
    assert notices[0].payload["resend_id"] is None and notices[2].payload["resend_id"] == 4
    # Sent again and failed again: a notice of its own, once per resend.
    again = planning.admin_notices(
        [replace(own, resends=2)], admins, "blocked", name=name, default_timezone="Asia/Jakarta"
    )
    assert again[0].dedup_key == notices[2].dedup_key.replace("escalation.14", "escalation.14.r2")


def test_what_the_outbox_holds_is_left_out_and_keys_are_unique() -> None:
    trigger = Trigger("upcoming", 1, 1, 10, KERINCI, date(2026, 3, 4), date(2026, 3, 3))
    people = planning.audience(KERINCI, [Person(2), Person(1)], "id")
    reminders = [
        planning.from_trigger(trigger, p, AGREEMENT, MILESTONE, name=name, timezone_of=tz)
        for p in [*people, people[0]]
    ]
    kept = planning.unique_and_new(reminders, recorded={"upcoming:1:10:1@2026-03-04:tg:2"})
    assert [r.recipient for r in kept] == ["tg:1"]
    assert planning.dedup_key("digest", None, None, 202610, "tg:1") == "digest:-:-:202610:tg:1"
