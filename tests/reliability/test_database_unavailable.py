"""A locked or unreachable database: a clear message, exit status 6, nothing written.

The bot apologises with the same message once per update and keeps serving: the update it
could not store is handled when Telegram sends it again after the lock is released.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from accounts.models import User
from bot.dispatch import dispatcher_of
from cli.errors import ExitStatus
from cli.main import main
from core.clock import FixedClock
from core.db import make_engine
from core.errors import DatabaseUnavailable
from tests.bot.conftest import ADMIN, OFFICIAL, BotHarness
from tests.conftest import POSTGRES_URL_ENV, closed_port, require_server
from tests.reliability.conftest import running_bot

LOCKED_ID = "Basis data sedang terkunci, sibuk, atau tidak dapat dihubungi"


@pytest.fixture
def write_lock(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """Another process's open write transaction on the database file."""
    con = sqlite3.connect(data_dir / "sinergi.db", isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    yield con
    if con.in_transaction:
        con.rollback()
    con.close()


def user_count(data_dir: Path) -> int:
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        engine.dispose()


def test_cli_write_on_a_locked_database_is_a_clear_error_and_writes_nothing(
    data_dir: Path, write_lock: sqlite3.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["users", "add", "777001", "--role", "official", "--name", "Bu Sari"])
    out, err = capsys.readouterr()
    assert status == ExitStatus.UNAVAILABLE
    assert LOCKED_ID in err and "database is locked" in err
    assert "Traceback" not in err + out
    # Reads are not blocked by another writer (WAL): the operator can still look.
    assert main(["users", "list", "--json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    write_lock.rollback()
    assert user_count(data_dir) == 0
    # Once the lock is gone the same command works.
    assert main(["users", "add", "777001", "--role", "official", "--name", "Bu Sari"]) == 0
    assert user_count(data_dir) == 1


def test_cli_message_in_english(
    data_dir: Path,
    write_lock: sqlite3.Connection,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    assert main(["users", "add", "777002", "--role", "official"]) == ExitStatus.UNAVAILABLE
    assert "The database is locked, busy or cannot be reached" in capsys.readouterr().err


def test_unreachable_postgresql_is_a_clear_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"postgresql+psycopg://sinergi:secret@127.0.0.1:{closed_port()}/sinergi"
    monkeypatch.setenv("SINERGI_DATABASE_URL", url)
    status = main(["mou", "list"])
    out, err = capsys.readouterr()
    assert status == ExitStatus.UNAVAILABLE
    assert LOCKED_ID in err and "refused" in err.lower()
    assert "Traceback" not in err + out and "secret" not in err


def test_sqlite_file_that_cannot_be_opened_is_a_clear_error(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SINERGI_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert main(["users", "list"]) == ExitStatus.UNAVAILABLE
    assert "unable to open database file" in capsys.readouterr().err


def test_engine_raises_the_domain_error_with_structured_params(data_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}", busy_timeout_s=0.1)
    con = sqlite3.connect(data_dir / "sinergi.db", isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable) as caught, engine.begin() as conn:
            conn.execute(insert(User).values(telegram_id=1, name="x", role="official"))
        assert caught.value.params["service"] == "database"
        assert caught.value.params["reason"] == "locked"
        # Bugs are not disguised as outages.
        with pytest.raises(Exception) as bug, engine.connect() as conn:
            conn.exec_driver_sql("SELECT * FROM no_such_table")
        assert not isinstance(bug.value, DatabaseUnavailable)
    finally:
        con.rollback()
        con.close()
        engine.dispose()


def test_the_sqlstate_is_read_however_the_driver_error_reaches_us() -> None:
    # One reading for the engine's translation and the document locks (core.locks): the
    # driver's error itself, SQLAlchemy's wrapper of it, a domain error raised from either.
    from sqlalchemy.exc import OperationalError

    from core import locks
    from core.db import sqlstate_of

    class DriverError(Exception):
        sqlstate = "55P03"

    driver = DriverError("canceling statement due to lock timeout")
    wrapped = OperationalError("SELECT pg_advisory_lock(1, 2)", {}, driver)
    try:
        try:
            raise wrapped
        except OperationalError as err:
            raise DatabaseUnavailable("locked", service="database", reason="locked") from err
    except DatabaseUnavailable as err:
        translated = err
    assert sqlstate_of(driver) == sqlstate_of(wrapped) == sqlstate_of(translated) == "55P03"
    assert sqlstate_of(sqlite3.OperationalError("database is locked")) is None
    assert sqlstate_of(ValueError("x")) is None
    assert locks.sqlstate_of is sqlstate_of


@pytest.mark.postgres
def test_postgresql_errors_are_told_apart_by_sqlstate() -> None:
    url = require_server(POSTGRES_URL_ENV, "PostgreSQL")
    engine = make_engine(url)
    holder = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS lock_probe")
            conn.exec_driver_sql("CREATE TABLE lock_probe (id int PRIMARY KEY, n int)")
            conn.exec_driver_sql("INSERT INTO lock_probe VALUES (1, 0)")
        # Another session holds the row: our lock timeout expires (55P03) -> locked.
        with holder.connect() as other:
            other.exec_driver_sql("BEGIN")
            other.exec_driver_sql("SELECT * FROM lock_probe WHERE id = 1 FOR UPDATE")
            with pytest.raises(DatabaseUnavailable) as locked, engine.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '100ms'")
                conn.exec_driver_sql("UPDATE lock_probe SET n = 1 WHERE id = 1")
            other.exec_driver_sql("ROLLBACK")
        assert locked.value.params["reason"] == "locked"
        # A statement that runs past its timeout (57014) -> busy, worth retrying later.
        with pytest.raises(DatabaseUnavailable) as busy, engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL statement_timeout = '50ms'")
            conn.exec_driver_sql("SELECT pg_sleep(2)")
        assert busy.value.params["reason"] == "busy"
        # A program limit (54000) is an operational error too, but a bug, not an outage.
        with pytest.raises(Exception) as bug, engine.connect() as conn:
            conn.exec_driver_sql("SELECT repeat('x', 1100000000)")
        assert not isinstance(bug.value, DatabaseUnavailable)
        assert "54000" in str(getattr(bug.value.orig, "sqlstate", ""))  # type: ignore[attr-defined]
        with engine.begin() as conn:  # and the engine still works afterwards
            assert conn.exec_driver_sql("SELECT n FROM lock_probe").scalar() == 0
            conn.exec_driver_sql("DROP TABLE lock_probe")
    finally:
        holder.dispose()
        engine.dispose()


# --- the bot ---------------------------------------------------------------------------------


@pytest.fixture
async def locked_bot(tmp_path: Path, clock: FixedClock) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, clock, database_busy_timeout_s=0.2) as bot:
        yield bot


async def test_bot_serves_while_locked_and_records_after(
    locked_bot: BotHarness, tmp_path: Path
) -> None:
    """Another process holds SQLite's write lock (tests/bot/test_write_lock.py has more)."""
    con = sqlite3.connect(tmp_path / "bot" / "sinergi.db", isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        # A question for the documents (the assistant routes it there; answering it writes
        # the question log, deferred here).
        text = "Bagaimana cara mengajukan izin usaha?"
        question = {"update_id": 900_001, "message": locked_bot.updates.message(OFFICIAL, text)}
        await locked_bot.updates.feed(question)
        assert LOCKED_ID not in locked_bot.api.last(OFFICIAL).text
        await locked_bot.updates.send(ADMIN, "/mou")
        assert LOCKED_ID not in locked_bot.api.last(ADMIN).text
        told = len(locked_bot.api.sent(OFFICIAL))
        await locked_bot.updates.feed(question)  # Telegram's retry, still locked
        assert len(locked_bot.api.sent(OFFICIAL)) == told  # answered once
    finally:
        con.rollback()
        con.close()
    locked_bot.api.clear()
    await dispatcher_of(locked_bot.app).flush_deferred()  # type: ignore[arg-type]
    await locked_bot.updates.feed(question)  # a retry after the lock: stored, a repeat
    assert locked_bot.api.sent(OFFICIAL) == []
    await locked_bot.updates.send(OFFICIAL, "Apa itu Gampil?")
    assert LOCKED_ID not in locked_bot.api.last(OFFICIAL).text
    assert locked_bot.api.problems() == []
