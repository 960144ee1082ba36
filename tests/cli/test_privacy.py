"""``sinergi users export|forget|retention``: the person's data as JSON, forgetting with a
confirmation, the question log's retention for cron."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main

PERSON = "7070707"


def _rows(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "sinergi.db") as con:
        return list(con.execute(sql).fetchall())


@pytest.fixture
def person(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["users", "add", "1", "--role", "admin", "--name", "Admin"]) == 0
    assert main(["users", "add", PERSON, "--role", "official", "--name", "Eka Privasi"]) == 0
    with sqlite3.connect(data_dir / "sinergi.db") as con:
        for days, text in ((400, "Pertanyaan lama Eka"), (1, "Pertanyaan baru")):
            con.execute(
                "INSERT INTO kb_questions (asked_at, asked_by, question, normalized, language,"
                " found, answer, filters, citations)"
                " VALUES (datetime('now', ?), ?, ?, '', 'id', 0, '', '{}', '[]')",
                (f"-{days} days", f"tg:{PERSON}", text),
            )
    capsys.readouterr()
    return data_dir


def test_export_prints_everything_held_as_json(
    person: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "export", PERSON]) == 0
    held = json.loads(capsys.readouterr().out)
    assert held["accounts"]["account"]["name"] == "Eka Privasi"
    assert len(held["knowledge"]["questions"]) == 2


def test_export_of_someone_unknown_is_not_found(
    person: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "export", "999"]) == ExitStatus.NOT_FOUND
    assert "999" in capsys.readouterr().err


@pytest.mark.parametrize("answer", ["n\n", "", "tidak\n", "yaa\n"])
def test_forget_asks_first_and_a_no_changes_nothing(
    person: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    before = _rows(
        person,
        "SELECT * FROM users UNION ALL SELECT id, asked_by, question,"
        " 0, 0, 0, 0, 0, 0, 0 FROM kb_questions",
    )
    status = main(["users", "forget", PERSON])
    out, err = capsys.readouterr()
    assert status == ExitStatus.FAILED
    assert "2 pertanyaan" in out  # what would go, shown before asking
    assert "Dibatalkan" in err and "Traceback" not in err
    assert (
        _rows(
            person,
            "SELECT * FROM users UNION ALL SELECT id, asked_by, question,"
            " 0, 0, 0, 0, 0, 0, 0 FROM kb_questions",
        )
        == before
    )


def test_forget_confirmed_removes_the_person(
    person: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Ya\n"))
    assert main(["users", "forget", PERSON]) == 0
    out = capsys.readouterr().out
    pseudonym = out.split("anon:")[1].split()[0].rstrip(".")
    assert _rows(person, f"SELECT count(*) FROM users WHERE telegram_id = {PERSON}") == [(0,)]
    askers = _rows(person, "SELECT DISTINCT asked_by FROM kb_questions")
    assert askers == [(f"anon:{pseudonym}",)]
    questions = {q for (q,) in _rows(person, "SELECT question FROM kb_questions")}
    assert questions == {"Pertanyaan lama […]", "Pertanyaan baru"}
    assert main(["users", "forget", PERSON, "--yes"]) == ExitStatus.NOT_FOUND


def test_forget_the_last_admin_is_refused(person: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "forget", "1", "--yes"]) == ExitStatus.INVALID_INPUT
    assert _rows(person, "SELECT count(*) FROM users WHERE telegram_id = 1") == [(1,)]


def test_retention_command_for_cron(
    person: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["users", "retention", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"pseudonymised": 1, "retention_days": 180}
    askers = dict(_rows(person, "SELECT question, asked_by FROM kb_questions"))
    assert askers["Pertanyaan baru"] == f"tg:{PERSON}"
    assert str(askers["Pertanyaan lama Eka"]).startswith("anon:")
    monkeypatch.setenv("SINERGI_QUESTION_LOG_RETENTION_DAYS", "0")
    assert main(["users", "retention"]) == ExitStatus.CONFIGURATION
    assert "SINERGI_QUESTION_LOG_RETENTION_DAYS" in capsys.readouterr().err
