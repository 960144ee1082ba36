"""The shared conversation state: inbox, locks, dialogs, data, threads, rate limits (both DBs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from accounts.models import ForgetEvent, User
from accounts.repository import AccountsRepository
from conversations.locks import AdvisoryLocks, LocalLocks, lock_id, locks_for
from core.clock import FixedClock
from core.db import make_engine, make_session_factory
from services import Services
from services.conversations import (
    KEEP_FORGET_EVENTS,
    ConversationService,
    RateDecision,
    ThreadView,
)
from services.deferred import MAX_WAIT
from tests.conftest import create_schema


@pytest.fixture
def conversations(engine: Engine, clock: FixedClock) -> Iterator[ConversationService]:
    service = ConversationService(make_session_factory(engine), clock, locks=locks_for(engine))
    yield service
    service.locks.close()


def test_an_update_is_stored_once(conversations: ConversationService) -> None:
    assert conversations.receive(10, 5, 5, '{"update_id": 10}')
    assert not conversations.receive(10, 5, 5, '{"update_id": 10}')  # Telegram's retry
    assert conversations.inbox().pending == 1
    conversations.finish(10)
    assert not conversations.receive(10, 5, 5, '{"update_id": 10}')  # even once handled
    assert conversations.inbox().pending == 0


def test_chats_wait_in_arrival_order_and_their_updates_in_update_order(
    conversations: ConversationService,
) -> None:
    for update_id, chat in ((7, -100), (3, 42), (9, 42), (5, 77), (4, -100)):
        conversations.receive(update_id, chat, 1, "{}")
    assert conversations.pending_chats(10) == [42, -100, 77]  # by each chat's oldest update
    assert conversations.pending_chats(10, skip={42}) == [-100, 77]
    assert conversations.pending_chats(1) == [42]
    first = conversations.next_update(-100)
    assert first is not None and first.update_id == 4
    assert conversations.begin(4, "w1") == 1
    conversations.finish(4)
    second = conversations.next_update(-100)
    assert second is not None and second.update_id == 7


def test_attempts_count_workers_that_began_an_update(conversations: ConversationService) -> None:
    conversations.receive(1, 5, 5, "{}")
    assert conversations.begin(1, "w1") == 1
    assert conversations.begin(1, "w2") == 2  # the first worker died
    assert conversations.inbox().retried == 1
    conversations.finish(1, "handled at attempt 2")
    assert conversations.begin(1, "w3") is None  # handled: nobody begins it again
    assert conversations.outcomes([1]) == {1: (2, "handled at attempt 2")}


def test_handled_updates_are_forgotten_after_two_days(
    conversations: ConversationService, clock: FixedClock
) -> None:
    conversations.receive(1, 5, 5, "{}")
    conversations.finish(1)
    conversations.receive(2, 5, 5, "{}")  # pending: kept
    clock.advance(timedelta(days=3))
    assert conversations.tidy() == 1
    assert conversations.outcomes([1, 2]) == {2: (0, None)}


def test_forget_events_are_pruned_once_no_queued_write_can_need_them(
    conversations: ConversationService, engine: Engine, clock: FixedClock
) -> None:
    sf = make_session_factory(engine)
    first = clock.now()
    with sf.begin() as s:
        AccountsRepository(s).note_forgotten(first)
    clock.advance(MAX_WAIT)
    second = clock.now()
    with sf.begin() as s:
        AccountsRepository(s).note_forgotten(second)
    # A write queued just before the first forget may still be running: both are kept.
    conversations.tidy()
    assert _forgotten_at(engine) == [first, second]
    clock.set(first + KEEP_FORGET_EVENTS + timedelta(seconds=1))
    conversations.tidy()  # no write queued before the first is left (MAX_WAIT): it goes
    assert _forgotten_at(engine) == [second]


def _forgotten_at(engine: Engine) -> list[datetime]:
    with make_session_factory(engine)() as s:
        return list(s.scalars(select(ForgetEvent.forgotten_at).order_by(ForgetEvent.id)))


def test_dialog_writes_expect_the_version_they_read(
    conversations: ConversationService, clock: FixedClock
) -> None:
    key = "[5,5]"
    assert conversations.save_dialog("milestone_update", key, "1", None, timedelta(minutes=15)) == 1
    # A second worker started the same dialog meanwhile? Its write expected none: refused.
    assert conversations.save_dialog("milestone_update", key, "0", None, None) is None
    (stored,) = conversations.dialogs([("milestone_update", key)])
    assert (stored.state, stored.version) == ("1", 1)
    assert conversations.save_dialog("milestone_update", key, "2", 1, timedelta(minutes=15)) == 2
    # A stale timer ending the dialog at version 1 changes nothing...
    assert conversations.save_dialog("milestone_update", key, None, 1, None) is None
    assert conversations.dialogs([("milestone_update", key)])[0].state == "2"
    # ...the current version ends it.
    assert conversations.save_dialog("milestone_update", key, None, 2, None) == 0
    assert conversations.dialogs([("milestone_update", key)]) == []


def test_a_dialog_past_its_timeout_is_over_and_may_start_again(
    conversations: ConversationService, clock: FixedClock
) -> None:
    conversations.save_dialog("agreement_intake", "[5,5]", "0", None, timedelta(minutes=30))
    clock.advance(timedelta(minutes=29))
    assert conversations.dialogs([("agreement_intake", "[5,5]")])
    clock.advance(timedelta(minutes=2))
    assert conversations.dialogs([("agreement_intake", "[5,5]")]) == []
    assert conversations.save_dialog("agreement_intake", "[5,5]", "3", None, None) == 1


def test_user_and_chat_data_are_kept_and_forgotten(
    conversations: ConversationService, engine: Engine, clock: FixedClock
) -> None:
    with make_session_factory(engine).begin() as s:  # data is kept for people with an account
        now = clock.now()
        s.add(User(telegram_id=5, role="official", status="active", created_at=now, updated_at=now))
    conversations.save_data("user", 6, b"stranger")
    assert conversations.data("user", 6) is None
    assert conversations.data("user", 5) is None
    conversations.save_data("user", 5, b"abc")
    conversations.save_data("user", 5, b"abcd")
    conversations.save_data("chat", 5, b"other")
    assert conversations.data("user", 5) == b"abcd"
    conversations.save_data("user", 5, None)
    assert conversations.data("user", 5) is None
    assert conversations.data("chat", 5) == b"other"


def test_trainer_threads(conversations: ConversationService) -> None:
    thread = ThreadView("Berapa lama OTP berlaku?", 4004, 4004, "id", 17)
    conversations.remember_thread(-100500, 31, thread)
    assert conversations.thread(-100500, 31) == thread
    assert conversations.thread(-100500, 32) is None
    # The logged question goes along: a trainer's reply becomes its curated answer.
    logged = ThreadView("Berapa lama OTP berlaku?", 4004, 4004, "id", 17, question_id=9)
    conversations.remember_thread(-100500, 33, logged)
    assert conversations.thread(-100500, 33) == logged


def test_rate_limit_slides(conversations: ConversationService, clock: FixedClock) -> None:
    window = timedelta(minutes=1)

    def ask() -> bool:
        return conversations.allow("question:5", limit=2, window=window, now=clock.now())

    assert ask() and ask()
    assert not ask()
    assert conversations.allow("question:6", limit=2, window=window, now=clock.now())
    clock.advance(timedelta(seconds=61))
    assert ask()


def test_a_refusal_warns_once_per_window(
    conversations: ConversationService, clock: FixedClock
) -> None:
    window = timedelta(minutes=1)

    def ask(key: str = "question:5") -> RateDecision:
        return conversations.admit(key, limit=2, window=window, now=clock.now())

    assert [ask(), ask()] == [RateDecision.ALLOWED, RateDecision.ALLOWED]
    assert ask() is RateDecision.REFUSED  # told once
    clock.advance(timedelta(seconds=20))
    assert [ask(), ask()] == [RateDecision.REFUSED_QUIETLY] * 2  # not again in the window
    assert ask("question:6") is RateDecision.ALLOWED  # another official is not affected
    clock.advance(timedelta(seconds=41))  # the first two questions are out of the window
    assert [ask(), ask()] == [RateDecision.ALLOWED, RateDecision.ALLOWED]
    assert ask() is RateDecision.REFUSED  # a new excess, a window after the warning: told again
    assert ask() is RateDecision.REFUSED_QUIETLY
    # Quiet refusals are not counted as questions: a window later the official may ask again.
    clock.advance(timedelta(seconds=61))
    assert ask() is RateDecision.ALLOWED


def test_the_question_limit_holds_while_the_database_is_write_locked(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    """Another process holds SQLite's write lock: the limit is counted in memory meanwhile."""
    import sqlite3

    from core.db import with_busy_timeout

    sf = make_session_factory(sqlite_engine)
    service = ConversationService(
        sf,
        clock,
        locks=LocalLocks(),
        bookkeeping=make_session_factory(with_busy_timeout(sqlite_engine, 0.01)),
    )
    window = timedelta(minutes=1)

    def ask() -> RateDecision:
        return service.admit("question:5", limit=2, window=window, now=clock.now())

    holder = sqlite3.connect(str(sqlite_engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert [ask(), ask(), ask(), ask()] == [
            RateDecision.ALLOWED,
            RateDecision.ALLOWED,
            RateDecision.REFUSED,
            RateDecision.REFUSED_QUIETLY,
        ]
        clock.advance(timedelta(seconds=61))
        assert ask() is RateDecision.ALLOWED
    finally:
        holder.execute("COMMIT")
        holder.close()


def test_local_locks_are_exclusive_and_all_or_nothing(clock: FixedClock) -> None:
    service = ConversationService(None, clock, locks=LocalLocks())  # type: ignore[arg-type]
    assert service.try_lock([5, 7])
    assert not service.try_lock([9, 7])  # 7 is held: 9 must not stay taken
    assert service.try_lock([9])
    service.unlock([5, 7])
    assert service.try_lock([7])


@pytest.mark.postgres
def test_advisory_locks_exclude_other_workers_and_go_with_their_connection(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url)
    create_schema(engine)
    one, two = AdvisoryLocks(engine), AdvisoryLocks(make_engine(pg_url))
    try:
        assert one.try_lock(-1001234567890)
        assert not one.try_lock(-1001234567890)  # held by this worker already
        assert not two.try_lock(-1001234567890)
        assert two.try_lock(42)
        one.unlock(-1001234567890)
        assert two.try_lock(-1001234567890)
        assert one.healthy() and two.healthy()
        # A worker whose connection goes (kill -9) releases everything at once: the server
        # ends that session when it notices the closed socket, which takes a moment under load.
        two._connection().invalidate()
        deadline = time.monotonic() + 30
        taken = one.try_lock(42)
        while not taken and time.monotonic() < deadline:
            time.sleep(0.05)
            taken = one.try_lock(42)
        assert taken
        assert lock_id(42) != lock_id(43)
    finally:
        one.close()
        two.close()
        engine.dispose()


def test_the_health_check_shows_what_waits_in_the_inbox(
    services: Services, clock: FixedClock
) -> None:
    from services.health import health_checks

    services.conversations.receive(1, 5, 5, "{}")
    services.conversations.receive(2, 6, 6, "{}")
    services.conversations.begin(1, "vm:1:8081")
    clock.advance(timedelta(seconds=60))
    (inbox,) = [c for c in health_checks(services) if c.name == "inbox"]
    assert inbox.ok and inbox.detail == "2 pending (oldest 60 s), 1 begun before"
