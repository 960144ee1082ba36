"""Operators and groups: /status health, and only admins may add the bot to a group."""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ChatMemberHandler, CommandHandler

from bot.auth import authorized, refusal
from bot.formatting import escape
from bot.handlers.common import reply_html
from bot.i18n import t, t_html
from bot.state import Context, call, get_state
from services.access import Permission, UserView
from services.health import describe, health_checks

log = logging.getLogger(__name__)

_IN = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


@authorized(Permission.STATUS, private="say")
async def status(update: Update, context: Context, user: UserView) -> None:
    state = get_state(context)
    checks = await call(health_checks, state.services)
    lang = user.language
    minutes = int((state.now() - state.started_at).total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    uptime = t("status.uptime", lang, days=days, hours=hours, minutes=minutes)
    lines = [t_html("status.header", lang, uptime=uptime)]
    for c in checks:
        part, detail = describe(c, lang)
        icon = "❌" if not c.ok else ("⚠️" if c.degraded else "✅")
        lines.append(f"{icon} {escape(part)}: {escape(detail)}")
    settings = state.settings
    mode = "webhook" if settings.webhook_url else "polling"
    lines.append(
        t_html(
            "status.config",
            user.language,
            mode=mode,
            trainers=str(settings.trainers_chat_id or "-"),
            limit=settings.questions_per_minute,
        )
    )
    await reply_html(update, context, "\n".join(lines))


async def bot_membership(update: Update, context: Context) -> None:
    """Leave a group the bot was added to by anyone but an active admin."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    was_in = change.old_chat_member.status in _IN
    now_in = change.new_chat_member.status in _IN
    if was_in or not now_in:
        return
    state = get_state(context)
    adder = await call(state.services.access.get_user, change.from_user.id)
    if adder is not None and refusal(adder, Permission.MANAGE_USERS) is None:
        log.info("added to chat %s by admin %s", change.chat.id, adder.telegram_id)
        return
    lang = adder.language if adder else "id"
    try:
        await context.bot.send_message(
            change.chat.id, t_html("group.admins_only", lang), parse_mode="HTML"
        )
    except TelegramError as err:
        log.debug("could not say goodbye in %s: %s", change.chat.id, err)
    await context.bot.leave_chat(change.chat.id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("status", status))
    application.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
