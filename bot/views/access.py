"""Access as the bot shows it: a request for the admins to decide, the language choice."""

from __future__ import annotations

from collections.abc import Sequence

from bot import callbacks
from bot.i18n import LANGUAGES, t, t_html
from bot.views import View, button


def access_request(
    lang: str, *, telegram_id: int, name: str, username: str | None, roles: Sequence[str]
) -> View:
    """Someone asks for access: approve with a role, as a coordinator (then a region), or not."""
    text = t_html(
        "access.request",
        lang,
        name=name,
        username=f"@{username}" if username else "-",
        telegram_id=str(telegram_id),
    )
    return View(
        text,
        (
            tuple(
                button(t(f"role.{role}", lang), callbacks.APPROVE, telegram_id, str(role))
                for role in roles
            ),
            (
                button(t("role.coordinator", lang), callbacks.APPROVE_COORDINATOR, telegram_id),
                button(t("access.reject", lang), callbacks.REJECT, telegram_id),
            ),
        ),
    )


def language_choice(lang: str) -> View:
    """One button per language, each named in its own language."""
    return View(
        t_html("language.choose", lang),
        (tuple(button(t("language.name", code), callbacks.LANGUAGE, code) for code in LANGUAGES),),
    )
