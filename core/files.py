"""What Sinergi writes to disk is its owner's only: folders 0700, files 0600.

The data folder holds officials' questions, agreements and uploaded documents, so nothing in it
is for other accounts on the server. The entry points set :data:`PRIVATE_UMASK` for everything a
process creates (SQLite's journal, Chroma's files, exports, logs); the helpers here set the
modes explicitly where Sinergi creates its own folders and database file, so a library caller
with a looser umask gets the same. :func:`write_atomically` is how a file is written whole or
not at all.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077


def use_private_umask() -> int:
    """New files and folders of this process are its owner's only; returns the earlier umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as owner-only folders; an existing one is kept."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    for folder in missing:
        # mkdir's mode is masked by the umask and applies to the last folder only.
        folder.chmod(PRIVATE_DIR_MODE)


def private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only when it does not exist yet; an existing one is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def write_atomically(
    path: Path, write: Callable[[IO[bytes]], object], *, mode: int = PRIVATE_FILE_MODE
) -> None:
    """Replace ``path`` with what ``write`` puts into a binary handle, all or nothing.

    The bytes go to a new temporary file in the same folder (so the rename stays on one file
    system), are flushed to the disk, and the file is renamed over ``path``: a crash, a full
    disk or an exception in ``write`` leaves the old file (or none) under the name, never half
    a file, and the temporary file is removed. A symlink at ``path`` is replaced by the file,
    never followed, and the temporary name is created exclusively (``O_EXCL`` refuses a
    symlink planted there).

    Args:
        mode: the new file's permissions before the umask: owner-only by default; ``0o666``
            for a file the user asked for elsewhere (an export), as an ordinary file gets.

    Raises:
        OSError: the folder is missing or the file system refused; the callers translate it.
    """
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform lets a folder be synced)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
