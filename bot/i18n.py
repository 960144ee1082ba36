"""Bot texts in the user's language: ``bot/locales/{id,en}.json`` plus the services' errors."""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.formatting import escape
from core.errors import AppError
from core.i18n import LANGUAGES, Catalog, normalize_language
from services.messages import error_message

__all__ = ["LANGUAGES", "catalog", "error_text", "normalize_language", "t", "t_html"]


@cache
def catalog() -> Catalog:
    return Catalog.from_package("bot")


def t(key: str, lang: str = "id", /, **params: Any) -> str:
    """Plain text for ``key`` (no escaping: for button labels, command descriptions)."""
    return catalog().t(key, lang, **params)


def t_html(key: str, lang: str = "id", /, **params: Any) -> str:
    """Text for an HTML message: the template may hold markup, the parameters are escaped."""
    safe = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}
    return catalog().t(key, lang, **safe)


def error_text(error: AppError, lang: str = "id") -> str:
    """A domain error as escaped HTML in the user's language."""
    return escape(error_message(error, lang))
