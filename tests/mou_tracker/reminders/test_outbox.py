"""The outbox's state machine and the delivery rules, without a database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest

from mou_tracker.reminders import outbox
from mou_tracker.reminders.outbox import (
    CLAIMED,
    FAILED,
    FINAL,
    HELD,
    OBSOLETE,
    OUTBOX_STATUSES,
    PENDING,
    SENDING,
    SENT,
    TRANSITIONS,
    UNCONFIRMED,
    UNDELIVERABLE,
)
from mou_tracker.reminders.schemas import AgreementFacts, MilestoneFacts


def test_the_happy_path_and_its_exits() -> None:
    assert outbox.successors(PENDING) == {CLAIMED, UNDELIVERABLE}
    assert outbox.successors(CLAIMED) == {SENDING, FAILED, UNDELIVERABLE, PENDING, OBSOLETE}
    assert outbox.successors(SENDING) == {SENT, FAILED, UNDELIVERABLE, PENDING, UNCONFIRMED}
    assert outbox.successors(FAILED) == {CLAIMED}
    # A send whose process died is never sent again by a pass; we may still learn it
    # arrived, and an operator may send it again (back to pending).
    assert outbox.successors(UNCONFIRMED) == {SENT, FAILED, UNDELIVERABLE, PENDING}
    assert outbox.successors(UNDELIVERABLE) == {PENDING}
    assert {SENT, OBSOLETE} == FINAL


def test_only_an_operator_sends_a_reminder_again() -> None:
    """Leaving unconfirmed or undeliverable for pending is the resend alone: no pass takes
    it (at most once stays what the passes do), and it leaves no claim behind."""
    into_pending = {t for t in TRANSITIONS if t.target == PENDING and UNDELIVERABLE in t.source}
    assert into_pending == {outbox.RESEND}
    assert set(outbox.RESEND.source) == {UNCONFIRMED, UNDELIVERABLE}
    assert not outbox.RESEND.held
    leaving_unconfirmed = {t for t in TRANSITIONS if UNCONFIRMED in t.source and not t.held}
    assert leaving_unconfirmed == {outbox.RESEND}


def test_every_status_is_reachable_and_only_passes_touch_held_rows() -> None:
    reachable = {PENDING}
    for _ in OUTBOX_STATUSES:
        reachable |= {s for r in reachable for s in outbox.successors(r)}
    assert reachable == set(OUTBOX_STATUSES)
    for t in TRANSITIONS:
        assert t.target in OUTBOX_STATUSES and set(t.source) <= set(OUTBOX_STATUSES)
        if t.held:  # a pass's claim id is on the rows it moves
            assert set(t.source) <= set(HELD)
    assert len({t.name for t in TRANSITIONS}) == len(TRANSITIONS)


def test_backoff_follows_telegram_else_doubles_up_to_an_hour() -> None:
    assert outbox.backoff(1, 7.0) == timedelta(seconds=8)
    assert outbox.backoff(1, 0.0) == timedelta(seconds=1)
    assert [outbox.backoff(n, None).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert outbox.backoff(20, None) == timedelta(hours=1)


@dataclass(frozen=True)
class Row:
    id: int
    kind: str
    telegram_id: int | None
    region_code: str | None = None


def test_one_message_per_recipient_and_digests_on_their_own() -> None:
    rows = [
        Row(1, "upcoming", 10),
        Row(2, "digest", 10),
        Row(3, "overdue", 10),
        Row(4, "upcoming", 20),
        Row(5, "portfolio", 10),
    ]
    assert [[r.id for r in g] for g in outbox.groups(rows)] == [[1, 3], [2], [4], [5]]


@dataclass(frozen=True)
class Person:
    role: str
    status: str = "active"
    region_code: str | None = None


@pytest.mark.parametrize(
    ("entry", "person", "reason"),
    [
        (Row(1, "upcoming", 5, "15.01"), None, "left"),
        (Row(1, "upcoming", 5, "15.01"), Person("coordinator", "blocked", "15.01"), "inactive"),
        (Row(1, "upcoming", 5, "15.01"), Person("coordinator", region_code="15.01"), None),
        (Row(1, "upcoming", 5, "15.01"), Person("coordinator", region_code="32.73"), "lost_role"),
        (Row(1, "upcoming", 5, "15.01"), Person("admin"), "lost_role"),
        (Row(1, "escalation", 5, None), Person("admin"), None),
        (Row(1, "escalation", 5, None), Person("coordinator", region_code="15.01"), "lost_role"),
        (Row(1, "portfolio", 5), Person("admin"), None),
        (Row(1, "undeliverable", 5), Person("trainer"), "lost_role"),
        (Row(1, "snooze", 5, "15.01"), Person("coordinator", region_code="32.73"), None),
    ],
)
def test_who_may_still_receive_a_reminder(
    entry: Row, person: Person | None, reason: str | None
) -> None:
    assert outbox.ineligibility(entry, person) == reason


@dataclass(frozen=True)
class Entry:
    kind: str
    agreement_id: int | None = 1
    milestone_id: int | None = 10
    due_on: date | None = date(2026, 3, 4)


def test_a_reminder_is_stale_once_what_it_says_no_longer_holds() -> None:
    agreement = AgreementFacts(
        1, "KB", "active", "32.73", ("32.73", "15.01"), ends_on=date(2031, 1, 1)
    )
    milestone = MilestoneFacts(10, 1, "Pelatihan", "in_progress", date(2026, 3, 4))
    assert outbox.staleness(Entry("upcoming"), agreement, milestone) is None
    assert (
        outbox.staleness(Entry("escalation"), agreement, replace(milestone, status="blocked"))
        is None
    )
    assert outbox.staleness(Entry("upcoming"), None, None) == "agreement_gone"
    ended = replace(agreement, status="expired")
    assert outbox.staleness(Entry("overdue"), ended, milestone) == "agreement_inactive"
    assert outbox.staleness(Entry("upcoming"), agreement, None) == "milestone_gone"
    for settled in ("done", "skipped"):
        done = replace(milestone, status=settled)
        assert outbox.staleness(Entry("snooze"), agreement, done) == "milestone_settled"
    moved = replace(milestone, due_on=date(2026, 6, 30))
    assert outbox.staleness(Entry("upcoming"), agreement, moved) == "date_moved"
    renewal = Entry("renewal", milestone_id=None, due_on=date(2031, 1, 1))
    assert outbox.staleness(renewal, agreement, None) is None
    extended = replace(agreement, ends_on=date(2036, 1, 1))
    assert outbox.staleness(renewal, extended, None) == "date_moved"
    # What the digests and the admins' notices say is read as it stands: never stale.
    for kind in ("digest", "portfolio", "undeliverable"):
        assert outbox.staleness(Entry(kind), None, None) is None
