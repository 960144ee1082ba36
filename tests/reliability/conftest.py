"""What the reliability tests start from: a private data dir with the schema, env-configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from core.clock import FixedClock
from core.config import Settings
from core.db import make_engine
from services.container import Services
from tests.bot.conftest import ADMIN, OFFICIAL, BotHarness
from tests.bot.fakes import FakeBotApi, Updates
from tests.conftest import create_schema


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("SINERGI_DATA_DIR", str(path))
    monkeypatch.setenv("SINERGI_EMBEDDING_BACKEND", "fake")
    monkeypatch.setenv("SINERGI_LANGUAGE", "id")
    monkeypatch.setenv("SINERGI_DATABASE_BUSY_TIMEOUT_S", "0.2")
    monkeypatch.delenv("SINERGI_DATABASE_URL", raising=False)
    engine = make_engine(f"sqlite:///{path / 'sinergi.db'}")
    create_schema(engine)
    engine.dispose()
    return path


@asynccontextmanager
async def running_bot(
    tmp_path: Path, clock: FixedClock, *, with_knowledge: bool = True, **settings: Any
) -> AsyncIterator[BotHarness]:
    """The real bot application over the fake Bot API, an admin and an official registered.

    ``settings`` override the defaults (e.g. a Chroma URL nobody answers on);
    ``with_knowledge=False`` when the knowledge base cannot be built in this scenario.
    """
    config = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "bot",
        embedding_backend="fake",
        telegram_token="123456:TEST-token",
        **settings,
    )
    config.ensure_dirs()
    engine = make_engine(
        config.effective_database_url, busy_timeout_s=config.database_busy_timeout_s
    )
    create_schema(engine)
    services = Services(config, clock=clock, engine=engine)
    services.access.add_user(ADMIN, "admin", name="Admin Kota")
    services.access.add_user(OFFICIAL, "official", name="Pak Budi")
    api = FakeBotApi()
    app = build_application(services, config, request=api, rate_limit=False)
    await app.initialize()
    await app.start()
    try:
        knowledge = services.knowledge if with_knowledge else None
        yield BotHarness(app, api, Updates(app), services, knowledge)
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()
        services.close()
        engine.dispose()
