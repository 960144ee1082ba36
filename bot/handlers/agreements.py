"""Coordinators report: /mou -> agreement -> milestone -> in progress / done / blocked; /laporan.

Marking a milestone done asks for evidence (a note, a photo or a document) and marking it
blocked asks for the reason, in a short dialog (``ConversationHandler``). Photos and documents
are downloaded and kept with their text (``bot.handlers.evidence``, ``services.evidence``).
"""

from __future__ import annotations

import logging
import warnings
from datetime import date, timedelta
from typing import Any

from telegram import InputFile, Update
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
from bot.handlers import evidence
from bot.handlers.common import command_args, edit_or_send, reply_html
from bot.i18n import t, t_html
from bot.keyboards import Callback, action_pattern, button, keyboard
from bot.state import Context, call, get_state
from core.errors import NotFound
from mou_tracker.errors import AgreementNotFound, MilestoneNotFound
from services import charts
from services.access import AccessService

log = logging.getLogger(__name__)

DIALOG_TIMEOUT = timedelta(minutes=15)

HEALTH_ICONS = {
    "on_track": "🟢",
    "at_risk": "🟡",
    "overdue": "🔴",
    "stalled": "🟠",
    "completed": "✅",
    "expired": "⚫",
    "draft": "📝",
}
STATUS_ICONS = {
    "planned": "⬜",
    "in_progress": "🔄",
    "done": "✅",
    "blocked": "⛔",
    "skipped": "➖",
}
MAX_LISTED = 30
PAGE_SIZE = 10
# Agreements that need attention come first.
SEVERITY = {
    "overdue": 0,
    "stalled": 1,
    "at_risk": 2,
    "on_track": 3,
    "draft": 4,
    "completed": 5,
    "expired": 6,
}

EVIDENCE, REASON = range(2)
PENDING_KEY = "pending_milestone"


def fmt_date(value: date | None, lang: str) -> str:
    return value.strftime("%d-%m-%Y") if value else t("date.none", lang)


def health_label(health: str, lang: str) -> str:
    return f"{HEALTH_ICONS.get(health, '•')} {t(f'health.{health}', lang)}"


def party_names(summary: Any) -> str:
    return " – ".join(p.name for p in summary.parties)


async def visible_agreements(context: Context, user: UserView) -> list[Any]:
    """The agreements ``user`` may see: all for admins; their region's and bound ones otherwise."""
    state = get_state(context)
    tracker = state.services.tracker
    today = state.today()
    if rules.sees_all_agreements(user.role):
        return list(await call(tracker.list_agreements, at=today))
    found: list[Any] = []
    if user.region_code:
        found = list(await call(tracker.list_agreements, at=today, region_codes=[user.region_code]))
    known = {a.id for a in found}
    for agreement_id in user.agreement_ids:
        if agreement_id not in known:
            try:
                found.append(await call(tracker.get_agreement, agreement_id, at=today))
            except NotFound:
                continue
    return found


async def load_agreement(context: Context, user: UserView, agreement_id: int) -> Any:
    """The agreement's detail if ``user`` may act on it.

    An agreement the user may not see gets the same "not found" as a missing one, so its
    existence is not revealed.
    """
    state = get_state(context)
    access: AccessService = state.services.access
    try:
        detail = await call(state.services.tracker.get_agreement, agreement_id, at=state.today())
    except NotFound as err:
        raise AgreementNotFound(agreement_id) from err
    codes = [p.code for p in detail.parties]
    if not access.may_act_on_agreement(user, agreement_id, codes):
        raise AgreementNotFound(agreement_id)
    return detail


@authorized(rules.VIEW_AGREEMENTS, private="say")
async def mou_command(update: Update, context: Context, user: UserView) -> None:
    args = command_args(context)
    if args and args[0].isdigit():
        await show_agreement(update, context, user, int(args[0]))
        return
    text, markup = await agreement_list(context, user, 0)
    await reply_html(update, context, text, reply_markup=markup)


async def agreement_list(context: Context, user: UserView, page: int) -> tuple[str, Any]:
    """One page of the user's agreements, the most worrying first."""
    lang = user.language
    agreements = sorted(
        await visible_agreements(context, user),
        key=lambda a: (SEVERITY.get(a.health, len(SEVERITY)), a.title),
    )
    if not agreements:
        return t_html("mou.empty", lang), None
    pages = (len(agreements) + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    state = get_state(context)
    sign, uid = state.signer, user.telegram_id
    lines = [t_html("mou.header", lang, count=len(agreements))]
    if pages > 1:
        lines.append(t_html("mou.page", lang, page=page + 1, pages=pages))
    rows = []
    for agreement in agreements[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        icon = HEALTH_ICONS.get(agreement.health, "•")
        lines.append(
            f"{icon} <b>{escape(agreement.title)}</b> — {escape(party_names(agreement))}"
            f" ({escape(t(f'health.{agreement.health}', lang))})"
        )
        rows.append([button(sign, uid, f"{icon} {agreement.title[:50]}", "ag", agreement.id)])
    nav = []
    if page > 0:
        nav.append(button(sign, uid, "⬅️", "mp", page - 1))
    if page < pages - 1:
        nav.append(button(sign, uid, "➡️", "mp", page + 1))
    rows.append(nav)
    return "\n".join(lines), keyboard(rows)


@authorized_callback(rules.VIEW_AGREEMENTS)
async def list_page_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    text, markup = await agreement_list(context, user, data.int_arg(0))
    await edit_or_send(update, context, text, reply_markup=markup)


def render_agreement(detail: Any, lang: str) -> str:
    lines = [
        f"<b>{escape(detail.title)}</b>",
        escape(party_names(detail)),
        t_html("mou.health", lang, health=health_label(detail.health, lang)),
        t_html(
            "mou.period",
            lang,
            signed=fmt_date(detail.signed_on, lang),
            ends=fmt_date(detail.ends_on, lang),
        ),
    ]
    if detail.apps:
        lines.append(t_html("mou.apps", lang, apps=", ".join(detail.apps)))
    if detail.renewal_due:
        lines.append(t_html("mou.renewal_due", lang))
    lines.append("")
    lines.append(t_html("mou.milestones", lang))
    for m in detail.milestones:
        lines.append(render_milestone_line(m, lang))
    return "\n".join(lines)


def render_milestone_line(m: Any, lang: str) -> str:
    overdue = " ⚠️" if m.overdue else ""
    return (
        f"{STATUS_ICONS.get(m.status, '•')} {escape(m.title)} — "
        f"{escape(fmt_date(m.due_on, lang))}{overdue}"
    )


async def show_agreement(
    update: Update, context: Context, user: UserView, agreement_id: int
) -> None:
    detail = await load_agreement(context, user, agreement_id)
    state = get_state(context)
    lang = user.language
    rows = [
        [
            button(
                state.signer,
                user.telegram_id,
                f"{STATUS_ICONS.get(m.status, '•')} {m.title[:50]}",
                "ms",
                detail.id,
                m.id,
            )
        ]
        for m in detail.milestones
        if m.status != "skipped"
    ]
    rows.append(
        [
            button(state.signer, user.telegram_id, t("button.back", lang), "mp", 0),
            button(state.signer, user.telegram_id, t("button.report", lang), "lap", detail.id),
        ]
    )
    await edit_or_send(update, context, render_agreement(detail, lang), reply_markup=keyboard(rows))


@authorized_callback(rules.VIEW_AGREEMENTS)
async def agreement_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await show_agreement(update, context, user, data.int_arg(0))


def _milestone(detail: Any, milestone_id: int) -> Any:
    for m in detail.milestones:
        if m.id == milestone_id:
            return m
    raise MilestoneNotFound(milestone_id)


def render_milestone(detail: Any, m: Any, lang: str) -> str:
    lines = [
        f"<b>{escape(m.title)}</b>",
        escape(detail.title),
        t_html(
            "milestone.status",
            lang,
            status=f"{STATUS_ICONS.get(m.status, '')} {t(f'status.{m.status}', lang)}",
        ),
        t_html("milestone.due", lang, due=fmt_date(m.due_on, lang)),
    ]
    if m.overdue:
        lines.append(t_html("milestone.overdue", lang))
    if m.completed_on:
        lines.append(t_html("milestone.completed", lang, on=fmt_date(m.completed_on, lang)))
    if m.evidence_note:
        lines.append(t_html("milestone.evidence", lang, note=m.evidence_note))
    if m.blocked_reason:
        lines.append(t_html("milestone.blocked", lang, reason=m.blocked_reason))
    return "\n".join(lines)


async def show_milestone(
    update: Update,
    context: Context,
    user: UserView,
    agreement_id: int,
    milestone_id: int,
    notice: str = "",
) -> None:
    detail = await load_agreement(context, user, agreement_id)
    m = _milestone(detail, milestone_id)
    state = get_state(context)
    lang = user.language
    sign = state.signer
    uid = user.telegram_id
    rows = []
    if rules.can(user.role, user.status, rules.UPDATE_MILESTONE) and m.status != "done":
        rows.append(
            [
                button(sign, uid, t("milestone.mark_progress", lang), "mip", detail.id, m.id),
                button(sign, uid, t("milestone.mark_done", lang), "mdn", detail.id, m.id),
            ]
        )
        rows.append([button(sign, uid, t("milestone.mark_blocked", lang), "mbl", detail.id, m.id)])
    kept = await evidence.milestone_files(context, detail.id, m.id)
    if kept:
        label = t("evidence.button", lang, count=len(kept))
        rows.append([button(sign, uid, label, "evs", detail.id, m.id)])
    rows.append([button(sign, uid, t("button.back", lang), "ag", detail.id)])
    text = render_milestone(detail, m, lang)
    if kept:
        names = ", ".join(f.filename for f in kept)
        text += "\n" + t_html("evidence.files", lang, files=names)
    if notice:
        text = f"{notice}\n\n{text}"
    await edit_or_send(update, context, text, reply_markup=keyboard(rows))


@authorized_callback(rules.VIEW_AGREEMENTS)
async def milestone_button(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    await show_milestone(update, context, user, data.int_arg(0), data.int_arg(1))


@authorized_callback(rules.UPDATE_MILESTONE, acknowledge=False)  # answers with a notice
async def mark_in_progress(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    assert update.callback_query is not None
    agreement_id, milestone_id = data.int_arg(0), data.int_arg(1)
    detail = await load_agreement(context, user, agreement_id)
    _milestone(detail, milestone_id)
    state = get_state(context)
    await call(
        state.services.tracker.update_milestone,
        milestone_id,
        "in_progress",
        actor=user.actor,
        on=state.today(),
    )
    await update.callback_query.answer(t("milestone.updated", user.language))
    await show_milestone(
        update,
        context,
        user,
        agreement_id,
        milestone_id,
        t_html("milestone.updated", user.language),
    )


# --- the dialog: done (evidence) and blocked (reason) --------------------------------------------


@authorized_callback(rules.UPDATE_MILESTONE)
async def ask_evidence(
    update: Update, context: Context, user: UserView, data: Callback
) -> int | None:
    return await _start_dialog(update, context, user, data, "done")


@authorized_callback(rules.UPDATE_MILESTONE)
async def ask_reason(
    update: Update, context: Context, user: UserView, data: Callback
) -> int | None:
    return await _start_dialog(update, context, user, data, "blocked")


async def _start_dialog(
    update: Update, context: Context, user: UserView, data: Callback, status: str
) -> int:
    agreement_id, milestone_id = data.int_arg(0), data.int_arg(1)
    detail = await load_agreement(context, user, agreement_id)
    m = _milestone(detail, milestone_id)
    assert context.user_data is not None
    context.user_data[PENDING_KEY] = (agreement_id, milestone_id, status)
    key = "milestone.ask_evidence" if status == "done" else "milestone.ask_reason"
    await reply_html(update, context, t_html(key, user.language, title=m.title))
    return EVIDENCE if status == "done" else REASON


async def _finish(
    update: Update,
    context: Context,
    *,
    note: str | None = None,
    file_ref: str | None = None,
    reason: str | None = None,
) -> int:
    user = await lookup(update, context)
    if user is None or not rules.can(user.role, user.status, rules.UPDATE_MILESTONE):
        return ConversationHandler.END
    assert context.user_data is not None
    pending = context.user_data.get(PENDING_KEY)
    if not pending:
        return ConversationHandler.END
    agreement_id, milestone_id, status = pending
    await load_agreement(context, user, agreement_id)  # the user may have lost the agreement
    state = get_state(context)
    await call(
        state.services.tracker.update_milestone,
        milestone_id,
        status,
        actor=user.actor,
        note=note,
        file_ref=file_ref,
        reason=reason,
        on=state.today(),
    )
    context.user_data.pop(PENDING_KEY, None)
    await show_milestone(
        update,
        context,
        user,
        agreement_id,
        milestone_id,
        t_html("milestone.updated", user.language),
    )
    return ConversationHandler.END


async def evidence_text(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    return await _finish(update, context, note=(message.text or "").strip() or None)


async def evidence_photo(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None and message.photo
    largest = message.photo[-1]
    return await evidence.finish_with_file(
        update,
        context,
        pending_key=PENDING_KEY,
        file_id=largest.file_id,
        filename=f"bukti-{largest.file_unique_id}.jpg",
        size=largest.file_size or 0,
        note=message.caption,
        load_agreement=load_agreement,
        show_milestone=show_milestone,
    )


async def evidence_document(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    return await evidence.finish_with_file(
        update,
        context,
        pending_key=PENDING_KEY,
        file_id=document.file_id,
        filename=document.file_name or "bukti",
        size=document.file_size or 0,
        note=message.caption or document.file_name,
        load_agreement=load_agreement,
        show_milestone=show_milestone,
    )


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
            CallbackQueryHandler(ask_evidence, pattern=action_pattern("mdn")),
            CallbackQueryHandler(ask_reason, pattern=action_pattern("mbl")),
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


@authorized(rules.REPORT, private="say")
async def report_command(update: Update, context: Context, user: UserView) -> None:
    state = get_state(context)
    lang = user.language
    chat = update.effective_chat
    assert chat is not None
    if rules.can(user.role, user.status, rules.PORTFOLIO):
        report = await call(state.services.tracker.report, at=state.today())
        everything = await call(state.services.tracker.list_agreements, at=state.today())
        png = await call(charts.portfolio_png, report, language=lang, agreements=everything)
        await context.bot.send_photo(
            chat_id=chat.id,
            photo=InputFile(png, filename="portofolio.png"),
            caption=t("report.portfolio_caption", lang, date=fmt_date(state.today(), lang)),
        )
    args = command_args(context)
    if args and args[0].isdigit():
        await send_timeline(update, context, user, int(args[0]))
        return
    agreements = await visible_agreements(context, user)
    if not agreements:
        if not rules.can(user.role, user.status, rules.PORTFOLIO):
            await reply_html(update, context, t_html("mou.empty", lang))
        return
    if len(agreements) == 1:
        await send_timeline(update, context, user, agreements[0].id)
        return
    rows = [
        [button(state.signer, user.telegram_id, a.title[:55], "lap", a.id)]
        for a in agreements[:MAX_LISTED]
    ]
    await reply_html(update, context, t_html("report.choose", lang), reply_markup=keyboard(rows))


async def send_timeline(
    update: Update, context: Context, user: UserView, agreement_id: int
) -> None:
    detail = await load_agreement(context, user, agreement_id)
    chat = update.effective_chat
    assert chat is not None
    lang = user.language
    png = await call(charts.timeline_png, detail, at=get_state(context).today(), language=lang)
    caption = f"{detail.title} — {health_label(detail.health, lang)}"
    await context.bot.send_photo(
        chat_id=chat.id,
        photo=InputFile(png, filename=f"timeline-{detail.id}.png"),
        caption=caption[:1000],
    )


@authorized_callback(rules.REPORT)
async def report_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    await send_timeline(update, context, user, data.int_arg(0))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(milestone_dialog(persistent=application.persistence is not None))
    application.add_handler(CommandHandler("mou", mou_command))
    application.add_handler(CommandHandler("laporan", report_command))
    application.add_handler(CallbackQueryHandler(agreement_button, pattern=action_pattern("ag")))
    application.add_handler(CallbackQueryHandler(list_page_button, pattern=action_pattern("mp")))
    application.add_handler(CallbackQueryHandler(milestone_button, pattern=action_pattern("ms")))
    application.add_handler(CallbackQueryHandler(mark_in_progress, pattern=action_pattern("mip")))
    application.add_handler(CallbackQueryHandler(report_button, pattern=action_pattern("lap")))
    evidence.register(application)
