"""Reminders through the bot: the job, Telegram's errors, and a process killed mid-pass."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

import bot.jobs
from bot.jobs import JOB_NAME, SEND_READ_TIMEOUT_S, TelegramReminderSender, translate_error
from core.db import make_engine
from services.reminders import (
    ReminderMessage,
    TransientSendError,
    UnconfirmedSendError,
    UndeliverableError,
)
from tests.bot.conftest import ADMIN, COORDINATOR, MONDAY_0900_WIB, BotHarness, deliver
from tests.conftest import create_schema
from tests.fakes.botapi.server import TOKEN, BotApiServer, Call
from tests.fakes.reminders import seed_agreement
from tests.fakes.tracker import BANDUNG, KERINCI


async def test_monday_digests_arrive_separately(reminded: BotHarness) -> None:
    h = reminded
    await deliver(h, MONDAY_0900_WIB)
    texts = [c.text for c in h.api.sent(COORDINATOR)]
    assert any("Ringkasan mingguan" in t for t in texts)
    assert any("Pelatihan staf" in t and "Ringkasan" not in t for t in texts)
    assert any("Ringkasan portofolio" in c.text for c in h.api.sent(ADMIN))


async def test_a_reminder_waits_longer_than_ptb_s_default_for_telegram_s_answer(
    reminded: BotHarness,
) -> None:
    """An answer that does not come leaves the reminder unconfirmed (never re-sent): a
    reminder's request waits 30 s for it, not PTB's 5 s meant for a user waiting."""
    await deliver(reminded, MONDAY_0900_WIB)
    sends = [c for c in reminded.api.calls if c.method == "sendMessage"]
    assert sends
    assert {c.read_timeout for c in sends} == {SEND_READ_TIMEOUT_S}


async def test_the_job_is_scheduled_from_settings(reminded: BotHarness) -> None:
    queue = reminded.app.job_queue  # type: ignore[attr-defined]
    [job] = queue.get_jobs_by_name(JOB_NAME)
    interval = reminded.services.settings.reminder_interval_minutes
    assert job.trigger.interval == timedelta(minutes=interval)


@pytest.mark.parametrize(
    ("error", "expected", "retry_after"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), UndeliverableError, None),
        (BadRequest("Bad Request: chat not found"), UndeliverableError, None),
        (RetryAfter(timedelta(seconds=7)), TransientSendError, 7.0),
        (TimedOut(), TransientSendError, None),
        (NetworkError("Bad Gateway"), TransientSendError, None),
    ],
)
def test_telegram_errors_map_to_outbox_outcomes(
    error: Exception, expected: type[Exception], retry_after: float | None
) -> None:
    mapped = translate_error(error)  # type: ignore[arg-type]
    assert isinstance(mapped, expected)
    if retry_after is not None:
        assert isinstance(mapped, TransientSendError)
        assert mapped.retry_after == retry_after


def _timed_out(cause: Exception) -> TimedOut:
    err = TimedOut()
    err.__cause__ = cause
    return err


def _dropped(cause: Exception) -> NetworkError:
    err = NetworkError(f"httpx.{type(cause).__name__}: {cause}")
    err.__cause__ = cause
    return err


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # The request was written, the answer did not come: it may have been delivered.
        (_timed_out(httpx.ReadTimeout("read")), UnconfirmedSendError),
        (_dropped(httpx.ReadError("connection reset")), UnconfirmedSendError),
        (_dropped(httpx.RemoteProtocolError("Server disconnected")), UnconfirmedSendError),
        # Not written (whole): nothing was delivered.
        (_dropped(httpx.ConnectError("refused")), TransientSendError),
        (_dropped(httpx.WriteError("broken pipe")), TransientSendError),
        # Nothing was sent: safe to retry.
        (_timed_out(httpx.ConnectTimeout("connect")), TransientSendError),
        (_timed_out(httpx.PoolTimeout("pool")), TransientSendError),
        (_timed_out(httpx.WriteTimeout("write")), TransientSendError),
    ],
)
def test_a_timeout_is_unconfirmed_only_once_the_request_was_sent(
    error: TimedOut, expected: type[Exception]
) -> None:
    assert type(translate_error(error)) is expected


async def test_telegram_s_transport_raises_what_translate_error_reads() -> None:
    """PTB's own request over a socket that reads the request and never answers: the timeout
    it raises is told apart (a read timeout) from one waiting for a free connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/bot{TOKEN}/sendMessage"
    held: list[socket.socket] = []

    async def accept_and_stay_silent() -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, _ = await loop.sock_accept(listener)
            held.append(conn)

    server = asyncio.create_task(accept_and_stay_silent())
    request = HTTPXRequest(connection_pool_size=1, read_timeout=1.0, pool_timeout=0.1)
    await request.initialize()
    try:
        errors: list[TelegramError] = []

        async def post() -> None:
            try:
                await request.post(url, request_data=None)
            except TelegramError as err:
                errors.append(err)

        await asyncio.gather(post(), post())  # one holds the only connection, one waits
    finally:
        await request.shutdown()
        server.cancel()
        for conn in held:
            conn.close()
        listener.close()
    outcomes = sorted(type(translate_error(e)).__name__ for e in errors)
    assert outcomes == ["TransientSendError", "UnconfirmedSendError"], errors


class _StuckSender(TelegramReminderSender):
    """The sender over a Telegram that takes the request and never answers (nor fails)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(None, None, loop)  # type: ignore[arg-type]
        self.requests = 0

    async def send_async(self, message: ReminderMessage) -> int:
        self.requests += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.fixture
def loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own, as the bot's loop runs beside the pass."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def test_a_send_that_began_and_outlived_the_wait_is_unconfirmed(
    loop_thread: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request went out and the worker stopped waiting: Telegram may have delivered it, so
    the outbox must not retry it (a transient error would be sent again later)."""
    monkeypatch.setattr(bot.jobs, "SEND_TIMEOUT_S", 0.2)
    sender = _StuckSender(loop_thread)
    with pytest.raises(UnconfirmedSendError):
        sender.send(object())  # type: ignore[arg-type]
    assert sender.requests == 1


def test_a_send_the_loop_never_began_is_retried_and_never_begins_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bot's loop was too busy to start the send before the worker gave up: nothing was
    sent, the reminder is retried, and the abandoned send does not go out once the loop
    frees up (it would be a second copy of the retry)."""
    monkeypatch.setattr(bot.jobs, "SEND_TIMEOUT_S", 0.05)
    loop = asyncio.new_event_loop()  # not running yet: the busy loop
    try:
        sender = _StuckSender(loop)
        with pytest.raises(TransientSendError):
            sender.send(object())  # type: ignore[arg-type]
        loop.run_until_complete(asyncio.sleep(0.05))  # the loop frees up
        assert sender.requests == 0
    finally:
        loop.close()


def test_a_send_that_finishes_as_the_wait_runs_out_keeps_its_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Telegram's answer came between the end of the worker's wait and its cancel: the message
    id is kept (a lost race must not turn a delivered message into an unconfirmed one)."""

    class AnsweredLate:
        def __init__(self, coro: Coroutine[Any, Any, int]) -> None:
            try:  # the loop runs the send to its end...
                coro.send(None)
            except StopIteration as done:
                self.value: int = done.value
            self.waited = False

        def result(self, timeout: float | None = None) -> int:
            if not self.waited:  # ...just after the worker's wait ran out
                self.waited = True
                raise TimeoutError
            return self.value

        def cancel(self) -> bool:
            return False  # already done

    monkeypatch.setattr(asyncio, "run_coroutine_threadsafe", lambda coro, loop: AnsweredLate(coro))

    class Answered(TelegramReminderSender):
        async def send_async(self, message: ReminderMessage) -> int:
            return 42

    sender = Answered(None, None, None)  # type: ignore[arg-type]
    assert sender.send(object()) == 42  # type: ignore[arg-type]


def test_a_send_given_up_on_before_it_began_is_no_delivery_when_the_loop_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loop reaches the send between the worker's give-up and its cancel: the send does
    not begin, and its empty outcome is not taken for a delivery (a ``sent`` row without a
    message)."""

    class ReachedOnCancel:
        def __init__(self, coro: Coroutine[Any, Any, int | None]) -> None:
            self.coro = coro

        def result(self, timeout: float | None = None) -> int | None:
            raise TimeoutError

        def cancel(self) -> bool:
            with contextlib.suppress(StopIteration):  # the loop runs it now...
                self.coro.send(None)
            return False  # ...so it is done, not cancelled

    monkeypatch.setattr(
        asyncio, "run_coroutine_threadsafe", lambda coro, loop: ReachedOnCancel(coro)
    )
    sender = _StuckSender(None)  # type: ignore[arg-type]
    with pytest.raises(TransientSendError):
        sender.send(object())  # type: ignore[arg-type]
    assert sender.requests == 0


# --- a real process, killed between Telegram's acceptance and the outbox update ---------------


def _cli(data_dir: Path, server: BotApiServer, at: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SINERGI_DATA_DIR": str(data_dir),
        "SINERGI_TELEGRAM_TOKEN": TOKEN,
        "SINERGI_TELEGRAM_BASE_URL": server.base_url,
    }
    env.pop("SINERGI_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "reminders", "send", "--once", "--at", at],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_killed_mid_pass_and_restarted_nothing_lost_nothing_duplicated(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    engine = make_engine(f"sqlite:///{data_dir / 'sinergi.db'}")
    create_schema(engine)
    seed_agreement(
        engine,
        agreement_id=1,
        parties=[BANDUNG, KERINCI, "91.71"],
        milestones=[(10, "Rencana kerja bersama", date(2026, 3, 4), None)],
    )
    engine.dispose()
    from core.config import Settings
    from services import Services

    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    services = Services(settings)
    for telegram_id, region in ((501, BANDUNG), (502, KERINCI), (503, "91.71")):
        services.access.add_user(telegram_id, "coordinator", region_code=region)
    services.close()

    with BotApiServer() as server:
        running: list[subprocess.Popen[bytes]] = []
        killed: list[int] = []

        def kill_after_first_delivery(call: Call) -> None:
            if call.method == "sendMessage" and call.ok and not killed and running:
                killed.append(int(call.chat_id or 0))
                os.kill(running[0].pid, signal.SIGKILL)

        server.after_call = kill_after_first_delivery
        first = _cli(data_dir, server, "2026-03-03T10:00+07:00")
        running.append(first)
        first.wait(timeout=120)
        assert first.returncode == -signal.SIGKILL
        assert len(killed) == 1
        server.after_call = None

        # Restarted while the dead pass's lease still runs, and again after it expired.
        for at in ("2026-03-03T10:01+07:00", "2026-03-03T10:30+07:00", "2026-03-03T11:00+07:00"):
            again = _cli(data_dir, server, at)
            _, err = again.communicate(timeout=120)
            assert again.returncode == 0, err.decode()

        delivered = {chat: len(server.sent(chat)) for chat in (501, 502, 503)}
        assert delivered == {501: 1, 502: 1, 503: 1}  # nothing lost, nothing duplicated
        server.assert_clean()
    services = Services(settings)
    statuses = sorted(r.status for r in services.reminders.log())
    services.close()
    assert statuses == ["sent", "sent", "unconfirmed"]
