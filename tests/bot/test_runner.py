from __future__ import annotations

import pytest
from telegram.ext import AIORateLimiter

from bot.app import build_application
from bot.connection import file_base_url, webhook_secret
from bot.runner import BotWorker, run_bot
from core.config import Settings
from core.errors import ConfigurationError
from services import Services


def test_application_uses_settings(bot_services: Services, bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"telegram_base_url": "http://127.0.0.1:8081/bot"})
    app = build_application(bot_services, settings)
    assert isinstance(app.bot.rate_limiter, AIORateLimiter)
    assert app.bot.base_url.startswith("http://127.0.0.1:8081/bot")
    assert app.bot.base_file_url.startswith("http://127.0.0.1:8081/file/bot")
    assert file_base_url("https://api.example/bot") == "https://api.example/file/bot"


def test_no_token_is_a_configuration_error(bot_services: Services, bot_settings: Settings) -> None:
    with pytest.raises(ConfigurationError):
        build_application(bot_services, bot_settings.model_copy(update={"telegram_token": None}))


def test_run_bot_picks_the_way_in_from_the_settings(
    bot_services: Services, bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen: list[tuple[bool, int]] = []

    async def run(self: BotWorker) -> None:
        chosen.append((self.webhook, self.port))

    monkeypatch.setattr(BotWorker, "run_until_signalled", run)
    settings = bot_settings.model_copy(
        update={"webhook_url": "https://sinergi.example.go.id/tg/hook", "webhook_port": 8443}
    )
    run_bot(bot_services, settings)
    run_bot(bot_services, settings, port=8082)
    run_bot(bot_services, settings, webhook=False)
    run_bot(bot_services, bot_settings)
    assert chosen == [(True, 8443), (True, 8082), (False, 8443), (False, 8443)]
    secret = webhook_secret(settings)
    assert 20 <= len(secret) <= 256
    assert secret.replace("-", "").replace("_", "").isalnum()


def test_a_webhook_worker_needs_the_webhook_url(
    bot_services: Services, bot_settings: Settings
) -> None:
    with pytest.raises(ConfigurationError):
        BotWorker(bot_services, bot_settings, webhook=True)
