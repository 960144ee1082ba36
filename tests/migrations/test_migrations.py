"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from cli.main import main
from core.db import Base, make_engine
from migrations import import_model_modules
from services import database


def _diff(url: str) -> list[object]:
    import_model_modules()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_builds_the_models_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    database.upgrade(engine)
    assert database.is_up_to_date(engine)
    engine.dispose()
    assert _diff(db_url) == []


def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = make_engine(db_url)
    database.upgrade(engine)
    database.upgrade_or_downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    database.upgrade(engine)
    assert database.is_up_to_date(engine)
    engine.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    database.upgrade(engine)
    database.upgrade(engine)
    assert database.is_up_to_date(engine)
    engine.dispose()


def test_cli_db_upgrade_then_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SINERGI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SINERGI_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    out = capsys.readouterr().out
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'sinergi.db'}")
    head = database.head_revision(engine)
    engine.dispose()
    assert head is not None and head in out
