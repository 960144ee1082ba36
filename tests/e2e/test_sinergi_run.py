"""End to end: ``sinergi run`` itself, as an operator starts it, with long polling and with a
webhook (secret token), against the local Bot API server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.db import make_engine
from services import Services
from tests.conftest import create_schema
from tests.e2e.harness import OFFICIAL, START, e2e_settings
from tests.fakes.botapi import BotApiServer

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def deployment(tmp_path: Path, botapi: BotApiServer) -> Path:
    """A data folder with one official, as ``sinergi users add`` would leave it."""
    settings = e2e_settings(tmp_path / "data", botapi)
    settings.ensure_dirs()
    engine = make_engine(settings.effective_database_url)
    create_schema(engine)
    services = Services(settings, clock=FixedClock(START), engine=engine)
    services.access.add_user(OFFICIAL.id, "official", name="Dedi", language="en")
    services.close()
    engine.dispose()
    return settings.data_dir


def start(data_dir: Path, server: BotApiServer, **env: str) -> subprocess.Popen[str]:
    sinergi = Path(sys.executable).with_name("sinergi")
    environment = {
        **os.environ,
        "SINERGI_DATA_DIR": str(data_dir),
        "SINERGI_TELEGRAM_TOKEN": server.token,
        "SINERGI_TELEGRAM_BASE_URL": server.base_url,
        "SINERGI_EMBEDDING_BACKEND": "fake",
        **env,
    }
    return subprocess.Popen(
        [str(sinergi), "run"],
        cwd=data_dir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def stop_later() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_sinergi_run_polls_and_answers(
    deployment: Path, botapi: BotApiServer, stop_later: list[subprocess.Popen[str]]
) -> None:
    process = start(deployment, botapi)
    stop_later.append(process)
    botapi.wait_for(lambda: botapi.calls("getUpdates"), timeout=60, what="the first poll")
    botapi.send_text(OFFICIAL, "/bantuan")
    botapi.wait_for(lambda: botapi.sent(OFFICIAL.id), timeout=30, what="the help")
    # SIGINT (Ctrl-C, or the service manager) stops it cleanly
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out[-3000:]
    assert botapi.pending_updates() == 0, "the handled update was confirmed before exiting"
    botapi.assert_clean()


def test_sinergi_run_with_a_webhook_and_its_secret(
    deployment: Path, botapi: BotApiServer, stop_later: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    process = start(
        deployment,
        botapi,
        SINERGI_WEBHOOK_URL=url,
        SINERGI_WEBHOOK_PORT=str(port),
        SINERGI_WEBHOOK_SECRET="rahasia-webhook-123",
    )
    stop_later.append(process)
    botapi.wait_for(lambda: botapi.webhook[0], timeout=60, what="setWebhook")
    assert botapi.webhook == (url, "rahasia-webhook-123")
    botapi.send_text(OFFICIAL, "/bantuan")
    botapi.wait_for(lambda: botapi.sent(OFFICIAL.id), timeout=30, what="the help via webhook")
    assert botapi.calls("getUpdates") == []

    # an update posted without (or with a wrong) secret is refused and never handled
    forged = b'{"update_id": 999999, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/bantuan"}}'  # noqa: E501
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "salah"}):
        request = urllib.request.Request(
            url, data=forged, headers={"Content-Type": "application/json", **headers}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
    assert botapi.sent(5) == []
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out[-3000:]
    botapi.assert_clean()


def test_sinergi_run_answers_while_another_process_holds_the_write_lock(
    deployment: Path, botapi: BotApiServer, stop_later: list[subprocess.Popen[str]]
) -> None:
    """`sinergi kb ingest` of a large folder in another terminal holds SQLite's write lock for
    minutes: the polling bot still answers, once, and records the update when it is free."""
    import sqlite3
    import time

    process = start(deployment, botapi)
    stop_later.append(process)
    botapi.wait_for(lambda: botapi.calls("getUpdates"), timeout=60, what="the first poll")
    database = deployment / "sinergi.db"

    def inbox() -> int:
        with sqlite3.connect(database) as reader:
            return int(reader.execute("SELECT count(*) FROM bot_updates").fetchone()[0])

    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        botapi.send_text(OFFICIAL, "/bantuan")
        botapi.wait_for(lambda: botapi.sent(OFFICIAL.id), timeout=30, what="the help")
        # Handled, so confirmed to Telegram though its inbox row waits for the lock.
        botapi.wait_for(lambda: botapi.pending_updates() == 0, timeout=30, what="confirmed")
        assert inbox() == 0
        time.sleep(2.0)  # further polls: the update is not answered again
        assert len(botapi.sent(OFFICIAL.id)) == 1
    finally:
        holder.execute("COMMIT")
        holder.close()
    botapi.wait_for(lambda: inbox() == 1, timeout=30, what="the update recorded")
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out[-3000:]
    assert len(botapi.sent(OFFICIAL.id)) == 1
    botapi.assert_clean()
