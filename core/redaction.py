"""Keep secrets out of every output: logs, error messages, admin reports, stored error texts.

The Telegram token, the webhook secret, the database password and the LLM key reach libraries
that put them into their own messages (python-telegram-bot: "The token `…` was rejected";
httpx: request URLs with the token in the path; drivers: connection strings). Rather than
trusting each library, every text that leaves the process passes through a :class:`Redactor`
built from the settings, and log records are redacted when they are created
(:func:`install_log_redaction`), whatever handler later writes them.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

MASK = "***"

# Secrets shorter than this are not masked: masking "ab" everywhere would mangle every output
# while protecting nothing (such a password is guessed, not leaked).
MIN_SECRET_LENGTH = 4

# Shapes of secrets we may not have been told about: a bot token (digits, colon, 35 URL-safe
# characters) and the password part of a URL ("scheme://user:password@host").
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")


class Redactor:
    """Replaces known secret values (and secret-shaped text) with ``***``."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if not secret or len(secret) < MIN_SECRET_LENGTH:
                continue
            # As given, as it appears percent-encoded in a URL, and decoded from one.
            variants.update({secret, quote(secret, safe=""), quote_plus(secret), unquote(secret)})
        ordered = sorted(
            (v for v in variants if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True
        )
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    @classmethod
    def from_values(
        cls, *, urls: Iterable[str | None] = (), secrets: Iterable[str | None] = ()
    ) -> Redactor:
        """Secrets given directly, plus the passwords inside connection URLs."""
        found = list(secrets)
        found.extend(url_password(url) for url in urls)
        return cls(found)

    def redact(self, text: str) -> str:
        """``text`` with every secret masked."""
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _BOT_TOKEN.sub(MASK, text)
        return _URL_PASSWORD.sub(rf"\1{MASK}@", text)


def url_password(url: str | None) -> str | None:
    """The password of ``scheme://user:password@host/…``, if any (``None`` for bad URLs)."""
    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return password or None


# --- logging ----------------------------------------------------------------------------------

_original_factory: Any = None
_active: Redactor | None = None


def install_log_redaction(redactor: Redactor) -> None:
    """Redact every log record of this process when it is created (idempotent; the latest
    redactor wins). The message is formatted and masked, and a traceback is rendered and masked
    too, so no handler or formatter can bring the raw values back."""
    global _original_factory, _active
    _active = redactor
    if _original_factory is not None:
        return
    _original_factory = logging.getLogRecordFactory()
    original = _original_factory

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = original(*args, **kwargs)
        if _active is not None:
            redact_record(record, _active)
        return record

    logging.setLogRecordFactory(factory)


def redact_record(record: logging.LogRecord, redactor: Redactor) -> None:
    """Mask ``record`` in place: its message, its traceback and its stack."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg = redactor.redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = redactor.redact(
            "".join(traceback.format_exception(*record.exc_info)).rstrip()
        )
    elif record.exc_text:
        record.exc_text = redactor.redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redactor.redact(record.stack_info)
