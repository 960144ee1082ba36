"""What every handler shares, kept in ``application.bot_data``: services, settings, signer.

Also the bot's small in-memory state: the per-user question rate limit and the threads between
an official's question and the trainers' chat. That state is deliberately not persisted: losing
it on restart costs a repeated question, never data.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackContext, ContextTypes

from bot.keyboards import CallbackSigner
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


class LRU(OrderedDict[Any, Any]):
    """A dict that forgets its oldest entries beyond ``size``."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass
class BotState:
    services: Services
    settings: Settings
    signer: CallbackSigner
    started_at: datetime
    limiter: QuestionLimiter
    questions: LRU = field(default_factory=lambda: LRU(5000))
    trainer_threads: LRU = field(default_factory=lambda: LRU(5000))

    def now(self) -> datetime:
        return self.services.clock.now()

    def today(self) -> date:
        """Today's date in the deployment's time zone (milestone dates are local dates)."""
        return self.now().astimezone(ZoneInfo(self.settings.timezone)).date()

    @property
    def upload_limit_bytes(self) -> int:
        """Telegram's cloud Bot API serves files up to 20 MB; a local Bot API server more."""
        limit = self.settings.max_upload_bytes
        if not self.settings.telegram_base_url:
            limit = min(limit, 20 * 1024 * 1024)
        return limit


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
