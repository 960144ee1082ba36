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
    cat = catalog()
    # An instance may refine its class's code ("choice.health"); the class's is the fallback.
    for code in dict.fromkeys((error.code, type(error).code)):
        if cat.has(f"error.{code}"):
            return cat.t(f"error.{code}", lang, **error.params)
    return cat.t("error.app.error", lang, detail=str(error))
