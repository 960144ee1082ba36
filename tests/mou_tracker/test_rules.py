"""Health rules as pure functions of facts, milestones, a date and thresholds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mou_tracker import rules
from mou_tracker.schemas import AgreementFacts, MilestoneFacts, Thresholds

AT = date(2026, 11, 23)
TH = Thresholds(stalled_after_days=90, at_risk_within_days=14, renewal_days=(90, 30))
SIGNED = date(2026, 6, 1)


def active(
    signed_on: date | None = SIGNED, ends_on: date | None = date(2031, 6, 1)
) -> AgreementFacts:
    return AgreementFacts("active", signed_on, ends_on)


def ms(status: str, due_in_days: int | None, completed_on: date | None = None) -> MilestoneFacts:
    due = AT + timedelta(days=due_in_days) if due_in_days is not None else None
    return MilestoneFacts(status, due, completed_on)


# --- single milestones ----------------------------------------------------------------------


def test_milestone_due_today_is_not_overdue() -> None:
    assert not rules.is_overdue(ms("planned", 0), AT)
    assert rules.is_overdue(ms("planned", -1), AT)


@pytest.mark.parametrize("status", ["planned", "in_progress", "blocked"])
def test_open_milestones_past_due_are_overdue(status: str) -> None:
    assert rules.is_overdue(ms(status, -3), AT)


@pytest.mark.parametrize("status", ["done", "skipped"])
def test_closed_milestones_are_never_overdue(status: str) -> None:
    assert not rules.is_overdue(ms(status, -30), AT)


def test_milestone_without_due_date_is_never_overdue() -> None:
    assert not rules.is_overdue(ms("planned", None), AT)


def test_done_after_the_as_of_date_was_still_open_then() -> None:
    late = ms("done", -10, completed_on=AT + timedelta(days=5))
    assert not rules.is_done(late, AT)
    assert rules.is_open(late, AT)
    assert rules.is_overdue(late, AT)
    assert rules.is_done(late, AT + timedelta(days=5))


def test_done_without_completion_date_counts_as_done() -> None:
    assert rules.is_done(ms("done", -10), AT)


def test_due_soon_only_for_planned_within_window() -> None:
    assert rules.is_due_soon(ms("planned", 14), AT, 14)
    assert rules.is_due_soon(ms("planned", 0), AT, 14)
    assert not rules.is_due_soon(ms("planned", 15), AT, 14)
    assert not rules.is_due_soon(ms("planned", -1), AT, 14)
    assert not rules.is_due_soon(ms("in_progress", 3), AT, 14)


# --- health ---------------------------------------------------------------------------------


def test_unsigned_or_draft_is_draft() -> None:
    assert rules.health(AgreementFacts("draft", None, None), [], AT, TH) == "draft"
    assert rules.health(AgreementFacts("draft", SIGNED, None), [], AT, TH) == "draft"
    assert rules.health(AgreementFacts("active", None, None), [], AT, TH) == "draft"


def test_signed_after_the_as_of_date_is_still_draft_then() -> None:
    assert rules.health(active(signed_on=AT + timedelta(days=1)), [], AT, TH) == "draft"


def test_marked_completed_or_everything_done_is_completed() -> None:
    assert rules.health(AgreementFacts("completed", SIGNED, None), [ms("planned", -5)], AT, TH) == (
        "completed"
    )
    done = [ms("done", -5), ms("skipped", -1), ms("done", 30)]
    assert rules.health(active(), done, AT, TH) == "completed"


def test_skipped_only_is_not_completed() -> None:
    # Nothing to count: an agreement with every milestone skipped has done nothing.
    assert rules.health(active(signed_on=AT - timedelta(days=10)), [ms("skipped", 5)], AT, TH) == (
        "on_track"
    )


@pytest.mark.parametrize("status", ["expired", "terminated"])
def test_marked_expired_or_terminated_is_expired(status: str) -> None:
    assert rules.health(AgreementFacts(status, SIGNED, None), [], AT, TH) == "expired"


def test_past_end_date_is_expired() -> None:
    facts = active(signed_on=date(2018, 10, 30), ends_on=date(2023, 10, 30))
    assert rules.health(facts, [ms("planned", -1000)], AT, TH) == "expired"
    assert rules.health(facts, [ms("planned", -1000)], date(2023, 10, 30), TH) != "expired"


def test_completed_wins_over_expired() -> None:
    facts = active(signed_on=date(2018, 10, 30), ends_on=date(2023, 10, 30))
    assert rules.health(facts, [ms("done", -1500)], AT, TH) == "completed"


def test_stalled_when_nothing_happened_after_the_threshold() -> None:
    signed = AT - timedelta(days=91)
    milestones = [ms("planned", -77), ms("planned", 30)]
    assert rules.health(active(signed_on=signed), milestones, AT, TH) == "stalled"


def test_not_stalled_at_exactly_the_threshold() -> None:
    signed = AT - timedelta(days=90)
    assert rules.health(active(signed_on=signed), [ms("planned", -76)], AT, TH) == "overdue"


def test_stalled_without_any_milestones() -> None:
    assert rules.health(active(signed_on=AT - timedelta(days=200)), [], AT, TH) == "stalled"


@pytest.mark.parametrize("started", ["done", "in_progress", "blocked"])
def test_any_activity_prevents_stalled(started: str) -> None:
    signed = AT - timedelta(days=200)
    milestones = [ms(started, -180), ms("planned", -100)]
    assert rules.health(active(signed_on=signed), milestones, AT, TH) == "overdue"


def test_done_only_after_the_date_does_not_prevent_stalled_then() -> None:
    # It was started by then (the work finished later), so not paper only.
    signed = AT - timedelta(days=200)
    late = ms("done", -180, completed_on=AT + timedelta(days=3))
    assert rules.health(active(signed_on=signed), [late], AT, TH) == "overdue"


def test_stalled_threshold_comes_from_settings() -> None:
    signed = AT - timedelta(days=40)
    milestones = [ms("planned", 5)]
    assert rules.health(active(signed_on=signed), milestones, AT, TH) == "at_risk"
    strict = Thresholds(stalled_after_days=30, at_risk_within_days=14)
    assert rules.health(active(signed_on=signed), milestones, AT, strict) == "stalled"


def test_overdue_beats_at_risk() -> None:
    milestones = [ms("done", -30), ms("planned", -1), ms("blocked", 3)]
    assert rules.health(active(), milestones, AT, TH) == "overdue"


def test_blocked_is_at_risk() -> None:
    milestones = [ms("done", -30), ms("blocked", 40)]
    assert rules.health(active(), milestones, AT, TH) == "at_risk"


def test_planned_due_soon_is_at_risk_but_started_is_not() -> None:
    assert rules.health(active(), [ms("done", -30), ms("planned", 10)], AT, TH) == "at_risk"
    assert rules.health(active(), [ms("done", -30), ms("in_progress", 10)], AT, TH) == "on_track"


def test_at_risk_window_comes_from_settings() -> None:
    milestones = [ms("done", -30), ms("planned", 10)]
    narrow = Thresholds(stalled_after_days=90, at_risk_within_days=7)
    assert rules.health(active(), milestones, AT, narrow) == "on_track"


def test_on_track() -> None:
    assert rules.health(active(), [ms("done", -30), ms("planned", 40)], AT, TH) == "on_track"


def test_recently_signed_with_nothing_done_is_on_track() -> None:
    signed = AT - timedelta(days=3)
    assert rules.health(active(signed_on=signed), [ms("planned", 11)], AT, TH) == "at_risk"
    assert rules.health(active(signed_on=signed), [ms("planned", 30)], AT, TH) == "on_track"


# --- renewal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "due"),
    [(91, False), (90, True), (30, True), (0, True), (-1, False)],
)
def test_renewal_window(days_left: int, due: bool) -> None:
    facts = active(ends_on=AT + timedelta(days=days_left))
    assert rules.renewal_due(facts, AT, TH) is due


def test_renewal_only_for_active_agreements() -> None:
    ends = AT + timedelta(days=10)
    assert not rules.renewal_due(AgreementFacts("terminated", SIGNED, ends), AT, TH)
    assert not rules.renewal_due(AgreementFacts("draft", None, ends), AT, TH)
    assert not rules.renewal_due(active(ends_on=None), AT, TH)


def test_renewal_window_follows_settings() -> None:
    facts = active(ends_on=AT + timedelta(days=100))
    assert rules.renewal_due(facts, AT, Thresholds(renewal_days=(120, 30)))
    assert not rules.renewal_due(facts, AT, Thresholds(renewal_days=()))


# --- who acts, follow-through -----------------------------------------------------------------


def test_must_act() -> None:
    assert rules.must_act("15.01", ["32.73", "15.01"]) == ("15.01",)
    assert rules.must_act(None, ["32.73", "15.01"]) == ("32.73", "15.01")


def test_follow_through_rate() -> None:
    assert rules.follow_through_rate(0, 0) is None
    assert rules.follow_through_rate(4, 1) == 0.25


# --- properties -------------------------------------------------------------------------------

statuses = st.sampled_from(["planned", "in_progress", "done", "blocked", "skipped"])
offsets = st.one_of(st.none(), st.integers(min_value=-400, max_value=400))
milestone_facts = st.builds(
    lambda status, due, done: ms(
        status, due, AT + timedelta(days=done) if done is not None else None
    ),
    statuses,
    offsets,
    offsets,
)
agreement_facts = st.builds(
    lambda status, signed, ends: AgreementFacts(
        status,
        AT + timedelta(days=signed) if signed is not None else None,
        AT + timedelta(days=ends) if ends is not None else None,
    ),
    st.sampled_from(["draft", "active", "expired", "terminated", "completed"]),
    offsets,
    offsets,
)


@settings(max_examples=300, deadline=None)
@given(agreement_facts, st.lists(milestone_facts, max_size=12))
def test_health_is_always_a_known_value(
    facts: AgreementFacts, milestones: list[MilestoneFacts]
) -> None:
    value = rules.health(facts, milestones, AT, TH)
    assert value in rules.HEALTHS
    if value == "overdue":
        assert any(rules.is_overdue(m, AT) for m in milestones)
    if value == "stalled":
        assert not any(rules.is_done(m, AT) for m in milestones)


@settings(max_examples=200, deadline=None)
@given(st.lists(milestone_facts, max_size=12))
def test_milestone_order_does_not_matter(milestones: list[MilestoneFacts]) -> None:
    facts = active()
    assert rules.health(facts, milestones, AT, TH) == rules.health(
        facts, list(reversed(milestones)), AT, TH
    )


def test_lists_put_the_agreements_that_need_attention_first() -> None:
    from mou_tracker.rules import ATTENTION_ORDER, HEALTHS, attention_rank

    assert sorted(HEALTHS, key=attention_rank) == list(ATTENTION_ORDER)
    assert attention_rank("overdue") == 0
    assert attention_rank("something new") > attention_rank("expired")
