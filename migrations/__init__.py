"""Alembic migrations for every table of Sinergi (run with ``sinergi db upgrade``)."""

from __future__ import annotations

import importlib

# Every module that declares tables. A package with new models adds itself here.
MODEL_MODULES = (
    "accounts.models",
    "mou_tracker.models",
    "mou_tracker.reminders.models",
    "knowledge_base.models",
)


def import_model_modules() -> None:
    """Import every model module so ``core.db.Base.metadata`` knows all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
