"""Inline keyboards: a view's buttons, signed for the user they are shown to, and their handlers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.callbacks import REMINDER_BUTTONS, CallbackAction, CallbackSigner
from bot.views import Button
from bot.views.reminders import OutgoingMessage, ReminderButton
from services.tracker import SEEN_OPEN

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
        [Button(b.label, REMINDER_BUTTONS[b.action], _reminder_args(b)) for b in row]
        for row in message.buttons
    ]
    return markup(signer, message.telegram_id, rows)


def _reminder_args(button: ReminderButton) -> tuple[int | str, ...]:
    """A reminder button's callback arguments: the status buttons also say what they saw, a
    milestone still open (``mou_tracker.rules.SEEN_OPEN``)."""
    ids: tuple[int | str, ...] = (button.agreement_id, button.milestone_id)
    return (*ids, SEEN_OPEN) if len(REMINDER_BUTTONS[button.action].args) == 3 else ids
