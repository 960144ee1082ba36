"""One error handler: the user gets a short message in their language, admins get the details.

Domain errors (``AppError``) are expected: the user sees their catalog message. Anything else is
a bug or an outage: the user gets an apology, the admins a trace. Nothing propagates further, so
one bad update never stops the bot.
"""

from __future__ import annotations

import html
import logging
import traceback
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.auth import language_of
from bot.formatting import MAX_ALERT, fit_plain
from bot.i18n import error_text, t_html
from bot.state import Context, answer_button, call, get_state, was_answered
from core.errors import AppError

log = logging.getLogger(__name__)

MAX_TRACE = 3000
REPORT_AGAIN_AFTER = timedelta(minutes=10)
_REPORTED_KEY = "sinergi-error-reports"


async def on_error(update: object, context: Context) -> None:
    error = context.error
    tg_update = update if isinstance(update, Update) else None
    lang = "id"
    if tg_update is not None:
        try:
            user = (
                await call(get_state(context).services.access.get_user, tg_update.effective_user.id)
                if tg_update.effective_user
                else None
            )
        except Exception:  # the database may be what failed
            user = None
        lang = language_of(tg_update, user)

    if isinstance(error, AppError):
        log.info("domain error %s: %s", error.code, error)
        # Parameters can carry a driver's or a library's text: no secret reaches a chat.
        text = get_state(context).settings.redactor().redact(error_text(error, lang))
        await _tell_user(tg_update, context, text)
        return
    if isinstance(error, Forbidden):  # the user blocked the bot: nobody to tell
        log.info("forbidden: %s", error)
        return
    if isinstance(error, NetworkError) and tg_update is None:
        log.warning("network error: %s", error)
        return
    log.error("unhandled error", exc_info=error)
    await _tell_user(tg_update, context, t_html("error.unexpected", lang))
    if _first_report(context, error):
        await _tell_admins(tg_update, context, error)


def _first_report(context: Context, error: BaseException | None) -> bool:
    """One report per kind of failure every few minutes: an outage must not flood the admins."""
    key = f"{type(error).__name__}: {str(error)[:200]}"
    now = get_state(context).now()
    reported: dict[str, datetime] = context.bot_data.setdefault(_REPORTED_KEY, {})
    last = reported.get(key)
    if last is not None and now - last < REPORT_AGAIN_AFTER:
        log.info("not reporting again: %s", key)
        return False
    reported[key] = now
    if len(reported) > 500:
        reported.pop(next(iter(reported)))
    return True


async def _tell_user(update: Update | None, context: Context, text: str) -> None:
    if update is None:
        return
    try:
        query = update.callback_query
        if query is not None and not was_answered(context, query.id):
            try:
                # Alerts are plain text: strip what HTML escaping added.
                await answer_button(
                    update, context, fit_plain(html.unescape(text), MAX_ALERT), alert=True
                )
                return
            except BadRequest:
                pass  # too late to answer (the press expired): say it in the chat instead
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, text, parse_mode=ParseMode.HTML)
    except TelegramError as err:
        log.warning("could not report an error to the user: %s", err)


async def _tell_admins(
    update: Update | None, context: Context, error: BaseException | None
) -> None:
    try:
        admins = await call(get_state(context).services.access.admins)
    except Exception as err:
        log.warning("could not list admins: %s", err)
        return
    trace = "".join(traceback.format_exception(error)) if error else "?"
    # Library messages may quote the token or a connection URL; admins get the trace without.
    trace = get_state(context).settings.redactor().redact(trace)
    where = ""
    if update is not None and update.effective_user is not None:
        where = f"user {update.effective_user.id}, "
    if update is not None and update.effective_chat is not None:
        where += f"chat {update.effective_chat.id}"
    for admin in admins:
        text = t_html("error.admin_report", admin.language, where=where) + (
            f"\n<pre>{html.escape(trace[-MAX_TRACE:], quote=False)}</pre>"
        )
        try:
            await context.bot.send_message(admin.telegram_id, text, parse_mode=ParseMode.HTML)
        except TelegramError as err:
            log.warning("could not report an error to admin %s: %s", admin.telegram_id, err)
