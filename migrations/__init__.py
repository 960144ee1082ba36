"""Alembic migrations for every table of Sinergi (run with ``sinergi db upgrade``)."""

from __future__ import annotations

import importlib

# Every module that declares tables. A package with new models adds itself here.
MODEL_MODULES = (
    "accounts.models",
    "mou_tracker.models",
    "mou_tracker.reminders.models",
    "knowledge_base.models",
    "conversations.models",
)


def import_model_modules() -> None:
    """Import every model module so ``core.db.Base.metadata`` knows all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


# Objects the models cannot describe (PostgreSQL-only, created by DDL in the models and by the
# migrations): autogenerate must neither drop nor re-create them.
DATABASE_ONLY = frozenset({("column", "tsv"), ("index", "ix_kb_chunks_tsv")})


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object`` hook: skip the objects in ``DATABASE_ONLY``."""
    return not (reflected and compare_to is None and (type_, name) in DATABASE_ONLY)
