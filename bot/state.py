"""What every handler shares, kept in ``application.bot_data``: services, settings, signer.

Nothing here is the only copy of anything: the conversation state lives in the database, so
any worker can take any update. A user's recent questions (for "ask a trainer") and open
dialogs are PTB's ``user_data`` and dialog states, read from the database before each update
and written right after (``bot.persistence``); the threads between a forwarded question and
the trainers' replies, and the question rate limit, are rows of their own
(``services.conversations``).
"""

from __future__ import annotations

import asyncio
import functools
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
from services.conversations import ConversationService, RateDecision, ThreadView

STATE_KEY = "sinergi"

P = ParamSpec("P")
R = TypeVar("R")


class QuestionLimiter:
    """At most ``per_minute`` questions per user in any sliding minute, counted in the
    database, so every worker (and a restart) sees the same count."""

    def __init__(self, conversations: ConversationService, per_minute: int) -> None:
        self.per_minute = per_minute
        self._conversations = conversations

    async def allow(self, user_id: int, now: datetime) -> RateDecision:
        """Count the question, or refuse it (warning the user once per minute at most)."""
        return await call(
            self._conversations.admit,
            f"question:{user_id}",
            limit=self.per_minute,
            window=timedelta(minutes=1),
            now=now,
        )


@dataclass(frozen=True)
class AskedQuestion:
    """A question answered in a chat, kept so its buttons can act on it later."""

    question: str
    answer: str
    user_id: int
    chat_id: int
    language: str


TrainerThread = ThreadView
"""A question forwarded to trainers: a reply to its message goes back to the asker (the name
older state files used; ``bot.persistence.import_pickle`` reads them)."""


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
MAX_ASKED_PER_USER = 50


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


async def remember_thread(
    state: BotState, chat_id: int, message_id: int, thread: TrainerThread
) -> None:
    """Keep the link from a forwarded question (``message_id`` in ``chat_id``) to the asker."""
    await call(state.services.conversations.remember_thread, chat_id, message_id, thread)


async def trainer_thread(state: BotState, chat_id: int, message_id: int) -> TrainerThread | None:
    return await call(state.services.conversations.thread, chat_id, message_id)


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
