"""Fixtures: the real application over real services, with Telegram's HTTP layer faked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.app import build_application
from bot.jobs import run_pass
from bot.state import app_state
from core.clock import FixedClock
from core.config import Settings
from services import Services
from tests.bot.fakes import FakeBotApi, Updates
from tests.bot.service_fakes import FakeKnowledge
from tests.fakes.reminders import seed_agreement
from tests.fakes.tracker import BANDUNG, KERINCI

ADMIN = 1001
TRAINER = 2002
COORDINATOR = 3003
OFFICIAL = 4004
STRANGER = 9009
TRAINERS_CHAT = -100500
MONDAY_0900_WIB = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TUESDAY_0900_WIB = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


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


@pytest.fixture
def reminded(harness: BotHarness) -> BotHarness:
    """Kerinci must train its staff by Wednesday 4 March; its coordinator uses the bot."""
    seed_agreement(
        harness.services.engine,
        agreement_id=1,
        parties=[BANDUNG, KERINCI],
        title="KB Replikasi Hayu.Bdg",
        milestones=[
            (10, "Pelatihan staf", date(2026, 3, 4), KERINCI),
            (11, "Uji coba", date(2026, 3, 4), KERINCI),
        ],
    )
    harness.services.access.add_user(COORDINATOR, "coordinator", region_code=KERINCI, name="Eka")
    return harness


async def deliver(h: BotHarness, now: datetime) -> None:
    """One reminder pass of the bot at ``now``, through its faked Telegram."""
    app = h.app
    state = app_state(app)  # type: ignore[arg-type]
    await run_pass(h.services, app.bot, state.signer, now=now)  # type: ignore[attr-defined]
