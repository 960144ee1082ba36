"""Inline keyboards: a view's buttons, signed for the user they are shown to, and their handlers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.callbacks import REMINDER_BUTTONS, CallbackAction, CallbackSigner
from bot.views import Button
from bot.views.reminders import OutgoingMessage

Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, Any]]


def markup(
    signer: CallbackSigner, user_id: int, rows: Sequence[Sequence[Button]]
) -> InlineKeyboardMarkup | None:
    """The buttons of a view for ``user_id`` (``None`` when there are none)."""
    keyboard = [
        [
            InlineKeyboardButton(b.label, callback_data=signer.pack(user_id, b.action, *b.args))
            for b in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(keyboard) if keyboard else None


def on(action: CallbackAction, callback: Callback) -> CallbackQueryHandler[Any, Any]:
    """The PTB handler running ``callback`` for ``action``'s buttons."""
    return CallbackQueryHandler(callback, pattern=action.pattern)


def reminder_markup(
    signer: CallbackSigner, message: OutgoingMessage
) -> InlineKeyboardMarkup | None:
    """A reminder's buttons, signed for its recipient (callback data <= 64 bytes)."""
    rows = [
        [Button(b.label, REMINDER_BUTTONS[b.action], (b.agreement_id, b.milestone_id)) for b in row]
        for row in message.buttons
    ]
    return markup(signer, message.telegram_id, rows)
