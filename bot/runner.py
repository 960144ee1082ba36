"""Start the bot: long polling, or a webhook with a secret token when ``webhook_url`` is set."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import Update

from bot.app import build_application
from bot.connection import telegram_errors, webhook_secret
from core.config import Settings
from services import Services

log = logging.getLogger(__name__)


def run_bot(services: Services, settings: Settings) -> None:
    """Run until interrupted (blocks). RetryAfter is retried by the rate limiter.

    Raises:
        TelegramTokenRejected, TelegramUnavailable: at start-up (``getMe``), without the token.
    """
    with telegram_errors(settings):
        _run(services, settings)


def _run(services: Services, settings: Settings) -> None:
    application = build_application(services, settings)
    if settings.webhook_url:
        path = urlparse(settings.webhook_url).path.lstrip("/")
        log.info("webhook on %s:%s/%s", settings.webhook_listen, settings.webhook_port, path)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        return
    log.info("long polling")
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
