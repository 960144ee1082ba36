"""Error messages in the user's language, shared by every transport."""

from __future__ import annotations

from functools import cache

from core.errors import AppError
from core.i18n import Catalog


@cache
def catalog() -> Catalog:
    return Catalog.from_package("services")


def error_message(error: AppError, lang: str = "id") -> str:
    """The user-facing text for a domain error (its ``code`` looked up in the catalog)."""
    key = f"error.{error.code}"
    cat = catalog()
    if cat.has(key):
        return cat.t(key, lang, **error.params)
    return cat.t("error.app.error", lang, detail=str(error))
