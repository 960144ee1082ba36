from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_add_bootstraps_first_admin_and_lists(data_dir: Path, capsys) -> None:
    assert main(["users", "add", "1001", "--role", "admin", "--name", "Asep"]) == 0
    assert "1001" in capsys.readouterr().out
    assert main(["users", "list", "--json"]) == 0
    users = _json(capsys)
    assert isinstance(users, list)
    assert [(u["telegram_id"], u["role"], u["status"]) for u in users] == [
        (1001, "admin", "active")
    ]
    assert main(["users", "list"]) == 0
    assert "Asep" in capsys.readouterr().out


def test_bad_role_is_invalid_input(data_dir: Path, capsys) -> None:
    assert main(["users", "add", "5", "--role", "boss"]) == ExitStatus.INVALID_INPUT
    err = capsys.readouterr().err
    assert "boss" in err


def test_invite_prints_code_and_link(data_dir: Path, capsys, monkeypatch) -> None:
    assert main(["users", "invite", "--role", "official", "--region", "32.73"]) == 0
    out = capsys.readouterr().out
    assert "/start" in out  # no bot username: how to use the code
    monkeypatch.setenv("SINERGI_TELEGRAM_BOT_USERNAME", "@SinergiBot")
    assert main(["users", "invite", "--role", "trainer", "--json"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict)
    assert data["link"] == f"https://t.me/SinergiBot?start={data['code']}"


def test_invite_and_add_say_which_region_a_name_was_read_as(data_dir: Path, capsys) -> None:
    assert main(["users", "invite", "--role", "coordinator", "--region", "Kerincii"]) == 0
    assert "Kabupaten Kerinci (15.01)" in capsys.readouterr().out
    assert main(["users", "invite", "--role", "coordinator", "--region", "Kerincii", "--json"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict)
    assert (data["region"], data["region_name"]) == ("15.01", "Kabupaten Kerinci")
    assert main(["users", "add", "7", "--role", "coordinator", "--region", "Kerincii"]) == 0
    assert "Kabupaten Kerinci (15.01)" in capsys.readouterr().out


def test_remove_unknown_user_is_not_found(data_dir: Path, capsys) -> None:
    assert main(["users", "remove", "77"]) == ExitStatus.NOT_FOUND
    assert "77" in capsys.readouterr().err


def test_remove_user(data_dir: Path, capsys) -> None:
    main(["users", "add", "1", "--role", "admin"])
    main(["users", "add", "2", "--role", "official"])
    capsys.readouterr()
    assert main(["users", "remove", "2"]) == 0
    assert "2" in capsys.readouterr().out
    assert main(["users", "list", "--json"]) == 0
    assert [u["telegram_id"] for u in _json(capsys)] == [1]  # type: ignore[union-attr,index]


def test_approve_and_block_from_the_cli(data_dir: Path, capsys) -> None:
    from core.config import Settings
    from services import build_services

    services = build_services(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
    services.access.request_access(55, "Gita")
    services.close()
    main(["users", "add", "1", "--role", "admin"])
    assert main(["users", "list", "--status", "pending", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"telegram_id": 55' in out
    assert main(["users", "approve", "55", "--role", "coordinator"]) == ExitStatus.INVALID_INPUT
    assert main(["users", "approve", "55", "--role", "coordinator", "--region", "15.01"]) == 0
    assert main(["users", "block", "55", "--json"]) == 0
    capsys.readouterr()
    assert main(["users", "list", "--json"]) == 0
    users = {u["telegram_id"]: u for u in _json(capsys)}  # type: ignore[union-attr]
    assert users[55]["status"] == "blocked" and users[55]["region_code"] == "15.01"


@pytest.mark.parametrize("telegram_id", ["0", "-5", str(2**52), str(2**63)])
def test_add_refuses_what_cannot_be_a_telegram_user_id(
    data_dir: Path, capsys: pytest.CaptureFixture[str], telegram_id: str
) -> None:
    # Telegram's user IDs are positive and have at most 52 significant bits (group chats are
    # negative): such a "user" could never write to the bot, and a typo stays unnoticed.
    status = main(["users", "add", "--role", "official", "--", telegram_id])
    assert status == ExitStatus.INVALID_INPUT
    assert telegram_id in capsys.readouterr().err
    assert main(["users", "list", "--json"]) == 0
    assert _json(capsys) == []


def test_names_stored_before_the_cleaning_show_plain_in_the_table(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Names come from Telegram as typed. Older versions stored them raw: a right-to-left
    # override or a terminal escape must not reach the admin's terminal, and square brackets
    # are a name, not the table's markup (a "[/b]" once stopped the listing).
    from sqlalchemy import text

    from core.db import make_engine

    monkeypatch.setenv("COLUMNS", "300")
    assert main(["users", "add", "1", "--role", "admin", "--name", "Admin"]) == 0
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (telegram_id, name, username, role, status, language,"
                " created_at, updated_at) SELECT 2, :name, NULL, 'official', 'pending', 'id',"
                " created_at, updated_at FROM users WHERE telegram_id = 1"
            ),
            {"name": "Budi\u202e [/b] [red]Merah\x1b[31m\x07"},
        )
    engine.dispose()
    capsys.readouterr()
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "Budi [/b] [red]Merah [31m" in out
    assert not any(c in out for c in "\u202e\x1b\x07")


def test_bind_makes_a_coordinator_responsible_and_refuses_anyone_else(
    data_dir: Path, capsys
) -> None:
    sample = Path(__file__).resolve().parents[2] / "samples" / "agreements.csv"
    assert main(["mou", "import", str(sample)]) == 0
    main(["users", "add", "7", "--role", "coordinator", "--region", "15.01"])
    main(["users", "add", "8", "--role", "official", "--region", "15.01"])
    capsys.readouterr()
    assert main(["users", "bind", "7", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["agreement_ids"] == [1]
    assert main(["users", "bind", "8", "1"]) == ExitStatus.INVALID_INPUT
    err = capsys.readouterr().err
    assert "8" in err and "hanya koordinator" in err
    assert main(["users", "bind", "7", "999"]) == ExitStatus.NOT_FOUND
    assert "#999 tidak ditemukan" in capsys.readouterr().err
    assert main(["users", "list", "--json"]) == 0
    bound = {u["telegram_id"]: u["agreement_ids"] for u in json.loads(capsys.readouterr().out)}
    assert bound == {7: [1], 8: []}
