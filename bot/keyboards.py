"""Inline keyboards whose callback data cannot be forged or replayed by another user.

Callback data is ``<action>|<arg>,<arg>|<mac>`` where ``mac`` is an HMAC of the user it was
made for, the action and its arguments, keyed by a secret derived from the bot token. A button
pressed by someone else (a forwarded keyboard, a group member) or data crafted by a client fails
the check. Telegram limits callback data to 64 bytes; :meth:`CallbackSigner.pack` enforces it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64
_MAC_CHARS = 12  # 72 bits


class ForgedCallback(Exception):
    """Callback data not made by this bot for this user."""


@dataclass(frozen=True)
class Callback:
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int = 0) -> int:
        return int(self.args[index])


class CallbackSigner:
    """Makes and checks callback data bound to one user."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"sinergi-callback\x00" + secret).digest()

    @classmethod
    def from_token(cls, token: str) -> CallbackSigner:
        return cls(token.encode())

    def _mac(self, user_id: int, action: str, args: str) -> str:
        msg = f"{user_id}|{action}|{args}".encode()
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:_MAC_CHARS]

    def pack(self, user_id: int, action: str, *args: object) -> str:
        """Callback data for ``action`` with ``args``, valid only when ``user_id`` presses it."""
        arg_text = ",".join(str(a) for a in args)
        if "|" in action or "|" in arg_text or any("," in str(a) for a in args):
            raise ValueError("callback action and arguments must not contain '|' or ','")
        data = f"{action}|{arg_text}|{self._mac(user_id, action, arg_text)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data

    def unpack(self, user_id: int, data: str | None) -> Callback:
        """The action and arguments of ``data`` if it was made for ``user_id``."""
        if not data or data.count("|") != 2:
            raise ForgedCallback(data)
        action, arg_text, mac = data.split("|")
        if not hmac.compare_digest(mac, self._mac(user_id, action, arg_text)):
            raise ForgedCallback(data)
        return Callback(action, tuple(arg_text.split(",")) if arg_text else ())


def action_pattern(*actions: str) -> str:
    """A ``CallbackQueryHandler`` pattern matching data made for any of ``actions``."""
    return "^(?:" + "|".join(actions) + r")\|"


def button(
    signer: CallbackSigner, user_id: int, label: str, action: str, *args: object
) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=signer.pack(user_id, action, *args))


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows if row])
