"""A shorter wait for SQLite's write lock, for bookkeeping writes that can be done later."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import is_write_locked, make_engine, with_busy_timeout
from core.errors import DatabaseUnavailable


def test_a_quick_engine_gives_up_on_the_write_lock_the_default_one_waits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_s=5.0)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    quick = with_busy_timeout(engine, 0.01)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's long write (kb ingest, db upgrade)
    try:
        with pytest.raises(DatabaseUnavailable) as caught, quick.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert is_write_locked(caught.value)
        # The same pooled connection, through the default engine, waits its 5 s again.
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0  # reads go on
        with quick.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10
    finally:
        holder.execute("COMMIT")
        holder.close()
    with quick.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()


def test_other_databases_keep_their_engine() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert with_busy_timeout(engine, 0.1) is engine
