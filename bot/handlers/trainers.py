"""Trainers teach: document uploads (checked before download), /hapus, and /celah: the
knowledge gaps with the monthly answer rate, each gap taken by a trainer and followed to an
answer (curated, documented, or won't answer)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import callbacks
from bot.auth import authorized, authorized_callback
from bot.callbacks import Callback
from bot.handlers.common import command_args, edit_or_send, replace_text, reply_html
from bot.i18n import t_html
from bot.keyboards import markup, on
from bot.parsing import parse_caption, unread_caption
from bot.progress import ProgressEditor
from bot.state import Context, call, get_state
from bot.views import View
from bot.views import curation as gap_views
from bot.views import documents as views
from core.text import echo
from services.access import Permission, UserView
from services.knowledge import DocumentInfo

log = logging.getLogger(__name__)


@authorized(Permission.UPLOAD, private="quiet")
async def upload(update: Update, context: Context, user: UserView) -> None:
    message = update.effective_message
    if message is None or message.document is None:
        return
    state = get_state(context)
    document = message.document
    filename = document.file_name or "dokumen"
    size = document.file_size or 0
    lang = user.language
    # Size and type are checked from the message's metadata, before anything is downloaded.
    await call(
        state.services.ingest.check_upload, filename, size, limit_bytes=state.upload_limit_bytes
    )
    options = parse_caption(message.caption)
    progress_message = await message.reply_html(
        t_html("upload.downloading", lang, filename=filename)
    )
    tg_file = await context.bot.get_file(document.file_id)
    data = bytes(await tg_file.download_as_bytearray())
    await progress_message.edit_text(
        t_html("upload.processing", lang, filename=filename), parse_mode=ParseMode.HTML
    )
    progress = ProgressEditor(progress_message, lang, asyncio.get_running_loop())
    report = await call(
        state.services.ingest.ingest_upload,
        filename,
        data,
        app=options.get("app"),
        doc_type=options.get("doc_type"),
        uploader=user.actor,
        progress=progress,
        lang=lang,
    )
    await progress.flush()
    text = views.ingest_report(report, lang, unread_caption=unread_caption(message.caption))
    await replace_text(context, progress_message, text)


@authorized(Permission.REMOVE_DOCUMENT, private="say")
async def remove_command(update: Update, context: Context, user: UserView) -> None:
    """/hapus [doc_id]: choose a document, then confirm."""
    state = get_state(context)
    lang = user.language
    documents = await call(state.services.knowledge.list_documents)
    args = command_args(context)
    if args:
        wanted = [d for d in documents if d.doc_id == args[0]]
        if not wanted:
            await reply_html(update, context, t_html("remove.unknown", lang, doc_id=echo(args[0])))
            return
        await _show(update, context, user, views.removal_confirmation(wanted[0], lang))
        return
    view = views.removal_choice(documents, lang)
    keyboard = markup(state.signer, user.telegram_id, view.buttons)
    await reply_html(update, context, view.text, reply_markup=keyboard)


async def _show(update: Update, context: Context, user: UserView, view: View) -> None:
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    await edit_or_send(update, context, view.text, reply_markup=keyboard)


async def _find(context: Context, token: str) -> DocumentInfo | None:
    documents = await call(get_state(context).services.knowledge.list_documents)
    return next((d for d in documents if views.doc_token(d.doc_id) == token), None)


@authorized_callback(callbacks.DOCUMENT_CHOOSE)
async def remove_choose(update: Update, context: Context, user: UserView, data: Callback) -> None:
    doc = await _find(context, data.str_arg(0))
    if doc is None:
        await edit_or_send(update, context, t_html("remove.gone", user.language))
        return
    await _show(update, context, user, views.removal_confirmation(doc, user.language))


@authorized_callback(callbacks.DOCUMENT_REMOVE)
async def remove_confirmed(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    doc = await _find(context, data.str_arg(0))
    if doc is None:
        await edit_or_send(update, context, t_html("remove.gone", user.language))
        return
    await call(get_state(context).services.knowledge.remove_document, doc.doc_id)
    await edit_or_send(update, context, t_html("remove.done", user.language, title=doc.title))


@authorized_callback(callbacks.DOCUMENT_KEEP)
async def remove_cancelled(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await edit_or_send(update, context, t_html("cancelled", user.language))


@authorized(Permission.GAPS, private="say")
async def gaps(update: Update, context: Context, user: UserView) -> None:
    """/celah: the answer rate, then the gaps (open ones first, the most asked first)."""
    service = get_state(context).services.gaps
    items = await call(service.gaps, 20)
    rates = await call(service.answer_rates, 3)
    view = gap_views.gaps_view(items, rates, user.language)
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    await reply_html(update, context, view.text, reply_markup=keyboard)


async def _show_gap(
    update: Update, context: Context, user: UserView, gap_id: int, notice: str = ""
) -> None:
    gap = await call(get_state(context).services.gaps.get, user, gap_id)
    view = gap_views.gap_detail(gap, user.language, me=user.actor)
    text = f"{notice}\n\n{view.text}" if notice else view.text
    await _show(update, context, user, View(text, view.buttons))


@authorized_callback(callbacks.GAP_OPEN)
async def gap_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    await _show_gap(update, context, user, data.int_arg(0))


@authorized_callback(callbacks.GAP_TAKE)
async def gap_take(update: Update, context: Context, user: UserView, data: Callback) -> None:
    gap_id = data.int_arg(0)
    await call(get_state(context).services.gaps.update, user, gap_id, owner=user)
    notice = t_html("gaps.updated", user.language, id=gap_id)
    await _show_gap(update, context, user, gap_id, notice)


@authorized_callback(callbacks.GAP_STATUS)
async def gap_status(update: Update, context: Context, user: UserView, data: Callback) -> None:
    gap_id = data.int_arg(0)
    await call(get_state(context).services.gaps.update, user, gap_id, status=data.str_arg(1))
    notice = t_html("gaps.updated", user.language, id=gap_id)
    await _show_gap(update, context, user, gap_id, notice)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL, upload)
    )
    application.add_handler(CommandHandler("hapus", remove_command))
    application.add_handler(CommandHandler("celah", gaps))
    application.add_handler(on(callbacks.DOCUMENT_CHOOSE, remove_choose))
    application.add_handler(on(callbacks.DOCUMENT_REMOVE, remove_confirmed))
    application.add_handler(on(callbacks.DOCUMENT_KEEP, remove_cancelled))
    application.add_handler(on(callbacks.GAP_OPEN, gap_button))
    application.add_handler(on(callbacks.GAP_TAKE, gap_take))
    application.add_handler(on(callbacks.GAP_STATUS, gap_status))
