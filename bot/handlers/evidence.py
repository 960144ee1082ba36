"""Milestone evidence on Telegram: photos and documents are downloaded and kept (with their
text) by ``services.evidence``, listed on the milestone, and sent back on request."""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler

from accounts import rules
from accounts.schemas import UserView
from bot.auth import authorized_callback, lookup
from bot.i18n import t
from bot.keyboards import Callback, action_pattern
from bot.state import Context, call, get_state


async def download(context: Context, file_id: str) -> bytes:
    tg_file = await context.bot.get_file(file_id)
    return bytes(await tg_file.download_as_bytearray())


async def finish_with_file(
    update: Update,
    context: Context,
    *,
    pending_key: str,
    file_id: str,
    filename: str,
    size: int,
    note: str | None,
    load_agreement: Any,
    show_milestone: Any,
) -> int:
    """The evidence step of the milestone dialog, with a file: keep it, then update."""
    user = await lookup(update, context)
    if user is None or not rules.can(user.role, user.status, rules.UPDATE_MILESTONE):
        return ConversationHandler.END
    assert context.user_data is not None
    pending = context.user_data.get(pending_key)
    if not pending:
        return ConversationHandler.END
    agreement_id, milestone_id, status = pending
    await load_agreement(context, user, agreement_id)  # the user may have lost the agreement
    state = get_state(context)
    await call(
        state.services.ingest.check_upload, filename, size, limit_bytes=state.upload_limit_bytes
    )
    data = await download(context, file_id)
    await call(
        state.services.evidence.complete_with_file,
        milestone_id,
        filename,
        data,
        actor=user.actor,
        status=status,
        note=note,
    )
    context.user_data.pop(pending_key, None)
    await show_milestone(
        update,
        context,
        user,
        agreement_id,
        milestone_id,
        t("evidence.saved_file", user.language, file=filename),
    )
    return ConversationHandler.END


async def milestone_files(context: Context, agreement_id: int, milestone_id: int) -> list[Any]:
    files = await call(get_state(context).services.evidence.list_files, agreement_id)
    return [f for f in files if f.milestone_id == milestone_id and f.role == "evidence"]


@authorized_callback(rules.VIEW_AGREEMENTS)
async def send_evidence(update: Update, context: Context, user: UserView, data: Callback) -> None:
    """Send a milestone's evidence files back (photos as photos, the rest as documents)."""
    from bot.handlers.agreements import load_agreement

    agreement_id, milestone_id = data.int_arg(0), data.int_arg(1)
    await load_agreement(context, user, agreement_id)  # may the user see it at all?
    chat = update.effective_chat
    assert chat is not None
    state = get_state(context)
    for found in (await milestone_files(context, agreement_id, milestone_id))[:10]:
        view, payload = await call(state.services.evidence.file_bytes, found.id)
        caption = f"{view.filename} · {view.uploaded_by} · {view.uploaded_at:%d-%m-%Y}"
        if view.media_type in ("image/jpeg", "image/png"):
            await context.bot.send_photo(
                chat_id=chat.id, photo=InputFile(payload, filename=view.filename), caption=caption
            )
        else:
            await context.bot.send_document(
                chat_id=chat.id,
                document=InputFile(payload, filename=view.filename),
                caption=caption,
            )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(send_evidence, pattern=action_pattern("evs")))
