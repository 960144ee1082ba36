"""Coordinators report: /mou -> agreement -> milestone -> in progress / done / blocked; /laporan.

Marking a milestone done asks for evidence (a note, a photo or a document) and marking it
blocked asks for the reason, in a short dialog (``ConversationHandler``). Photos and documents
are downloaded and kept with their text (``services.evidence``), listed on the milestone, and
sent back on request.

The tracker decides what the user may see and change (their region's and bound agreements;
everything for admins); these handlers parse, call it, and show its views
(:mod:`bot.views.agreements`).
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import InputFile, Update
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
from bot.formatting import escape
from bot.handlers.common import command_args, edit_or_send, reply_html
from bot.i18n import t, t_html
from bot.keyboards import markup, on
from bot.state import Context, answer_button, call, get_state
from bot.views import View
from bot.views import agreements as views
from services import charts
from services.access import AccessService, Permission, UserView
from services.evidence import AgreementFileView
from services.tracker import MilestoneChanged, parse_agreement_id, still_as_seen

log = logging.getLogger(__name__)

DIALOG_TIMEOUT = timedelta(minutes=15)
EVIDENCE, REASON = range(2)
PENDING_KEY = "pending_milestone"


async def send_view(update: Update, context: Context, user: UserView, view: View) -> None:
    """Show ``view`` in place of the button's message (or as a new message)."""
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    await edit_or_send(update, context, view.text, reply_markup=keyboard)


@authorized(Permission.VIEW_AGREEMENTS, private="say")
async def mou_command(update: Update, context: Context, user: UserView) -> None:
    args = command_args(context)
    if args:
        await show_agreement(update, context, user, parse_agreement_id(args[0]))
        return
    view = await agreement_list(context, user, 0)
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    await reply_html(update, context, view.text, reply_markup=keyboard)


async def agreement_list(context: Context, user: UserView, page: int) -> View:
    state = get_state(context)
    agreements = await call(state.services.tracker.list_agreements, user, at=state.today())
    return views.agreement_list(agreements, page, user.language)


@authorized_callback(callbacks.AGREEMENT_PAGE)
async def list_page_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await send_view(update, context, user, await agreement_list(context, user, data.int_arg(0)))


async def show_agreement(
    update: Update, context: Context, user: UserView, agreement_id: int, page: int = 0
) -> None:
    state = get_state(context)
    detail = await call(state.services.tracker.get_agreement, user, agreement_id, at=state.today())
    await send_view(update, context, user, views.agreement_detail(detail, user.language, page))


@authorized_callback(callbacks.AGREEMENT_OPEN)
async def agreement_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await show_agreement(update, context, user, data.int_arg(0))


@authorized_callback(callbacks.AGREEMENT_MILESTONES)
async def milestone_page_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await show_agreement(update, context, user, data.int_arg(0), data.int_arg(1))


async def show_milestone(
    update: Update,
    context: Context,
    user: UserView,
    agreement_id: int,
    milestone_id: int,
    notice: str = "",
) -> None:
    state = get_state(context)
    found = await call(
        state.services.tracker.get_milestone,
        user,
        milestone_id,
        agreement_id=agreement_id,
        at=state.today(),
    )
    may_update = AccessService.can(user, Permission.UPDATE_MILESTONE)
    kept = await milestone_evidence(context, user, agreement_id, milestone_id)
    view = views.milestone_detail(
        found, user.language, may_update=may_update, notice=notice, evidence=kept
    )
    await send_view(update, context, user, view)


async def milestone_evidence(
    context: Context, user: UserView, agreement_id: int, milestone_id: int
) -> list[AgreementFileView]:
    files = await call(get_state(context).services.evidence.list_files, user, agreement_id)
    return [f for f in files if f.milestone_id == milestone_id and f.role == "evidence"]


@authorized_callback(callbacks.EVIDENCE_SEND)
async def send_evidence(update: Update, context: Context, user: UserView, data: Callback) -> None:
    """Send a milestone's evidence files back (photos as photos, the rest as documents)."""
    agreement_id, milestone_id = data.int_arg(0), data.int_arg(1)
    chat = update.effective_chat
    assert chat is not None
    state = get_state(context)
    for found in (await milestone_evidence(context, user, agreement_id, milestone_id))[:10]:
        kept, payload = await call(state.services.evidence.file_bytes, user, found.id)
        caption = views.evidence_caption(kept)
        if kept.media_type in ("image/jpeg", "image/png"):
            await context.bot.send_photo(
                chat_id=chat.id, photo=InputFile(payload, filename=kept.filename), caption=caption
            )
        else:
            await context.bot.send_document(
                chat_id=chat.id,
                document=InputFile(payload, filename=kept.filename),
                caption=caption,
            )


@authorized_callback(callbacks.MILESTONE_OPEN)
async def milestone_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await show_milestone(update, context, user, data.int_arg(0), data.int_arg(1))


async def old_status_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    """A status button of a message sent before buttons carried the status they were made for:
    it cannot tell whether the milestone changed since, so it shows it as it is now."""
    notice = t_html("milestone.old_button", user.language)
    await show_milestone(update, context, user, data.int_arg(0), data.int_arg(1), notice)


async def show_changed(
    update: Update, context: Context, user: UserView, agreement_id: int, milestone_id: int, key: str
) -> None:
    """The milestone as it is now, saying it changed since the message whose button was
    pressed (``key``: the notice's catalog key)."""
    if update.callback_query is not None:
        await answer_button(update, context, t("milestone.changed_alert", user.language))
    notice = t_html(key, user.language)
    await show_milestone(update, context, user, agreement_id, milestone_id, notice)


@authorized_callback(callbacks.MILESTONE_IN_PROGRESS)
async def mark_in_progress(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    assert update.callback_query is not None
    agreement_id, milestone_id, seen = data.int_arg(0), data.int_arg(1), data.str_arg(2)
    state = get_state(context)
    try:
        await call(
            state.services.tracker.update_milestone,
            user,
            milestone_id,
            "in_progress",
            agreement_id=agreement_id,
            on=state.today(),
            seen=seen,
        )
    except MilestoneChanged:
        await show_changed(update, context, user, agreement_id, milestone_id, "milestone.changed")
        return
    await answer_button(update, context, t("milestone.updated", user.language))
    notice = t_html("milestone.updated", user.language)
    await show_milestone(update, context, user, agreement_id, milestone_id, notice)


# --- the dialog: done (evidence) and blocked (reason) --------------------------------------------


@authorized_callback(callbacks.MILESTONE_DONE)
async def ask_evidence(
    update: Update, context: Context, user: UserView, data: Callback
) -> int | None:
    return await _start_dialog(update, context, user, data, "done")


@authorized_callback(callbacks.MILESTONE_BLOCKED)
async def ask_reason(
    update: Update, context: Context, user: UserView, data: Callback
) -> int | None:
    return await _start_dialog(update, context, user, data, "blocked")


async def _start_dialog(
    update: Update, context: Context, user: UserView, data: Callback, status: str
) -> int:
    agreement_id, milestone_id, seen = data.int_arg(0), data.int_arg(1), data.str_arg(2)
    state = get_state(context)
    found = await call(
        state.services.tracker.get_milestone, user, milestone_id, agreement_id=agreement_id
    )
    assert context.user_data is not None
    if not still_as_seen(found.milestone, seen):
        # Someone recorded it since that message: show it now, ask for nothing.
        context.user_data.pop(PENDING_KEY, None)
        await show_changed(update, context, user, agreement_id, milestone_id, "milestone.changed")
        return ConversationHandler.END
    context.user_data[PENDING_KEY] = (agreement_id, milestone_id, status, seen)
    key = "milestone.ask_evidence" if status == "done" else "milestone.ask_reason"
    await reply_html(update, context, t_html(key, user.language, title=found.milestone.title))
    return EVIDENCE if status == "done" else REASON


async def _pending(
    update: Update, context: Context
) -> tuple[UserView, tuple[int, int, str, str | None]] | None:
    """The user finishing the dialog and the (agreement, milestone, status, status seen) it is
    about; None when they may no longer update milestones or the dialog has nothing pending.
    A dialog kept from before the status seen was stored has none (not checked)."""
    user = await lookup(update, context)
    if user is None or refusal(user, Permission.UPDATE_MILESTONE) is not None:
        return None
    assert context.user_data is not None
    pending = context.user_data.get(PENDING_KEY)
    if not pending:
        return None
    agreement_id, milestone_id, status, *rest = pending
    seen = str(rest[0]) if rest and rest[0] is not None else None
    return user, (int(agreement_id), int(milestone_id), str(status), seen)


async def _finish(
    update: Update,
    context: Context,
    *,
    note: str | None = None,
    file_ref: str | None = None,
    reason: str | None = None,
) -> int:
    found = await _pending(update, context)
    if found is None:
        return ConversationHandler.END
    user, (agreement_id, milestone_id, status, seen) = found
    state = get_state(context)
    # The tracker checks again: the user may have lost the agreement meanwhile, or someone
    # else may have recorded the milestone while they were typing.
    try:
        await call(
            state.services.tracker.update_milestone,
            user,
            milestone_id,
            status,
            agreement_id=agreement_id,
            note=note,
            file_ref=file_ref,
            reason=reason,
            on=state.today(),
            seen=seen,
        )
    except MilestoneChanged:
        return await _changed_meanwhile(update, context, user, agreement_id, milestone_id)
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    notice = t_html("milestone.updated", user.language)
    await show_milestone(update, context, user, agreement_id, milestone_id, notice)
    return ConversationHandler.END


async def evidence_text(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    return await _finish(update, context, note=(message.text or "").strip() or None)


async def evidence_photo(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None and message.photo
    largest = message.photo[-1]
    return await _finish_with_file(
        update,
        context,
        file_id=largest.file_id,
        filename=f"bukti-{largest.file_unique_id}.jpg",
        size=largest.file_size or 0,
        note=message.caption,
    )


async def evidence_document(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    return await _finish_with_file(
        update,
        context,
        file_id=document.file_id,
        filename=document.file_name or "bukti",
        size=document.file_size or 0,
        note=message.caption or document.file_name,
    )


async def _finish_with_file(
    update: Update,
    context: Context,
    *,
    file_id: str,
    filename: str,
    size: int,
    note: str | None,
) -> int:
    """The evidence step of the dialog, with a file: download it, keep it, then update."""
    found = await _pending(update, context)
    if found is None:
        return ConversationHandler.END
    user, (agreement_id, milestone_id, status, seen) = found
    state = get_state(context)
    # Size and type are checked from the message's metadata, before anything is downloaded.
    await call(
        state.services.ingest.check_upload, filename, size, limit_bytes=state.upload_limit_bytes
    )
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    # The service checks again that the user may act on the milestone, and that it is still
    # as the button showed it.
    try:
        _, kept, _ = await call(
            state.services.evidence.complete_with_file,
            user,
            milestone_id,
            filename,
            data,
            agreement_id=agreement_id,
            status=status,
            note=note,
            seen=seen,
        )
    except MilestoneChanged:
        return await _changed_meanwhile(update, context, user, agreement_id, milestone_id)
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    # The name as it was kept (controls and direction marks cleaned), not as Telegram sent it.
    notice = t_html("evidence.saved_file", user.language, file=kept.filename)
    await show_milestone(update, context, user, agreement_id, milestone_id, notice)
    return ConversationHandler.END


async def _changed_meanwhile(
    update: Update, context: Context, user: UserView, agreement_id: int, milestone_id: int
) -> int:
    """Someone else recorded the milestone while the user wrote their evidence or reason: it
    is not recorded over theirs; the milestone is shown as it is now."""
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    notice = t_html("milestone.changed_meanwhile", user.language)
    await show_milestone(update, context, user, agreement_id, milestone_id, notice)
    return ConversationHandler.END


async def evidence_skip(update: Update, context: Context) -> int:
    return await _finish(update, context)


async def blocked_reason(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    return await _finish(update, context, reason=(message.text or "").strip())


async def cancel(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    lang = user.language if user else "id"
    await reply_html(update, context, t_html("cancelled", lang))
    return ConversationHandler.END


def milestone_dialog(*, persistent: bool = False) -> ConversationHandler:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # per_message=False is intended: the dialog starts on a button and continues with the
        # user's next message (evidence or reason), which per_message tracking would not see.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return _dialog(text, persistent)


def _dialog(text: filters.BaseFilter, persistent: bool) -> ConversationHandler:  # type: ignore[type-arg]
    return ConversationHandler(
        entry_points=[
            on(callbacks.MILESTONE_DONE, ask_evidence),
            on(callbacks.MILESTONE_BLOCKED, ask_reason),
        ],
        states={
            EVIDENCE: [
                MessageHandler(text, evidence_text),
                MessageHandler(filters.PHOTO, evidence_photo),
                MessageHandler(filters.Document.ALL, evidence_document),
                CommandHandler(["lewati", "skip"], evidence_skip),
            ],
            REASON: [MessageHandler(text, blocked_reason)],
        },
        fallbacks=[CommandHandler(["batal", "cancel"], cancel)],
        name="milestone_update",
        persistent=persistent,
        per_chat=True,
        per_user=True,
        allow_reentry=True,
        # An abandoned dialog must not take a later question as evidence or as a region.
        conversation_timeout=DIALOG_TIMEOUT,
    )


# --- /laporan -------------------------------------------------------------------------------------


@authorized(Permission.REPORT, private="say")
async def report_command(update: Update, context: Context, user: UserView) -> None:
    state = get_state(context)
    lang = user.language
    chat = update.effective_chat
    assert chat is not None
    sees_portfolio = AccessService.can(user, Permission.PORTFOLIO)
    if sees_portfolio:
        report = await call(state.services.tracker.report, user, at=state.today())
        everything = await call(state.services.tracker.list_agreements, user, at=state.today())
        png = await call(charts.portfolio_png, report, language=lang, agreements=everything)
        # The caption is the chart's text version (screen readers, and a quick read).
        caption = charts.portfolio_text(report, language=lang, agreements=everything)
        await context.bot.send_photo(
            chat_id=chat.id,
            photo=InputFile(png, filename="portofolio.png"),
            caption=views.caption(caption),
        )
    args = command_args(context)
    if args:
        await send_timeline(update, context, user, parse_agreement_id(args[0]))
        return
    agreements = await call(state.services.tracker.list_agreements, user, at=state.today())
    if not agreements:
        if not sees_portfolio:
            await reply_html(update, context, t_html("mou.empty", lang))
        return
    if len(agreements) == 1:
        await send_timeline(update, context, user, agreements[0].id)
        return
    view = views.timeline_choice(agreements, lang)
    keyboard = markup(state.signer, user.telegram_id, view.buttons)
    await reply_html(update, context, view.text, reply_markup=keyboard)


async def send_timeline(
    update: Update, context: Context, user: UserView, agreement_id: int
) -> None:
    state = get_state(context)
    detail = await call(state.services.tracker.get_agreement, user, agreement_id, at=state.today())
    chat = update.effective_chat
    assert chat is not None
    lang = user.language
    text = charts.timeline_text(detail, at=state.today(), language=lang)
    if not charts.has_timeline(detail):  # a draft without dates: a sentence, not an empty chart
        await reply_html(update, context, escape(text))
        return
    png = await call(charts.timeline_png, detail, at=state.today(), language=lang)
    await context.bot.send_photo(
        chat_id=chat.id,
        photo=InputFile(png, filename=f"timeline-{detail.id}.png"),
        caption=views.caption(text),
    )


@authorized_callback(callbacks.TIMELINE)
async def report_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    await send_timeline(update, context, user, data.int_arg(0))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(milestone_dialog(persistent=application.persistence is not None))
    application.add_handler(CommandHandler("mou", mou_command))
    application.add_handler(CommandHandler("laporan", report_command))
    application.add_handler(on(callbacks.AGREEMENT_OPEN, agreement_button))
    application.add_handler(on(callbacks.AGREEMENT_MILESTONES, milestone_page_button))
    application.add_handler(on(callbacks.AGREEMENT_PAGE, list_page_button))
    application.add_handler(on(callbacks.MILESTONE_OPEN, milestone_button))
    application.add_handler(on(callbacks.MILESTONE_IN_PROGRESS, mark_in_progress))
    for old in callbacks.UNVERSIONED_MILESTONE_BUTTONS:
        application.add_handler(on(old, authorized_callback(old)(old_status_button)))
    application.add_handler(on(callbacks.TIMELINE, report_button))
    application.add_handler(on(callbacks.EVIDENCE_SEND, send_evidence))
