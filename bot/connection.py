"""How the bot reaches Telegram: the token, another Bot API server, the webhook's secret, and
what a failure to reach it at start-up means.

``sinergi run`` and ``sinergi reminders send --once`` first call ``getMe``. python-telegram-bot
reports a 401 as ``InvalidToken("The token `…` was rejected by the server.")``, with the token
in the text; cron mail and journald keep whatever reaches stderr. :func:`telegram_errors` turns
that into errors that carry no token: the CLI prints the catalog message and exits 7 (the token
setting is wrong) or 6 (Telegram cannot be reached; try later).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from telegram.error import InvalidToken, NetworkError

from core.config import Settings
from core.errors import ConfigurationError, ServiceUnavailable


class TelegramTokenRejected(ConfigurationError):
    """Telegram refused the bot token (401): it was revoked, mistyped or belongs elsewhere."""

    code = "telegram.token_rejected"


class TelegramUnavailable(ServiceUnavailable):
    """The Bot API server cannot be reached now (network, DNS, timeout, 5xx)."""

    code = "telegram.unavailable"


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
    bot_token(settings)  # no token: a configuration error, named
    token = settings.webhook_secret_token()
    assert token is not None  # a token is configured
    return token


@contextmanager
def telegram_errors(settings: Settings) -> Iterator[None]:
    """Turn PTB's start-up failures into :class:`TelegramTokenRejected` and
    :class:`TelegramUnavailable`; their ``detail`` is redacted."""
    try:
        yield
    except InvalidToken:
        raise TelegramTokenRejected(setting="SINERGI_TELEGRAM_TOKEN") from None
    except NetworkError as err:  # TimedOut is a NetworkError too
        detail = settings.redactor().redact(str(err))
        raise TelegramUnavailable(detail, service="Telegram", detail=detail) from None
