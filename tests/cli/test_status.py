"""``sinergi status``: every part probed; a part that is down gives exit 6 and is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from tests.conftest import closed_port

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
    }
    documents = int(checks["knowledge"]["detail"].split()[0])
    assert documents == len(list(SAMPLE.iterdir())) and documents > 0
    assert int(checks["vector store"]["detail"].split()[0]) >= documents
    assert int(checks["tracker"]["detail"].split()[0]) > 0
    assert checks["knowledge"]["detail"].endswith("keyword search in process")  # SQLite
    assert checks["inbox"]["detail"] == "0 pending"


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
