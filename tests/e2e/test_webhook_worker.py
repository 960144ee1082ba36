"""A webhook worker's HTTP face, in process: the secret, what is stored, the health checks."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import build_application
from bot.runner import BotWorker
from bot.webhook import SECRET_HEADER
from core.config import Settings
from core.errors import DatabaseUnavailable
from services import Services
from tests.e2e.harness import OFFICIAL
from tests.fakes.botapi import BotApiServer
from tests.reliability.servers import free_port

SECRET = "rahasia-webhook-123"


@pytest.fixture
async def worker(
    botapi: BotApiServer, bot_services: Services, bot_settings: Settings
) -> AsyncIterator[BotWorker]:
    port = free_port()
    settings = bot_settings.model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{port}/telegram",
            "webhook_secret": SecretStr(SECRET),
        }
    )
    app = build_application(bot_services, settings)
    running = BotWorker(bot_services, settings, webhook=True, port=port, application=app)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
    botapi.assert_clean()


async def request(
    worker: BotWorker, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{worker.port}{path}"
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )

    def send() -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(url, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    return await asyncio.to_thread(send)


def update(update_id: int, text: str) -> dict[str, Any]:
    chat = {"id": OFFICIAL.id, "type": "private", "first_name": OFFICIAL.first_name}
    message = {"message_id": update_id, "date": 0, "chat": chat, "from": OFFICIAL.to_api()}
    message["text"] = text
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


async def test_the_webhook_is_registered_with_its_secret(
    worker: BotWorker, botapi: BotApiServer
) -> None:
    assert botapi.webhook == (worker.settings.webhook_url, SECRET)


async def test_an_update_is_stored_then_handled_and_a_repeat_is_not(
    worker: BotWorker, botapi: BotApiServer, bot_services: Services
) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    assert await request(worker, "/telegram", update(4001, "/bantuan"), headers) == (
        200,
        {"ok": True, "stored": True},
    )
    status, body = await request(worker, "/telegram", update(4001, "/bantuan"), headers)
    assert (status, body["stored"]) == (200, False)
    await botapi.until(lambda: botapi.sent(OFFICIAL.id), timeout=15, what="the help")
    await botapi.until(
        lambda: bot_services.conversations.outcomes([4001]) == {4001: (1, "handled")},
        timeout=15,
        what="the update marked handled",
    )
    assert len(botapi.sent(OFFICIAL.id)) == 1


async def test_forged_and_malformed_posts_are_refused_and_never_stored(
    worker: BotWorker, botapi: BotApiServer, bot_services: Services
) -> None:
    good = update(4002, "/bantuan")
    assert (await request(worker, "/telegram", good))[0] == 403
    assert (await request(worker, "/telegram", good, {SECRET_HEADER: "salah"}))[0] == 403
    headers = {SECRET_HEADER: SECRET}
    assert (await request(worker, "/telegram", b"not json", headers))[0] == 400
    assert (await request(worker, "/telegram", [1, 2], headers))[0] == 400
    assert (await request(worker, "/telegram", {"message": {}}, headers))[0] == 400
    assert (await request(worker, "/elsewhere", good, headers))[0] == 404
    assert bot_services.conversations.outcomes([4002]) == {}
    assert botapi.sent(OFFICIAL.id) == []


async def test_health_live_and_ready(worker: BotWorker) -> None:
    status, live = await request(worker, "/healthz/live")
    assert status == 200 and live["ok"] and live["worker"].endswith(f":{worker.port}")
    status, ready = await request(worker, "/healthz/ready")
    assert status == 200 and ready["database"] and ready["pending"] == 0


async def test_without_the_database_updates_are_refused_for_telegram_to_retry(
    worker: BotWorker, bot_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversations = bot_services.conversations

    def down(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseUnavailable("down", service="database", reason="unreachable")

    monkeypatch.setattr(conversations, "receive", down)
    monkeypatch.setattr(conversations, "locks_healthy", down)
    worker._ready_cache = None
    headers = {SECRET_HEADER: SECRET}
    status, body = await request(worker, "/telegram", update(4003, "/bantuan"), headers)
    assert (status, body["error"]) == (503, "db.unavailable")
    status, ready = await request(worker, "/healthz/ready")
    assert status == 503 and not ready["database"]
    assert (await request(worker, "/healthz/live"))[0] == 200  # alive: do not restart it


async def test_a_stopping_worker_sends_updates_elsewhere(worker: BotWorker) -> None:
    worker.stopping = True
    worker._ready_cache = None
    try:
        status, _ = await request(
            worker, "/telegram", update(4004, "/bantuan"), {SECRET_HEADER: SECRET}
        )
        assert status == 503
        assert (await request(worker, "/healthz/ready"))[0] == 503
    finally:
        worker.stopping = False
