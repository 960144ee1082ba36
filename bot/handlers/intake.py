"""/mou baru: a coordinator or admin sends a signed KB, PKS or addendum (PDF, scan or photo);
the bot reads it into a draft, shows each field with where it was found, lets every field be
edited (buttons, then a reply), asks which region an ambiguous name means, and saves nothing
until "Simpan" is pressed.

The draft waits in the user's (persisted) conversation data; the file itself is already in
the content-addressed store, so a restart between reading and saving loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
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
from bot.handlers.common import edit_or_send, replace_text, reply_html
from bot.i18n import error_text, t_html
from bot.keyboards import markup, on
from bot.progress import ProgressEditor
from bot.state import Context, call, get_state
from bot.views import intake as views
from services.access import NotYourRegion, Permission, UserView

log = logging.getLogger(__name__)

WAIT_FILE, REVIEW, EDIT = range(20, 23)
DRAFT_KEY = "intake_draft"
FIELD_KEY = "intake_field"
DIALOG_TIMEOUT = timedelta(minutes=30)


async def _show(update: Update, context: Context, user: UserView, *, fresh: bool = False) -> None:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        await reply_html(update, context, t_html("intake.expired", user.language))
        return
    view = views.draft(draft, user.language)
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    if fresh:
        await reply_html(update, context, view.text, reply_markup=keyboard)
    else:
        await edit_or_send(update, context, view.text, reply_markup=keyboard)


@authorized(Permission.RECORD_AGREEMENT, private="say")
async def start(update: Update, context: Context, user: UserView) -> int | None:
    """/mou baru (with the file attached, or the file next)."""
    message = update.effective_message
    if message is not None and (message.document is not None or message.photo):
        return await _read(update, context, user)
    await reply_html(update, context, t_html("intake.send_file", user.language))
    return WAIT_FILE


async def receive(update: Update, context: Context) -> int | None:
    user = await lookup(update, context)
    if user is None or refusal(user, Permission.RECORD_AGREEMENT) is not None:
        return ConversationHandler.END
    return await _read(update, context, user)


async def _read(update: Update, context: Context, user: UserView) -> int:
    message = update.effective_message
    assert message is not None
    state = get_state(context)
    lang = user.language
    if message.document is not None:
        file_id = message.document.file_id
        filename = message.document.file_name or "perjanjian.pdf"
        size = message.document.file_size or 0
    else:
        photo = message.photo[-1]
        file_id, filename, size = photo.file_id, "foto-perjanjian.jpg", photo.file_size or 0
    await call(
        state.services.ingest.check_upload, filename, size, limit_bytes=state.upload_limit_bytes
    )
    status = await message.reply_html(t_html("intake.reading", lang, filename=filename))
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    progress = ProgressEditor(status, lang, asyncio.get_running_loop())
    try:
        draft = await call(
            state.services.intake.read, user, filename, data, progress=progress.pages
        )
    finally:
        await progress.flush()
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    view = views.draft(draft, lang)
    await replace_text(
        context,
        status,
        view.text,
        reply_markup=markup(state.signer, user.telegram_id, view.buttons),
    )
    return REVIEW


@authorized_callback(callbacks.INTAKE_FIELD)
async def ask_field(update: Update, context: Context, user: UserView, data: Callback) -> int:
    index = data.int_arg(0)
    if not 1 <= index <= len(views.FIELDS):
        return REVIEW
    assert context.user_data is not None
    name = views.FIELDS[index - 1]
    context.user_data[FIELD_KEY] = name
    await reply_html(update, context, views.ask_value(name, user.language))
    return EDIT


async def edited(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    if user is None or refusal(user, Permission.RECORD_AGREEMENT) is not None:
        return ConversationHandler.END
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    name = context.user_data.get(FIELD_KEY)
    message = update.effective_message
    if draft is None or name is None or message is None:
        return ConversationHandler.END
    # A bad value (an impossible date, an unknown kind) raises a domain error: the error
    # handler tells the user, and the draft and the question stay as they were.
    context.user_data[DRAFT_KEY] = await call(
        get_state(context).services.intake.edit, user, draft, name, message.text or ""
    )
    context.user_data.pop(FIELD_KEY, None)
    await _show(update, context, user, fresh=True)
    return REVIEW


@authorized_callback(callbacks.INTAKE_REGION)
async def choose_region(update: Update, context: Context, user: UserView, data: Callback) -> int:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        await _show(update, context, user)
        return ConversationHandler.END
    context.user_data[DRAFT_KEY] = await call(
        get_state(context).services.intake.choose_region, draft, data.int_arg(0), data.str_arg(1)
    )
    await _show(update, context, user)
    return REVIEW


@authorized_callback(callbacks.INTAKE_SAVE)
async def save(update: Update, context: Context, user: UserView, data: Callback) -> int:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    lang = user.language
    if draft is None:
        await edit_or_send(update, context, t_html("intake.expired", lang))
        return ConversationHandler.END
    missing = views.missing_fields(draft, lang)
    if missing:
        await reply_html(update, context, missing)
        return REVIEW
    # The service decides who may record it: a coordinator only their region's agreements.
    state = get_state(context)
    try:
        result = await call(state.services.intake.confirm, user, draft)
    except NotYourRegion as err:  # the draft stays open: the parties can still be fixed
        await reply_html(update, context, error_text(err, lang))
        return REVIEW
    context.user_data.pop(DRAFT_KEY, None)
    view = views.saved(result, lang)
    keyboard = markup(state.signer, user.telegram_id, view.buttons)
    await edit_or_send(update, context, view.text, reply_markup=keyboard)
    return ConversationHandler.END


@authorized_callback(callbacks.INTAKE_CANCEL)
async def cancel_button(update: Update, context: Context, user: UserView, data: Callback) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
        context.user_data.pop(FIELD_KEY, None)
    await edit_or_send(update, context, t_html("intake.cancelled", user.language))
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
        context.user_data.pop(FIELD_KEY, None)
    await reply_html(update, context, t_html("intake.cancelled", user.language if user else "id"))
    return ConversationHandler.END


def intake_dialog(*, persistent: bool = False) -> ConversationHandler:  # type: ignore[type-arg]
    baru = filters.Regex(r"^/mou(?:@\w+)?\s+(?:baru|new)\b")
    caption = filters.CaptionRegex(r"^/mou(?:@\w+)?\s+(?:baru|new)\b")
    files = filters.Document.ALL | filters.PHOTO
    with warnings.catch_warnings():
        # per_message=False on purpose: the dialog mixes buttons and replies (see agreements).
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                MessageHandler(filters.COMMAND & baru, start),
                MessageHandler(files & caption, start),
            ],
            states={
                WAIT_FILE: [MessageHandler(files, receive)],
                REVIEW: [
                    on(callbacks.INTAKE_FIELD, ask_field),
                    on(callbacks.INTAKE_REGION, choose_region),
                    on(callbacks.INTAKE_SAVE, save),
                    on(callbacks.INTAKE_CANCEL, cancel_button),
                ],
                EDIT: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, edited),
                    on(callbacks.INTAKE_FIELD, ask_field),
                ],
            },
            fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
            name="agreement_intake",
            persistent=persistent,
            per_chat=True,
            per_user=True,
            allow_reentry=True,
            conversation_timeout=DIALOG_TIMEOUT,
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(intake_dialog(persistent=application.persistence is not None))
