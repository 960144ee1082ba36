"""``sinergi reminders due / send --once / log`` end to end, Telegram played by a local Bot API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cli.errors import ExitStatus
from cli.main import main
from core.db import make_engine
from services import database
from tests.fakes.botapi.server import TOKEN, BotApiServer, Call
from tests.fakes.reminders import seed_agreement

KERINCI_COORD, ADMIN = 111, 900
TUESDAY_0900_WIB = "2026-03-03T09:00+07:00"


@pytest.fixture
def data_dir(cli_env: Path) -> Path:
    path = cli_env
    engine = make_engine(f"sqlite:///{path / 'sinergi.db'}")
    database.upgrade(engine)
    seed_agreement(
        engine,
        agreement_id=1,
        parties=["32.73", "15.01"],
        title="Replikasi Hayu.Bdg Kerinci",
        milestones=[(10, "Pelatihan staf", date(2026, 3, 4), "15.01")],
    )
    engine.dispose()
    return path


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        monkeypatch.setenv("SINERGI_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("SINERGI_TELEGRAM_BASE_URL", server.base_url)
        yield server


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_due_json_without_users_names_placeholders(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reminders", "due", "--at", TUESDAY_0900_WIB, "--json"]) == 0
    [item] = _json(capsys)
    assert item["agreement_id"] == 1
    assert item["milestone_id"] == 10
    assert item["kind"] == "upcoming"
    assert item["recipient"] == "region:15.01"
    assert item["due_on"] == "2026-03-04"
    assert item["timezone"] == "Asia/Jakarta"


def test_due_names_registered_coordinators(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", str(ADMIN), "--role", "admin", "--name", "Admin"]) == 0
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["reminders", "due", "--at", "2026-03-03 09:00", "--json"]) == 0
    assert [i["recipient"] for i in _json(capsys)] == [f"tg:{KERINCI_COORD}"]
    assert main(["reminders", "due", "--at", "2026-03-03"]) == 0
    out = capsys.readouterr().out
    assert "upcoming" in out and f"tg:{KERINCI_COORD}" in out


def test_due_prints_no_terminal_controls_stored_before_cleaning(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The table printed an agreement's and a milestone's title as stored: an older version's
    # row with an escape that retitles the terminal reached it.
    monkeypatch.setenv("COLUMNS", "300")
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    hostile = "'x\x1b]0;PWNED\x07\u202ey'"
    with engine.begin() as conn:  # as an older version could have stored it
        conn.execute(text(f"UPDATE agreements SET title = {hostile}"))
        conn.execute(text(f"UPDATE milestones SET title = {hostile}"))
    engine.dispose()
    assert main(["reminders", "due", "--at", TUESDAY_0900_WIB]) == 0
    out = capsys.readouterr().out
    assert out.count("]0;PWNED") == 2, out
    assert not any(c in out for c in "\x1b\x07\u202e"), ascii(out)


def test_due_outside_working_hours_says_so(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reminders", "due", "--at", "2026-03-07T10:00+07:00"]) == 0  # Saturday
    assert "Tidak ada pengingat" in capsys.readouterr().out
    assert main(["reminders", "due", "--at", "2026-03-07T10:00+07:00", "--json"]) == 0
    assert _json(capsys) == []


def test_due_rejects_a_bad_instant(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "due", "--at", "besok pagi"]) == ExitStatus.INVALID_INPUT
    assert "besok pagi" in capsys.readouterr().err


def test_send_needs_once_and_a_token(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "send"]) == ExitStatus.USAGE
    assert main(["reminders", "send", "--once"]) == ExitStatus.CONFIGURATION
    assert "SINERGI_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_send_once_delivers_through_telegram_exactly_once(
    data_dir: Path, telegram: BotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", str(ADMIN), "--role", "admin", "--name", "Admin"]) == 0
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["reminders", "send", "--once", "--at", TUESDAY_0900_WIB, "--json"]) == 0
    report = _json(capsys)
    assert (report["messages_sent"], report["reminders_sent"]) == (1, 1)
    [message] = telegram.sent(KERINCI_COORD)
    assert "Pelatihan staf" in (message.text or "")
    labels = [b["text"] for b in message.buttons()]
    assert len(labels) == 4
    assert all(len(b["callback_data"].encode()) <= 64 for b in message.buttons())
    # A second run (cron fires again) sends nothing new.
    assert main(["reminders", "send", "--once", "--at", "2026-03-03T09:05+07:00"]) == 0
    assert len(telegram.sent(KERINCI_COORD)) == 1
    telegram.assert_clean()
    capsys.readouterr()
    assert main(["reminders", "log", "--json"]) == 0
    [row] = _json(capsys)
    assert (row["recipient"], row["status"], row["kind"]) == (
        f"tg:{KERINCI_COORD}",
        "sent",
        "upcoming",
    )
    assert row["message_id"] == message.message_id
    assert main(["reminders", "log"]) == 0
    out = capsys.readouterr().out
    assert "sent" in out
    assert "resent" not in out  # no column for what nobody sent again: the error's stays wide


def test_send_once_never_repeats_a_reminder_whose_answer_did_not_come(
    data_dir: Path,
    telegram: BotApiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Telegram accepts the message and its answer comes after the read timeout: it may have
    arrived, so the reminder is logged unconfirmed and no later pass sends it again."""
    assert main(["users", "add", str(ADMIN), "--role", "admin", "--name", "Admin"]) == 0
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    monkeypatch.setattr("bot.jobs.SEND_READ_TIMEOUT_S", 0.3)

    def answer_late(call: Call) -> None:
        if call.method == "sendMessage":
            time.sleep(1.0)

    telegram.after_call = answer_late
    capsys.readouterr()
    assert main(["reminders", "send", "--once", "--at", TUESDAY_0900_WIB]) == 0
    summary = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "pesan terkirim: 0" in summary
    assert "belum terkonfirmasi (tidak dikirim ulang): 1" in summary
    assert len(telegram.sent(KERINCI_COORD)) == 1  # Telegram has it
    telegram.after_call = None
    for at in ("2026-03-03T09:05+07:00", "2026-03-03T11:00+07:00"):
        assert main(["reminders", "send", "--once", "--at", at]) == 0
    assert len(telegram.sent(KERINCI_COORD)) == 1  # never sent twice
    capsys.readouterr()
    assert main(["reminders", "log", "--json", "--status", "unconfirmed"]) == 0
    [row] = _json(capsys)
    assert row["recipient"] == f"tg:{KERINCI_COORD}"
    assert "no answer" in row["last_error"]
    # The operator's status says so, in the operator's language: nothing will re-send it.
    main(["status", "--json"])  # the vector store's part may be down here: not the point
    checks = {c["name"]: c for c in _json(capsys)["checks"]}
    assert checks["reminders"]["detail"].endswith("undeliverable 0, unconfirmed 1")
    main(["status"])
    assert "belum terkonfirmasi 1" in capsys.readouterr().out


def test_send_once_routes_a_blocked_coordinator_to_the_admins(
    data_dir: Path, telegram: BotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", str(ADMIN), "--role", "admin", "--name", "Admin"]) == 0
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    telegram.block(KERINCI_COORD)
    assert main(["reminders", "send", "--once", "--at", TUESDAY_0900_WIB]) == 0
    [notice] = telegram.sent(ADMIN)
    assert "tidak terkirim" in (notice.text or "").lower()
    capsys.readouterr()
    assert main(["reminders", "log", "--json", "--status", "undeliverable"]) == 0
    [row] = _json(capsys)
    assert "blocked" in row["last_error"]
    assert main(["reminders", "send", "--once", "--at", "2026-03-03T11:00+07:00"]) == 0
    assert len(telegram.sent(ADMIN)) == 1


def test_send_once_retries_telegram_flood_control_later(
    data_dir: Path, telegram: BotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    telegram.fail("sendMessage", "500", times=1)
    assert main(["reminders", "send", "--once", "--at", TUESDAY_0900_WIB]) == 0
    assert telegram.sent(KERINCI_COORD) == []
    capsys.readouterr()
    assert main(["reminders", "log", "--json"]) == 0
    [row] = _json(capsys)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert main(["reminders", "send", "--once", "--at", "2026-03-03T09:10+07:00"]) == 0
    assert len(telegram.sent(KERINCI_COORD)) == 1


def test_resend_sends_an_undeliverable_reminder_again_once_the_block_is_lifted(
    data_dir: Path, telegram: BotApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", str(ADMIN), "--role", "admin", "--name", "Admin"]) == 0
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    telegram.block(KERINCI_COORD)
    assert main(["reminders", "send", "--once", "--at", TUESDAY_0900_WIB]) == 0
    capsys.readouterr()
    assert main(["reminders", "log", "--json", "--status", "undeliverable"]) == 0
    [row] = _json(capsys)
    telegram.unblock(KERINCI_COORD)

    assert main(["reminders", "resend", str(row["id"]), "--by", "rina"]) == 0
    assert f"Pengingat #{row['id']} akan dikirim ulang" in " ".join(capsys.readouterr().out.split())
    assert main(["reminders", "send", "--once", "--at", "2026-03-03T10:00+07:00"]) == 0
    assert main(["reminders", "send", "--once", "--at", "2026-03-03T11:00+07:00"]) == 0
    [message] = telegram.sent(KERINCI_COORD)
    assert "Pelatihan staf" in (message.text or "")
    capsys.readouterr()
    assert main(["reminders", "log", "--json"]) == 0
    [resent] = [r for r in _json(capsys) if r["id"] == row["id"]]
    assert (resent["status"], resent["resends"], resent["resent_by"]) == ("sent", 1, "rina")
    assert resent["resent_at"]
    assert main(["reminders", "log"]) == 0
    assert "rina" in capsys.readouterr().out

    # Sent now: refused, in the operator's language, with the CLI's exit status for it.
    assert main(["reminders", "resend", str(row["id"])]) == ExitStatus.INVALID_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "hanya pengingat yang belum terkonfirmasi" in err and "sent" in err
    assert len(telegram.sent(KERINCI_COORD)) == 1


def test_resend_refuses_unknown_and_settled_ids_and_says_which(
    data_dir: Path,
    telegram: BotApiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["users", "add", str(KERINCI_COORD), "--role", "coordinator", "--region", "15.01"]
    assert main(args) == 0
    assert main(["reminders", "send", "--once", "--at", TUESDAY_0900_WIB]) == 0
    capsys.readouterr()
    assert main(["reminders", "log", "--json"]) == 0
    [row] = _json(capsys)
    assert row["status"] == "sent"

    assert main(["reminders", "resend", "4242"]) == ExitStatus.NOT_FOUND
    assert "#4242 tidak ditemukan" in capsys.readouterr().err
    # Two kinds of refusal: the command ran and some of its work failed.
    assert main(["reminders", "resend", str(row["id"]), "4242", "--json"]) == ExitStatus.FAILED
    outcomes = _json(capsys)
    assert [(o["id"], o["resent"], o["code"]) for o in outcomes] == [
        (row["id"], False, "reminders.not_resendable"),
        (4242, False, "reminders.not_found"),
    ]
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(["reminders", "resend", str(row["id"])]) == ExitStatus.INVALID_INPUT
    assert "only unconfirmed or undeliverable reminders can be sent again" in " ".join(
        capsys.readouterr().err.split()
    )
    capsys.readouterr()
    assert main(["reminders", "log", "--json"]) == 0
    [after] = _json(capsys)
    assert after == row  # nothing changed
