"""Helpers shared by the handlers: replying with long HTML, reading command arguments."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.formatting import split_message
from bot.state import Context

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def send_html(
    context: Context,
    chat_id: int,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message | None:
    """Send ``text`` in as many messages as it needs; buttons go on the last one."""
    return await _send_parts(
        context, chat_id, split_message(text), reply_markup=reply_markup, reply_to=reply_to
    )


async def _send_parts(
    context: Context,
    chat_id: int,
    parts: Sequence[str],
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message | None:
    """Send the parts of a split text in order, buttons on the last (``reply_to``: the first
    part answers that message)."""
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await context.bot.send_message(
            chat_id=chat_id,
            text=part,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup if last else None,
            reply_parameters=(
                ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                if reply_to is not None and index == 0
                else None
            ),
            link_preview_options=NO_PREVIEW,
        )
    return sent


async def reply_html(
    update: Update,
    context: Context,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    quote: bool = False,
) -> Message | None:
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    reply_to = message.message_id if quote and message is not None else None
    return await send_html(context, chat.id, text, reply_markup=reply_markup, reply_to=reply_to)


async def edit_or_send(
    update: Update,
    context: Context,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace the message a button belongs to (menus), or send anew when it cannot be edited."""
    query = update.callback_query
    parts = split_message(text)
    if query is not None and query.message is not None and len(parts) == 1:
        try:
            await query.edit_message_text(
                parts[0],
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
                link_preview_options=NO_PREVIEW,
            )
            return
        except BadRequest as err:
            if "not modified" in str(err).lower():
                return
    await reply_html(update, context, text, reply_markup=reply_markup)


async def replace_text(
    context: Context,
    message: Message,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Put ``text`` in place of a status message ("reading…"): its first part replaces it, the
    rest follows in new messages (a message holds 4,096 characters); buttons go on the last."""
    parts = split_message(text)
    if not parts:
        return
    await message.edit_text(
        parts[0],
        parse_mode=ParseMode.HTML,
        reply_markup=reply_markup if len(parts) == 1 else None,
        link_preview_options=NO_PREVIEW,
    )
    await _send_parts(context, message.chat_id, parts[1:], reply_markup=reply_markup)


def command_args(context: Context) -> Sequence[str]:
    return tuple(context.args or ())


def display_name(first: str | None, last: str | None, username: str | None) -> str:
    name = " ".join(p for p in (first, last) if p).strip()
    return name or (f"@{username}" if username else "?")
