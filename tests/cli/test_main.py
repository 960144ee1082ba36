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
        # A range's bounds and the values pydantic cannot read, not in pydantic's English.
        (
            ["kb", "gaps", "--limit", "0"],
            "Nilai '--limit' paling kecil 1, bukan '0'.",
            "'--limit' must be at least 1, not '0'.",
        ),
        (
            ["kb", "gaps", "--limit", "501"],
            "Nilai '--limit' paling besar 500, bukan '501'.",
            "'--limit' must be at most 500, not '501'.",
        ),
        (["kb", "gaps", "--limit", "5" * 5000], "Nilai '--limit' terlalu besar", "too large"),
        (
            ["mou", "milestone", "\udcff", "--status", "done"],
            "Nilai 'milestone_id' memuat byte yang bukan teks (UTF-8)",
            "'milestone_id' holds bytes that are not text (UTF-8)",
        ),
        # A flag given a value.
        (["kb", "gaps", "--json=1"], "Opsi '--json' tidak menerima nilai.", "does not take"),
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
    assert "Input should" not in err and "Unable to" not in err
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
    "argv",
    [
        ["mou", "milestone", "\x1b]0;owned\x07", "--status", "done"],  # retitles the terminal
        ["mou", "milestone", "1", "--status", "done", "--\u202ex"],  # turns the line around
        ["mou", "milestone", "1", "2", "\x1b[2J\u202e", "--status", "done"],
        ["kb", "gaps", "--limit", "\u202e1"],
        ["mou", "\x1b]0;owned\x07"],
        ["mou", "milestone", "1", "--status", "done", "--" + "x" * 100_000],
    ],
)
def test_a_usage_error_repeats_what_was_typed_without_controls_and_briefly(
    cli_env: object, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    # Every message of the product repeats input on one line, without terminal controls or
    # direction overrides, at most 100 characters (core.text.echo); click's own fields were
    # repeated as typed.
    capsys.readouterr()
    assert main(argv) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "Galat:" in err
    assert not any(c in err for c in "\x1b\x07\u202e"), ascii(err)
    assert len(err.splitlines()[-1]) < 200


def test_a_secret_typed_in_a_long_value_is_masked_before_it_is_shortened(
    cli_env: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The value is cut around a "…" to 100 characters; cut first, a token standing across the
    # cut was no longer whole, and its part was printed as typed.
    token = "123456789:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    monkeypatch.setenv("SINERGI_TELEGRAM_TOKEN", token)
    capsys.readouterr()
    value = "x" * 50 + token + "y" * 60
    assert main(["mou", "milestone", value, "--status", "done"]) == ExitStatus.USAGE
    err = capsys.readouterr().err
    assert "Galat:" in err and "xxxx" in err
    assert not any(token[i : i + 8] in err for i in range(len(token) - 7)), err


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


def test_a_domain_error_repeats_a_short_value_without_controls(
    cli_env: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # The catalog's message repeated a value of up to 100 characters as typed: an escape
    # sequence retitled the terminal, a right-to-left override turned the line around.
    capsys.readouterr()
    assert main(["mou", "list", "--at", "a\u202eexe.fdp\x1b]0;owned\x07"]) != ExitStatus.OK
    err = capsys.readouterr().err
    assert "exe.fdp" in err
    assert not any(c in err for c in "\x1b\x07\u202e"), ascii(err)
