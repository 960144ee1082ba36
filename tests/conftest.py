"""Shared fixtures: fresh settings and a fresh database per test, on SQLite and PostgreSQL.

The network guard (pytest-socket, ``--allow-hosts`` in pyproject) lets tests reach loopback
only: local fakes and the CI's PostgreSQL/Chroma servers, never the internet.
"""

from __future__ import annotations

import os

# The bundled model's OpenMP threads sleep at once between tasks in tests: test machines are
# shared, where spinning threads multiply latency (docs/benchmarks.md). Set before the model
# loads; an explicit environment still wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.config import Settings
from core.db import Base, make_engine
from migrations import import_model_modules
from services import Services
from tests.required import REQUIRE_SERVERS_ENV, everything_required
from tests.required import pytest_runtest_makereport as pytest_runtest_makereport

__all__ = ["REQUIRE_SERVERS_ENV", "pytest_runtest_makereport"]

POSTGRES_URL_ENV = "SINERGI_TEST_POSTGRES_URL"
CHROMA_URL_ENV = "SINERGI_TEST_CHROMA_URL"


def require_server(env_name: str, what: str) -> str:
    """A test server's URL; in CI (servers required) a missing one fails instead of skipping."""
    url = os.environ.get(env_name)
    if url:
        return url
    if everything_required():
        pytest.fail(f"{what} is required in this run but {env_name} is not set")
    pytest.skip(f"{what} not configured ({env_name} unset); CI runs this test")


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def create_schema(engine: Engine) -> None:
    """Create every table of every package (migrations are tested separately)."""
    import_model_modules()
    Base.metadata.create_all(engine)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated from the developer's environment and .env."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        embedding_backend="fake",
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 09:00 WIB


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file, or a clean schema on the CI's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = require_server(POSTGRES_URL_ENV, "PostgreSQL")
    fresh_postgres_schema(url)
    yield url


def fresh_postgres_schema(url: str) -> None:
    """Empty the CI database's public schema (tables, functions, everything)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_url() -> str:
    """A fresh, empty PostgreSQL database (for tests about PostgreSQL only)."""
    url = require_server(POSTGRES_URL_ENV, "PostgreSQL")
    fresh_postgres_schema(url)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """SQLite only, for tests that are not about the database backend."""
    eng = make_engine(f"sqlite:///{tmp_path / 'unit.db'}")
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def services(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[Services]:
    """Services on a fresh database (both backends), a fixed clock and the fake embeddings."""
    svc = Services(settings, clock=clock, engine=engine)
    yield svc
    svc.close()
