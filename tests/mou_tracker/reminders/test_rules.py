"""The reminder rules at fixed instants, across WIB, WITA and WIT, working hours and weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.config import Settings
from mou_tracker.reminders.rules import (
    LocalCalendar,
    ReminderPolicy,
    digest_due,
    due_triggers,
    is_working_slot,
    next_working_slot,
    outlook,
)
from mou_tracker.reminders.schemas import ADMINS, AgreementFacts, MilestoneFacts, Trigger

BANDUNG = "32.73"  # Kota Bandung, WIB (UTC+7)
MAKASSAR = "73.71"  # Kota Makassar, WITA (UTC+8)
JAYAPURA = "91.71"  # Kota Jayapura, WIT (UTC+9)
KERINCI = "15.01"  # Kabupaten Kerinci, WIB
ZONES = {
    BANDUNG: "Asia/Jakarta",
    MAKASSAR: "Asia/Makassar",
    JAYAPURA: "Asia/Jayapura",
    KERINCI: "Asia/Jakarta",
}
POLICY = ReminderPolicy()

# 2026-03-02 is a Monday; 02:00 UTC is 09:00 WIB, 10:00 WITA, 11:00 WIT.
MONDAY_0900_WIB = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def agreement(
    *parties: str,
    owner: str | None = None,
    status: str = "active",
    ends_on: date | None = None,
    agreement_id: int = 1,
    recorded_on: date | None = None,
) -> AgreementFacts:
    codes = parties or (BANDUNG, KERINCI)
    return AgreementFacts(
        id=agreement_id,
        title="Replikasi Hayu.Bdg",
        status=status,
        owner_region_code=owner or codes[0],
        party_codes=codes,
        number="045.2/1/Diskominfo",
        signed_on=date(2025, 6, 1),
        ends_on=ends_on,
        recorded_on=recorded_on,
    )


def milestone(
    due_on: date | None,
    *,
    responsible: str | None = KERINCI,
    status: str = "planned",
    milestone_id: int = 10,
    agreement_id: int = 1,
) -> MilestoneFacts:
    return MilestoneFacts(
        id=milestone_id,
        agreement_id=agreement_id,
        title="Pelatihan staf",
        status=status,
        due_on=due_on,
        responsible_region_code=responsible,
    )


def triggers(
    a: AgreementFacts, ms: list[MilestoneFacts], at: datetime, policy: ReminderPolicy = POLICY
) -> list[Trigger]:
    return due_triggers(a, ms, calendar=LocalCalendar(at, policy), timezone_of=ZONES.__getitem__)


def summary(found: list[Trigger]) -> set[tuple[str, int, str]]:
    return {(t.kind, t.threshold, t.audience) for t in found}


# --- the ladders --------------------------------------------------------------------------------


def test_upcoming_seven_days_before_goes_to_the_responsible_region() -> None:
    found = triggers(agreement(), [milestone(date(2026, 3, 9))], MONDAY_0900_WIB)
    assert summary(found) == {("upcoming", 7, KERINCI)}
    assert found[0].trigger_on == date(2026, 3, 2)
    assert found[0].due_on == date(2026, 3, 9)


def test_upcoming_one_day_before() -> None:
    found = triggers(agreement(), [milestone(date(2026, 3, 3))], MONDAY_0900_WIB)
    assert summary(found) == {("upcoming", 1, KERINCI)}


def test_between_rungs_the_last_one_passed_is_still_current() -> None:
    # Due Friday 6 March: the 7-day rung was 27 Feb, the 1-day rung is 5 March.
    found = triggers(agreement(), [milestone(date(2026, 3, 6))], MONDAY_0900_WIB)
    assert summary(found) == {("upcoming", 7, KERINCI)}
    assert found[0].trigger_on == date(2026, 2, 27)


def test_after_downtime_only_the_current_rung_is_due_not_the_stale_one() -> None:
    # Due tomorrow: the 7-day rung fell in the downtime, only "due tomorrow" is sent.
    found = triggers(agreement(), [milestone(date(2026, 3, 3))], MONDAY_0900_WIB)
    assert [t.threshold for t in found] == [1]


def test_nothing_before_the_first_rung() -> None:
    assert triggers(agreement(), [milestone(date(2026, 3, 20))], MONDAY_0900_WIB) == []


def test_overdue_the_day_after_falls_on_saturday_and_goes_out_monday() -> None:
    due_friday = milestone(date(2026, 2, 27))
    saturday = datetime(2026, 2, 28, 3, 0, tzinfo=UTC)  # 10:00 WIB on a Saturday
    assert triggers(agreement(), [due_friday], saturday) == []
    found = triggers(agreement(), [due_friday], MONDAY_0900_WIB)
    assert summary(found) == {("overdue", 1, KERINCI)}
    assert found[0].trigger_on == date(2026, 2, 28)


def test_escalation_after_14_days_goes_to_owner_and_admins_naming_the_laggard() -> None:
    # Due 14 Feb: escalation/14 fell on Saturday 28 Feb, so it goes out on Monday; the overdue
    # rung (15 Feb) is older than the 14-day catch-up window.
    found = triggers(agreement(), [milestone(date(2026, 2, 14))], MONDAY_0900_WIB)
    assert summary(found) == {("escalation", 14, BANDUNG), ("escalation", 14, ADMINS)}
    assert all(t.laggards == (KERINCI,) for t in found)
    # Due 16 Feb: the overdue rung (17 Feb) is 13 days old and still within catch-up.
    found = triggers(agreement(), [milestone(date(2026, 2, 16))], MONDAY_0900_WIB)
    assert ("overdue", 1, KERINCI) in summary(found)


def test_escalation_after_30_days_supersedes_the_14_day_one() -> None:
    found = triggers(agreement(), [milestone(date(2026, 1, 31))], MONDAY_0900_WIB)
    assert summary(found) == {("escalation", 30, BANDUNG), ("escalation", 30, ADMINS)}


def test_an_owner_that_is_itself_late_is_escalated_to_the_admins_only() -> None:
    late_owner = milestone(date(2026, 2, 14), responsible=BANDUNG)
    found = triggers(agreement(), [late_owner], MONDAY_0900_WIB)
    assert summary(found) == {("escalation", 14, ADMINS)}
    assert found[0].laggards == (BANDUNG,)


def test_a_milestone_without_responsible_region_reminds_every_party() -> None:
    shared = milestone(date(2026, 3, 9), responsible=None)
    found = triggers(agreement(BANDUNG, KERINCI, MAKASSAR), [shared], MONDAY_0900_WIB)
    assert summary(found) == {
        ("upcoming", 7, BANDUNG),
        ("upcoming", 7, KERINCI),
        ("upcoming", 7, MAKASSAR),
    }


def test_renewal_90_and_30_days_before_the_end_to_every_party() -> None:
    ends_90 = agreement(ends_on=date(2026, 5, 31))  # 90 days after 2 March
    assert summary(triggers(ends_90, [], MONDAY_0900_WIB)) == {
        ("renewal", 90, BANDUNG),
        ("renewal", 90, KERINCI),
    }
    ends_30 = agreement(ends_on=date(2026, 4, 1))
    found = triggers(ends_30, [], MONDAY_0900_WIB)
    assert {t.threshold for t in found} == {30}
    assert all(t.milestone_id is None and t.due_on == date(2026, 4, 1) for t in found)


def test_rungs_older_than_the_catch_up_window_are_not_sent() -> None:
    # Overdue since 1 Feb: the 1-day rung (2 Feb) is 28 days old; the 30-day escalation is 2 Mar.
    found = triggers(agreement(), [milestone(date(2026, 1, 1))], MONDAY_0900_WIB)
    assert found == []  # escalation/30 fell on 31 Jan: more than 14 days ago
    tight = ReminderPolicy(catch_up_days=0)
    assert triggers(agreement(), [milestone(date(2026, 3, 6))], MONDAY_0900_WIB, tight) == []


def test_after_a_long_outage_the_last_escalation_still_goes_out_but_no_stale_reminder() -> None:
    # Due 1 Jan, recorded long before: escalation/30 fell on 31 Jan while the scheduler was
    # down; the coordinator's "overdue" (2 Jan) is stale, the escalation replaces it.
    held = agreement(recorded_on=date(2025, 6, 1))
    found = triggers(held, [milestone(date(2026, 1, 1))], MONDAY_0900_WIB)
    assert summary(found) == {("escalation", 30, BANDUNG), ("escalation", 30, ADMINS)}
    assert {t.trigger_on for t in found} == {date(2026, 1, 31)}
    # Eight months late: still only the last rung, once (the outbox keeps it to one).
    found = triggers(held, [milestone(date(2025, 7, 1))], MONDAY_0900_WIB)
    assert summary(found) == {("escalation", 30, BANDUNG), ("escalation", 30, ADMINS)}


@pytest.mark.parametrize(
    ("recorded_on", "ends_on"),
    [
        (date(2026, 2, 20), None),  # recorded after the rung fell: history, not an outage
        (date(2025, 6, 1), date(2026, 2, 28)),  # the agreement ended meanwhile
        (None, None),  # not known when it was recorded
    ],
)
def test_an_old_escalation_is_not_caught_up_for_history_or_ended_agreements(
    recorded_on: date | None, ends_on: date | None
) -> None:
    a = agreement(recorded_on=recorded_on, ends_on=ends_on)
    assert triggers(a, [milestone(date(2026, 1, 1))], MONDAY_0900_WIB) == []


@pytest.mark.parametrize("status", ["done", "skipped"])
def test_settled_milestones_are_never_reminded(status: str) -> None:
    assert (
        triggers(agreement(), [milestone(date(2026, 3, 3), status=status)], MONDAY_0900_WIB) == []
    )


@pytest.mark.parametrize("status", ["blocked", "in_progress"])
def test_open_milestones_in_any_other_status_are_reminded(status: str) -> None:
    found = triggers(agreement(), [milestone(date(2026, 3, 3), status=status)], MONDAY_0900_WIB)
    assert summary(found) == {("upcoming", 1, KERINCI)}


@pytest.mark.parametrize("status", ["draft", "expired", "terminated", "completed"])
def test_only_active_agreements_are_reminded(status: str) -> None:
    a = agreement(status=status, ends_on=date(2026, 4, 1))
    assert triggers(a, [milestone(date(2026, 3, 3))], MONDAY_0900_WIB) == []


def test_milestones_without_a_due_date_or_of_another_agreement_are_ignored() -> None:
    found = triggers(
        agreement(), [milestone(None), milestone(date(2026, 3, 3), agreement_id=2)], MONDAY_0900_WIB
    )
    assert found == []


# --- time zones and working hours ---------------------------------------------------------------


def test_before_eight_in_wib_it_is_already_working_time_in_wit() -> None:
    at = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 WIB, 08:30 WITA, 09:30 WIT
    shared = milestone(date(2026, 3, 9), responsible=None)
    found = triggers(agreement(BANDUNG, MAKASSAR, JAYAPURA), [shared], at)
    assert summary(found) == {("upcoming", 7, MAKASSAR), ("upcoming", 7, JAYAPURA)}


def test_late_afternoon_in_wib_is_after_hours_in_wit() -> None:
    at = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # 15:30 WIB, 16:30 WITA, 17:30 WIT
    shared = milestone(date(2026, 3, 9), responsible=None)
    found = triggers(agreement(BANDUNG, MAKASSAR, JAYAPURA), [shared], at)
    assert summary(found) == {("upcoming", 7, BANDUNG)}


def test_the_local_date_decides_the_rung_in_each_time_zone() -> None:
    # Sunday 23:30 UTC is Monday 08:30 in Jayapura but still Monday 06:30 in Jakarta.
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    due_tuesday = milestone(date(2026, 3, 3), responsible=None)
    found = triggers(agreement(BANDUNG, JAYAPURA), [due_tuesday], at)
    assert summary(found) == {("upcoming", 1, JAYAPURA)}
    assert found[0].trigger_on == date(2026, 3, 2)


def test_admins_live_in_the_default_time_zone() -> None:
    late = milestone(date(2026, 2, 14), responsible=JAYAPURA)
    at = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 WIB (admins closed), 09:30 WIT
    found = triggers(agreement(BANDUNG, JAYAPURA, owner=JAYAPURA), [late], at)
    assert found == []  # the owner is the laggard (admins only) and admins are not at work yet
    wita_admins = ReminderPolicy(default_timezone="Asia/Makassar")
    found = triggers(agreement(BANDUNG, JAYAPURA, owner=JAYAPURA), [late], at, wita_admins)
    assert summary(found) == {("escalation", 14, ADMINS)}


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 3, 2, 8, 0), True),  # Monday 08:00
        (datetime(2026, 3, 2, 15, 59), True),
        (datetime(2026, 3, 2, 16, 0), False),  # end is exclusive
        (datetime(2026, 3, 2, 7, 59), False),
        (datetime(2026, 3, 6, 9, 0), True),  # Friday
        (datetime(2026, 3, 7, 9, 0), False),  # Saturday
        (datetime(2026, 3, 8, 9, 0), False),  # Sunday
    ],
)
def test_working_slot(local: datetime, expected: bool) -> None:
    assert is_working_slot(local, POLICY) is expected


@pytest.mark.parametrize(
    ("at", "timezone", "expected"),
    [
        # Friday 17:00 WIB -> Monday 08:00 WIB
        (datetime(2026, 3, 6, 10, 0, tzinfo=UTC), "Asia/Jakarta", datetime(2026, 3, 9, 1, 0)),
        # Saturday noon WITA -> Monday 08:00 WITA
        (datetime(2026, 3, 7, 4, 0, tzinfo=UTC), "Asia/Makassar", datetime(2026, 3, 9, 0, 0)),
        # Tuesday 06:00 WIT -> Tuesday 08:00 WIT
        (datetime(2026, 3, 2, 21, 0, tzinfo=UTC), "Asia/Jayapura", datetime(2026, 3, 2, 23, 0)),
        # Already a working slot: unchanged
        (MONDAY_0900_WIB, "Asia/Jakarta", datetime(2026, 3, 2, 2, 0)),
    ],
)
def test_next_working_slot(at: datetime, timezone: str, expected: datetime) -> None:
    assert next_working_slot(at, timezone, POLICY) == expected.replace(tzinfo=UTC)


def test_a_reminder_due_on_a_weekend_is_handed_out_at_the_next_working_slot() -> None:
    due_sunday_plus_7 = milestone(date(2026, 3, 15))  # the 7-day rung falls on Sunday 8 March
    sunday = datetime(2026, 3, 8, 3, 0, tzinfo=UTC)
    assert triggers(agreement(), [due_sunday_plus_7], sunday) == []
    slot = next_working_slot(sunday, "Asia/Jakarta", POLICY)
    assert slot == datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    assert summary(triggers(agreement(), [due_sunday_plus_7], slot)) == {("upcoming", 7, KERINCI)}


def test_policy_from_settings_and_validation() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        reminder_upcoming_days=[1, 7, 3],
        working_hours_start=7,
        working_hours_end=15,
        working_days=[0, 1, 2, 3, 4, 5],
        timezone="Asia/Makassar",
    )
    policy = ReminderPolicy.from_settings(settings)
    assert policy.upcoming_days == (7, 3, 1)
    assert policy.working_days == frozenset(range(6))
    assert policy.default_timezone == "Asia/Makassar"
    saturday = datetime(2026, 3, 7, 0, 30, tzinfo=UTC)  # 07:30 WIB on a Saturday
    found = triggers(agreement(), [milestone(date(2026, 3, 10))], saturday, policy)
    assert summary(found) == {("upcoming", 3, KERINCI)}
    with pytest.raises(ValueError):
        ReminderPolicy(working_hours_start=16, working_hours_end=8)
    with pytest.raises(ValueError):
        ReminderPolicy(working_days=frozenset())
    with pytest.raises(ValueError):
        LocalCalendar(datetime(2026, 3, 2, 9, 0), POLICY)


# --- digests ------------------------------------------------------------------------------------


def test_digest_is_due_on_the_first_working_day_keyed_by_iso_week() -> None:
    assert digest_due(LocalCalendar(MONDAY_0900_WIB, POLICY), "Asia/Jakarta") == 202610
    early = LocalCalendar(datetime(2026, 3, 2, 0, 30, tzinfo=UTC), POLICY)
    assert digest_due(early, "Asia/Jakarta") is None
    assert digest_due(early, "Asia/Jayapura") == 202610
    saturday = LocalCalendar(datetime(2026, 3, 7, 3, 0, tzinfo=UTC), POLICY)
    assert digest_due(saturday, "Asia/Jakarta") is None
    tuesday = LocalCalendar(datetime(2026, 3, 3, 3, 0, tzinfo=UTC), POLICY)
    assert digest_due(tuesday, "Asia/Jakarta") is None
    monday_afternoon = LocalCalendar(datetime(2026, 3, 2, 8, 0, tzinfo=UTC), POLICY)
    assert digest_due(monday_afternoon, "Asia/Jakarta") == 202610


def test_outlook_uses_the_tracker_health_and_lists_overdue_and_soon() -> None:
    today = date(2026, 3, 2)
    ms = [
        milestone(date(2026, 2, 20), milestone_id=1),
        milestone(date(2026, 3, 10), milestone_id=2),
        milestone(date(2026, 4, 30), milestone_id=3),
        milestone(date(2026, 1, 10), milestone_id=4, status="done"),
    ]
    view = outlook(agreement(ends_on=date(2026, 5, 1)), ms, today=today, policy=POLICY)
    assert view.health == "overdue"
    assert [m.id for m in view.overdue] == [1]
    assert [m.id for m in view.due_soon] == [2]
    assert view.renewal_due is True
    paper_only = outlook(agreement(), [milestone(date(2026, 12, 1))], today=today, policy=POLICY)
    assert paper_only.health == "stalled"


# --- public holidays ----------------------------------------------------------------------------

# A hypothetical holiday on Monday 2 March 2026 and Tuesday 3 March 2026 (e.g. collective leave).
HOLIDAY_POLICY = ReminderPolicy(holidays=frozenset({date(2026, 3, 2), date(2026, 3, 3)}))


def test_nothing_is_handed_out_on_a_holiday_it_waits_for_the_next_working_day() -> None:
    due = milestone(date(2026, 3, 9))  # the 7-day rung falls on the holiday Monday
    assert triggers(agreement(), [due], MONDAY_0900_WIB, HOLIDAY_POLICY) == []
    assert not is_working_slot(datetime(2026, 3, 2, 9, 0), HOLIDAY_POLICY)
    slot = next_working_slot(MONDAY_0900_WIB, "Asia/Jakarta", HOLIDAY_POLICY)
    assert slot == datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # Wednesday 08:00 WIB
    assert summary(triggers(agreement(), [due], slot, HOLIDAY_POLICY)) == {("upcoming", 7, KERINCI)}


def test_holidays_across_a_weekend_are_all_skipped() -> None:
    friday_evening = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # 17:00 WIB, after hours
    long_weekend = ReminderPolicy(holidays=frozenset({date(2026, 3, 9), date(2026, 3, 10)}))
    slot = next_working_slot(friday_evening, "Asia/Jakarta", long_weekend)
    assert slot == datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


def test_the_weekly_digest_moves_to_the_first_working_day_after_a_monday_holiday() -> None:
    assert digest_due(LocalCalendar(MONDAY_0900_WIB, HOLIDAY_POLICY), "Asia/Jakarta") is None
    tuesday = LocalCalendar(datetime(2026, 3, 3, 3, 0, tzinfo=UTC), HOLIDAY_POLICY)
    assert digest_due(tuesday, "Asia/Jakarta") is None
    wednesday = LocalCalendar(datetime(2026, 3, 4, 3, 0, tzinfo=UTC), HOLIDAY_POLICY)
    assert digest_due(wednesday, "Asia/Jakarta") == 202610
    # Without holidays, Wednesday is not the digest day.
    assert (
        digest_due(LocalCalendar(datetime(2026, 3, 4, 3, 0, tzinfo=UTC), POLICY), "Asia/Jakarta")
        is None
    )


def test_holidays_and_delivery_knobs_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINERGI_HOLIDAYS", '["2026-03-02", "2026-03-03"]')
    monkeypatch.setenv("SINERGI_REMINDER_CATCH_UP_DAYS", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    policy = ReminderPolicy.from_settings(settings)
    assert policy.holidays == HOLIDAY_POLICY.holidays
    assert policy.catch_up_days == 3
    monkeypatch.setenv("SINERGI_HOLIDAYS", '["2026-02-30"]')
    with pytest.raises(ValueError):
        Settings(_env_file=None)  # type: ignore[call-arg]
