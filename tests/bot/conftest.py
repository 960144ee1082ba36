"""Fixtures: the real application over real services, with Telegram's HTTP layer faked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.app import build_application
from core.clock import FixedClock
from core.config import Settings
from services import Services
from tests.bot.fakes import FakeBotApi, Updates
from tests.bot.service_fakes import FakeKnowledge

ADMIN = 1001
TRAINER = 2002
COORDINATOR = 3003
OFFICIAL = 4004
STRANGER = 9009
TRAINERS_CHAT = -100500


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        embedding_backend="fake",
        telegram_token="123456:TEST-token",
        trainers_chat_id=TRAINERS_CHAT,
        questions_per_minute=3,
    )


@pytest.fixture
def bot_services(
    bot_settings: Settings, clock: FixedClock, sqlite_engine: Engine
) -> Iterator[Services]:
    svc = Services(bot_settings, clock=clock, engine=sqlite_engine)
    yield svc
    svc.close()


@dataclass
class BotHarness:
    app: object
    api: FakeBotApi
    updates: Updates
    services: Services
    knowledge: Any


@pytest.fixture
async def harness(bot_services: Services, bot_settings: Settings) -> AsyncIterator[BotHarness]:
    """The bot on real services (SQLite, the fake embeddings) and a faked Telegram."""
    knowledge = bot_services.knowledge
    access = bot_services.access
    access.add_user(ADMIN, "admin", name="Admin Kota")
    access.add_user(TRAINER, "trainer", name="Pelatih Rina")
    access.add_user(OFFICIAL, "official", name="Pak Budi")
    api = FakeBotApi()
    app = build_application(bot_services, bot_settings, request=api, rate_limit=False)
    await app.initialize()
    await app.start()  # the JobQueue (dialog timeouts); updates are fed directly, not polled
    try:
        yield BotHarness(app, api, Updates(app), bot_services, knowledge)
    finally:
        if app.running:
            await app.stop()
        await app.shutdown()


@pytest.fixture
def fake_kb(harness: BotHarness) -> FakeKnowledge:
    """Replace the knowledge service by a canned one (for tests about formatting and flow)."""
    kb = FakeKnowledge()
    harness.services.__dict__["knowledge"] = kb
    harness.knowledge = kb
    return kb


HAYU_GUIDE = b"""# Panduan Hayu.Bdg

## Registrasi akun

Untuk mendaftar di Hayu.Bdg, buka menu Registrasi lalu isi NIK dan nomor ponsel. Kode OTP
dikirim lewat SMS dan berlaku lima menit.

## Laporan warga

Warga melaporkan jalan rusak lewat menu Laporan dengan foto dan lokasi. Dinas menindaklanjuti
dalam tiga hari kerja.
"""
