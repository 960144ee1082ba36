"""Database engine, sessions and the declarative base shared by every package's models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, ExceptionContext, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core.clock import ensure_utc
from core.errors import DatabaseFull, DatabaseUnavailable, ValueOutOfRange
from core.files import private_file

#: The largest integer SQLite and PostgreSQL (BIGINT) store; ids beyond it cannot exist.
MAX_INTEGER = 2**63 - 1

# A naming convention so Alembic can name (and later drop) every constraint deterministically.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of Sinergi."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored as UTC.

    SQLite has no time zone type and hands back naive datetimes; this keeps every value that
    leaves the database aware and in UTC, whatever the backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware instant is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return ensure_utc(value)


def _create_private_sqlite_file(url: str) -> None:
    """Create the SQLite file owner-only before SQLite does (it would follow the umask).

    SQLite gives its WAL and shared-memory files the database file's mode, so they follow.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        private_file(path)


def make_engine(url: str, *, echo: bool = False, busy_timeout_s: float = 30.0) -> Engine:
    """Create an engine with the pragmas each backend needs.

    SQLite gets foreign keys on, WAL journaling and a busy timeout (``busy_timeout_s``) so the
    bot, the CLI and the reminder job can share one file. On every backend, a database that is
    locked, busy or cannot be reached raises :class:`DatabaseUnavailable` instead of a driver error.
    """
    if url.startswith("sqlite"):
        _create_private_sqlite_file(url)
        engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_s})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            cur.close()

        @event.listens_for(engine, "engine_connect")
        def _sqlite_wait(conn: Connection) -> None:
            # Each use of a pooled connection waits as long as the engine it came through
            # says (see ``with_busy_timeout``); the default engine sets the default back.
            wait = conn.get_execution_options().get(BUSY_TIMEOUT_OPTION, busy_timeout_s)
            driver = conn.connection.driver_connection
            if driver is not None:
                driver.execute(f"PRAGMA busy_timeout={int(float(wait) * 1000)}")

    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    event.listen(engine, "handle_error", _unavailable_database)
    event.listen(engine, "before_cursor_execute", _storable_text, retval=True)
    return engine


# Lone surrogates (bytes that were not UTF-8: a Latin-1 terminal's argument, a file name) and
# NUL: neither SQLite nor PostgreSQL takes them in text, and the statement failed with an
# unexpected error. Whatever entry point let one through, it is stored (or looked up) as U+FFFD.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_storable(v) for v in value)
    return value


def _unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_unstorable(v) for v in value)
    return False


def _storable_text(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    # Checked before copying: almost every statement has nothing to replace.
    return statement, _storable(parameters) if _unstorable(parameters) else parameters


BUSY_TIMEOUT_OPTION = "sinergi_busy_timeout_s"


def with_busy_timeout(engine: Engine, seconds: float) -> Engine:
    """The same engine (its pool, its database) whose SQLite writes wait at most ``seconds``
    for another process's write lock before :class:`DatabaseUnavailable` (``locked``).

    For bookkeeping that may be done later (the update inbox, the question log, the rate
    limit): while ``sinergi kb ingest`` or ``db upgrade`` holds SQLite's single write lock
    for minutes, the bot must not wait the full busy timeout on each of them. Other backends
    lock rows, not the database, and are returned unchanged.
    """
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{BUSY_TIMEOUT_OPTION: seconds})


def is_write_locked(error: BaseException) -> bool:
    """Whether ``error`` says another writer holds the database's lock (try again later)."""
    return isinstance(error, DatabaseUnavailable) and error.params.get("reason") == "locked"


# SQLite reports contention and an unusable file as OperationalError with these texts; other
# OperationalErrors (no such table, syntax) are bugs and keep their own type.
_SQLITE_LOCKED = ("database is locked", "database table is locked", "database schema is locked")
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error", "readonly database")
_SQLITE_FULL = "database or disk is full"


# PostgreSQL SQLSTATEs (psycopg raises them as OperationalError) that mean "try again later".
_PG_LOCKED = frozenset({"55P03", "40P01", "40001"})  # lock timeout, deadlock, serialization
_PG_BUSY = frozenset({"57014", "53300"})  # statement timeout, too many connections
_PG_UNREACHABLE_CLASSES = ("08", "57P", "53")  # connection, shutdown/restart, resources
_PG_DISK_FULL = "53100"
# Values the database cannot hold: numeric out of range, string too long for its column.
_PG_OUT_OF_RANGE = frozenset({"22003", "22001"})


def sqlstate_of(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE behind ``error``: the driver's error itself, wrapped by
    SQLAlchemy (its ``orig``) or translated into a domain error on the way (its cause, as
    :func:`_unavailable_database` does); ``None`` for an error without one (SQLite's)."""
    seen: BaseException | None = error
    while seen is not None:
        orig = getattr(seen, "orig", None)  # SQLAlchemy's wrapper of the driver's error
        found = getattr(seen, "sqlstate", None) or getattr(orig, "sqlstate", None)
        if isinstance(found, str):
            return found
        seen = seen.__cause__
    return None


def _server_reason(sqlstate: str | None) -> str | None:
    """Why a server database cannot serve now, from the error's SQLSTATE; ``None``: a bug.

    No SQLSTATE means the client could not talk to the server at all (refused, reset, timeout).
    Other operational errors (e.g. 54000, a program limit) are real errors, not outages.
    """
    if not sqlstate:
        return "unreachable"
    if sqlstate in _PG_LOCKED:
        return "locked"
    if sqlstate in _PG_BUSY:
        return "busy"
    if sqlstate.startswith(_PG_UNREACHABLE_CLASSES):
        return "unreachable"
    return None


def _unavailable_database(ctx: ExceptionContext) -> None:
    """Turn connection-level failures (locked, unreachable, disconnected, disk full) and values
    the database cannot hold into domain errors.

    The domain errors carry the driver's first line only: the SQL statement and the row values
    that SQLAlchemy adds to its own messages never reach a user.
    """
    if ctx.is_pre_ping:  # the pool reconnects by itself after a failed ping
        return
    error = ctx.original_exception
    dialect = ctx.dialect
    sqlstate = sqlstate_of(error)
    if isinstance(error, OverflowError) or sqlstate in _PG_OUT_OF_RANGE:
        # SQLite's driver refuses ints beyond 64 bits before the query runs; PostgreSQL says
        # 22003 (numeric) or 22001 (text too long). Either way the input is at fault.
        raise ValueOutOfRange(type(error).__name__, max_integer=MAX_INTEGER) from error
    operational = dialect is not None and isinstance(error, dialect.loaded_dbapi.OperationalError)
    text = str(error).lower()
    reason: str | None = None
    if operational and dialect is not None and dialect.name == "sqlite":
        if any(t in text for t in _SQLITE_LOCKED):
            reason = "locked"
        elif any(t in text for t in _SQLITE_UNREACHABLE):
            reason = "unreachable"
        elif _SQLITE_FULL in text:
            reason = "full"
    elif operational and sqlstate == _PG_DISK_FULL:
        reason = "full"
    elif operational:
        reason = _server_reason(sqlstate)
    if reason is None and ctx.is_disconnect:
        reason = "unreachable"
    if reason is None:
        return
    detail = next((line.strip() for line in str(error).splitlines() if line.strip()), reason)
    kind = DatabaseFull if reason == "full" else DatabaseUnavailable
    raise kind(detail, service="database", reason=reason, detail=detail) from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit, so DTOs can be built after ``begin()``.

    A service's unit of work is ``with factory.begin() as session:``: it commits when the block
    ends and rolls back if anything in it raises; repositories never commit.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)


def row_dict(row: Base) -> dict[str, Any]:
    """A stored row as a plain mapping of its columns (for exports of what is held)."""
    return {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}
