"""Error messages (and an import's problems) in the user's language, shared by every transport."""

from __future__ import annotations

from functools import cache

from core.errors import AppError
from core.i18n import Catalog
from mou_tracker.schemas import ImportProblem


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


def describe_problem(problem: ImportProblem, lang: str = "id") -> str:
    """One import problem as a sentence in ``lang``: row, column and reason."""
    cat = catalog()
    column_key = f"tracker.column.{problem.column}"
    column = cat.t(column_key, lang) if cat.has(column_key) else problem.column
    reason_key = f"error.{problem.code}"
    reason = cat.t(reason_key, lang, **problem.params) if cat.has(reason_key) else problem.code
    return cat.t("tracker.problem", lang, row=problem.row, column=column, reason=reason)
