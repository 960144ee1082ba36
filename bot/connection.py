"""Reaching Telegram at start-up: a rejected token or an unreachable server as domain errors.

``sinergi run`` and ``sinergi reminders send --once`` first call ``getMe``. python-telegram-bot
reports a 401 as ``InvalidToken("The token `…` was rejected by the server.")``, with the token
in the text; cron mail and journald keep whatever reaches stderr. These errors carry no token:
the CLI prints the catalog message and exits 7 (the token setting is wrong) or 6 (try later).
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
