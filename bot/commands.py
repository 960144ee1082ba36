"""Telegram's command menu: everything by default, each user's own commands once they are in."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import t
from services.access import Role, Status, UserView

log = logging.getLogger(__name__)

# The default menu (every role; each handler checks the role itself).
MENU_COMMANDS = (
    "bantuan",
    "sumber",
    "mou",
    "laporan",
    "celah",
    "kurasi",
    "hapus",
    "bahasa",
    "status",
    "undang",
    "kirimulang",
    "batal",
)

ROLE_COMMANDS: dict[str, tuple[str, ...]] = {
    Role.OFFICIAL: ("bantuan", "sumber", "bahasa"),
    Role.TRAINER: ("bantuan", "sumber", "hapus", "celah", "kurasi", "batal", "bahasa"),
    Role.COORDINATOR: ("bantuan", "mou", "laporan", "batal", "sumber", "bahasa"),
    Role.ADMIN: MENU_COMMANDS,
}


ENGLISH_NAMES = {
    "bantuan": "help",
    "bahasa": "language",
    "batal": "cancel",
    "kirimulang": "resend",
}
"""Commands the bot also takes under an English name (their handlers accept both): an
English menu shows these names, as the English texts do."""


def menu(names: tuple[str, ...], lang: str) -> list[BotCommand]:
    english = lang == "en"
    return [
        BotCommand(ENGLISH_NAMES.get(name, name) if english else name, t(f"command.{name}", lang))
        for name in names
    ]


async def publish_default(bot: Bot) -> None:
    """The menu for everyone, in Indonesian and (for English clients) in English."""
    for lang, code in (("id", None), ("en", "en")):
        await bot.set_my_commands(menu(MENU_COMMANDS, lang), language_code=code)


async def publish_for(bot: Bot, user: UserView) -> None:
    """The user's own menu in their private chat (best effort: a failure changes nothing else)."""
    names = ROLE_COMMANDS.get(user.role) if user.status == Status.ACTIVE else None
    try:
        if names is None:
            await bot.delete_my_commands(scope=BotCommandScopeChat(user.telegram_id))
        else:
            await bot.set_my_commands(
                menu(names, user.language), scope=BotCommandScopeChat(user.telegram_id)
            )
    except TelegramError as err:
        log.info("could not set the menu of %s: %s", user.telegram_id, err)
