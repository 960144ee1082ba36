"""What Sinergi writes to disk is its owner's only: folders 0700, files 0600.

The data folder holds officials' questions, agreements and uploaded documents, so nothing in it
is for other accounts on the server. The entry points set :data:`PRIVATE_UMASK` for everything a
process creates (SQLite's journal, Chroma's files, exports, logs); the helpers here set the
modes explicitly where Sinergi creates its own folders and database file, so a library caller
with a looser umask gets the same.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path``, owner-only, through a temporary file renamed over it: a
    crash never leaves half a file, and a link standing at ``path`` is replaced, not written
    through (into the file it points to)."""
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
