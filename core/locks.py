"""A lock between processes on one machine: an ``flock`` on a file beside the data it guards.

Used where two commands started together on a new data folder would otherwise both create the
same thing (the SQLite schema, Chroma's on-disk tables) and one would fail with "already
exists". Only one machine writes an embedded data folder, so a local lock is enough.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
