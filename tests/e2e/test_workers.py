"""Two bot worker processes behind one webhook URL, on PostgreSQL and a Chroma server (CI).

Each worker is ``sinergi run --webhook --port N``, as systemd starts it in production
(docs/deploy.md); the test plays the reverse proxy and posts Telegram's updates (built by the
local Bot API server, which validates every request the workers make) to one worker or the
other, with the secret token. What must hold:

* interleaved updates of several users, half to each worker and some to both, are each
  handled once, a chat's in ``update_id`` order, by both workers;
* a dialog started on one worker finishes on the other, also after ``kill -9`` of the first
  while the dialog waits, and after ``kill -9`` in the middle of handling an update (another
  worker handles it again: nothing is lost);
* both workers' job queues run the reminder pass, and every reminder goes out once.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.config import Settings
from core.db import make_engine
from services import Services, database
from services.access import Operator
from tests.conftest import CHROMA_URL_ENV, require_server
from tests.fakes.botapi import BotApiServer, FakeUser
from tests.fakes.botapi.server import BotMessage, Call
from tests.fakes.reminders import seed_agreement
from tests.reliability.servers import free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.chroma_server]

ROOT = Path(__file__).resolve().parents[2]
SINERGI = Path(sys.executable).with_name("sinergi")
SECRET = "rahasia-bersama-para-pekerja"
PUBLIC_URL = "https://bot.example.go.id/telegram"
KERINCI, BANDUNG = "15.01", "32.73"

COORDINATOR = FakeUser(id=3003, first_name="Sari", username="sari", language_code="id")
OFFICIALS = [
    FakeUser(id=4000 + i, first_name=f"Pejabat {i}", username=f"p{i}", language_code="id")
    for i in range(1, 4)
]
GUIDE = """# Panduan Gampil

## Pendaftaran akun

Untuk mendaftar akun Gampil, buka menu Daftar lalu isi NIK dan nomor ponsel. Kode OTP dikirim
lewat SMS dan berlaku lima menit.

## Izin usaha

Izin usaha diajukan lewat menu Perizinan dengan mengunggah KTP dan NPWP. Verifikasi berkas
selesai dalam tiga hari kerja.

## Izin reklame

Izin reklame diajukan lewat menu Reklame dengan foto lokasi dan ukuran papan. Retribusi dibayar
melalui bank daerah.
"""
QUESTIONS = (
    "Bagaimana cara mendaftar akun Gampil?",
    "Berapa lama verifikasi berkas izin usaha?",
    "Bagaimana mengajukan izin reklame?",
)


@dataclass
class Worker:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name_suffix(self) -> str:
        return f":{self.port}"

    def post(self, update: dict[str, Any]) -> int:
        request = urllib.request.Request(
            f"{self.url}/telegram",
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return err.code

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz/ready", timeout=2) as response:
                return response.status == 200
        except (OSError, http.client.HTTPException):
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Cluster:
    server: BotApiServer
    services: Services
    settings: Settings
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    def start(self, worker: Worker) -> Worker:
        with worker.log.open("ab") as log:
            worker.process = subprocess.Popen(
                [str(SINERGI), "run", "--webhook", "--port", str(worker.port)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(
            lambda: worker.ready() or worker.process.poll() is not None,  # type: ignore[union-attr]
            90,
            f"worker on port {worker.port}",
        )
        assert worker.process.poll() is None, worker.output()[-3000:]
        return worker

    def kill(self, worker: Worker) -> None:
        """``kill -9``: no clean-up, no last write; the database notices the lost connection."""
        assert worker.process is not None
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)

    def last_update(self) -> dict[str, Any]:
        return self.server.update(self.server.last_update_id)

    def wait_handled(self, update_ids: list[int], timeout: float = 90.0) -> None:
        def done() -> bool:
            records = self.services.conversations.records(update_ids)
            return len(records) == len(update_ids) and all(r.handled_at for r in records)

        wait_until(done, timeout, f"updates {update_ids} handled")

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
        wait_until(condition, timeout, what)
        return condition()


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path) -> Iterator[Cluster]:
    chroma_url = require_server(CHROMA_URL_ENV, "Chroma server")
    server = BotApiServer(hold_updates=True).start()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path / "data",
        database_url=pg_url,
        chroma_url=chroma_url,
        collection=f"workers_{uuid.uuid4().hex[:12]}",
        embedding_backend="fake",
        telegram_token=server.token,
        telegram_base_url=server.base_url,
        telegram_base_file_url=server.base_file_url,
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        working_hours_start=0,
        working_hours_end=24,
        working_days=[0, 1, 2, 3, 4, 5, 6],
        questions_per_minute=50,
    )
    engine = make_engine(pg_url)
    database.upgrade(engine)
    services = Services(settings, engine=engine)
    access = services.access
    access.add_user(1001, "admin", name="Rina", language="id")
    access.add_user(COORDINATOR.id, "coordinator", KERINCI, name="Sari", language="id")
    for official in OFFICIALS:
        access.add_user(official.id, "official", name=official.first_name, language="id")
    guide = tmp_path / "panduan-gampil.md"
    guide.write_text(GUIDE, encoding="utf-8")
    services.ingest.ingest_paths([guide], app="Gampil")
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    seed_agreement(
        engine,
        agreement_id=1,
        parties=[BANDUNG, KERINCI],
        title="KB Replikasi Gampil",
        signed_on=today - timedelta(days=60),
        milestones=[
            (10, "Pelatihan operator", today - timedelta(days=1), KERINCI),
            (11, "Instalasi server", today + timedelta(days=1), KERINCI),
            (12, "Uji coba layanan", today + timedelta(days=7), KERINCI),
        ],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")}
    env.update(
        {
            "SINERGI_DATA_DIR": str(settings.data_dir),
            "SINERGI_DATABASE_URL": pg_url,
            "SINERGI_CHROMA_URL": chroma_url,
            "SINERGI_COLLECTION": settings.collection,
            "SINERGI_EMBEDDING_BACKEND": "fake",
            "SINERGI_TELEGRAM_TOKEN": server.token,
            "SINERGI_TELEGRAM_BASE_URL": server.base_url,
            "SINERGI_TELEGRAM_BASE_FILE_URL": server.base_file_url,
            "SINERGI_WEBHOOK_URL": PUBLIC_URL,
            "SINERGI_WEBHOOK_SECRET": SECRET,
            "SINERGI_WORKING_HOURS_START": "0",
            "SINERGI_WORKING_HOURS_END": "24",
            "SINERGI_WORKING_DAYS": "[0,1,2,3,4,5,6]",
            "SINERGI_QUESTIONS_PER_MINUTE": "50",
            "OMP_NUM_THREADS": "1",
        }
    )
    cluster = Cluster(server, services, settings, env)
    try:
        for i in range(2):
            cluster.workers.append(cluster.start(Worker(free_port(), tmp_path / f"worker-{i}.log")))
        yield cluster
    finally:
        for worker in cluster.workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
                try:
                    worker.process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
        services.index.store.clear()
        services.close()
        engine.dispose()
        server.stop()
    server.assert_clean()


def test_interleaved_updates_of_several_users_are_each_handled_once_in_chat_order(
    cluster: Cluster,
) -> None:
    a, b = cluster.workers
    server = cluster.server
    updates: list[tuple[int, dict[str, Any]]] = []
    for question in QUESTIONS:
        for official in OFFICIALS:
            server.send_text(official, question)
            updates.append((server.last_update_id, cluster.last_update()))
    for i, (_, update) in enumerate(updates):
        assert (a if i % 2 else b).post(update) == 200
        if i % 4 == 0:  # Telegram's retry reached the other worker too
            assert (b if i % 2 else a).post(update) == 200
    ids = [update_id for update_id, _ in updates]
    cluster.wait_handled(ids)
    records = cluster.services.conversations.records(ids)
    assert all(r.attempts == 1 and r.outcome == "handled" for r in records)
    for official in OFFICIALS:
        mine = [r for r in records if r.chat_key == official.id]
        assert [r.update_id for r in mine] == sorted(r.update_id for r in mine)
        handled_at = [r.handled_at for r in mine]
        assert handled_at == sorted(handled_at), "a chat's updates were handled out of order"
        assert len(server.sent(official.id)) == len(QUESTIONS)  # one answer each, no repeat
    # Which worker handled which chat is the dispatchers' race (often the worker that got
    # the first update of a chat takes the rest); the contract is once and in order.
    assert all(r.worker for r in records)


def _open_blocked_dialog(cluster: Cluster, first: Worker, second: Worker, milestone: str) -> None:
    """/mou, the agreement, the milestone and "blocked", alternating the two workers."""
    server = cluster.server

    def step(worker: Worker, action: Callable[[], object]) -> None:
        action()
        update_id = server.last_update_id
        assert worker.post(cluster.last_update()) == 200
        cluster.wait_handled([update_id])

    before = len(server.sent(COORDINATOR.id))
    step(first, lambda: server.send_text(COORDINATOR, "/mou"))
    # The workers' reminder jobs run meanwhile (a digest may arrive between two replies), so
    # replies are looked up among what was sent since, not taken as the last message.
    listing = _with_button(server.sent(COORDINATOR.id)[before:], "Gampil")
    step(second, lambda: server.press(COORDINATOR, listing, button="Gampil"))
    detail = server.message(COORDINATOR.id, listing.message_id)
    step(first, lambda: server.press(COORDINATOR, detail, button=milestone))
    menu = server.message(COORDINATOR.id, listing.message_id)
    before = len(server.sent(COORDINATOR.id))
    step(second, lambda: server.press(COORDINATOR, menu, button="Terhambat"))
    assert _said(server.sent(COORDINATOR.id)[before:], "Apa yang menghambat")


def _with_button(messages: list[BotMessage], label: str) -> BotMessage:
    """The last of ``messages`` with a button labelled ``label``."""
    for message in reversed(messages):
        if any(label.lower() in str(b.get("text", "")).lower() for b in message.buttons()):
            return message
    raise AssertionError(f"no message with a {label!r} button among {messages}")


def _said(messages: list[BotMessage], text: str) -> bool:
    return any(text in (m.text or "") for m in messages)


def _milestone(cluster: Cluster, milestone_id: int) -> Any:
    detail = cluster.services.tracker.get_agreement(Operator("test"), 1)
    return next(m for m in detail.milestones if m.id == milestone_id)


def test_a_dialog_survives_kill_9_of_its_worker_between_and_in_the_middle_of_updates(
    cluster: Cluster, tmp_path: Path
) -> None:
    a, b = cluster.workers
    server = cluster.server

    # 1. The dialog waits for the reason on worker a's watch; a is killed; b takes the reason.
    _open_blocked_dialog(cluster, b, a, "Instalasi server")
    cluster.kill(a)
    before = len(server.sent(COORDINATOR.id))
    server.send_text(COORDINATOR, "Server belum dibeli")
    reason = server.last_update_id
    assert b.post(cluster.last_update()) == 200
    cluster.wait_handled([reason])
    after = _milestone(cluster, 11)
    assert (after.status, after.blocked_reason) == ("blocked", "Server belum dibeli")
    assert _said(server.sent(COORDINATOR.id)[before:], "Tonggak diperbarui")

    # 2. A new worker joins on a's port; b is killed in the middle of handling the reason:
    #    right after Telegram accepted the confirmation, before the update was marked handled.
    #    The new worker is paused meanwhile (SIGSTOP), so b is the one handling it.
    a2 = cluster.start(Worker(a.port, tmp_path / "worker-0b.log"))
    cluster.workers[0] = a2
    _open_blocked_dialog(cluster, a2, b, "Uji coba layanan")
    armed = {"on": True}

    def kill_b_mid_update(call: Call) -> None:
        text = call.text or ""
        if armed["on"] and call.method == "sendMessage" and "Tonggak diperbarui" in text:
            armed["on"] = False
            assert b.process is not None
            b.process.send_signal(signal.SIGKILL)

    server.after_call = kill_b_mid_update
    assert a2.process is not None and b.process is not None
    a2.process.send_signal(signal.SIGSTOP)
    try:
        server.send_text(COORDINATOR, "Operator sedang cuti")
        reason = server.last_update_id
        assert b.post(cluster.last_update()) == 200
        assert b.process.wait(timeout=60) == -signal.SIGKILL
        assert cluster.services.conversations.records([reason])[0].handled_at is None
    finally:
        a2.process.send_signal(signal.SIGCONT)
    cluster.wait_handled([reason], timeout=120)
    (record,) = cluster.services.conversations.records([reason])
    assert record.attempts == 2 and record.worker is not None
    assert record.worker.endswith(a2.name_suffix)  # the other worker handled it again
    after = _milestone(cluster, 12)
    assert (after.status, after.blocked_reason) == ("blocked", "Operator sedang cuti")
    # The dialog is over on every worker: the next text is a question again.
    before = len(server.sent(COORDINATOR.id))
    server.send_text(COORDINATOR, QUESTIONS[0])
    question = server.last_update_id
    assert a2.post(cluster.last_update()) == 200
    cluster.wait_handled([question])
    assert _said(server.sent(COORDINATOR.id)[before:], "Pendaftaran akun")  # an answer


def test_both_workers_run_the_reminder_pass_and_each_reminder_goes_out_once(
    cluster: Cluster,
) -> None:
    reminders = cluster.services.reminders

    def delivered() -> bool:
        rows = reminders.log(limit=100)
        return bool(rows) and all(r.status == "sent" for r in rows)

    cluster.wait_for(delivered, "every reminder sent", timeout=120)
    cluster.wait_for(
        lambda: all("reminder pass:" in w.output() for w in cluster.workers),
        "a reminder pass on both workers",
        timeout=60,
    )
    rows = reminders.log(limit=100)
    mine = [r for r in rows if r.recipient.endswith(str(COORDINATOR.id))]
    assert mine, rows
    messages = cluster.server.sent(COORDINATOR.id)
    # Every message the coordinator got is one an outbox row records: nothing went twice.
    assert sorted(m.message_id for m in messages) == sorted({r.message_id for r in mine})
    # Each milestone's reminder is in exactly one of the reminder messages (the weekly digest,
    # due on some days, lists the milestones again: it is a row of its own).
    titles = {10: "Pelatihan operator", 11: "Instalasi server", 12: "Uji coba layanan"}
    reminded = {r.milestone_id for r in mine if r.kind not in ("digest", "portfolio")}
    assert reminded and reminded <= set(titles)
    by_id = {m.message_id: m.text or "" for m in messages}
    reminder_texts = [
        by_id[r.message_id] for r in mine if r.kind not in ("digest", "portfolio") and r.message_id
    ]
    for milestone_id in reminded:
        assert sum(t.count(titles[milestone_id]) for t in set(reminder_texts)) == 1
