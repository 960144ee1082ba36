"""What Sinergi creates on disk is its owner's only: folders 0700, files 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.config import Settings
from core.db import make_engine
from core.files import private_dir, private_file, use_private_umask


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
