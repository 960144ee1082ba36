"""Two workers in one test: two applications over one database, as two processes would be.

Each worker is a complete application (its own PTB state, its own dispatcher) over the same
database; updates are given to one or the other. What must hold: a dialog started on one
worker finishes on the other, an update given to both is handled once, a stale timer of one
worker cannot end a dialog the other continued, the rate limit is one count, and the
trainers' threads are shared. The same holds on PostgreSQL (the ``engine`` runs both).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from telegram.ext import Application

from bot import callbacks
from bot.app import STATE_FILE, build_application
from bot.dispatch import dispatcher_of
from bot.persistence import DatabasePersistence, dialog_key
from bot.state import AskedQuestion, TrainerThread, app_state
from core.clock import FixedClock
from core.config import Settings
from services import Services
from services.access import Operator
from tests.bot.conftest import ADMIN, COORDINATOR, OFFICIAL, TRAINER, TRAINERS_CHAT
from tests.bot.fakes import FakeBotApi, Updates
from tests.fakes.tracker import KERINCI, OPERATOR, new_agreement


@pytest.fixture
def shared(bot_settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[Services]:
    """The services of a deployment (SQLite, or PostgreSQL in CI) with its users."""
    svc = Services(bot_settings, clock=clock, engine=engine)
    access = svc.access
    access.add_user(ADMIN, "admin", name="Admin Kota")
    access.add_user(TRAINER, "trainer", name="Pelatih Rina")
    access.add_user(OFFICIAL, "official", name="Pak Budi")
    access.add_user(COORDINATOR, "coordinator", region_code=KERINCI, name="Eka")
    yield svc
    svc.close()


@dataclass
class Worker:
    app: Application  # type: ignore[type-arg]
    api: FakeBotApi
    updates: Updates


@pytest.fixture
async def workers(shared: Services, bot_settings: Settings) -> AsyncIterator[list[Worker]]:
    made: list[Worker] = []
    ids = itertools.count(1)  # Telegram numbers the updates, whichever worker gets them
    for _ in range(2):
        api = FakeBotApi()
        app = build_application(shared, bot_settings, request=api, rate_limit=False)
        await app.initialize()
        await app.start()
        updates = Updates(app)
        updates._ids = ids
        made.append(Worker(app, api, updates))
    yield made
    for worker in made:
        await worker.app.stop()
        await worker.app.shutdown()


def sent_to(workers: list[Worker], chat_id: int) -> list[str]:
    return [c.text for w in workers for c in w.api.sent(chat_id)]


async def test_a_dialog_started_on_one_worker_finishes_on_the_other(
    workers: list[Worker], shared: Services
) -> None:
    a, b = workers
    agreement = shared.tracker.add_agreement(Operator("test"), new_agreement())
    milestone = agreement.milestones[1]
    signer = app_state(a.app).signer
    data = signer.pack(
        COORDINATOR, callbacks.MILESTONE_BLOCKED, agreement.id, milestone.id, "planned"
    )
    await a.updates.press(COORDINATOR, data)
    assert "alasan" in a.api.last(COORDINATOR).text.lower()
    await b.updates.send(COORDINATOR, "Anggaran belum turun")  # the other worker
    after = shared.tracker.get_agreement(OPERATOR, agreement.id).milestones[1]
    assert after.status == "blocked" and after.blocked_reason == "Anggaran belum turun"
    assert "diperbarui" in b.api.last(COORDINATOR).text
    # The dialog is over for both: the next text is a question, wherever it lands.
    await a.updates.send(COORDINATOR, "Apa itu Hayu.Bdg?")
    assert (
        shared.conversations.dialogs([("milestone_update", dialog_key((COORDINATOR,) * 2))]) == []
    )


async def test_an_update_given_to_both_workers_is_handled_once(
    workers: list[Worker], shared: Services
) -> None:
    a, b = workers
    update = {"update_id": 500, "message": a.updates.message(OFFICIAL, "/bantuan")}
    await dispatcher_of(a.app).handle(update)
    await dispatcher_of(b.app).handle(update)  # Telegram's retry reached the other worker
    assert len(sent_to(workers, OFFICIAL)) == 1
    assert shared.conversations.outcomes([500]) == {500: (1, "handled")}


async def test_a_stale_timer_cannot_end_a_dialog_the_other_worker_continued(
    workers: list[Worker], shared: Services
) -> None:
    a, b = workers
    agreement = shared.tracker.add_agreement(Operator("test"), new_agreement())
    signer = app_state(a.app).signer
    done = signer.pack(
        COORDINATOR, callbacks.MILESTONE_DONE, agreement.id, agreement.milestones[0].id, "planned"
    )
    blocked = signer.pack(
        COORDINATOR,
        callbacks.MILESTONE_BLOCKED,
        agreement.id,
        agreement.milestones[1].id,
        "planned",
    )
    await a.updates.press(COORDINATOR, done)  # worker a: waiting for evidence (version 1)
    await b.updates.press(COORDINATOR, blocked)  # worker b: now waiting for a reason
    # A dialog save that met the database write-locked (the other worker's bookkeeping, in
    # the background) is deferred, not lost: written before the versions are read.
    for worker in workers:
        await dispatcher_of(worker.app).flush_deferred()
    key = dialog_key((COORDINATOR, COORDINATOR))
    before = shared.conversations.dialogs([("milestone_update", key)])
    assert before[0].version == 2
    # Worker a's dialog timer fires: it ends the dialog as it last saw it.
    persistence = a.app.persistence
    assert isinstance(persistence, DatabasePersistence)
    await persistence.update_conversation("milestone_update", (COORDINATOR, COORDINATOR), None)
    assert shared.conversations.dialogs([("milestone_update", key)]) == before
    await a.updates.send(COORDINATOR, "Tim belum terbentuk")
    after = shared.tracker.get_agreement(OPERATOR, agreement.id).milestones[1]
    assert after.status == "blocked" and after.blocked_reason == "Tim belum terbentuk"


async def test_the_question_limit_is_counted_across_workers(
    workers: list[Worker], shared: Services, bot_settings: Settings
) -> None:
    limit = bot_settings.questions_per_minute
    for i in range(limit + 3):
        await workers[i % 2].updates.send(OFFICIAL, f"Pertanyaan nomor {i}?")
    refused = [t for t in sent_to(workers, OFFICIAL) if t.startswith("Terlalu banyak pertanyaan")]
    # Warned once, whichever worker took the later messages; no answer and no second warning.
    assert len(refused) == 1
    assert len(sent_to(workers, OFFICIAL)) == limit + 1


async def test_ask_a_trainer_on_one_worker_and_the_reply_on_the_other(
    workers: list[Worker], shared: Services
) -> None:
    a, b = workers
    await a.updates.send(OFFICIAL, "Berapa lama OTP berlaku?")
    await a.updates.press(OFFICIAL, a.api.last(OFFICIAL).button("pelatih")["callback_data"])
    forwarded = a.api.last(TRAINERS_CHAT)
    bot_message = {
        "message_id": int(forwarded.result["message_id"]),
        "date": 0,
        "chat": {"id": TRAINERS_CHAT, "type": "supergroup", "title": "Pelatih"},
        "from": {"id": 777000, "is_bot": True, "first_name": "Sinergi"},
        "text": "❓",
    }
    await b.updates.send(TRAINER, "Lima menit.", chat_id=TRAINERS_CHAT, reply_to=bot_message)
    assert "Lima menit." in b.api.last(OFFICIAL).text


async def test_a_state_file_of_the_single_process_bot_is_imported_once(
    shared: Services, bot_settings: Settings, tmp_path: Path
) -> None:
    import pickle

    state_file = bot_settings.data_dir / STATE_FILE
    state_file.parent.mkdir(parents=True, exist_ok=True)
    asked = AskedQuestion("Apa itu Gampil?", "Gampil adalah ...", OFFICIAL, OFFICIAL, "id")
    thread = TrainerThread("Apa itu Gampil?", OFFICIAL, OFFICIAL, "id", 12, question_id=7)
    old: dict[str, Any] = {
        "user_data": {OFFICIAL: {"asked_questions": {"7": asked}}},
        "chat_data": {TRAINERS_CHAT: {"trainer_threads": {55: thread}}},
        "conversations": {"milestone_update": {(COORDINATOR, COORDINATOR): 1}},
        "bot_data": {},
        "callback_data": None,
    }
    state_file.write_bytes(pickle.dumps(old))
    build_application(shared, bot_settings, request=FakeBotApi(), rate_limit=False)
    assert not state_file.exists() and state_file.with_name(STATE_FILE + ".imported").exists()
    assert shared.conversations.thread(TRAINERS_CHAT, 55) == thread
    stored = pickle.loads(shared.conversations.data("user", OFFICIAL) or b"")
    assert stored == {"asked_questions": {"7": asked}}
    key = dialog_key((COORDINATOR, COORDINATOR))
    assert shared.conversations.dialogs([("milestone_update", key)])[0].state == "1"
    # Building again finds nothing to import.
    build_application(shared, bot_settings, request=FakeBotApi(), rate_limit=False)
    assert shared.conversations.thread(TRAINERS_CHAT, 55) == thread


async def test_a_dialog_saved_by_an_update_in_flight_during_a_forget_is_not_kept(
    workers: list[Worker], shared: Services
) -> None:
    # `users forget` ran while one of the person's updates was being handled: the dialog step
    # that update saves afterwards does not bring them back (no row keyed by them stays).
    a, _ = workers
    persistence = a.app.persistence
    assert isinstance(persistence, DatabasePersistence)
    shared.privacy.forget_person(OPERATOR, COORDINATOR)
    await persistence.update_conversation("milestone_update", (COORDINATOR, COORDINATOR), 1)
    key = dialog_key((COORDINATOR, COORDINATOR))
    assert shared.conversations.dialogs([("milestone_update", key)]) == []
    # Somebody else's dialog is kept as usual.
    await persistence.update_conversation("milestone_update", (OFFICIAL, OFFICIAL), 1)
    other = dialog_key((OFFICIAL, OFFICIAL))
    assert len(shared.conversations.dialogs([("milestone_update", other)])) == 1
