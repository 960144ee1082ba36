"""Server-side role checks for every handler and every button.

Handlers are wrapped with :func:`authorized`: the user is looked up in ``Services.access`` on
each update (never trusted from the client), and an unknown, pending or blocked user gets a
short reply that reveals nothing about the knowledge base or the agreements.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType

from bot.i18n import normalize_language, t, t_html
from bot.keyboards import Callback, ForgedCallback
from bot.state import Context, call, get_state
from services.access import AccessService, Status, UserView

R = TypeVar("R")
Handler = Callable[[Update, Context, UserView], Coroutine[Any, Any, R]]
CallbackHandler = Callable[[Update, Context, UserView, Callback], Coroutine[Any, Any, R]]


def language_of(update: Update, user: UserView | None = None) -> str:
    """The user's chosen language, else their Telegram client's, else Indonesian."""
    if user is not None:
        return user.language
    tg_user = update.effective_user
    return normalize_language(tg_user.language_code if tg_user else None)


async def lookup(update: Update, context: Context) -> UserView | None:
    tg_user = update.effective_user
    if tg_user is None:
        return None
    return await call(get_state(context).services.access.get_user, tg_user.id)


def denial_key(user: UserView | None, action: str) -> str:
    """Which refusal to give: it depends on who asks, never on what exists."""
    if user is None:
        return "auth.unknown"
    if user.status == Status.PENDING:
        return "auth.pending"
    if user.status != Status.ACTIVE:
        return "auth.blocked"
    return "auth.role"


async def deny(update: Update, user: UserView | None, action: str) -> None:
    lang = language_of(update, user)
    key = denial_key(user, action)
    if update.callback_query is not None:
        await update.callback_query.answer(t(key, lang), show_alert=True)
        return
    message = update.effective_message
    if message is not None:
        await message.reply_html(t_html(key, lang))


def authorized(
    action: str, *, private: str | None = None
) -> Callable[[Handler[R]], Callable[[Update, Context], Coroutine[Any, Any, R | None]]]:
    """Run the handler only for an active user whose role allows ``action``.

    Args:
        private: ``"say"`` or ``"quiet"`` to serve only private chats, saying so in a group or
            staying silent there: agreements, documents and operator data are not for a group
            whose members the bot does not know.
    """

    def decorate(handler: Handler[R]) -> Callable[[Update, Context], Coroutine[Any, Any, R | None]]:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: Context) -> R | None:
            chat = update.effective_chat
            if private and chat is not None and chat.type != ChatType.PRIVATE:
                message = update.effective_message
                if private == "say" and message is not None:
                    await message.reply_html(t_html("auth.private_only", language_of(update)))
                return None
            user = await lookup(update, context)
            if user is None or not AccessService.can(user, action):
                await deny(update, user, action)
                return None
            return await handler(update, context, user)

        return wrapper

    return decorate


def authorized_callback(
    action: str, *, acknowledge: bool = True
) -> Callable[[CallbackHandler[R]], Callable[[Update, Context], Coroutine[Any, Any, R | None]]]:
    """Like :func:`authorized` for buttons; the callback data must be signed for this user.

    ``acknowledge``: answer the button (stop its spinner) before the handler runs. Handlers
    that answer it themselves, with a notice or an alert, pass ``False``.
    """

    def decorate(
        handler: CallbackHandler[R],
    ) -> Callable[[Update, Context], Coroutine[Any, Any, R | None]]:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: Context) -> R | None:
            query = update.callback_query
            tg_user = update.effective_user
            if query is None or tg_user is None:
                return None
            user = await lookup(update, context)
            try:
                data = get_state(context).signer.unpack(tg_user.id, query.data)
            except ForgedCallback:
                await query.answer(t("auth.forged", language_of(update, user)), show_alert=True)
                return None
            if user is None or not AccessService.can(user, action):
                await deny(update, user, action)
                return None
            if acknowledge:
                await query.answer()
            return await handler(update, context, user, data)

        return wrapper

    return decorate
