"""The ``sinergi`` command creates the database and the data folders owner-only."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cli.main import main


def test_db_upgrade_creates_an_owner_only_database_under_a_login_umask(cli_env: Path) -> None:
    earlier = os.umask(0o022)
    try:
        assert main(["db", "upgrade"]) == 0
        assert os.umask(0o022) == 0o022  # the command gives the caller its umask back
    finally:
        os.umask(earlier)
    database = cli_env / "sinergi.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    created = [p for p in cli_env.rglob("*")]
    assert created
    for path in created:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
