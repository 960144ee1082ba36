"""What the fuzz of the CLI found, each kept as a regression test."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from tests.reliability.snapshot import changed_tables, snapshot


def _url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'sinergi.db'}"


@pytest.mark.parametrize("revision", ["[/]", "nope", "99999999999999999999"])
def test_an_unknown_schema_revision_is_invalid_input(
    data_dir: Path, capsys: pytest.CaptureFixture[str], revision: str
) -> None:
    before = snapshot(_url(data_dir))
    capsys.readouterr()
    assert main(["db", "upgrade", "--", revision]) == ExitStatus.INVALID_INPUT
    err = capsys.readouterr().err
    assert revision in err and "tak terduga" not in err
    assert changed_tables(before, snapshot(_url(data_dir))) == {}


def test_an_age_beyond_a_century_is_a_usage_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    status = main(["kb", "prune-originals", "--min-age-hours", "18446744073709551616"])
    assert status == ExitStatus.USAGE
    assert "tak terduga" not in capsys.readouterr().err
