"""Deferred bookkeeping writes: in order, coalesced by key, kept while the lock holds."""

from __future__ import annotations

import pytest

from core.errors import DatabaseUnavailable, ValueOutOfRange
from services.deferred import DeferredWrites


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
