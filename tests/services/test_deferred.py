"""Deferred bookkeeping writes: in order, coalesced by key, kept while the lock holds."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from core.clock import FixedClock
from core.errors import DatabaseUnavailable, ValueOutOfRange
from services.deferred import MAX_WAIT, DeferredWrites, person_of


def _locked() -> DatabaseUnavailable:
    return DatabaseUnavailable("database is locked", service="database", reason="locked")


def test_writes_are_done_in_order_and_kept_while_the_database_is_locked() -> None:
    deferred = DeferredWrites()
    done: list[str] = []
    locked = True

    def write(name: str) -> None:
        if locked:
            raise _locked()
        done.append(name)

    deferred.defer(lambda: write("inbox"))
    deferred.defer(lambda: write("log"))
    assert deferred.flush() == 0 and len(deferred) == 2  # still locked: nothing lost
    locked = False
    assert deferred.flush() == 2
    assert done == ["inbox", "log"] and len(deferred) == 0


def test_a_newer_write_of_the_same_key_replaces_the_queued_one_in_place() -> None:
    deferred = DeferredWrites()
    done: list[str] = []
    deferred.defer(lambda: done.append("user v1"), key=("user", 1))
    deferred.defer(lambda: done.append("other"))
    deferred.defer(lambda: done.append("user v2"), key=("user", 1))
    assert deferred.waiting(("user", 1))
    assert deferred.flush() == 2
    assert done == ["user v2", "other"]


def test_a_write_that_fails_for_another_reason_is_dropped_not_blocking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deferred = DeferredWrites()
    done: list[str] = []

    def broken() -> None:
        raise ValueOutOfRange("too big", max_integer=1)

    deferred.defer(broken)
    deferred.defer(lambda: done.append("next"))
    assert deferred.flush() == 2 and done == ["next"]
    assert "dropped" in caplog.text


def test_what_cannot_be_written_before_stopping_is_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Stopping while another process still holds the write lock: the writes are lost, and the
    # log says which (not just how many), so an operator can tell what went missing.
    deferred = DeferredWrites()

    def locked() -> None:
        raise _locked()

    deferred.defer(locked, what="update 41 marked handled")
    deferred.defer(locked, key=("user", 7), what="user data of 7")
    assert deferred.pending() == ["update 41 marked handled", "user data of 7"]
    with caplog.at_level(logging.WARNING):
        assert deferred.flush_before_stop(wait_s=5.0) == 0
    assert "update 41 marked handled" in caplog.text and "user data of 7" in caplog.text
    assert len(deferred) == 0


def test_stopping_does_not_wait_out_a_write_stuck_on_the_lock(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A write waits for SQLite's busy timeout (30 s by default), longer than the service
    # manager waits for a stop: the stop gives it a bounded time, then names it as not done.
    deferred = DeferredWrites()
    release = threading.Event()
    threading.Timer(10.0, release.set).start()  # the "lock" frees itself at last
    done: list[str] = []

    def stuck() -> None:
        release.wait()
        done.append("stuck")

    deferred.defer(stuck, what="question log entry")
    with caplog.at_level(logging.WARNING):
        deferred.flush_before_stop(wait_s=0.2)
    stopped_while_stuck, written = not release.is_set(), list(done)
    release.set()
    assert stopped_while_stuck and written == []
    assert "question log entry" in caplog.text


def test_person_of_reads_only_a_whole_telegram_actor_name() -> None:
    assert person_of("tg:123") == 123
    assert person_of("tg:-5") == -5
    for other in (None, "cli", "tg:", "tg: 12", "tg:12x", "tg:١٢", "op:12"):
        assert person_of(other) is None, other


def test_a_write_queued_longer_than_the_bound_is_dropped_not_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Writes check for a forget since they were queued, and forget events are kept only
    # so long (services.conversations.KEEP_FORGET_EVENTS): an older write is not done.
    clock = FixedClock()
    deferred = DeferredWrites(clock=clock)
    done: list[str] = []
    locked = True

    def write(name: str) -> None:
        if locked:
            raise _locked()
        done.append(name)

    deferred.defer(lambda: write("old v1"), key="old", what="user data of 7")
    clock.advance(MAX_WAIT - timedelta(minutes=1))
    deferred.defer(lambda: write("recent"), what="question log entry p1")
    dropped: list[str] = []
    deferred.defer(  # replaces v1 in its place and keeps its age
        lambda: write("old v2"),
        key="old",
        what="user data of 7",
        on_drop=lambda: dropped.append("old"),
    )
    deferred.flush()
    clock.advance(timedelta(minutes=2))
    locked = False
    with caplog.at_level(logging.WARNING):
        assert deferred.flush() == 2
    assert done == ["recent"] and len(deferred) == 0
    assert dropped == ["old"]  # its owner is told, and stops serving the value it held
    assert "user data of 7" in caplog.text


class _CountedKey:
    """A key that counts how often the queue compares it (hash collisions aside, never)."""

    compared = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        return hash(self.n)

    def __eq__(self, other: object) -> bool:
        _CountedKey.compared += 1
        return isinstance(other, _CountedKey) and other.n == self.n


def test_a_queue_of_100k_writes_is_not_searched_write_by_write() -> None:
    # A write lock held for hours queues an item per update: queueing, replacing and asking
    # whether a key waits must not walk the whole queue each time (100k items made that
    # 5e9 comparisons, the bot's thread stuck in them).
    deferred = DeferredWrites()
    done: list[int] = []
    n = 100_000
    _CountedKey.compared = 0
    for i in range(n):
        deferred.defer(lambda i=i: done.append(i), key=_CountedKey(i))
    deferred.defer(lambda: done.append(-7), key=_CountedKey(7))  # replaces 7 in its place
    assert deferred.waiting(_CountedKey(n - 1)) and not deferred.waiting(_CountedKey(n))
    assert _CountedKey.compared < 100  # dict lookups, not a scan per write
    assert len(deferred) == n
    assert deferred.flush() == n
    assert done[:9] == [0, 1, 2, 3, 4, 5, 6, -7, 8] and len(done) == n
    assert len(deferred) == 0 and not deferred.waiting(_CountedKey(7))


def test_a_write_queued_again_while_it_is_being_written_is_written_next() -> None:
    deferred = DeferredWrites()
    done: list[str] = []

    def first() -> None:
        done.append("v1")
        deferred.defer(lambda: done.append("v2"), key="user 1")  # the newer state, meanwhile

    deferred.defer(first, key="user 1")
    deferred.defer(lambda: done.append("other"))
    assert deferred.flush() == 3
    assert done == ["v1", "v2", "other"] and len(deferred) == 0
    assert not deferred.waiting("user 1")
