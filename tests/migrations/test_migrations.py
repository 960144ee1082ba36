"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from cli.main import main
from core.db import Base, make_engine
from migrations import import_model_modules, include_object
from services import database


def _diff(url: str) -> list[object]:
    import_model_modules()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object}
            )
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


def test_upgrade_from_the_first_schema_keeps_the_data(db_url: str) -> None:
    engine = make_engine(db_url)
    database.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agreements (id, kind, title, status, owner_region_code,"
                " created_at, updated_at) VALUES (1, 'mou', 'Replikasi Gampil', 'active',"
                " '32.73', :now, :now)"
            ),
            {"now": datetime(2026, 1, 5, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO milestones (id, agreement_id, key, title, position, status, due_on)"
                " VALUES (7, 1, 'pks', 'PKS ditandatangani', 1, 'planned', :due)"
            ),
            {"due": date(2026, 2, 1)},
        )
    database.upgrade(engine)
    assert database.is_up_to_date(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("milestones")}
    assert "ix_milestones_due_on" in indexes
    with engine.connect() as conn:
        row = conn.execute(text("SELECT title, due_on FROM milestones WHERE id = 7")).one()
    assert row.title == "PKS ditandatangani" and str(row.due_on) == "2026-02-01"
    engine.dispose()
    assert _diff(db_url) == []


@pytest.mark.postgres
def test_cli_db_upgrade_creates_a_server_schema(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first step of a PostgreSQL deployment: every other command refuses an outdated
    server schema, so this one must not (it once went through that very check)."""
    monkeypatch.setenv("SINERGI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SINERGI_DATABASE_URL", pg_url)
    assert main(["mou", "list"]) == 7  # exit status: configuration (schema outdated)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    engine = make_engine(pg_url)
    assert database.is_up_to_date(engine)
    engine.dispose()
    assert main(["mou", "list"]) == 0


def test_upgrade_names_the_date_in_the_keys_of_dated_reminders(db_url: str) -> None:
    """Reminders recorded before the keys named the date keep their identity: the planner
    computes the same key for them after the upgrade, so none is sent a second time."""
    from mou_tracker.reminders.planning import dedup_key

    engine = make_engine(db_url)
    database.upgrade(engine, "0009")
    now = datetime(2026, 3, 3, 2, tzinfo=UTC)
    rows = [
        (1, "upcoming:1:10:7:tg:111", "upcoming", date(2026, 3, 4)),
        (2, "renewal:1:-:90:region:32.73", "renewal", date(2026, 6, 30)),
        (3, "undeliverable:1:10:upcoming.7:tg:900", "undeliverable", date(2026, 3, 4)),
        (4, "snooze:1:10:5:tg:111", "snooze", date(2026, 3, 4)),
        (5, "digest:-:-:202610:tg:111", "digest", None),
    ]
    with engine.begin() as conn:
        for row_id, key, kind, due_on in rows:
            conn.execute(
                text(
                    "INSERT INTO reminder_outbox (id, dedup_key, kind, threshold, recipient,"
                    " language, due_on, trigger_on, payload, status, attempts, created_at,"
                    " updated_at) VALUES (:id, :key, :kind, 1, 'x', 'id', :due, :due2, '{}',"
                    " 'sent', 1, :now, :now)"
                ),
                {"id": row_id, "key": key, "kind": kind, "due": due_on, "due2": date(2026, 3, 3)}
                | {"now": now},
            )

    def keys() -> list[str]:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT dedup_key FROM reminder_outbox ORDER BY id")))

    database.upgrade(engine)
    assert keys() == [
        dedup_key("upcoming", 1, 10, 7, "tg:111", on=date(2026, 3, 4)),
        dedup_key("renewal", 1, None, 90, "region:32.73", on=date(2026, 6, 30)),
        dedup_key("undeliverable", 1, 10, "upcoming.7", "tg:900", on=date(2026, 3, 4)),
        "snooze:1:10:5:tg:111",
        "digest:-:-:202610:tg:111",
    ]
    database.upgrade_or_downgrade(engine, "0009")
    assert keys() == [key for _, key, _, _ in rows]
    engine.dispose()
