from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from cli.main import main


def test_run_without_token_explains_and_starts_the_chat(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/bantuan\n/keluar\n"))
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "@BotFather" in out and "SINERGI_TELEGRAM_TOKEN" in out
    assert "/tambah" in out and "Sampai jumpa!" in out


def test_run_with_token_starts_the_bot(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[Any] = []
    monkeypatch.setenv("SINERGI_TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setattr(
        "bot.runner.run_bot", lambda services, settings, **kw: started.append((settings, kw))
    )
    assert main(["run"]) == 0
    settings, options = started[0]
    assert settings.telegram_token.get_secret_value() == "123:abc"
    assert options == {"webhook": None, "listen": None, "port": None}
    assert main(["run", "--webhook", "--port", "8082", "--listen", "0.0.0.0"]) == 0
    assert started[1][1] == {"webhook": True, "listen": "0.0.0.0", "port": 8082}
    assert main(["run", "--polling"]) == 0
    assert started[2][1]["webhook"] is False


def test_chat_command(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/bahasa en\n/sumber\n"))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "Language set to English" in out and "The knowledge base is empty." in out
