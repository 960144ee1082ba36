"""Hostile command lines end with a message and a documented exit status, never a traceback.

0 ok, 1 failed, 2 usage, 3 not found, 4 permission, 5 invalid input, 6 unavailable,
7 configuration (README). Each case also checks that nothing stored was lost or added.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cli.errors import ExitStatus
from cli.main import main
from core import db as core_db

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "agreements.csv"
HUGE = str(2**63)
HUGER = "99999999999999999999"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    return status, out, err


def count(data_dir: Path, table: str) -> int:
    with sqlite3.connect(data_dir / "sinergi.db") as con:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def imported(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(capsys, "mou", "import", str(SAMPLE))[0] == 0
    return data_dir


@pytest.mark.parametrize(
    "args",
    [
        ("mou", "show", HUGE),
        ("mou", "show", HUGER),
        ("mou", "audit", HUGE),
        ("mou", "set-status", HUGE, "active"),
        ("mou", "milestone", HUGER, "--status", "done", "--evidence", "BA"),
        ("mou", "milestone-add", HUGE, "--title", "Tahap"),
        ("mou", "milestone-move", HUGE, "--due-on", "2026-05-01"),
        ("mou", "milestone-drop", HUGE),
        ("users", "remove", HUGER),
        ("users", "block", HUGE),
        ("users", "bind", "1", HUGE),
    ],
)
def test_ids_beyond_64_bits_are_invalid_input(
    imported: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    agreements, users = count(imported, "agreements"), count(imported, "users")
    status, _out, err = run(capsys, *args)
    assert status in (ExitStatus.INVALID_INPUT, ExitStatus.NOT_FOUND)
    if status == ExitStatus.INVALID_INPUT:
        assert "9223372036854775807" in err  # the largest id, named
    assert (count(imported, "agreements"), count(imported, "users")) == (agreements, users)


@pytest.mark.parametrize("days", ["999999999", "-5", "366"])
def test_invite_validity_outside_a_year_is_refused(
    data_dir: Path, capsys: pytest.CaptureFixture[str], days: str
) -> None:
    status, _out, err = run(capsys, "users", "invite", "--role", "official", "--days", days)
    assert status == ExitStatus.INVALID_INPUT
    assert "365" in err
    assert count(data_dir, "invites") == 0
    assert run(capsys, "users", "invite", "--role", "official", "--days", "0")[0] == 0


@pytest.mark.parametrize(
    "at", ["9999-12-31", "9999-12-31T23:00+00:00", "0001-01-01T00:00+14:00", "1900-01-01"]
)
@pytest.mark.parametrize("command", [("reminders", "due"), ("reminders", "send", "--once")])
def test_instants_off_the_calendar_are_invalid_input(
    imported: Path, capsys: pytest.CaptureFixture[str], at: str, command: tuple[str, ...]
) -> None:
    # The reminder ladders reach days before and after: at year 1 or 9999 they left the
    # calendar (an unexpected OverflowError, exit 1).
    status, _out, err = run(capsys, *command, "--at", at)
    assert status == ExitStatus.INVALID_INPUT
    assert at in err and "Traceback" not in err
    assert count(imported, "reminder_outbox") == 0


def test_import_of_a_missing_file_or_a_folder(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, err = run(capsys, "mou", "import", str(tmp_path / "tidak-ada.csv"))
    assert status == ExitStatus.NOT_FOUND and "tidak-ada.csv" in err
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    status, _out, err = run(capsys, "mou", "import", str(folder))
    assert status == ExitStatus.INVALID_INPUT and "bukan berkas" in err


def test_export_into_a_missing_folder(
    imported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a.csv", "a.xlsx", "a.ics"):
        target = tmp_path / "tidak-ada" / name
        status, _out, err = run(capsys, "mou", "export", str(target))
        assert status == ExitStatus.NOT_FOUND, err
        assert "tidak-ada" in err and not target.parent.exists()


def test_a_full_disk_during_export_keeps_the_previous_file(
    imported: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from openpyxl import Workbook

    folder = tmp_path / "ekspor"
    folder.mkdir()
    target = folder / "register.xlsx"
    assert run(capsys, "mou", "export", str(target))[0] == 0
    previous = target.read_bytes()

    def full(self: Workbook, filename: str | IO[bytes]) -> None:
        part = b"PK\x03\x04 setengah"  # a part was written (to a path or a handle), then:
        if isinstance(filename, str | Path):
            Path(filename).write_bytes(part)
        else:
            filename.write(part)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", full)
    status, _out, err = run(capsys, "mou", "export", str(target))
    assert status == ExitStatus.UNAVAILABLE
    assert "Disk penuh" in err
    assert target.read_bytes() == previous
    assert [p.name for p in folder.iterdir()] == ["register.xlsx"]  # no temporary file left


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SINERGI_TOP_K", "abc"),
        ("SINERGI_TOP_K", "0"),
        ("SINERGI_LANGUAGE", "fr"),
        ("SINERGI_HOLIDAYS", "25 Desember"),
        ("SINERGI_HOLIDAYS", '["kemarin"]'),
        ("SINERGI_REMINDER_UPCOMING_DAYS", "tujuh"),
        ("SINERGI_TIMEZONE", "Mars/Olympus"),
        ("SINERGI_CHROMA_URL", "bukan url"),
        ("SINERGI_TELEGRAM_BASE_URL", "ftp://x"),
        ("SINERGI_DATABASE_URL", "garbage://pengguna:Sandi-Rahasia-1@host/db"),
        ("SINERGI_DATABASE_URL", "postgresql+nodriver://pengguna:Sandi-Rahasia-1@host/db"),
        ("SINERGI_DEBUG", "mungkin"),
    ],
)
def test_malformed_settings_exit_7_naming_the_setting(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    monkeypatch.setenv(name, value)
    status, out, err = run(capsys, "mou", "list")
    assert status == ExitStatus.CONFIGURATION
    assert name in err
    assert "Sandi-Rahasia-1" not in out + err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SINERGI_REMINDER_UPCOMING_DAYS", "[999999999]"),
        ("SINERGI_REMINDER_UPCOMING_DAYS", "[-7]"),
        ("SINERGI_REMINDER_ESCALATION_DAYS", "[14, 99999999999]"),
        ("SINERGI_REMINDER_OVERDUE_DAYS", "[36500]"),
        ("SINERGI_REMINDER_RENEWAL_DAYS", "[-30]"),
        ("SINERGI_REMINDER_CATCH_UP_DAYS", "99999999"),
        ("SINERGI_AT_RISK_WITHIN_DAYS", "999999999"),
        ("SINERGI_WORKING_DAYS", "[7]"),
        ("SINERGI_WORKING_DAYS", "[]"),
        ("SINERGI_REMINDER_LEASE_MINUTES", "99999999999"),
        # Not read by this command, but by the bot: a curated answer's review date.
        ("SINERGI_CURATED_REVIEW_DAYS", "999999999"),
        ("SINERGI_DIGEST_ENDED_GRACE_DAYS", "999999999"),
        ("SINERGI_WEBHOOK_PORT", "99999"),
        # SQLite's busy timeout is a 32-bit count of milliseconds: beyond it, no wait at all.
        ("SINERGI_DATABASE_BOOKKEEPING_WAIT_S", "99999999"),
    ],
)
def test_reminder_settings_off_the_calendar_exit_7(
    imported: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
) -> None:
    # A ladder step of a billion days stopped every reminder pass (OverflowError); no working
    # day at all (or day 7) silently sent nothing, ever.
    monkeypatch.setenv(name, value)
    status, _out, err = run(capsys, "reminders", "due", "--at", "2026-12-01")
    assert status == ExitStatus.CONFIGURATION
    assert name in err and "tidak valid (" not in err  # the catalog's sentence, not pydantic's


@pytest.mark.parametrize(
    "secret", ["rahasia webhook dengan spasi", "kunci/rahasia+Sandi-Rahasia-1", "é" * 20, "x" * 257]
)
def test_a_webhook_secret_telegram_would_refuse_exits_7_without_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    # Telegram's setWebhook takes 1-256 of A-Z a-z 0-9 _ -: any other secret failed only when
    # the bot started in webhook mode, with Telegram's own words.
    monkeypatch.setenv("SINERGI_WEBHOOK_SECRET", secret)
    status, out, err = run(capsys, "mou", "list")
    assert status == ExitStatus.CONFIGURATION
    assert "SINERGI_WEBHOOK_SECRET" in err and "A-Z" in err
    assert secret not in out + err and "Sandi-Rahasia-1" not in out + err


def test_a_webhook_secret_of_the_allowed_characters_is_taken(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINERGI_WEBHOOK_SECRET", "Rahasia_Webhook-0123456789")
    status, _out, _err = run(capsys, "mou", "list")
    assert status == 0


def test_malformed_settings_in_english(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINERGI_TOP_K", "banyak")
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    status, _out, err = run(capsys, "mou", "list")
    assert status == ExitStatus.CONFIGURATION
    assert "The setting SINERGI_TOP_K must be a whole number." in err


def test_a_data_dir_that_cannot_be_created_exits_7(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "berkas"
    blocker.write_text("bukan folder", encoding="utf-8")
    monkeypatch.setenv("SINERGI_DATA_DIR", str(blocker / "data"))  # its parent is a file
    monkeypatch.setenv("SINERGI_EMBEDDING_BACKEND", "fake")
    for command in (["mou", "list"], ["kb", "list"], ["db", "upgrade"]):
        status, _out, err = run(capsys, *command)
        assert status == ExitStatus.CONFIGURATION, (command, err)
        assert "SINERGI_DATA_DIR" in err and str(blocker / "data") in err


@pytest.mark.parametrize(
    "args",
    [
        ("mou", "list", "--health", "bogus"),
        ("reminders", "log", "--status", "bogus"),
        ("users", "list", "--status", "bogus"),
        ("users", "list", "--role", "bogus"),
    ],
)
def test_unknown_filter_values_are_refused_with_the_choices(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    status, out, err = run(capsys, *args)
    assert status == ExitStatus.INVALID_INPUT
    assert "bogus" in err and out == ""


@pytest.fixture
def write_lock(data_dir: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(data_dir / "sinergi.db", isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    yield con
    if con.in_transaction:
        con.rollback()
    con.close()


def test_a_locked_database_during_import_is_unavailable_not_bad_input(
    data_dir: Path, write_lock: sqlite3.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _out, err = run(capsys, "mou", "import", str(SAMPLE))
    assert status == ExitStatus.UNAVAILABLE
    assert "coba lagi" in err
    write_lock.rollback()
    assert count(data_dir, "agreements") == 0
    assert run(capsys, "mou", "import", str(SAMPLE))[0] == 0  # once free, it just works


def test_a_full_disk_during_import_shows_no_sql_and_no_row_values(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite's max_page_count makes the database "full" exactly as a full disk does."""
    with sqlite3.connect(data_dir / "sinergi.db") as con:
        pages = int(con.execute("PRAGMA page_count").fetchone()[0])
    original = core_db.make_engine

    def small_disk(url: str, **kwargs: object) -> Engine:
        engine = original(url, **kwargs)  # type: ignore[arg-type]

        @event.listens_for(engine, "connect")
        def _limit(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 1}")

        return engine

    monkeypatch.setattr("services.container.make_engine", small_disk)
    rows = "\n".join(
        f"KB,{n}/RAHASIA-BARIS/2026,Judul rahasia nomor {n} {'x' * 300},"
        "Kota Bandung; Kabupaten Kerinci,2026-01-05"
        for n in range(300)
    )
    path = tmp_path / "besar.csv"
    path.write_text("jenis,nomor,judul,para_pihak,tanggal_ttd\n" + rows, encoding="utf-8")
    status, out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.UNAVAILABLE
    assert "penuh" in err
    for leak in ("INSERT", "SELECT", "RAHASIA-BARIS", "Judul rahasia", "[SQL"):
        assert leak not in out + err
    assert count(data_dir, "agreements") == 0


def test_an_argument_that_is_not_utf8_is_named_in_the_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `kb remove $'caf\xe9'` from a Latin-1 terminal: the id arrives with a lone surrogate;
    # the "not found" message could not be written (UnicodeEncodeError, exit 1).
    status, _out, err = run(capsys, "kb", "remove", "caf\udce9")
    assert status == ExitStatus.NOT_FOUND
    assert "caf\\udce9" in err
