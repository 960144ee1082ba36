"""Error messages (and an import's problems) in the user's language, shared by every transport."""

from __future__ import annotations

from functools import cache

from core.errors import AppError
from core.i18n import Catalog
from core.text import ECHO_LIMIT, echo, without_controls
from mou_tracker.schemas import ImportProblem


@cache
def catalog() -> Catalog:
    return Catalog.from_package("services")


def error_message(error: AppError, lang: str = "id") -> str:
    """The user-facing text for a domain error (its ``code`` looked up in the catalog)."""
    cat = catalog()
    # Parameters often repeat what the user typed (a region's name, an id): a long one is
    # capped, so a 100,000-character input gives a short message, on every transport.
    params = {k: _capped(v) for k, v in error.params.items()}
    # An instance may refine its class's code ("choice.health"); the class's is the fallback.
    # A variant words the same error more precisely (a region not found, with no near name).
    codes = [error.code, type(error).code]
    if (variant := error.message_variant()) is not None:
        codes.insert(0, f"{error.code}.{variant}")
    for code in dict.fromkeys(codes):
        if cat.has(f"error.{code}"):
            return cat.t(f"error.{code}", lang, **params)
    return cat.t("error.app.error", lang, detail=_capped(str(error)))


def _capped(value: object) -> object:
    # A short one keeps its text, without controls: "--at" typed with an escape sequence
    # (retitling the terminal) or a right-to-left override reached the terminal as typed.
    if not isinstance(value, str):
        return value
    return echo(value) if len(value) > ECHO_LIMIT else without_controls(value)


def describe_problem(problem: ImportProblem, lang: str = "id") -> str:
    """One import problem as a sentence in ``lang``: row, column and reason."""
    cat = catalog()
    column = column_name(problem.column, lang)
    params = dict(problem.params)
    if isinstance(params.get("fields"), list | tuple):  # columns, named as the user's file does
        params["fields"] = ", ".join(column_name(f, lang) for f in params["fields"])
    reason_key = f"error.{problem.code}"
    reason = cat.t(reason_key, lang, **params) if cat.has(reason_key) else problem.code
    return cat.t("tracker.problem", lang, row=problem.row, column=column, reason=reason)


def column_name(column: str, lang: str = "id") -> str:
    """An import column (``title``) as files in ``lang`` name it (``judul``)."""
    key = f"tracker.column.{column}"
    return catalog().t(key, lang) if catalog().has(key) else column
