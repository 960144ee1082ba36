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
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from accounts import rules
from accounts.schemas import UserView
from bot.auth import authorized, authorized_callback, lookup
from bot.formatting import escape
from bot.handlers.common import edit_or_send, reply_html
from bot.handlers.trainers import ProgressEditor
from bot.i18n import t, t_html
from bot.keyboards import Callback, action_pattern, button, keyboard
from bot.state import Context, call, get_state

log = logging.getLogger(__name__)

WAIT_FILE, REVIEW, EDIT = range(20, 23)
DRAFT_KEY = "intake_draft"
FIELD_KEY = "intake_field"
DIALOG_TIMEOUT = timedelta(minutes=30)
FIELDS = (
    "kind",
    "numbers",
    "title",
    "signed_on",
    "ends_on",
    "region_codes",
    "apps",
    "parent_numbers",
)


def _value(draft: Any, name: str, lang: str) -> str:
    if name == "region_codes":
        parts = []
        for p in draft.parties:
            if p.code:
                parts.append(f"{p.region_name} ({p.code})")
            else:
                parts.append(t("intake.which", lang, name=p.name))
        return "; ".join(parts) or "—"
    if name == "kind" and draft.kind:
        return t(f"intake.kind.{draft.kind}", lang)
    value = getattr(draft, name)
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value) or "—"
    if value is None:
        return "—"
    return value.strftime("%d-%m-%Y") if hasattr(value, "strftime") else str(value)


def render_draft(draft: Any, lang: str) -> str:
    """Every field with its value and where it was read (page, line, confidence)."""
    lines = [t_html("intake.header", lang, file=draft.filename)]
    if draft.ocr_pages:
        lines.append(t_html("intake.ocr_note", lang, pages=draft.ocr_pages))
    for index, name in enumerate(FIELDS, start=1):
        places = draft.found.get(name, ())
        where = ""
        shown = [p for p in places if p.line]
        if shown:
            first = shown[0]
            where = t(
                "intake.where",
                lang,
                page=first.page or "-",
                line=first.line,
                confidence=round(min(p.confidence for p in shown) * 100),
            )
        elif places:
            where = t("intake.edited", lang)
        lines.append(
            f"{index}. <b>{escape(t(f'intake.field.{name}', lang))}</b>: "
            f"{escape(_value(draft, name, lang))}" + (f" <i>({escape(where)})</i>" if where else "")
        )
    if draft.term:
        lines.append(t_html("intake.term", lang, term=draft.term))
    if draft.duplicate_of is not None:
        lines.append(t_html("intake.duplicate", lang, id=draft.duplicate_of))
    if draft.parent_id is not None:
        lines.append(t_html("intake.parent", lang, id=draft.parent_id))
    missing = draft.missing()
    if missing:
        names = ", ".join(t(f"intake.field.{m}", lang) for m in missing)
        lines.append(t_html("intake.missing", lang, fields=names))
    return "\n".join(lines)


def draft_keyboard(draft: Any, user: UserView, context: Context) -> Any:
    state = get_state(context)
    sign, uid, lang = state.signer, user.telegram_id, user.language
    rows: list[list[Any]] = []
    for index, party in enumerate(draft.parties):
        if party.code is None:
            rows.extend(
                [button(sign, uid, f"📍 {name}", "ikr", index, code)]
                for code, name in party.candidates[:4]
            )
    edit_buttons = [button(sign, uid, f"✏️ {i}", "ikf", i) for i in range(1, len(FIELDS) + 1)]
    rows.append(edit_buttons[:4])
    rows.append(edit_buttons[4:])
    save_label = (
        t("intake.button.update", lang, id=draft.duplicate_of)
        if draft.duplicate_of is not None
        else t("intake.button.save", lang)
    )
    rows.append(
        [
            button(sign, uid, save_label, "iks"),
            button(sign, uid, t("button.cancel", lang), "ikx"),
        ]
    )
    return keyboard(rows)


async def _show(update: Update, context: Context, user: UserView, *, fresh: bool = False) -> None:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        await reply_html(update, context, t_html("intake.expired", user.language))
        return
    text = render_draft(draft, user.language)
    markup = draft_keyboard(draft, user, context)
    if fresh:
        await reply_html(update, context, text, reply_markup=markup)
    else:
        await edit_or_send(update, context, text, reply_markup=markup)


@authorized(rules.RECORD_AGREEMENT, private="say")
async def start(update: Update, context: Context, user: UserView) -> int | None:
    """/mou baru (with the file attached, or the file next)."""
    message = update.effective_message
    if message is not None and (message.document is not None or message.photo):
        return await _read(update, context, user)
    await reply_html(update, context, t_html("intake.send_file", user.language))
    return WAIT_FILE


async def receive(update: Update, context: Context) -> int | None:
    user = await lookup(update, context)
    if user is None or not rules.can(user.role, user.status, rules.RECORD_AGREEMENT):
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
        draft = await call(state.services.intake.read, filename, data, progress=progress.pages)
    finally:
        await progress.flush()
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    await status.edit_text(
        render_draft(draft, lang),
        parse_mode=ParseMode.HTML,
        reply_markup=draft_keyboard(draft, user, context),
    )
    return REVIEW


@authorized_callback(rules.RECORD_AGREEMENT)
async def ask_field(update: Update, context: Context, user: UserView, data: Callback) -> int:
    index = data.int_arg(0)
    if not 1 <= index <= len(FIELDS):
        return REVIEW
    assert context.user_data is not None
    name = FIELDS[index - 1]
    context.user_data[FIELD_KEY] = name
    await reply_html(
        update,
        context,
        t_html(
            "intake.ask_value",
            user.language,
            field=t(f"intake.field.{name}", user.language),
            hint=t(f"intake.hint.{name}", user.language),
        ),
    )
    return EDIT


async def edited(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    if user is None or not rules.can(user.role, user.status, rules.RECORD_AGREEMENT):
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
        get_state(context).services.intake.edit, draft, name, message.text or ""
    )
    context.user_data.pop(FIELD_KEY, None)
    await _show(update, context, user, fresh=True)
    return REVIEW


@authorized_callback(rules.RECORD_AGREEMENT)
async def choose_region(update: Update, context: Context, user: UserView, data: Callback) -> int:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    if draft is None:
        await _show(update, context, user)
        return ConversationHandler.END
    context.user_data[DRAFT_KEY] = await call(
        get_state(context).services.intake.choose_region, draft, data.int_arg(0), data.args[1]
    )
    await _show(update, context, user)
    return REVIEW


@authorized_callback(rules.RECORD_AGREEMENT)
async def save(update: Update, context: Context, user: UserView, data: Callback) -> int:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY)
    lang = user.language
    if draft is None:
        await edit_or_send(update, context, t_html("intake.expired", lang))
        return ConversationHandler.END
    missing = draft.missing()
    if missing:
        names = ", ".join(t(f"intake.field.{m}", lang) for m in missing)
        await reply_html(update, context, t_html("intake.missing", lang, fields=names))
        return REVIEW
    if not rules.sees_all_agreements(user.role) and user.region_code not in draft.region_codes:
        # A coordinator records their own region's agreements, as they see only those.
        await reply_html(update, context, t_html("intake.not_your_region", lang))
        return REVIEW
    result = await call(get_state(context).services.intake.confirm, draft, actor=user.actor)
    context.user_data.pop(DRAFT_KEY, None)
    lines = [
        t_html(
            f"intake.saved.{result.outcome}",
            lang,
            id=result.agreement_id,
            milestones=result.milestones,
            amended=result.amended_id or "-",
        )
    ]
    if result.kb_doc_id:
        lines.append(t_html("intake.in_kb", lang))
    elif result.kb_error:
        lines.append(t_html("intake.kb_failed", lang))
    state = get_state(context)
    markup = keyboard(
        [
            [
                button(
                    state.signer,
                    user.telegram_id,
                    t("intake.button.open", lang),
                    "ag",
                    result.agreement_id,
                )
            ]
        ]
    )
    await edit_or_send(update, context, "\n".join(lines), reply_markup=markup)
    return ConversationHandler.END


@authorized_callback(rules.RECORD_AGREEMENT)
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
                    CallbackQueryHandler(ask_field, pattern=action_pattern("ikf")),
                    CallbackQueryHandler(choose_region, pattern=action_pattern("ikr")),
                    CallbackQueryHandler(save, pattern=action_pattern("iks")),
                    CallbackQueryHandler(cancel_button, pattern=action_pattern("ikx")),
                ],
                EDIT: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, edited),
                    CallbackQueryHandler(ask_field, pattern=action_pattern("ikf")),
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
