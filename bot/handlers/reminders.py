"""The buttons of a reminder: "remind me in 3 days", and a collapsed reminder's milestones.

"Done", "in progress" and "blocked" are the milestone dialog's own buttons
(:mod:`bot.handlers.agreements`); the service checks, afresh, that the user may act on the
milestone (their role, their region, their bound agreements).
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application

from bot import callbacks
from bot.auth import authorized_callback
from bot.callbacks import Callback
from bot.formatting import MAX_ALERT, fit_plain
from bot.handlers.common import NO_PREVIEW
from bot.i18n import error_text
from bot.keyboards import on, reminder_markup
from bot.state import Context, answer_button, call, get_state
from bot.views import reminders as views
from core.errors import AppError
from services.access import UserView
from services.reminders import SNOOZE_DAYS


@authorized_callback(callbacks.REMINDER_SNOOZE)
async def snooze_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    query = update.callback_query
    assert query is not None
    state = get_state(context)
    try:
        snooze = await call(
            state.services.reminders.snooze,
            data.int_arg(1),
            telegram_id=user.telegram_id,
            days=SNOOZE_DAYS,
            now=state.now(),
        )
    except AppError as err:
        await answer_button(
            update, context, fit_plain(error_text(err, user.language), MAX_ALERT), alert=True
        )
        return
    await answer_button(update, context)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(
            chat_id=chat.id,
            text=views.snoozed(snooze, user.language),
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        )


@authorized_callback(callbacks.REMINDER_OPEN)
async def open_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    query = update.callback_query
    assert query is not None
    state = get_state(context)
    try:
        milestone = await call(
            state.services.reminders.authorize, user.telegram_id, data.int_arg(1)
        )
    except AppError as err:
        await answer_button(
            update, context, fit_plain(error_text(err, user.language), MAX_ALERT), alert=True
        )
        return
    await answer_button(update, context)
    chat = update.effective_chat
    if chat is None:
        return
    menu = views.milestone_menu(milestone, user.telegram_id, user.language)
    await context.bot.send_message(
        chat_id=chat.id,
        text=menu.text,
        parse_mode=ParseMode.HTML,
        reply_markup=reminder_markup(state.signer, menu),
        link_preview_options=NO_PREVIEW,
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(on(callbacks.REMINDER_SNOOZE, snooze_button))
    application.add_handler(on(callbacks.REMINDER_OPEN, open_button))
