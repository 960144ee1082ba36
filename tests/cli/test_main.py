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
    ("argv", "indonesian", "english"),
    [
        (
            ["mou", "milestone"],
            "Argumen 'milestone_id' belum diberikan.",
            "Missing argument 'milestone_id'.",
        ),
        (["mou", "milestone", "1"], "Opsi '--status' wajib diisi.", "Missing option '--status'."),
        (
            ["mou", "milestone", "x", "--status", "done"],
            "Nilai 'milestone_id' harus bilangan bulat, bukan 'x'.",
            "'milestone_id' must be a whole number, not 'x'.",
        ),
        (
            ["mou", "milestone", "1", "--statu", "done"],
            "Tidak ada opsi '--statu'. Mungkin maksud Anda: --status",
            "No such option: '--statu'. Did you mean: --status",
        ),
        (
            ["mou", "milestone", "1", "--status"],
            "Opsi '--status' memerlukan nilai.",
            "Option '--status' requires a value.",
        ),
        (
            ["mou", "mileston"],
            "Tidak ada perintah 'mileston'. Mungkin maksud Anda: milestone",
            "No such command 'mileston'. Did you mean: milestone",
        ),
        (["no-such-command"], "Tidak ada perintah 'no-such-command'.", "No such command"),
        (["mou", "milestone", "1", "2", "--status", "done"], "Argumen berlebih: 2.", "extra"),
    ],
)
def test_usage_errors_speak_the_users_language_and_exit_with_status_2(
    cli_env: object,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    indonesian: str,
    english: str,
) -> None:
    capsys.readouterr()
    assert main(argv) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert indonesian in err and "Galat:" in err
    assert "Missing" not in err and "No such" not in err and "Usage:" not in err
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(argv) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert english in err and "Error:" in err


def test_a_usage_error_names_the_command_and_its_help(
    cli_env: object, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["mou", "milestone"]) == ExitStatus.USAGE
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("Penggunaan: sinergi mou milestone [OPTIONS]")
    assert lines[1] == "Lihat 'sinergi mou milestone --help' untuk bantuan."
    # A group without its command still shows its help, with click's status.
    assert main(["mou"]) == ExitStatus.USAGE
    assert "milestone" in capsys.readouterr().out


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
