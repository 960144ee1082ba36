"""Operators and groups: /status health, and only admins may add the bot to a group."""

from __future__ import annotations

import logging
from typing import Any

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ChatMemberHandler, CommandHandler

from accounts import rules
from accounts.schemas import UserView
from bot.auth import authorized
from bot.formatting import escape
from bot.handlers.common import reply_html
from bot.i18n import t_html
from bot.state import BotState, Context, call, get_state
from core.errors import AppError

log = logging.getLogger(__name__)

_IN = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def health_checks(state: BotState) -> list[tuple[str, bool, str]]:
    """(name, ok, detail) for each part of the deployment; failures are reported, not raised."""
    checks: list[tuple[str, bool, str]] = []

    def check(name: str, probe: Any) -> None:
        try:
            checks.append((name, True, str(probe())))
        except AppError as err:
            checks.append((name, False, err.code))
        except Exception as err:  # an operator page must show every failure, whatever it is
            checks.append((name, False, type(err).__name__))

    services = state.services
    check("database", lambda: f"{len(services.access.list_users())} users")
    check("pending", lambda: len(services.access.pending()))
    check("knowledge", lambda: f"{len(services.knowledge.list_documents())} documents")
    check(
        "tracker", lambda: f"{len(services.tracker.list_agreements(at=state.today()))} agreements"
    )
    check("reminders", lambda: _reminders_health(services))
    return checks


def _reminders_health(services: Any) -> str:
    """When the reminder job last delivered, and what it could not deliver (last 100 rows)."""
    reminders = services.reminders
    sent = reminders.log(limit=1, status="sent")
    last = sent[0].sent_at.strftime("%Y-%m-%d %H:%M UTC") if sent and sent[0].sent_at else "-"
    failed = len(reminders.log(limit=100, status="failed"))
    undeliverable = len(reminders.log(limit=100, status="undeliverable"))
    return f"last sent {last}, failed {failed}, undeliverable {undeliverable}"


@authorized(rules.STATUS, private="say")
async def status(update: Update, context: Context, user: UserView) -> None:
    state = get_state(context)
    checks = await call(health_checks, state)
    uptime = state.now() - state.started_at
    lines = [t_html("status.header", user.language, uptime=str(uptime).split(".")[0])]
    for name, ok, detail in checks:
        lines.append(f"{'✅' if ok else '❌'} {escape(name)}: {escape(detail)}")
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
    if adder is not None and rules.can(adder.role, adder.status, rules.MANAGE_USERS):
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
