from __future__ import annotations

import pytest

from cli.errors import ExitStatus, exit_status_for
from cli.main import main
from core.errors import AppError, InvalidInput, NotFound, ServiceUnavailable


def test_help_lists_the_command_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for group in ("db", "regions", "mou", "reminders", "kb", "users"):
        assert group in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == ExitStatus.USAGE


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound(what="x"), ExitStatus.NOT_FOUND),
        (InvalidInput(detail="x"), ExitStatus.INVALID_INPUT),
        (ServiceUnavailable(service="x"), ExitStatus.UNAVAILABLE),
        (AppError(), ExitStatus.FAILED),
    ],
)
def test_exit_status_for_errors(error: AppError, status: ExitStatus) -> None:
    assert exit_status_for(error) == status


def test_db_upgrade_creates_schema(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("SINERGI_DATA_DIR", str(tmp_path / "d"))
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "d" / "sinergi.db").exists()
    assert main(["db", "current"]) == 0
