"""What every handler shares, kept in ``application.bot_data``: services, settings, signer.

The conversation state that must outlive a restart lives in PTB's ``user_data``/``chat_data``,
which the application persists (``bot.app``): recent questions (for "ask a trainer"), the
threads between a forwarded question and the trainers' replies, open dialogs. The question rate
limit is in memory only: a restart forgets it, which errs on the side of the user.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes

from bot.callbacks import CallbackSigner
from core.config import Settings
from services import Services

STATE_KEY = "sinergi"

P = ParamSpec("P")
R = TypeVar("R")


class QuestionLimiter:
    """At most ``per_minute`` questions per user in any sliding minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._asked: dict[int, deque[datetime]] = {}

    def allow(self, user_id: int, now: datetime) -> bool:
        window = self._asked.setdefault(user_id, deque())
        while window and now - window[0] >= timedelta(minutes=1):
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


@dataclass(frozen=True)
class AskedQuestion:
    """A question answered in a chat, kept so its buttons can act on it later."""

    question: str
    answer: str
    user_id: int
    chat_id: int
    language: str


@dataclass(frozen=True)
class TrainerThread:
    """A question forwarded to trainers: a reply to ``message_id`` goes back to the asker."""

    question: str
    asker_chat_id: int
    asker_user_id: int
    asker_language: str
    reply_to_message_id: int | None


@dataclass
class BotState:
    services: Services
    settings: Settings
    signer: CallbackSigner
    started_at: datetime
    limiter: QuestionLimiter

    def now(self) -> datetime:
        return self.services.clock.now()

    def today(self) -> date:
        """Today's date in the deployment's time zone (milestone dates are local dates)."""
        return self.now().astimezone(ZoneInfo(self.settings.timezone)).date()

    @property
    def upload_limit_bytes(self) -> int:
        """Telegram's cloud Bot API serves files up to 20 MB; a local Bot API server more."""
        return self.settings.max_upload_bytes if self.settings.telegram_base_url else 20 * 2**20


ASKED_KEY = "asked_questions"
THREADS_KEY = "trainer_threads"
MAX_ASKED_PER_USER = 50
MAX_THREADS_PER_CHAT = 2000


def _trim(mapping: dict[Any, Any], size: int) -> None:
    while len(mapping) > size:
        del mapping[next(iter(mapping))]  # dicts keep insertion order: the oldest goes


def remember_question(
    context: CallbackContext[Any, Any, Any, Any], qid: str, asked: AskedQuestion
) -> None:
    if context.user_data is None:
        return
    asked_by_id: dict[str, AskedQuestion] = context.user_data.setdefault(ASKED_KEY, {})
    asked_by_id[qid] = asked
    _trim(asked_by_id, MAX_ASKED_PER_USER)


def asked_question(context: CallbackContext[Any, Any, Any, Any], qid: str) -> AskedQuestion | None:
    if context.user_data is None:
        return None
    found = context.user_data.get(ASKED_KEY, {}).get(qid)
    return found if isinstance(found, AskedQuestion) else None


def remember_thread(
    application: Application[Any, Any, Any, Any, Any, Any],
    chat_id: int,
    message_id: int,
    thread: TrainerThread,
) -> None:
    """Keep the link from a forwarded question (in ``chat_id``) back to the asker."""
    threads: dict[int, TrainerThread] = application.chat_data[chat_id].setdefault(THREADS_KEY, {})
    threads[message_id] = thread
    _trim(threads, MAX_THREADS_PER_CHAT)
    # The update being handled belongs to the asker's chat; the trainers' chat must be saved too.
    application.mark_data_for_update_persistence(chat_ids=chat_id)


def trainer_thread(
    application: Application[Any, Any, Any, Any, Any, Any], chat_id: int, message_id: int
) -> TrainerThread | None:
    found = application.chat_data[chat_id].get(THREADS_KEY, {}).get(message_id)
    return found if isinstance(found, TrainerThread) else None


#: Telegram accepts one answer per button press; the ids of the presses answered lately.
ANSWERED_KEY = "sinergi-answered-buttons"
MAX_ANSWERED = 1000


async def answer_button(
    update: Update,
    context: CallbackContext[Any, Any, Any, Any],
    text: str | None = None,
    *,
    alert: bool = False,
) -> None:
    """Answer the pressed button (stop its spinner, maybe with a notice or an alert), once.

    Every answer goes through here, so the error handler knows whether a press was answered
    already: a second answer is refused by Telegram, and the error must then go to the chat.
    """
    query = update.callback_query
    if query is None or was_answered(context, query.id):
        return
    await query.answer(text, show_alert=alert)
    answered: dict[str, None] = context.bot_data.setdefault(ANSWERED_KEY, {})
    answered[query.id] = None
    _trim(answered, MAX_ANSWERED)


def was_answered(context: CallbackContext[Any, Any, Any, Any], query_id: str) -> bool:
    return query_id in context.bot_data.get(ANSWERED_KEY, {})


def get_state(context: CallbackContext[Any, Any, Any, Any]) -> BotState:
    state = context.bot_data[STATE_KEY]
    assert isinstance(state, BotState)
    return state


def app_state(application: Application[Any, Any, Any, Any, Any, Any]) -> BotState:
    state = application.bot_data[STATE_KEY]
    assert isinstance(state, BotState)
    return state


async def call(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a (blocking) service call off the event loop."""
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))


Context = ContextTypes.DEFAULT_TYPE
