"""Per-chat locks across workers: PostgreSQL advisory locks, or a set in one process.

A worker handles a chat's updates only while it holds that chat's lock (and the lock of the
user who sent the update, since a user's data follows them from chat to chat). On PostgreSQL
the locks are session-level advisory locks on one connection the worker keeps for them: the
database releases them the moment the worker's connection goes, so a worker killed with
``kill -9`` blocks nobody. SQLite deployments run one process, whose locks are a set.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from core.errors import DatabaseUnavailable

_log = logging.getLogger(__name__)

NAMESPACE = 0x53434854
"""The first key of every chat lock ("SCHT"): two-key advisory locks never meet the one-key
locks other code takes (the migrations' lock), nor other applications' with another prefix."""


def lock_id(key: int) -> int:
    """A chat or user id as the second (32-bit) key of an advisory lock.

    Two ids may share a lock id; they are then simply handled one after the other, and a
    session may take the same advisory lock twice, so one worker is never blocked by itself.
    """
    digest = hashlib.blake2b(key.to_bytes(8, "big", signed=True), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class ChatLocks(Protocol):
    """Non-blocking locks on chat and user ids, shared by every worker of a deployment."""

    def try_lock(self, key: int) -> bool:
        """Take ``key`` if nobody else holds it; never waits."""

    def unlock(self, key: int) -> None: ...

    def healthy(self) -> bool:
        """Whether the locks still hold (the connection behind them is up)."""

    def close(self) -> None: ...


class LocalLocks:
    """Locks of one process (SQLite deployments run one)."""

    def __init__(self) -> None:
        self._held: dict[int, int] = {}
        self._guard = threading.Lock()

    def try_lock(self, key: int) -> bool:
        with self._guard:
            if key in self._held:
                return False
            self._held[key] = 1
            return True

    def unlock(self, key: int) -> None:
        with self._guard:
            self._held.pop(key, None)

    def healthy(self) -> bool:
        return True

    def close(self) -> None:
        with self._guard:
            self._held.clear()


class AdvisoryLocks:
    """PostgreSQL session-level advisory locks on one dedicated connection.

    The connection is used from worker threads one call at a time. If it breaks, every lock
    it held is gone: the next call reconnects and takes back what it can, and a lock another
    worker took meanwhile is reported (that chat may then have been handled twice at once).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._held: dict[int, int] = {}
        self._guard = threading.Lock()
        self._broken = False

    def _connection(self) -> Connection:
        if self._conn is not None and not self._conn.closed and not self._broken:
            return self._conn
        self._discard()
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._conn = conn
        self._broken = False
        for key in list(self._held):
            if not self._try(conn, key):
                _log.error(
                    "chat lock %s was taken by another worker while the lock connection was down",
                    key,
                )
                self._held.pop(key, None)
        return conn

    def _discard(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # the connection is already broken; nothing to release
                pass
            self._conn = None

    @staticmethod
    def _try(conn: Connection, key: int) -> bool:
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:ns, :id)"), {"ns": NAMESPACE, "id": lock_id(key)}
        ).scalar()
        return bool(got)

    def _call(self, fn: Any) -> Any:
        try:
            return fn(self._connection())
        except DatabaseUnavailable:
            self._broken = True
            raise

    def try_lock(self, key: int) -> bool:
        with self._guard:
            if key in self._held:
                return False
            if not self._call(lambda conn: self._try(conn, key)):
                return False
            self._held[key] = 1
            return True

    def unlock(self, key: int) -> None:
        with self._guard:
            if self._held.pop(key, None) is None or self._broken or self._conn is None:
                return
            try:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :id)"),
                    {"ns": NAMESPACE, "id": lock_id(key)},
                )
            except DatabaseUnavailable:
                self._broken = True  # the lock went with the connection

    def healthy(self) -> bool:
        with self._guard:
            if self._broken:
                return False
            try:
                self._call(lambda conn: conn.execute(text("SELECT 1")))
            except DatabaseUnavailable:
                return False
            return True

    def close(self) -> None:
        with self._guard:
            self._held.clear()
            if self._conn is not None:
                self._conn.close()  # releases every advisory lock of the session
                self._conn = None


def locks_for(engine: Engine) -> ChatLocks:
    """Advisory locks on PostgreSQL, a process's own set elsewhere."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLocks(engine)
    return LocalLocks()
