"""``sinergi status``: every part probed; a part that is down gives exit 6 and is named."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from knowledge_base.translation import read_dictd
from services.health import Check, describe
from tests.conftest import closed_port
from tests.knowledge_base.test_translation import ENTRIES, write_dictd

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "docs"


def test_a_healthy_deployment(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-ask", "--json"]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Semua bagian berjalan." in out and "GAGAL" not in out
    assert "dokumen:" in out and "keyword search" not in out  # figures in the operator's language
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == {
        "database",
        "pending",
        "knowledge",
        "vector store",
        "tracker",
        "reminders",
        "inbox",
        "english dictionary",
    }
    documents = int(checks["knowledge"]["detail"].split()[0])
    assert documents == len(list(SAMPLE.iterdir())) and documents > 0
    assert int(checks["vector store"]["detail"].split()[0]) >= documents
    assert int(checks["tracker"]["detail"].split()[0]) > 0
    assert checks["knowledge"]["detail"].endswith("keyword search in process")  # SQLite
    assert checks["inbox"]["detail"] == "0 pending"


def test_damaged_sentence_vectors_are_counted_as_kb_check_counts_them(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo", "--no-ask", "--json"]) == 0
    with sqlite3.connect(data_dir / "sinergi.db") as con:  # two rows cut short
        cut = con.execute(
            "UPDATE kb_unit_vectors SET vectors = substr(vectors, 1, 20) WHERE chunk_id IN"
            " (SELECT chunk_id FROM kb_unit_vectors ORDER BY chunk_id LIMIT 2)"
        ).rowcount
    assert cut == 2
    capsys.readouterr()
    assert main(["kb", "check", "--json"]) != 0
    assert json.loads(capsys.readouterr().out)["damaged_units"] == 2
    assert main(["status", "--json"]) == 0  # the passages still answer: limited, not down
    knowledge = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}["knowledge"]
    assert knowledge["ok"] is True and knowledge["degraded"] is True
    assert knowledge["detail"].endswith(
        ", 2 damaged sentence-vector rows (sinergi kb check --repair)"
    )
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(["status"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1 part(s) limited: knowledge base." in out
    assert main(["kb", "check", "--repair", "--json"]) == 0
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    knowledge = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}["knowledge"]
    assert "degraded" not in knowledge and "damaged" not in knowledge["detail"]


def test_the_vector_store_down_is_named_and_exits_6(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SINERGI_CHROMA_URL", f"http://127.0.0.1:{closed_port()}")
    assert main(["status", "--json"]) == ExitStatus.UNAVAILABLE
    report = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    assert report["ok"] is False
    assert checks["vector store"] == {
        "name": "vector store",
        "ok": False,
        "detail": "kb.store_unavailable",
    }
    assert checks["database"]["ok"] and checks["tracker"]["ok"]
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(["status"]) == ExitStatus.UNAVAILABLE
    assert "part(s) down: knowledge base, vector store." in capsys.readouterr().out


def test_the_database_down_is_named_and_exits_6(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://sinergi@127.0.0.1:{closed_port()}/sinergi?connect_timeout=2"
    monkeypatch.setenv("SINERGI_DATABASE_URL", url)
    assert main(["status", "--json"]) == ExitStatus.UNAVAILABLE
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["database"] == {"name": "database", "ok": False, "detail": "db.unavailable"}
    assert not checks["tracker"]["ok"]


def test_the_english_dictionary_is_reported_present_with_its_size(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = tmp_path / "freedict-eng-ind"
    write_dictd(base, ENTRIES)
    headwords = len(read_dictd(base).entries)
    monkeypatch.setenv("SINERGI_ENGLISH_DICTIONARY", str(base))
    assert main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in report["checks"]}
    english = checks["english dictionary"]
    assert english["ok"] is True and not english.get("degraded")
    assert english["detail"] == f"present: {headwords} headwords ({base})"
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "kamus Inggris" in out and f"{headwords} kata" in out and "terbatas" not in out


@pytest.mark.parametrize("setting", ["missing", ""])
def test_an_absent_english_dictionary_is_reported_without_failing_the_deployment(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
) -> None:
    value = str(tmp_path / "nowhere" / "freedict-eng-ind") if setting else ""
    monkeypatch.setenv("SINERGI_ENGLISH_DICTIONARY", value)
    assert main(["status", "--json"]) == 0  # a feature off, not a part down
    report = json.loads(capsys.readouterr().out)
    english = {c["name"]: c for c in report["checks"]}["english dictionary"]
    assert english["ok"] is True and english["degraded"] is True
    assert english["detail"].startswith("absent")
    assert "without translations" in english["detail"]
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(["status"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "┃ limited" in out or "│ limited" in out  # the row's state
    assert "1 part(s) limited: English–Indonesian dictionary." in out


def test_an_absent_dictionary_says_what_it_costs_in_both_languages() -> None:
    absent = Check("english dictionary", True, "absent", {"path": "/x"}, key="english_absent")
    assert describe(absent, "en") == (
        "English–Indonesian dictionary",
        "absent (/x): English questions are searched without translating their words"
        " (Debian: apt-get install dict-freedict-eng-ind)",
    )
    assert "tanpa terjemahan" in describe(absent, "id")[1]


def test_reminder_failures_are_counted_beyond_a_hundred(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """150 failed, 120 undeliverable and 101 unconfirmed reminders are reported as such: the
    check read at most 100 rows of each and reported 100."""
    assert main(["status", "--json"]) == 0  # the database exists
    capsys.readouterr()
    rows = [
        (f"k{status}{i}", status)
        for status, n in (("failed", 150), ("undeliverable", 120), ("unconfirmed", 101))
        for i in range(n)
    ]
    with sqlite3.connect(data_dir / "sinergi.db") as con:
        con.executemany(
            "INSERT INTO reminder_outbox (dedup_key, kind, threshold, recipient, language,"
            " trigger_on, payload, status, attempts, created_at, updated_at) VALUES"
            " (?, 'due', 7, 'admins', 'id', '2026-03-03', '{}', ?, 1,"
            " '2026-03-03 02:00:00', '2026-03-03 02:00:00')",
            rows,
        )
    assert main(["status", "--json"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["reminders"]["detail"].endswith("failed 150, undeliverable 120, unconfirmed 101")
    assert main(["status"]) == 0
    out = capsys.readouterr().out  # the table wraps the detail: its figures are there
    assert all(figure in out for figure in ("150", "120", "101"))
