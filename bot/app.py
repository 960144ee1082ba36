"""The Telegram application: one bot for officials, trainers, coordinators and admins."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import jobs
from bot.auth import language_of, lookup
from bot.callbacks import CallbackSigner
from bot.commands import publish_default
from bot.connection import bot_token, file_base_url, webhook_secret
from bot.errors import on_error
from bot.handlers import (
    access,
    admin,
    agreements,
    curation,
    intake,
    questions,
    reminders,
    trainers,
)
from bot.handlers.common import reply_html
from bot.i18n import t_html
from bot.persistence import DatabasePersistence, import_pickle
from bot.state import STATE_KEY, BotState, Context, QuestionLimiter, app_state
from core.config import Settings
from core.errors import AppError
from services import Services

log = logging.getLogger(__name__)

STATE_FILE = "bot-state.pickle"
"""Where a single-process bot kept its conversation state before it moved to the database;
imported once (``bot.persistence.import_pickle``)."""

__all__ = ["bot_token", "build_application", "file_base_url", "warm_up", "webhook_secret"]


def build_application(
    services: Services,
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    persist: bool = True,
) -> Application:  # type: ignore[type-arg]
    """The bot, wired to ``services``; not started (see ``bot.runner``).

    Args:
        request, get_updates_request: replace PTB's HTTP layer (tests fake it).
        rate_limit: AIORateLimiter with retries on RetryAfter (Telegram's flood control).
        persist: keep the conversation state (open dialogs, recent questions) in the database,
            read before and written after each update, so restarts and other workers share
            it; off, it lives in this process only (some handler tests).
    """
    token = bot_token(settings)
    builder = ApplicationBuilder().token(token).post_init(_post_init)
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url).base_file_url(
            settings.telegram_base_file_url or file_base_url(settings.telegram_base_url)
        )
    elif settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    if rate_limit:
        limiter: Any = AIORateLimiter(max_retries=3)  # PTB types it for a None rate-limit arg
        builder = builder.rate_limiter(limiter)
    persistence: DatabasePersistence | None = None
    if persist:
        import_pickle(settings.data_dir / STATE_FILE, services.conversations)
        persistence = DatabasePersistence(services.conversations, services.deferred)
        builder = builder.persistence(persistence)
    application = builder.build()
    application.bot_data[STATE_KEY] = BotState(
        services=services,
        settings=settings,
        signer=CallbackSigner.from_token(token),
        started_at=services.clock.now(),
        limiter=QuestionLimiter(services.conversations, settings.questions_per_minute),
    )
    register_handlers(application, services)
    application.add_error_handler(on_error)
    if persistence is not None:
        persistence.watch(application)
    return application


def register_handlers(application: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Order matters within a group: dialogs and commands before the catch-all question handler."""
    settings = app_state(application).settings
    intake.register(application)  # before /mou: "/mou baru" starts the intake dialog
    agreements.register(application)
    access.register(application)
    questions.register(application, settings.trainers_chat_id)
    trainers.register(application)
    curation.register(application)
    admin.register(application)
    reminders.register(application)
    jobs.schedule(application, services)
    access.register_fallbacks(application)  # /batal outside a dialog, after every dialog
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command)
    )
    questions.register_questions(application)


async def unknown_command(update: Update, context: Context) -> None:
    user = await lookup(update, context)
    await reply_html(update, context, t_html("command.unknown", language_of(update, user)))


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command menu in Indonesian (default) and English, then warm up."""
    await publish_default(application.bot)
    await warm_up(app_state(application).services)


async def warm_up(services: Services) -> bool:
    """Load the knowledge base before the first update is taken, so the first official's
    question does not wait for it (seconds at 100k chunks). A knowledge base that cannot load
    (e.g. Chroma down) is logged; the bot starts anyway and the tracker keeps working."""
    try:
        await asyncio.to_thread(services.knowledge.warm_up)
    except AppError as err:
        log.warning("knowledge base not ready at start (%s); questions will say so", err.code)
        return False
    return True
