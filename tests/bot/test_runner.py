from __future__ import annotations

from typing import Any

import pytest
from telegram.ext import AIORateLimiter, Application

from bot.app import build_application
from bot.connection import file_base_url, webhook_secret
from bot.runner import run_bot
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


def test_webhook_mode_uses_a_secret_token(
    bot_services: Services, bot_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: dict[str, Any] = {}
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: calls.update(kw))
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: calls.update(polling=kw))
    settings = bot_settings.model_copy(
        update={"webhook_url": "https://sinergi.example.go.id/tg/hook", "webhook_port": 8443}
    )
    run_bot(bot_services, settings)
    assert calls["url_path"] == "tg/hook"
    assert calls["webhook_url"] == "https://sinergi.example.go.id/tg/hook"
    secret = calls["secret_token"]
    assert secret == webhook_secret(settings) and 20 <= len(secret) <= 256
    assert secret.replace("-", "").replace("_", "").isalnum()
    calls.clear()
    run_bot(bot_services, bot_settings)
    assert "polling" in calls
