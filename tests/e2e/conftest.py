"""Fixtures of the end-to-end tests: the local Bot API server and the real bot running on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.config import Settings
from core.db import make_engine
from services import Services
from tests.conftest import create_schema
from tests.e2e.harness import (
    ADMIN,
    COORDINATOR,
    OFFICIAL,
    START,
    TRAINER,
    BotHarness,
    e2e_settings,
)
from tests.fakes.botapi import BotApiServer

KERINCI = "15.01"
BANDUNG = "32.73"


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


@pytest.fixture
def e2e_clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def bot_settings(tmp_path: Path, botapi: BotApiServer) -> Settings:
    return e2e_settings(tmp_path / "data", botapi)


@pytest.fixture
def bot_services(bot_settings: Settings, e2e_clock: FixedClock) -> Iterator[Services]:
    """Real services on a fresh SQLite file, with an admin, a trainer, a coordinator (Kerinci)
    and an official already registered."""
    bot_settings.ensure_dirs()
    engine = make_engine(bot_settings.effective_database_url)
    create_schema(engine)
    services = Services(bot_settings, clock=e2e_clock, engine=engine)
    access = services.access
    access.add_user(ADMIN.id, "admin", name=ADMIN.first_name, language="id")
    access.add_user(TRAINER.id, "trainer", name=TRAINER.first_name, language="id")
    access.add_user(
        COORDINATOR.id, "coordinator", KERINCI, name=COORDINATOR.first_name, language="id"
    )
    access.add_user(OFFICIAL.id, "official", name=OFFICIAL.first_name, language="en")
    yield services
    services.close()
    engine.dispose()


@pytest.fixture
async def bot(
    botapi: BotApiServer, bot_services: Services, bot_settings: Settings, e2e_clock: FixedClock
) -> AsyncIterator[BotHarness]:
    """The real application, polling the local server; checked for invalid requests after."""
    harness = BotHarness.build(botapi, bot_services, bot_settings, e2e_clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
    harness.assert_healthy()
