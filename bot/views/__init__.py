"""What the bot shows: Telegram HTML and buttons, made from the services' frozen views.

Pure functions (no ``telegram`` import), so they are tested without a bot and the terminal
chat shows the same texts as plain text. A view is text plus rows of :class:`Button`; a
handler signs the buttons for its user (``bot.keyboards.markup``) and sends it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callbacks import Arg, CallbackAction

MAX_BUTTONS = 100
"""The most inline buttons Telegram takes on one message (it refuses more)."""


@dataclass(frozen=True)
class Button:
    """An inline button: its label and the action (with arguments) it triggers."""

    label: str
    action: CallbackAction
    args: tuple[Arg, ...] = ()


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class View:
    """A message: Telegram HTML, and its buttons."""

    text: str
    buttons: Rows = ()


def button(label: str, action: CallbackAction, *args: Arg) -> Button:
    return Button(label, action, args)
