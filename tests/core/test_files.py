"""What Sinergi creates on disk is its owner's only: folders 0700, files 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import text

from core.config import Settings
from core.db import make_engine
from core.files import (
    PRIVATE_FILE_MODE,
    private_dir,
    private_file,
    use_private_umask,
    write_atomically,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A typical login umask (022): what Sinergi creates must not depend on it being stricter."""
    earlier = os.umask(0o022)
    yield
    os.umask(earlier)


@pytest.mark.usefixtures("open_umask")
def test_state_folders_are_created_owner_only(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path / "srv" / "sinergi", embedding_backend="fake"
    )
    settings.ensure_dirs()
    for folder in (tmp_path / "srv", settings.data_dir, settings.chroma_dir):
        assert mode(folder) == 0o700, folder
    assert mode(settings.originals_dir) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    private_dir(shared / "inner")
    assert mode(shared) == 0o750
    assert mode(shared / "inner") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_the_sqlite_database_and_its_journal_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "sinergi.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        wal = tmp_path / "sinergi.db-wal"
        assert wal.exists()
        assert mode(wal) == 0o600
    assert mode(db) == 0o600
    engine.dispose()


@pytest.mark.usefixtures("open_umask")
def test_private_file_leaves_an_existing_file_alone(tmp_path: Path) -> None:
    existing = tmp_path / "kept.db"
    existing.write_bytes(b"data")
    existing.chmod(0o640)
    private_file(existing)
    assert existing.read_bytes() == b"data"
    assert mode(existing) == 0o640


@pytest.mark.usefixtures("open_umask")
def test_the_private_umask_covers_files_created_by_other_libraries(tmp_path: Path) -> None:
    earlier = use_private_umask()
    try:
        (tmp_path / "export.json").write_text("{}")
        (tmp_path / "folder").mkdir()
    finally:
        os.umask(earlier)
    assert earlier == 0o022
    assert mode(tmp_path / "export.json") == 0o600
    assert mode(tmp_path / "folder") == 0o700


# --- replacing a file all or nothing ----------------------------------------------------------


def test_write_atomically_replaces_the_content(tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    target.write_bytes(b"old")
    write_atomically(target, lambda handle: handle.write(b"new"))
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["export.csv"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "page.json"
    target.write_bytes(b"old")

    def fail_halfway(handle: IO[bytes]) -> None:
        handle.write(b"half a ")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomically(target, fail_halfway)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["page.json"]


def test_a_failed_rename_removes_the_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder under the name: the rename fails
    with pytest.raises(OSError):
        write_atomically(target, lambda handle: handle.write(b"data"))
    assert os.listdir(tmp_path) == ["taken"]


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"keep me")
    target = tmp_path / "out"
    target.symlink_to(elsewhere)
    write_atomically(target, lambda handle: handle.write(b"new"))
    assert elsewhere.read_bytes() == b"keep me"
    assert not target.is_symlink() and target.read_bytes() == b"new"


@pytest.mark.usefixtures("open_umask")
def test_write_atomically_sets_the_mode_asked_for(tmp_path: Path) -> None:
    private = tmp_path / "private"
    write_atomically(private, lambda handle: handle.write(b"x"))
    assert mode(private) == PRIVATE_FILE_MODE
    shared = tmp_path / "shared"
    write_atomically(shared, lambda handle: handle.write(b"x"), mode=0o666)
    assert mode(shared) == 0o644  # an ordinary file under the umask, as an export should be
