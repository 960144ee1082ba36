"""Trainers teach: document uploads (checked before download), /hapus, /celah."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import re
from typing import Any

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from accounts import rules
from accounts.schemas import UserView
from bot.auth import authorized, authorized_callback
from bot.formatting import escape
from bot.handlers.common import command_args, edit_or_send, reply_html
from bot.i18n import t, t_html
from bot.keyboards import Callback, action_pattern, button, keyboard
from bot.state import Context, call, get_state

log = logging.getLogger(__name__)

_CAPTION_PAIR = re.compile(r"(\w+)\s*=\s*(\"[^\"]*\"|\S+)")
_KEYS = {
    "app": "app",
    "aplikasi": "app",
    "type": "doc_type",
    "tipe": "doc_type",
    "jenis": "doc_type",
}


def parse_caption(caption: str | None) -> dict[str, str]:
    """``app=Hayu.Bdg type=panduan`` (also ``aplikasi=``, ``tipe=``/``jenis=``) -> options."""
    options: dict[str, str] = {}
    for key, value in _CAPTION_PAIR.findall(caption or ""):
        name = _KEYS.get(key.lower())
        if name:
            options[name] = value.strip('"').strip()
    return options


def doc_token(doc_id: str) -> str:
    """A short, stable stand-in for a document id in callback data (ids may be long)."""
    return hashlib.sha256(doc_id.encode()).hexdigest()[:12]


def _count(value: Any) -> int:
    if isinstance(value, int):
        return value
    try:
        return len(value)
    except TypeError:
        return 0


def render_report(report: Any, lang: str) -> str:
    """An ``IngestReport`` as HTML."""
    lines = [
        t_html(
            "upload.report",
            lang,
            added=_count(report.added),
            updated=_count(report.updated),
            unchanged=_count(report.unchanged),
            chunks=_count(report.chunks_embedded),
        )
    ]
    for failure in tuple(getattr(report, "failed", ()) or ()):
        message = failure.message  # already in the uploader's language
        lines.append(f"⚠️ <b>{escape(failure.file)}</b>: {escape(message)}")
    return "\n".join(lines)


class ProgressEditor:
    """Edits the progress message from the ingest's worker thread, at most every 25 %."""

    def __init__(self, message: Message, lang: str, loop: asyncio.AbstractEventLoop) -> None:
        self.message = message
        self.lang = lang
        self.loop = loop
        self.last_step = -1
        self.last_ocr_step = -1
        self.pending: list[concurrent.futures.Future[None]] = []

    def __call__(self, progress: Any) -> None:
        """Takes ``services.ingest.IngestProgress``: scanned pages read (stage ``ocr``, at
        most ten edits), then chunks embedded (every 25 %)."""
        if getattr(progress, "stage", None) == "ocr":
            self.pages(int(progress.pages_done or 0), int(progress.pages_total or 0))
            return
        total = int(getattr(progress, "chunks_total", 0) or 0)
        done = int(getattr(progress, "chunks_done", 0) or 0)
        if total <= 0:
            return
        step = min(4, done * 4 // total)
        if step <= self.last_step:
            return
        self.last_step = step
        text = t_html("upload.progress", self.lang, done=done, total=total, percent=step * 25)
        self.pending.append(asyncio.run_coroutine_threadsafe(self._edit(text), self.loop))

    def pages(self, done: int, total: int) -> None:
        """Scanned pages read so far (OCR): at most ten edits."""
        if total <= 0:
            return
        step = min(10, done * 10 // total)
        if step <= self.last_ocr_step:
            return
        self.last_ocr_step = step
        text = t_html("upload.ocr_progress", self.lang, done=done, total=total)
        self.pending.append(asyncio.run_coroutine_threadsafe(self._edit(text), self.loop))

    async def flush(self) -> None:
        """Wait for the progress edits in flight, so none lands after the final report."""
        for future in self.pending:
            await asyncio.wrap_future(future)

    async def _edit(self, text: str) -> None:
        try:
            await self.message.edit_text(text, parse_mode=ParseMode.HTML)
        except TelegramError as err:  # progress is best effort
            log.debug("progress edit failed: %s", err)


@authorized(rules.UPLOAD, private="quiet")
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
    await progress_message.edit_text(render_report(report, lang), parse_mode=ParseMode.HTML)


@authorized(rules.REMOVE_DOCUMENT, private="say")
async def remove_command(update: Update, context: Context, user: UserView) -> None:
    """/hapus [doc_id]: choose a document, then confirm."""
    state = get_state(context)
    lang = user.language
    documents = await call(state.services.knowledge.list_documents)
    args = command_args(context)
    if args:
        wanted = [d for d in documents if d.doc_id == args[0]]
        if not wanted:
            await reply_html(update, context, t_html("remove.unknown", lang, doc_id=args[0]))
            return
        await _confirm(update, context, user, wanted[0])
        return
    if not documents:
        await reply_html(update, context, t_html("sources.empty", lang))
        return
    rows = [
        [button(state.signer, user.telegram_id, d.title[:60], "hpc", doc_token(d.doc_id))]
        for d in documents[:40]
    ]
    await reply_html(update, context, t_html("remove.choose", lang), reply_markup=keyboard(rows))


async def _confirm(update: Update, context: Context, user: UserView, doc: Any) -> None:
    state = get_state(context)
    token = doc_token(doc.doc_id)
    markup = keyboard(
        [
            [
                button(
                    state.signer, user.telegram_id, t("remove.yes", user.language), "hps", token
                ),
                button(state.signer, user.telegram_id, t("button.cancel", user.language), "hpx"),
            ]
        ]
    )
    text = t_html("remove.confirm", user.language, title=doc.title, doc_id=doc.doc_id)
    await edit_or_send(update, context, text, reply_markup=markup)


async def _find(context: Context, token: str) -> Any:
    documents = await call(get_state(context).services.knowledge.list_documents)
    return next((d for d in documents if doc_token(d.doc_id) == token), None)


@authorized_callback(rules.REMOVE_DOCUMENT)
async def remove_choose(update: Update, context: Context, user: UserView, data: Callback) -> None:
    doc = await _find(context, data.args[0])
    if doc is None:
        await edit_or_send(update, context, t_html("remove.gone", user.language))
        return
    await _confirm(update, context, user, doc)


@authorized_callback(rules.REMOVE_DOCUMENT)
async def remove_confirmed(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    doc = await _find(context, data.args[0])
    if doc is None:
        await edit_or_send(update, context, t_html("remove.gone", user.language))
        return
    await call(get_state(context).services.knowledge.remove_document, doc.doc_id)
    await edit_or_send(update, context, t_html("remove.done", user.language, title=doc.title))


@authorized_callback(rules.REMOVE_DOCUMENT)
async def remove_cancelled(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await edit_or_send(update, context, t_html("cancelled", user.language))


@authorized(rules.GAPS, private="say")
async def gaps(update: Update, context: Context, user: UserView) -> None:
    """/celah: questions the knowledge base could not answer well, most asked first."""
    items = await call(get_state(context).services.knowledge.gaps, 20)
    lang = user.language
    if not items:
        await reply_html(update, context, t_html("gaps.empty", lang))
        return
    lines = [t_html("gaps.header", lang, count=len(items))]
    for gap in items:
        text = getattr(gap, "question", None) or getattr(gap, "text", None) or str(gap)
        count = getattr(gap, "count", None) or getattr(gap, "asked", None)
        suffix = f" (×{count})" if count else ""
        lines.append(f"• {escape(text)}{suffix}")
    await reply_html(update, context, "\n".join(lines))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL, upload)
    )
    application.add_handler(CommandHandler("hapus", remove_command))
    application.add_handler(CommandHandler("celah", gaps))
    application.add_handler(CallbackQueryHandler(remove_choose, pattern=action_pattern("hpc")))
    application.add_handler(CallbackQueryHandler(remove_confirmed, pattern=action_pattern("hps")))
    application.add_handler(CallbackQueryHandler(remove_cancelled, pattern=action_pattern("hpx")))
