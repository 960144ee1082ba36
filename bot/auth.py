"""Every handler and every button asks the access service who the user is and what they may do.

The user is looked up on each update (never trusted from the client); the decision is the
service's (:meth:`services.access.AccessService.check`), and a refusal is translated here into
a short reply that depends on who asks (unknown, pending, blocked, wrong role), never on what
exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Update
from telegram.constants import ChatType

from bot.callbacks import Callback, CallbackAction, ForgedCallback
from bot.i18n import normalize_language, t, t_html
from bot.state import Context, answer_button, call, get_state
from services.access import AccessDenied, AccessService, Permission, UserView

R = TypeVar("R")
Handler = Callable[[Update, Context, UserView], Coroutine[Any, Any, R]]
CallbackHandler = Callable[[Update, Context, UserView, Callback], Coroutine[Any, Any, R]]
Wrapped = Callable[[Update, Context], Coroutine[Any, Any, R | None]]


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


def refusal(user: UserView | None, action: str) -> str | None:
    """Why ``user`` may not perform ``action`` (``None``: they may), as the service decides."""
    try:
        AccessService.check(user, action)
    except AccessDenied as err:
        return str(err.params.get("reason") or "role")
    return None


async def deny(update: Update, context: Context, user: UserView | None, reason: str) -> None:
    """Say no, in the user's language, with the refusal for ``reason``."""
    lang = language_of(update, user)
    key = f"auth.{reason}"
    if update.callback_query is not None:
        await answer_button(update, context, t(key, lang), alert=True)
        return
    message = update.effective_message
    if message is not None:
        await message.reply_html(t_html(key, lang))


def authorized(
    action: Permission, *, private: str | None = None
) -> Callable[[Handler[R]], Wrapped[R]]:
    """Run the handler only for an active user whose role allows ``action``.

    Args:
        private: ``"say"`` or ``"quiet"`` to serve only private chats, saying so in a group or
            staying silent there: agreements, documents and operator data are not for a group
            whose members the bot does not know.
    """

    def decorate(handler: Handler[R]) -> Wrapped[R]:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: Context) -> R | None:
            chat = update.effective_chat
            if private and chat is not None and chat.type != ChatType.PRIVATE:
                message = update.effective_message
                if private == "say" and message is not None:
                    await message.reply_html(t_html("auth.private_only", language_of(update)))
                return None
            user = await lookup(update, context)
            reason = refusal(user, action)
            if reason is not None or user is None:
                await deny(update, context, user, reason or "unknown")
                return None
            return await handler(update, context, user)

        return wrapper

    return decorate


def authorized_callback(action: CallbackAction) -> Callable[[CallbackHandler[R]], Wrapped[R]]:
    """Like :func:`authorized` for the buttons of ``action``: its data must be signed for this
    user, and its permission (``None``: any user the bot knows) allows them.

    The button is answered before the handler runs unless the action says it answers itself.
    """

    def decorate(handler: CallbackHandler[R]) -> Wrapped[R]:
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
                data = None
            if data is None or data.action != action:
                await answer_button(
                    update, context, t("auth.forged", language_of(update, user)), alert=True
                )
                return None
            reason = "unknown" if user is None else None
            if user is not None and action.permission is not None:
                reason = refusal(user, action.permission)
            if reason is not None or user is None:
                await deny(update, context, user, reason or "unknown")
                return None
            if action.acknowledge:
                await answer_button(update, context)
            return await handler(update, context, user, data)

        return wrapper

    return decorate
