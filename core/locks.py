"""Locks between processes.

:func:`file_lock` is an ``flock`` on a file beside the data it guards, used where two commands
started together on a new data folder would otherwise both create the same thing (the SQLite
schema, Chroma's on-disk tables) and one would fail with "already exists". Only one machine
writes an embedded data folder, so a local lock is enough.

:class:`NamedLocks` lock a name (a document's id) across every process of a deployment:
PostgreSQL advisory locks where the database is PostgreSQL (workers may run on several
machines), lock files in the data folder otherwise (:func:`named_locks_for`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from core.db import sqlstate_of
from core.errors import LockWaitExpired, storage_error
from core.files import PRIVATE_FILE_MODE, private_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; deployments run on Linux
    fcntl = None  # type: ignore[assignment]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block; another
    process asking for it waits. Where the lock file cannot be created (a missing or read-only
    folder), the block runs unlocked: what it guards will fail there on its own, clearly."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        handle = open(path, "a+b")  # noqa: SIM115  (closed by the with below, after the yield)
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class NamedLocks(Protocol):
    """Blocking locks on names (a document's id), shared by every process of a deployment."""

    def hold(self, name: str) -> AbstractContextManager[None]:
        """Hold the lock on ``name`` for the ``with`` block; another holder makes it wait."""


def _bucket(name: str, buckets: int) -> int:
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


class LocalNamedLocks:
    """Locks of one process (an index without a deployment behind it: tests, evaluations)."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield


MIN_LOCK_POLL_S = 0.01
MAX_LOCK_POLL_S = 0.5
"""How often a bounded wait for a lock file asks again, at the most and at the least: a
write waiting for another seconds or minutes starts at most half a second after it ends."""


class FileNamedLocks:
    """An ``flock`` on one of ``buckets`` files in a private folder (SQLite deployments: one
    machine). Names sharing a file are simply written one after the other. The kernel drops
    the lock when its holder dies, ``kill -9`` included.

    The files are opened without following a symbolic link (``O_NOFOLLOW``) in a folder that
    must be a real folder, and must be regular files, so a link or a FIFO planted there cannot
    make the bot open another file or hang.

    A holder that is alive but stuck keeps its lock, as with PostgreSQL's advisory locks: the
    next writer waits at most ``wait_s`` for it, then gives up with :class:`LockWaitExpired`
    before it has changed anything. ``flock`` itself cannot wait for a while only, so a
    bounded wait asks again and again without blocking, a little less often each time (up to
    every :data:`MAX_LOCK_POLL_S`).
    """

    def __init__(
        self,
        folder: Path,
        *,
        prefix: str,
        buckets: int = 256,
        wait_s: float | None = None,
    ) -> None:
        self.folder = folder
        self.prefix = prefix
        self.buckets = buckets
        self.wait_s = wait_s

    def path(self, name: str) -> Path:
        return self.folder / f"{self.prefix}-{_bucket(name, self.buckets):03d}.lock"

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        path = self.path(name)
        try:
            private_dir(self.folder)
            if not stat.S_ISDIR(os.lstat(self.folder).st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(self.folder))
            # O_NONBLOCK: a FIFO put there is not waited on (it is refused below).
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            fd = os.open(path, flags, PRIVATE_FILE_MODE)
        except OSError as exc:
            raise storage_error(exc, str(path)) from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                error = OSError(errno.EINVAL, "not a regular file", str(path))
                raise storage_error(error, str(path))
            if fcntl is not None:
                self._acquire(fd, name)
            yield
        finally:
            os.close(fd)  # closing the only descriptor releases the flock

    def _acquire(self, fd: int, name: str) -> None:
        if self.wait_s is None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return
        deadline = time.monotonic() + self.wait_s
        pause = MIN_LOCK_POLL_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LockWaitExpired(name, self.wait_s) from None
                time.sleep(min(pause, left))
                pause = min(pause * 2, MAX_LOCK_POLL_S)


NAME_LOCK_NAMESPACE = 0x53444F43
"""The first key of every named advisory lock ("SDOC"), apart from the chats' ("SCHT")."""


class AdvisoryNamedLocks:
    """PostgreSQL session-level advisory locks, one connection per lock held: the database
    releases a lock the moment its holder's connection goes (``kill -9`` included).

    A holder that is alive but stuck (a hung embedding, a process stopped with ``kill -STOP``)
    keeps its lock; the next writer waits at most ``wait_s`` for it (PostgreSQL's
    ``lock_timeout`` on the waiting statement), then gives up with :class:`LockWaitExpired`
    before it has changed anything.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        namespace: int = NAME_LOCK_NAMESPACE,
        wait_s: float | None = None,
    ) -> None:
        self._engine = engine
        self._namespace = namespace
        self._wait_s = wait_s

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        key = _bucket(name, 2**32) - 2**31  # a signed 32-bit key
        params = {"ns": self._namespace, "key": key}
        conn = self._engine.connect()
        try:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # never idle in a transaction
            self._acquire(conn, name, params)
            try:
                yield
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), params)
                except Exception:
                    # The lock is still the session's: the connection must not go back to the
                    # pool holding it. Dropping it ends the session, and the lock with it.
                    conn.invalidate()
                    raise
        finally:
            conn.close()

    def _acquire(self, conn: Connection, name: str, params: dict[str, int]) -> None:
        if self._wait_s is None:
            conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), params)
            return
        timeout = f"{max(1, round(self._wait_s * 1000))}ms"
        conn.execute(text("SELECT set_config('lock_timeout', :t, false)"), {"t": timeout})
        try:
            conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), params)
        except Exception as err:
            if sqlstate_of(err) == _LOCK_NOT_AVAILABLE:
                raise LockWaitExpired(name, self._wait_s) from err
            raise
        finally:
            try:
                # The session goes back to the pool: its other statements wait as configured.
                conn.execute(text("RESET lock_timeout"))
            except Exception:
                conn.invalidate()
                raise


_LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's SQLSTATE for a lock not obtained within ``lock_timeout``."""


def named_locks_for(
    engine: Engine, folder: Path, *, prefix: str, wait_s: float | None = None
) -> NamedLocks:
    """Advisory locks on PostgreSQL, lock files in ``folder`` otherwise; either way a writer
    waits at most ``wait_s`` for one (no limit: ``None``)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryNamedLocks(engine, wait_s=wait_s)
    return FileNamedLocks(folder, prefix=prefix, wait_s=wait_s)
