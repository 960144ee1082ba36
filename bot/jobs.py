"""Reminders through Telegram: the JobQueue pass and the sender.

The job runs every ``settings.reminder_interval_minutes``. PTB does not persist jobs, and it
need not: everything a pass needs (what was sent, what is claimed) lives in the outbox, so the
schedule is simply rebuilt at start and the first pass catches up (one collapsed message per
recipient).

The service is synchronous (database work); the pass runs in a worker thread and the sender
hands each message back to the bot's event loop, so the loop keeps answering users meanwhile.

The sender renders each :class:`~services.reminders.ReminderMessage` with
:mod:`bot.views.reminders`; its buttons are signed for the recipient. What they do is in
:mod:`bot.handlers.reminders` and :mod:`bot.handlers.agreements`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, Application, ContextTypes, ExtBot
from telegram.request import BaseRequest

from bot.callbacks import CallbackSigner
from bot.connection import bot_token, file_base_url, telegram_errors
from bot.handlers.common import NO_PREVIEW
from bot.keyboards import reminder_markup
from bot.state import get_state
from bot.views.reminders import render
from core.config import Settings
from core.errors import AppError
from core.redaction import Redactor
from services import Services
from services.reminders import (
    PassReport,
    ReminderMessage,
    TransientSendError,
    UnconfirmedSendError,
    UndeliverableError,
)

log = logging.getLogger(__name__)

RETENTION_JOB_NAME = "sinergi-question-retention"
JOB_NAME = "sinergi-reminders"
#: How long the worker thread waits for one message; well below the outbox lease (10 min).
#: A send that began and did not finish in that time is unconfirmed (never re-sent): its
#: request may have reached Telegram. One the loop had not begun is retried.
SEND_TIMEOUT_S = 120.0
#: How long a reminder's request waits for Telegram's answer once written (PTB's default is
#: 5 s). Nobody waits on a reminder, and an answer that does not come leaves it unconfirmed,
#: never re-sent: a slow link or a busy machine should cost time, not the reminder.
SEND_READ_TIMEOUT_S = 30.0

#: httpx's errors while reading the answer to a written request: the connection dropped after
#: Telegram may have read (and acted on) the request. A stale pooled connection, the one case
#: where it had not, is dropped by httpx before it is reused (it reads as closed), so what is
#: left of it is a narrow race: at most once costs a reminder there, never a duplicate.
_LOST_AFTER_WRITING = (httpx.ReadError, httpx.RemoteProtocolError)

#: Masks token-shaped text and URL passwords in Telegram's error texts before they are stored.
_GENERIC_REDACTOR = Redactor()


def translate_error(
    err: TelegramError,
) -> TransientSendError | UnconfirmedSendError | UndeliverableError:
    """Telegram's errors -> the outbox's three outcomes.

    Undeliverable (never retried): the user blocked the bot or deleted the account (Forbidden),
    the chat does not exist or the request is malformed (BadRequest), a migrated chat.
    Unconfirmed (never sent again): the request was written and Telegram's answer did not come
    (a read timeout, or the connection dropped while reading the answer): the message may have
    been delivered.
    Transient (retried with backoff): flood control (RetryAfter), timeouts and errors before
    the request was written (connecting, waiting for a connection, writing), 5xx errors,
    anything else.
    """
    if isinstance(err, InvalidToken):
        # PTB's text quotes the token, and this text is stored and shown by `reminders log`.
        return TransientSendError("the bot token was rejected by Telegram")
    if isinstance(err, TimedOut) and isinstance(err.__cause__, httpx.ReadTimeout):
        return UnconfirmedSendError(_GENERIC_REDACTOR.redact(f"{err} (no answer to the request)"))
    if isinstance(err, NetworkError) and isinstance(err.__cause__, _LOST_AFTER_WRITING):
        return UnconfirmedSendError(
            _GENERIC_REDACTOR.redact(f"{err} (the connection dropped before the answer)")
        )
    if isinstance(err, Forbidden | ChatMigrated):
        return UndeliverableError(_GENERIC_REDACTOR.redact(str(err)))
    if isinstance(err, BadRequest):
        return UndeliverableError(_GENERIC_REDACTOR.redact(str(err)))
    if isinstance(err, RetryAfter):
        # PTB keeps the value as a timedelta; its public attribute warns while it still
        # returns ints by default (v22.2 deprecation), so read the stored value.
        after = getattr(err, "_retry_after", None)
        if after is None:
            after = err.retry_after
        seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
        return TransientSendError(str(err), retry_after=seconds)
    return TransientSendError(_GENERIC_REDACTOR.redact(str(err)))


class TelegramReminderSender:
    """:class:`services.reminders.ReminderSender` over PTB, callable from a worker thread.

    Args:
        bot: an initialized bot.
        signer: signs the buttons for each recipient.
        loop: the event loop the bot runs on (the calling thread must not be that loop's).
    """

    def __init__(self, bot: Bot, signer: CallbackSigner, loop: asyncio.AbstractEventLoop) -> None:
        self._bot = bot
        self._signer = signer
        self._loop = loop

    async def send_async(self, message: ReminderMessage) -> int:
        rendered = render(message)
        try:
            sent = await self._bot.send_message(
                chat_id=rendered.telegram_id,
                text=rendered.text,
                parse_mode=ParseMode.HTML,
                reply_markup=reminder_markup(self._signer, rendered),
                link_preview_options=NO_PREVIEW,
                read_timeout=SEND_READ_TIMEOUT_S,
            )
        except TelegramError as err:
            raise translate_error(err) from err
        return sent.message_id

    def send(self, message: ReminderMessage) -> int | None:
        attempt = _Attempt()

        async def guarded() -> int | None:
            if not attempt.begin():  # the worker gave up before the loop got to it
                return None
            return await self.send_async(message)

        future = asyncio.run_coroutine_threadsafe(guarded(), self._loop)
        try:
            return future.result(timeout=SEND_TIMEOUT_S)
        except TimeoutError as err:
            if not attempt.abandon():  # it will never begin: nothing was sent
                future.cancel()
                raise TransientSendError("no answer from Telegram in time") from err
            if not future.cancel():  # it finished meanwhile: its outcome is known
                return future.result()
            # The request may have been written, and Telegram may have delivered it: at most
            # once, never re-sent (as a read timeout).
            raise UnconfirmedSendError(
                "no answer from Telegram in time (the request may have been sent)"
            ) from err


class _Attempt:
    """One send handed to the bot's loop, between the worker thread that waits for it and the
    loop that runs it: once the worker gave up (:meth:`abandon`) a send that had not begun
    never begins, so "not begun" means nothing was sent and the reminder may be retried."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._began = False
        self._abandoned = False

    def begin(self) -> bool:
        """In the loop, before the request: whether to go on (False once abandoned)."""
        with self._lock:
            if self._abandoned:
                return False
            self._began = True
            return True

    def abandon(self) -> bool:
        """In the worker, after its wait ran out: whether the send had begun."""
        with self._lock:
            self._abandoned = True
            return self._began


async def run_pass(
    services: Services,
    bot: Bot,
    signer: CallbackSigner,
    *,
    now: datetime | None = None,
    defer: bool = True,
) -> PassReport:
    """One delivery pass at ``now`` (the services' clock by default).

    ``defer``: the bot's pass defers its "sent" marks while the database is write-locked (its
    dispatcher writes them once the lock is free); a one-off pass, which stops right after,
    waits for the lock instead.
    """
    loop = asyncio.get_running_loop()
    sender = TelegramReminderSender(bot, signer, loop)
    at = now or services.clock.now()
    deferred = services.deferred if defer else None
    return await asyncio.to_thread(
        services.reminders.run_pass, now=at, sender=sender, deferred=deferred
    )


async def reminder_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue callback; a failing pass is logged and the next one tries again."""
    state = get_state(context)
    lock: asyncio.Lock = context.bot_data.setdefault("sinergi-reminders-lock", asyncio.Lock())
    if lock.locked():  # the previous pass is still running
        return
    async with lock:
        try:
            report = await run_pass(state.services, context.bot, state.signer)
        except AppError as err:
            log.warning("reminder pass failed: %s", err)
            return
        except Exception:  # the job must survive one bad pass (e.g. the database restarting)
            log.exception("reminder pass failed")
            return
    # Every pass is logged: with several workers each runs its own, and the log shows that
    # they all run while the outbox hands each reminder to one of them.
    log.info(
        "reminder pass: %d due, %d messages (%d reminders), %d failed, %d undeliverable",
        report.due,
        report.messages_sent,
        report.reminders_sent,
        report.failed,
        report.undeliverable,
    )


async def retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Daily: who asked questions older than the retention period becomes a pseudonym."""
    state = get_state(context)
    try:
        changed = await asyncio.to_thread(state.services.privacy.apply_retention)
    except AppError as err:
        log.warning("question log retention failed: %s", err)
        return
    except Exception:  # the job must survive one bad run; tomorrow's tries again
        log.exception("question log retention failed")
        return
    if changed:
        log.info("question log retention: %d records pseudonymised", changed)


def schedule(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Run a delivery pass every ``settings.reminder_interval_minutes``, and the question log's
    retention once a day."""
    queue = application.job_queue
    if queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("PTB JobQueue is not available: reminders will not be sent")
        return
    interval = timedelta(minutes=services.settings.reminder_interval_minutes)
    queue.run_repeating(
        reminder_job,
        interval=interval,
        first=timedelta(seconds=10),
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    queue.run_repeating(
        retention_job,
        interval=timedelta(days=1),
        first=timedelta(minutes=1),
        name=RETENTION_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


async def send_once(
    services: Services,
    settings: Settings,
    *,
    now: datetime | None = None,
    request: BaseRequest | None = None,
) -> PassReport:
    """One pass outside the bot process (``sinergi reminders send --once``, cron)."""
    token = bot_token(settings)
    kwargs: dict[str, Any] = {}
    if settings.telegram_base_url:
        kwargs["base_url"] = settings.telegram_base_url
        kwargs["base_file_url"] = settings.telegram_base_file_url or file_base_url(
            settings.telegram_base_url
        )
    if request is not None:
        kwargs["request"] = request
    # Telegram's flood limits (about 30 messages/s, 1/s per chat) are kept by PTB's limiter,
    # as in the bot process; what still fails is retried by the outbox on a later pass.
    with telegram_errors(settings):
        bot = ExtBot(token, rate_limiter=AIORateLimiter(max_retries=2), **kwargs)
        async with bot:
            signer = CallbackSigner.from_token(token)
            return await run_pass(services, bot, signer, now=now, defer=False)


__all__ = [
    "JOB_NAME",
    "TelegramReminderSender",
    "reminder_job",
    "run_pass",
    "schedule",
    "send_once",
    "translate_error",
]
