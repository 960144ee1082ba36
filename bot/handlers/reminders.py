"""The buttons of a reminder: "remind me in 3 days", and a collapsed reminder's milestones;
and the admins' ``/kirimulang``: send an unconfirmed or undeliverable reminder again.

"Done", "in progress" and "blocked" are the milestone dialog's own buttons
(:mod:`bot.handlers.agreements`); the service checks, afresh, that the user may act on the
milestone (their role, their region, their bound agreements).
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from bot import callbacks
from bot.auth import authorized, authorized_callback
from bot.callbacks import Callback
from bot.formatting import MAX_ALERT, fit_plain
from bot.handlers.common import NO_PREVIEW, command_args, reply_html
from bot.i18n import error_text, t_html
from bot.keyboards import on, reminder_markup
from bot.state import Context, answer_button, call, get_state
from bot.views import reminders as views
from core.errors import AppError
from services.access import Permission, UserView
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


@authorized(Permission.RESEND_REMINDERS, private="say")
async def resend_command(update: Update, context: Context, admin: UserView) -> None:
    """/kirimulang ID [ID…]: each reminder back to pending for the next pass, or why not;
    without an id, the reminders that can be sent again."""
    args = command_args(context)
    reminders = get_state(context).services.reminders
    lang = admin.language
    if not args:
        rows = await call(reminders.resendable, limit=10)
        await reply_html(update, context, views.resendable(rows, lang))
        return
    ids: list[int] = []
    for arg in args:
        value = arg.lstrip("#")
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            await reply_html(update, context, t_html("reminders.resend.bad_id", lang, value=arg))
            return
        ids.append(int(value))
    report = await call(reminders.resend, ids, by=f"tg:{admin.telegram_id}")
    await reply_html(update, context, views.resent(report, lang))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler(["kirimulang", "resend"], resend_command))
    application.add_handler(on(callbacks.REMINDER_SNOOZE, snooze_button))
    application.add_handler(on(callbacks.REMINDER_OPEN, open_button))
