"""The bot on SQLite while another process holds the write lock for long (``sinergi kb
ingest`` of a large folder, ``db upgrade``, ``kb reindex-terms``): reads and answers go on,
their bookkeeping is written once the lock is free, and what the user asked to change either
waits for the lock or is refused with a message saying to try again; nothing is lost.

Before, every update waited for the lock at its first write (the inbox row that stores it
before it is acknowledged) for the busy timeout, failed, and was apologised for: the bot
served nothing, not even /bantuan. After the inbox, each update also wrote its attempt, the
question rate limit, the question log, the user's data (even unchanged) and its "handled"
mark, each a full busy timeout under the lock.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Engine

from bot.app import build_application
from bot.dispatch import dispatcher_of
from bot.persistence import DatabasePersistence
from conversations.models import InboxUpdate
from core.clock import FixedClock
from core.config import Settings
from core.db import make_engine
from knowledge_base.models import KbFeedback, KbQuestion
from knowledge_base.schemas import ChunkInput, DocumentInput
from services import Services
from services.deferred import MAX_WAIT
from tests.bot.conftest import COORDINATOR, OFFICIAL, TUESDAY_0900_WIB, BotHarness, deliver
from tests.bot.fakes import FakeBotApi, Updates
from tests.conftest import create_schema
from tests.fakes.reminders import seed_agreement
from tests.fakes.tracker import BANDUNG, KERINCI, OPERATOR

QUESTION = "Berapa lama verifikasi berkas izin usaha?"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A patient write waits 1 s for the lock here (30 s in production)."""
    eng = make_engine(f"sqlite:///{tmp_path / 'unit.db'}", busy_timeout_s=1.0)
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def bot_settings(bot_settings: Settings) -> Settings:
    return bot_settings.model_copy(update={"database_bookkeeping_wait_s": 0.02})


@contextmanager
def write_locked(engine: Engine) -> Iterator[sqlite3.Connection]:
    """Another process's long write: SQLite's write lock held until the block ends."""
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.execute("COMMIT")
        holder.close()


@pytest.fixture
def seeded(harness: BotHarness) -> BotHarness:
    harness.services.index.replace_document(
        DocumentInput("panduan-gampil", "Panduan Gampil", app="Gampil", language="id"),
        [
            ChunkInput(
                "Panduan Gampil > Izin\nPengajuan izin usaha dilakukan melalui menu "
                "Perizinan. Petugas memverifikasi berkas dalam tiga hari kerja.",
                "Izin",
                4,
                0,
            )
        ],
    )
    seed_agreement(
        harness.services.engine,
        agreement_id=1,
        parties=[BANDUNG, KERINCI],
        title="KB Replikasi Hayu.Bdg",
        milestones=[(10, "Pelatihan staf", date(2026, 3, 4), KERINCI)],
    )
    harness.services.access.add_user(COORDINATOR, "coordinator", region_code=KERINCI, name="Eka")
    return harness


def _count(engine: Engine, table: type[InboxUpdate] | type[KbQuestion]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


async def test_reads_and_answers_go_on_under_the_write_lock_and_are_recorded_after(
    seeded: BotHarness,
) -> None:
    h = seeded
    engine = h.services.engine
    with write_locked(engine):
        await h.updates.send(OFFICIAL, "/bantuan")
        assert "/sumber" in h.api.last(OFFICIAL).text
        await h.updates.send(OFFICIAL, QUESTION)
        assert "tiga hari kerja" in h.api.last(OFFICIAL).text
        await h.updates.send(COORDINATOR, "/mou")
        assert "KB Replikasi Hayu.Bdg" in h.api.last(COORDINATOR).text
        assert h.api.problems() == []
        assert not any("terkunci" in m.text for m in h.api.sent(OFFICIAL))
        # Nothing could be written meanwhile.
        assert _count(engine, InboxUpdate) == 0 and _count(engine, KbQuestion) == 0

    # The lock is free: the bookkeeping follows, and a redelivery is a repeat.
    dispatcher = dispatcher_of(h.app)  # type: ignore[arg-type]
    await dispatcher.flush_deferred()
    assert _count(engine, InboxUpdate) == 3 and _count(engine, KbQuestion) == 1
    assert not dispatcher.holds(1)
    with engine.connect() as conn:
        outcomes = conn.execute(select(InboxUpdate.handled_at.is_not(None))).scalars().all()
    assert all(outcomes)
    assert (
        await dispatcher.receive({"update_id": 1, "message": h.updates.message(OFFICIAL, "x")})
        is False
    )
    # The user's recent question was kept: a follow-up still knows what it refers to.
    assert h.services.conversations.data("user", OFFICIAL) is not None


async def test_an_answer_logged_later_still_carries_its_feedback_and_source_buttons(
    seeded: BotHarness,
) -> None:
    h = seeded
    engine = h.services.engine
    with write_locked(engine):
        await h.updates.send(OFFICIAL, QUESTION)
        answer = h.api.last(OFFICIAL)
        assert "tiga hari kerja" in answer.text
        # The question's log entry waits for the lock, its buttons do not.
        await h.updates.press(OFFICIAL, answer.button("[1]")["callback_data"])
        assert "tiga hari kerja" in h.api.last(OFFICIAL).text  # the source, from memory
        await h.updates.press(OFFICIAL, answer.button("👎")["callback_data"])
        assert h.api.problems() == []
        assert _count(engine, KbQuestion) == 0
    await dispatcher_of(h.app).flush_deferred()  # type: ignore[arg-type]
    with engine.connect() as conn:
        [question_id] = conn.execute(select(KbQuestion.id)).scalars().all()
        votes = conn.execute(select(KbFeedback.question_id, KbFeedback.helpful)).all()
    assert [tuple(v) for v in votes] == [(question_id, False)]
    # The same button once the entry is written: the vote changes, no second entry.
    await h.updates.press(OFFICIAL, answer.button("👍")["callback_data"])
    with engine.connect() as conn:
        votes = conn.execute(select(KbFeedback.question_id, KbFeedback.helpful)).all()
    assert [tuple(v) for v in votes] == [(question_id, True)]
    assert h.api.problems() == []


async def test_writes_queued_before_a_person_is_forgotten_do_not_bring_them_back(
    seeded: BotHarness,
) -> None:
    h = seeded
    engine = h.services.engine
    h.services.access.add_user(OFFICIAL, "official", region_code=KERINCI, name="Wati Lupa")
    with write_locked(engine):
        await h.updates.send(OFFICIAL, QUESTION)  # question log, user data, inbox: queued
        await h.updates.press(OFFICIAL, h.api.last(OFFICIAL).button("👎")["callback_data"])
        await h.updates.send(COORDINATOR, QUESTION)  # someone else's, queued too
        assert "tiga hari kerja" in h.api.last(OFFICIAL).text
    # `sinergi users forget` (another process) runs before the bot writes its queue.
    h.services.privacy.forget_person(OPERATOR, OFFICIAL)
    await dispatcher_of(h.app).flush_deferred()  # type: ignore[arg-type]
    person = (f"tg:{OFFICIAL}", str(OFFICIAL), "Wati Lupa")
    assert _rows_naming(engine, person) == []
    assert h.services.conversations.data("user", OFFICIAL) is None
    # Their question and vote stay, without them, as when written at once (one policy: the
    # gap statistics keep what was asked, never who); the other person's are written as usual.
    with engine.connect() as conn:
        askers = conn.execute(select(KbQuestion.asked_by).order_by(KbQuestion.id)).all()
        voters = conn.execute(select(KbFeedback.user)).scalars().all()
    assert [a for (a,) in askers] == [None, f"tg:{COORDINATOR}"]
    assert len(voters) == 1 and voters[0].startswith("anon:")
    assert h.services.conversations.data("user", COORDINATOR) is not None


def _rows_naming(engine: Engine, needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Every (table, column, value) of every table holding one of ``needles`` as a whole
    token: a random pseudonym's hex digits or a timestamp's microseconds may hold the digits
    of a Telegram ID without naming anyone."""
    pattern = re.compile(
        "|".join(rf"(?<![0-9A-Za-z]){re.escape(n)}(?![0-9A-Za-z])" for n in needles)
    )
    found: list[tuple[str, str, str]] = []
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    if pattern.search(text):
                        found.append((table.name, column, text[:200]))
    return found


async def test_an_update_held_under_the_lock_is_handled_once(seeded: BotHarness) -> None:
    h = seeded
    dispatcher = dispatcher_of(h.app)  # type: ignore[arg-type]
    update = {"update_id": 77, "message": h.updates.message(OFFICIAL, "/bantuan")}
    with write_locked(h.services.engine):
        await dispatcher.handle(update)
        assert len(h.api.sent(OFFICIAL)) == 1
        # Telegram sends it again (it was not acknowledged): recognised, not answered again.
        assert await dispatcher.receive(update) is False
        await dispatcher._round()
    await dispatcher.flush_deferred()
    await dispatcher.handle(update)
    assert len(h.api.sent(OFFICIAL)) == 1


async def test_a_change_the_user_asked_for_says_to_try_again_and_then_succeeds(
    seeded: BotHarness,
) -> None:
    h = seeded
    await deliver(h, TUESDAY_0900_WIB)
    [reminder] = [m for m in h.api.sent(COORDINATOR) if "Pelatihan staf" in m.text]
    with write_locked(h.services.engine):
        await h.updates.press(COORDINATOR, reminder.button("Selesai")["callback_data"])
        assert "bukti" in h.api.last(COORDINATOR).text  # the dialog goes on under the lock
        await h.updates.send(COORDINATOR, "Daftar hadir pelatihan terlampir.")
        refusal = h.api.last(COORDINATOR).text
        assert "terkunci" in refusal and "coba lagi" in refusal  # said, in their language
    await dispatcher_of(h.app).flush_deferred()  # type: ignore[arg-type]
    milestone = _milestone(h)
    assert milestone.status != "done"  # nothing half-written
    # Sent again once the lock is free: the dialog is where it was, and the change is made.
    await h.updates.send(COORDINATOR, "Daftar hadir pelatihan terlampir.")
    milestone = _milestone(h)
    assert milestone.status == "done" and milestone.updated_by == f"tg:{COORDINATOR}"


def _milestone(h: BotHarness) -> Any:
    detail = h.services.tracker.get_agreement(OPERATOR, 1)
    return next(m for m in detail.milestones if m.id == 10)


async def test_an_update_that_changes_no_data_writes_none(
    seeded: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = seeded
    conversations = h.services.conversations
    writes: list[tuple[str, int]] = []
    save = conversations.save_data

    def counted(scope: str, key: int, value: bytes | None, *, wait: bool = True) -> None:
        writes.append((scope, key))
        save(scope, key, value, wait=wait)

    monkeypatch.setattr(conversations, "save_data", counted)
    await h.updates.send(OFFICIAL, QUESTION)  # remembers the question: the user's data changes
    assert ("user", OFFICIAL) in writes
    writes.clear()
    await h.updates.send(OFFICIAL, "/bantuan")
    assert writes == []


@asynccontextmanager
async def another_worker(h: BotHarness, settings: Settings) -> AsyncIterator[BotHarness]:
    """A second bot process over the same database (after a restart, or the other webhook
    worker): its own services, so nothing of the first one's memory."""
    services = Services(settings, clock=h.services.clock, engine=h.services.engine)
    api = FakeBotApi()
    app = build_application(services, settings, request=api, rate_limit=False)
    await app.initialize()
    await app.start()
    try:
        yield BotHarness(app, api, Updates(app), services, services.knowledge)
    finally:
        await app.stop()
        await app.shutdown()
        services.close()


async def test_the_buttons_of_an_answer_logged_later_work_on_another_worker_and_after_a_restart(
    seeded: BotHarness, bot_settings: Settings
) -> None:
    h = seeded
    engine = h.services.engine
    with write_locked(engine):
        await h.updates.send(OFFICIAL, QUESTION)
        answer = h.api.last(OFFICIAL)
    await dispatcher_of(h.app).flush_deferred()  # type: ignore[arg-type]
    with engine.connect() as conn:
        [question_id] = conn.execute(select(KbQuestion.id)).scalars().all()
    async with another_worker(h, bot_settings) as other:
        await other.updates.press(OFFICIAL, answer.button("[1]")["callback_data"])
        assert "tiga hari kerja" in other.api.last(OFFICIAL).text  # the source, from the log
        await other.updates.press(OFFICIAL, answer.button("👎")["callback_data"])
        assert other.api.problems() == []
        assert not any("tidak ditemukan" in m.text for m in other.api.sent(OFFICIAL))
    with engine.connect() as conn:
        votes = conn.execute(select(KbFeedback.question_id, KbFeedback.helpful)).all()
    assert [tuple(v) for v in votes] == [(question_id, False)]


async def test_the_buttons_of_an_answer_whose_entry_was_lost_say_so(
    seeded: BotHarness, bot_settings: Settings
) -> None:
    # A restart before the lock was free: the queued entry is gone, and its buttons say it.
    h = seeded
    with write_locked(h.services.engine):
        await h.updates.send(OFFICIAL, QUESTION)
        answer = h.api.last(OFFICIAL)
        async with another_worker(h, bot_settings) as other:
            await other.updates.press(OFFICIAL, answer.button("[1]")["callback_data"])
            assert "tidak ditemukan" in other.api.last(OFFICIAL).text


async def test_bookkeeping_queued_longer_than_the_bound_is_dropped_and_said_to_be(
    seeded: BotHarness, clock: FixedClock
) -> None:
    h = seeded
    with write_locked(h.services.engine):
        await h.updates.send(OFFICIAL, QUESTION)
        answer = h.api.last(OFFICIAL)
        clock.advance(MAX_WAIT + timedelta(minutes=1))  # a write lock held for a day
    await dispatcher_of(h.app).flush_deferred()  # type: ignore[arg-type]
    assert _count(h.services.engine, KbQuestion) == 0
    # Nothing of what was dropped is served from this worker's memory meanwhile.
    await h.updates.press(OFFICIAL, answer.button("[1]")["callback_data"])
    assert "tidak ditemukan" in h.api.last(OFFICIAL).text
    persistence = h.app.persistence  # type: ignore[attr-defined]
    assert isinstance(persistence, DatabasePersistence)
    assert await persistence._read("user", OFFICIAL) == h.services.conversations.data(
        "user", OFFICIAL
    )
