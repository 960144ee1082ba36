"""Trainers keep their curated answers: /kurasi lists them; edit (a short dialog) or retire.

A trainer's reply to a forwarded question becomes a curated answer (``bot.handlers.questions``
saves it); here trainers and admins review them: open one (its history, who and when), send a
new text (a new version, the old one kept) or retire it (after a confirmation).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import callbacks
from bot.auth import authorized, authorized_callback, lookup, refusal
from bot.callbacks import Callback
from bot.handlers.common import edit_or_send, reply_html
from bot.i18n import t_html
from bot.keyboards import markup, on
from bot.state import Context, call, get_state
from bot.views import View
from bot.views import curation as views
from services.access import Permission, UserView

DIALOG_TIMEOUT = timedelta(minutes=15)
NEW_TEXT = 0
EDITING_KEY = "editing_curated"


async def _show(update: Update, context: Context, user: UserView, view: View) -> None:
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    await edit_or_send(update, context, view.text, reply_markup=keyboard)


@authorized(Permission.ANSWER_AS_TRAINER, private="say")
async def list_command(update: Update, context: Context, user: UserView) -> None:
    """/kurasi: the curated answers, each a button to its detail."""
    answers = await call(get_state(context).services.curated.answers, user)
    view = views.curated_list(answers, user.language)
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    await reply_html(update, context, view.text, reply_markup=keyboard)


async def show_curated(update: Update, context: Context, user: UserView, curated_id: int) -> None:
    curated = get_state(context).services.curated
    answer = await call(curated.get, user, curated_id)
    versions = await call(curated.versions, user, curated_id)
    await _show(update, context, user, views.curated_detail(answer, versions, user.language))


@authorized_callback(callbacks.CURATED_OPEN)
async def open_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    await show_curated(update, context, user, data.int_arg(0))


@authorized_callback(callbacks.CURATED_RETIRE)
async def retire_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    answer = await call(get_state(context).services.curated.get, user, data.int_arg(0))
    await _show(update, context, user, views.retire_confirmation(answer, user.language))


@authorized_callback(callbacks.CURATED_RETIRE_YES)
async def retire_confirmed(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    answer = await call(get_state(context).services.curated.retire, user, data.int_arg(0))
    await edit_or_send(update, context, t_html("curated.retired", user.language, id=answer.id))


# --- the dialog: a new text -----------------------------------------------------------------------


@authorized_callback(callbacks.CURATED_EDIT)
async def ask_text(update: Update, context: Context, user: UserView, data: Callback) -> int:
    answer = await call(get_state(context).services.curated.get, user, data.int_arg(0))
    assert context.user_data is not None
    context.user_data[EDITING_KEY] = answer.id
    await reply_html(
        update, context, t_html("curated.ask_text", user.language, question=answer.question)
    )
    return NEW_TEXT


async def new_text(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    message = update.effective_message
    if user is None or message is None or refusal(user, Permission.ANSWER_AS_TRAINER):
        return ConversationHandler.END
    assert context.user_data is not None
    curated_id = context.user_data.get(EDITING_KEY)
    if curated_id is None:
        return ConversationHandler.END
    # An empty or wordless text raises: the error handler explains and the dialog waits on.
    answer = await call(
        get_state(context).services.curated.edit, user, curated_id, answer=message.text or ""
    )
    context.user_data.pop(EDITING_KEY, None)
    await reply_html(
        update,
        context,
        t_html("curated.edited", user.language, id=answer.id, version=answer.version),
    )
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    if context.user_data is not None:
        context.user_data.pop(EDITING_KEY, None)
    await reply_html(update, context, t_html("cancelled", user.language if user else "id"))
    return ConversationHandler.END


def edit_dialog(*, persistent: bool = False) -> ConversationHandler:  # type: ignore[type-arg]
    with warnings.catch_warnings():
        # Started by a button, continued by the trainer's next message: per_message is False.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[on(callbacks.CURATED_EDIT, ask_text)],
            states={NEW_TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, new_text)]},
            fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
            name="edit_curated",
            persistent=persistent,
            allow_reentry=True,
            conversation_timeout=DIALOG_TIMEOUT,
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(edit_dialog(persistent=application.persistence is not None))
    application.add_handler(CommandHandler("kurasi", list_command))
    application.add_handler(on(callbacks.CURATED_OPEN, open_button))
    application.add_handler(on(callbacks.CURATED_RETIRE, retire_button))
    application.add_handler(on(callbacks.CURATED_RETIRE_YES, retire_confirmed))
