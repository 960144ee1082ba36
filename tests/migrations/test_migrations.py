"""The Alembic history builds exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text

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


def _reference_key(key: str, kind: str, due_on: date | None, add: bool) -> str:
    """What 0010 made of one key, row by row, as it first did (the set-based rewrite must
    agree)."""
    dated_kinds = ("upcoming", "overdue", "escalation", "renewal")
    parts = key.split(":", 4)
    if due_on is None or len(parts) != 5:
        return key
    dated = kind in dated_kinds or (
        kind == "undeliverable" and parts[3].split(".")[0] in dated_kinds
    )
    if not dated:
        return key
    step = parts[3].split("@")[0]
    if add:
        step = f"{step}@{due_on.isoformat()}"
    return ":".join([*parts[:3], step, parts[4]])


def test_the_dated_keys_are_rewritten_set_based_both_ways(db_url: str) -> None:
    engine = make_engine(db_url)
    database.upgrade(engine, "0009")
    now = datetime(2026, 3, 3, 2, tzinfo=UTC)
    rows: list[tuple[str, str, date | None]] = [
        ("upcoming:1:10:7:tg:111", "upcoming", date(2026, 3, 4)),
        ("overdue:2:11:3:group:-100:5", "overdue", date(2026, 2, 1)),  # ':' in the recipient
        ("escalation:2:12:1:tg:9@x", "escalation", date(2026, 1, 31)),  # '@' in the recipient
        ("renewal:1:-:90:region:32.73", "renewal", date(2026, 6, 30)),
        ("undeliverable:1:10:upcoming.7:tg:900", "undeliverable", date(2026, 3, 4)),
        ("undeliverable:1:10:snooze.7:tg:900", "undeliverable", date(2026, 3, 4)),
        ("undeliverable:1:10:renewal:tg:901", "undeliverable", date(2026, 3, 4)),
        ("snooze:1:10:5:tg:111", "snooze", date(2026, 3, 4)),
        ("digest:-:-:202610:tg:111", "digest", None),
        ("upcoming:1:10:7", "upcoming", date(2026, 3, 4)),  # not five parts: left alone
        ("upcoming:3:30:7:tg:5", "upcoming", None),
    ] + [(f"upcoming:9:{n}:1:tg:{n}", "upcoming", date(2026, 4, 1 + n % 28)) for n in range(40)]
    with engine.begin() as conn:
        for row_id, (key, kind, due_on) in enumerate(rows, start=1):
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
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "reminder_outbox" in statement and statement.lstrip().upper().startswith(
            ("UPDATE", "DELETE")
        ):
            statements.append(statement)

    def keys() -> list[str]:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT dedup_key FROM reminder_outbox ORDER BY id")))

    event.listen(engine, "before_cursor_execute", count)
    database.upgrade(engine, "0010")
    assert keys() == [_reference_key(k, kind, due, add=True) for k, kind, due in rows]
    assert len(statements) == 1, statements  # one UPDATE, not one per row
    statements.clear()
    database.upgrade_or_downgrade(engine, "0009")
    assert keys() == [k for k, _, _ in rows]
    assert len(statements) <= 2, statements  # the duplicates' DELETE, then one UPDATE
    event.remove(engine, "before_cursor_execute", count)
    engine.dispose()


def test_a_downgrade_keeps_the_newest_of_two_dates_of_one_step(db_url: str) -> None:
    engine = make_engine(db_url)
    database.upgrade(engine)
    now = datetime(2026, 3, 3, 2, tzinfo=UTC)
    rows = [
        (1, "upcoming:1:10:7@2026-03-04:tg:111", date(2026, 3, 4)),
        (2, "upcoming:1:10:7@2026-03-18:tg:111", date(2026, 3, 18)),  # the date moved
        (3, "upcoming:1:10:7@2026-03-18:tg:222", date(2026, 3, 18)),
    ]
    with engine.begin() as conn:
        for row_id, key, due_on in rows:
            conn.execute(
                text(
                    "INSERT INTO reminder_outbox (id, dedup_key, kind, threshold, recipient,"
                    " language, due_on, trigger_on, payload, status, attempts, created_at,"
                    " updated_at) VALUES (:id, :key, 'upcoming', 1, 'x', 'id', :due, :due2,"
                    " '{}', 'sent', 1, :now, :now)"
                ),
                {"id": row_id, "key": key, "due": due_on, "due2": date(2026, 3, 3), "now": now},
            )
    database.upgrade_or_downgrade(engine, "0009")
    with engine.connect() as conn:
        left = conn.execute(text("SELECT id, dedup_key FROM reminder_outbox ORDER BY id")).all()
    assert [tuple(r) for r in left] == [
        (2, "upcoming:1:10:7:tg:111"),
        (3, "upcoming:1:10:7:tg:222"),
    ]
    engine.dispose()


def test_a_file_imported_before_invisible_characters_were_cleaned_adds_nothing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Agreements imported while titles and numbers kept their zero-width spaces: the same
    file imported after the upgrade matches them, instead of adding the numbered one a second
    time and refusing the unnumbered one as a look-alike of itself."""
    from mou_tracker.importer import make_import_key

    for name in [n for n in os.environ if n.startswith("SINERGI_")]:
        if not name.startswith("SINERGI_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SINERGI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SINERGI_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("SINERGI_LANGUAGE", "id")
    engine = make_engine(f"sqlite:///{tmp_path / 'sinergi.db'}")
    database.upgrade(engine, "0012")
    codes = ["32.73", "15.01"]
    signed = date(2025, 1, 2)
    number = "119/HK\u200b/2018"
    gampil = "Kerja\u200bSama Gampil"
    stored = [  # as the import stored them then: text as written, keys made from it
        (1, "Kerja Sama Hayu", number, make_import_key("kb", [number], "", codes, signed)),
        (2, gampil, None, make_import_key("kb", [], gampil, codes, signed)),
    ]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for agreement_id, title, doc, key in stored:
            conn.execute(
                text(
                    "INSERT INTO agreements (id, kind, title, status, signed_on,"
                    " owner_region_code, import_key, created_at, updated_at) VALUES (:id,"
                    " 'kb', :title, 'active', :signed, '32.73', :key, :now, :now)"
                ),
                {"id": agreement_id, "title": title, "signed": signed, "key": key, "now": now},
            )
            for position, code in enumerate(codes):
                conn.execute(
                    text(
                        "INSERT INTO agreement_parties (agreement_id, position, region_code,"
                        " document_number) VALUES (:id, :position, :code, :doc)"
                    ),
                    {"id": agreement_id, "position": position, "code": code}
                    | {"doc": doc if position == 0 else None},
                )
    database.upgrade(engine)
    engine.dispose()
    sheet = tmp_path / "mou.csv"
    sheet.write_text(
        "jenis,nomor,judul,para_pihak,tanggal_ttd\n"
        f"KB,{number},Kerja Sama Hayu,Kota Bandung; Kab. Kerinci,2025-01-02\n"
        f"KB,,{gampil},Kota Bandung; Kab. Kerinci,2025-01-02\n",
        encoding="utf-8",
    )
    assert main(["mou", "import", str(sheet)]) == 0
    assert "0 perjanjian baru, 0 diperbarui, 2 tidak berubah" in capsys.readouterr().out
    assert main(["mou", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(a["id"], a["title"], a["number"]) for a in listed] == [
        (1, "Kerja Sama Hayu", "119/HK /2018"),
        (2, "Kerja Sama Gampil", None),
    ]
