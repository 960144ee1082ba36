"""Reminders through the bot: the job, Telegram's errors, and a process killed mid-pass."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

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

from bot.jobs import JOB_NAME, SEND_READ_TIMEOUT_S, translate_error
from core.db import make_engine
from services.reminders import TransientSendError, UnconfirmedSendError, UndeliverableError
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


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # The request was written, the answer did not come: it may have been delivered.
        (_timed_out(httpx.ReadTimeout("read")), UnconfirmedSendError),
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
