"""Schema management: Alembic runs from code, so ``sinergi db upgrade`` needs no ini file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from core.config import Settings
from core.db import make_engine, make_session_factory
from core.errors import ConfigurationError, InvalidInput
from core.locks import file_lock
from knowledge_base.terms_upgrade import DEFAULT_BATCH as DEFAULT_TERMS_BATCH
from knowledge_base.terms_upgrade import TermsUpgrade, upgrade_terms


class SchemaOutdated(ConfigurationError):
    """The database exists but its schema is older than this version of Sinergi."""

    code = "database.schema_outdated"


class UnknownRevision(InvalidInput):
    """``sinergi db upgrade REVISION`` named a revision the migrations do not have."""

    code = "database.unknown_revision"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged ``migrations`` folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


#: Any constant: the PostgreSQL advisory lock every Sinergi migration takes ("SNRG").
_PG_MIGRATION_LOCK = 0x534E5247


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Let one process at a time check and migrate an SQLite database.

    Two commands started together on a new data folder (``sinergi mou list & sinergi mou
    list``) would otherwise both find no schema and both create it ("table already exists"):
    pysqlite runs DDL outside transactions, so SQLite's own locking does not help. The lock is
    an ``flock`` on a file beside the database; the second process waits, then finds the
    schema current (:func:`core.locks.file_lock`). PostgreSQL migrations take an advisory lock
    inside their transaction instead.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with file_lock(Path(database).with_name(Path(database).name + ".migrate-lock")):
        yield


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (idempotent, safe to run concurrently)."""
    with schema_lock(engine):
        try:
            _upgrade(engine, revision)
        except CommandError as exc:  # an unknown or ambiguous revision: nothing was run
            raise UnknownRevision(revision=revision, head=head_revision(engine)) from exc


def _upgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until commit: a concurrent `db upgrade` waits, then finds nothing to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def upgrade_or_downgrade(engine: Engine, revision: str) -> None:
    """Move the schema to ``revision``, up or down (``"base"`` removes every table)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    current = current_revision(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        script = ScriptDirectory.from_config(cfg)
        if revision == "base" or (
            current is not None
            and revision in {r.revision for r in script.iterate_revisions(current, "base")}
        ):
            command.downgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    return ScriptDirectory.from_config(cfg).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


def prepare(engine: Engine) -> None:
    """Make a database built from the settings ready for use.

    The embedded SQLite database is created and migrated on first use, so a new user never
    needs a separate step. A server database (PostgreSQL) is only checked: migrating it is an
    operator's decision (``sinergi db upgrade``). A database whose tables were created without
    Alembic (tests, ``create_all``) is left as it is.
    """
    if engine.dialect.name != "sqlite":
        current = current_revision(engine)
        head = head_revision(engine)
        if current != head:
            raise SchemaOutdated(current=current or "-", head=head or "-")
        return
    # Checked under the lock: a process that finds half a schema must wait for the rest.
    with schema_lock(engine):
        current = current_revision(engine)
        if current == head_revision(engine):
            return
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        if current is None and tables:
            return
        _upgrade(engine, "head")


def _unchecked_engine(settings: Settings) -> Engine:
    """The configured database without :func:`prepare`'s check, which refuses a server
    database whose schema is outdated: exactly what the schema commands are there for."""
    settings.ensure_dirs()
    return make_engine(
        settings.effective_database_url, busy_timeout_s=settings.database_busy_timeout_s
    )


def upgrade_configured(settings: Settings, revision: str = "head") -> tuple[str, str | None]:
    """``sinergi db upgrade``: migrate the configured database; (its URL without the
    password, the revision it is at now)."""
    engine = _unchecked_engine(settings)
    try:
        upgrade(engine, revision)
        return engine.url.render_as_string(hide_password=True), current_revision(engine)
    finally:
        engine.dispose()


def upgrade_terms_configured(
    settings: Settings,
    *,
    batch: int = DEFAULT_TERMS_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> TermsUpgrade:
    """``sinergi kb reindex-terms``, also the last step of ``sinergi db upgrade``: re-derive
    the keyword terms stored by an older normalisation, ``batch`` rows per transaction
    (resumable; nothing to do when they are current). Needs neither Chroma nor the model."""
    from knowledge_base.index import keyword_store_for
    from knowledge_base.keyword import TextNormalizer

    engine = _unchecked_engine(settings)
    try:
        sf = make_session_factory(engine)
        keywords = keyword_store_for(sf, settings.keyword_index)
        return upgrade_terms(sf, TextNormalizer(), keywords, batch=batch, progress=progress)
    finally:
        engine.dispose()


def upgrade_vectors_configured(settings: Settings) -> dict[str, tuple[int, int]] | None:
    """The last step of ``sinergi db upgrade``: bring the Chroma collection's HNSW settings
    to this version's (:func:`knowledge_base.vectorstore.upgrade_collection`); what changed,
    or ``None`` when there is no collection yet (an on-disk Chroma folder never opened)."""
    from knowledge_base.vectorstore import make_client, upgrade_collection

    if not settings.chroma_url and not (settings.chroma_dir / "chroma.sqlite3").exists():
        return None
    client = make_client(chroma_url=settings.chroma_url, chroma_dir=settings.chroma_dir)
    try:
        return upgrade_collection(client, settings.collection)
    finally:
        closer = getattr(client, "close", None)
        if callable(closer):
            closer()


def configured_revisions(settings: Settings) -> tuple[str | None, str | None]:
    """``sinergi db current``: the configured database's revision and the newest one."""
    engine = _unchecked_engine(settings)
    try:
        return current_revision(engine), head_revision(engine)
    finally:
        engine.dispose()
