"""How the bot reaches Telegram: the token, another Bot API server, the webhook's secret."""

from __future__ import annotations

import hashlib

from core.config import Settings
from core.errors import ConfigurationError


def bot_token(settings: Settings) -> str:
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ConfigurationError(detail="SINERGI_TELEGRAM_TOKEN")
    return settings.telegram_token.get_secret_value()


def file_base_url(base_url: str) -> str:
    """``http://host/bot`` -> ``http://host/file/bot`` (the Bot API's file URL layout)."""
    head, sep, _tail = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url.rstrip("/") + "/file/bot"


def webhook_secret(settings: Settings) -> str:
    """The webhook's ``secret_token``: configured, or derived from the bot token."""
    if settings.webhook_secret is not None and settings.webhook_secret.get_secret_value():
        return settings.webhook_secret.get_secret_value()
    return hashlib.sha256(b"sinergi-webhook\x00" + bot_token(settings).encode()).hexdigest()[:48]
