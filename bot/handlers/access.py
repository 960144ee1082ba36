"""/start (access requests and invite deep links), admin approval buttons, /bahasa, /bantuan."""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import callbacks
from bot.auth import authorized, authorized_callback, language_of, lookup
from bot.callbacks import Callback
from bot.commands import publish_for
from bot.handlers.common import command_args, display_name, edit_or_send, reply_html, send_html
from bot.i18n import t, t_html
from bot.keyboards import markup, on
from bot.state import Context, answer_button, call, get_state
from bot.views import access as views
from services.access import AccessService, Permission, Role, Status, UserView

log = logging.getLogger(__name__)

DIALOG_TIMEOUT = timedelta(minutes=15)

APPROVABLE_ROLES = (Role.OFFICIAL, Role.TRAINER)


async def start(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    chat = update.effective_chat
    if tg_user is None or chat is None:
        return
    state = get_state(context)
    access = state.services.access
    name = display_name(tg_user.first_name, tg_user.last_name, tg_user.username)
    args = command_args(context)
    if args:
        # Invite deep link: t.me/<bot>?start=<code>. Errors (used, expired) reach the error handler.
        invited = await call(
            access.redeem_invite,
            args[0],
            tg_user.id,
            name,
            username=tg_user.username,
            language=tg_user.language_code,
        )
        await reply_html(update, context, _welcome(invited))
        await publish_for(context.bot, invited)
        return
    user = await lookup(update, context)
    if user is not None:
        keys: dict[str, str | None] = {Status.ACTIVE: None, Status.PENDING: "start.pending"}
        key = keys.get(user.status, "auth.blocked")
        if key is None:
            await reply_html(update, context, _welcome(user))
            await publish_for(context.bot, user)
        else:
            await reply_html(update, context, t_html(key, user.language))
        return
    if chat.type != chat.PRIVATE:
        await reply_html(update, context, t_html("start.private_only", language_of(update)))
        return
    requested, _created = await call(
        access.request_access, tg_user.id, name, tg_user.username, tg_user.language_code
    )
    lang = requested.language
    admins = await call(access.admins)
    if not admins:
        await reply_html(
            update, context, t_html("start.no_admin", lang, telegram_id=str(tg_user.id))
        )
        return
    await reply_html(update, context, t_html("start.requested", lang))
    for admin in admins:
        view = views.access_request(
            admin.language,
            telegram_id=tg_user.id,
            name=requested.name,  # as stored: without control characters
            username=requested.username,
            roles=APPROVABLE_ROLES,
        )
        keyboard = markup(state.signer, admin.telegram_id, view.buttons)
        try:
            await send_html(context, admin.telegram_id, view.text, reply_markup=keyboard)
        except TelegramError as err:  # an admin who blocked the bot must not stop the others
            log.warning("could not notify admin %s: %s", admin.telegram_id, err)


def _welcome(user: UserView) -> str:
    return (
        t_html(
            "start.welcome",
            user.language,
            name=user.name or "",
            role=t(f"role.{user.role}", user.language),
        )
        + "\n\n"
        + t_html(f"help.{user.role}", user.language)
    )


@authorized_callback(callbacks.APPROVE)
async def approve(update: Update, context: Context, admin: UserView, data: Callback) -> None:
    state = get_state(context)
    target_id, role = data.int_arg(0), data.str_arg(1)
    target = await call(state.services.access.get_user, target_id)
    if target is None or target.status != Status.PENDING:
        status = target.status if target else "-"
        await edit_or_send(update, context, t_html("access.already", admin.language, status=status))
        return
    user = await call(
        state.services.access.approve, target_id, role=role, by=admin, only_pending=True
    )
    await edit_or_send(
        update,
        context,
        t_html(
            "access.approved",
            admin.language,
            name=user.name,
            role=t(f"role.{user.role}", admin.language),
            admin=admin.name,
        ),
    )
    await _notify(context, user, _welcome(user))
    await publish_for(context.bot, user)


@authorized_callback(callbacks.REJECT)
async def reject(update: Update, context: Context, admin: UserView, data: Callback) -> None:
    state = get_state(context)
    target_id = data.int_arg(0)
    target = await call(state.services.access.get_user, target_id)
    if target is None or target.status != Status.PENDING:
        status = target.status if target else "-"
        await edit_or_send(update, context, t_html("access.already", admin.language, status=status))
        return
    user = await call(state.services.access.reject, target_id, by=admin, only_pending=True)
    await edit_or_send(
        update, context, t_html("access.rejected", admin.language, name=user.name, admin=admin.name)
    )
    await _notify(context, user, t_html("access.rejected_user", user.language))


async def _notify(context: Context, user: UserView, text: str) -> None:
    try:
        await send_html(context, user.telegram_id, text)
    except TelegramError as err:
        log.warning("could not notify user %s: %s", user.telegram_id, err)


async def help_command(update: Update, context: Context) -> None:
    """/bantuan: the commands of the user's role (a guest learns how to get access)."""
    user = await lookup(update, context)
    lang = language_of(update, user)
    if user is None or user.status != Status.ACTIVE:
        await reply_html(update, context, t_html("help.guest", lang))
        return
    await reply_html(update, context, t_html(f"help.{user.role}", lang))


async def language_command(update: Update, context: Context) -> None:
    """/bahasa [id|en]: switch the user's language (buttons without an argument)."""
    user = await lookup(update, context)
    tg_user = update.effective_user
    if user is None or tg_user is None:
        await reply_html(update, context, t_html("auth.unknown", language_of(update)))
        return
    args = command_args(context)
    state = get_state(context)
    if args:
        user = await call(state.services.access.set_language, tg_user.id, args[0])
        await reply_html(update, context, t_html("language.set", user.language))
        await publish_for(context.bot, user)
        return
    view = views.language_choice(user.language)
    keyboard = markup(state.signer, tg_user.id, view.buttons)
    await reply_html(update, context, view.text, reply_markup=keyboard)


@authorized_callback(callbacks.LANGUAGE)  # any user the bot knows, even one still pending
async def language_button(update: Update, context: Context, user: UserView, data: Callback) -> None:
    query = update.callback_query
    assert query is not None
    state = get_state(context)
    user = await call(state.services.access.set_language, user.telegram_id, data.str_arg(0))
    await answer_button(update, context)
    await edit_or_send(update, context, t_html("language.set", user.language))
    await publish_for(context.bot, user)


# --- approving a coordinator: the admin names the region ------------------------------------------

REGION = 0
APPROVING_KEY = "approving_coordinator"


@authorized_callback(callbacks.APPROVE_COORDINATOR)
async def approve_coordinator(
    update: Update, context: Context, admin: UserView, data: Callback
) -> int:
    target = await call(get_state(context).services.access.get_user, data.int_arg(0))
    if target is None or target.status != Status.PENDING:
        status = target.status if target else "-"
        await edit_or_send(update, context, t_html("access.already", admin.language, status=status))
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[APPROVING_KEY] = target.telegram_id
    await reply_html(update, context, t_html("access.ask_region", admin.language, name=target.name))
    return REGION


async def coordinator_region(update: Update, context: Context) -> int:
    """The region (code or name) for the coordinator being approved; errors keep asking."""
    admin = await lookup(update, context)
    message = update.effective_message
    if admin is None or message is None or not AccessService.can(admin, Permission.MANAGE_USERS):
        return ConversationHandler.END
    assert context.user_data is not None
    target_id = context.user_data.get(APPROVING_KEY)
    if target_id is None:
        return ConversationHandler.END
    access = get_state(context).services.access
    target = await call(access.get_user, target_id)
    if target is None or target.status != Status.PENDING:
        context.user_data.pop(APPROVING_KEY, None)
        status = target.status if target else "-"
        await reply_html(update, context, t_html("access.already", admin.language, status=status))
        return ConversationHandler.END
    # A region that is unknown or ambiguous raises: the error handler explains (with
    # suggestions) and the dialog stays here for another try.
    region = await call(access.read_region, message.text or "")
    if not region.exact:
        # Read through a typo ("Kerincii"): the admin confirms the full name before it is saved.
        view = views.confirm_region(
            admin.language,
            telegram_id=target_id,
            name=target.name,
            code=region.code,
            region=region.name,
        )
        keyboard = markup(get_state(context).signer, admin.telegram_id, view.buttons)
        await reply_html(update, context, view.text, reply_markup=keyboard)
        return REGION
    await _approve_coordinator(update, context, admin, target_id, region.code)
    return ConversationHandler.END


@authorized_callback(callbacks.APPROVE_REGION)
async def confirm_region(update: Update, context: Context, admin: UserView, data: Callback) -> int:
    """The admin confirmed the region read from a typo: the coordinator is approved."""
    if context.user_data is not None:
        context.user_data.pop(APPROVING_KEY, None)
    target = await call(get_state(context).services.access.get_user, data.int_arg(0))
    if target is None or target.status != Status.PENDING:
        status = target.status if target else "-"
        await edit_or_send(update, context, t_html("access.already", admin.language, status=status))
        return ConversationHandler.END
    await _approve_coordinator(update, context, admin, target.telegram_id, data.str_arg(1))
    return ConversationHandler.END


async def _approve_coordinator(
    update: Update, context: Context, admin: UserView, target_id: int, region_code: str
) -> None:
    access = get_state(context).services.access
    user = await call(
        access.approve,
        target_id,
        role=Role.COORDINATOR,
        region_code=region_code,
        by=admin,
        only_pending=True,
    )
    if context.user_data is not None:
        context.user_data.pop(APPROVING_KEY, None)
    region = await call(access.read_region, user.region_code or "")
    await reply_html(
        update,
        context,
        t_html(
            "access.approved_region",
            admin.language,
            name=user.name,
            role=t("role.coordinator", admin.language),
            region=f"{region.name} ({region.code})",
            admin=admin.name,
        ),
    )
    await _notify(context, user, _welcome(user))
    await publish_for(context.bot, user)


async def cancel_approval(update: Update, context: Context) -> int:
    user = await lookup(update, context)
    if context.user_data is not None:
        context.user_data.pop(APPROVING_KEY, None)
    await reply_html(update, context, t_html("cancelled", language_of(update, user)))
    return ConversationHandler.END


def coordinator_dialog(*, persistent: bool = False) -> ConversationHandler:  # type: ignore[type-arg]
    with warnings.catch_warnings():
        # Started by a button, continued by the admin's next message: per_message must be False.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=[on(callbacks.APPROVE_COORDINATOR, approve_coordinator)],
            states={
                REGION: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, coordinator_region),
                    on(callbacks.APPROVE_REGION, confirm_region),
                ]
            },
            fallbacks=[CommandHandler(["batal", "cancel"], cancel_approval)],
            name="approve_coordinator",
            persistent=persistent,
            allow_reentry=True,
            # An abandoned dialog must not take a later question as evidence or as a region.
            conversation_timeout=DIALOG_TIMEOUT,
        )


@authorized(Permission.MANAGE_USERS, private="say")
async def invite_command(update: Update, context: Context, admin: UserView) -> None:
    """/undang ROLE [REGION…]: a one-time invite link (coordinators need a region)."""
    args = command_args(context)
    if not args:
        await reply_html(update, context, t_html("invite.usage", admin.language))
        return
    access = get_state(context).services.access
    invite = await call(access.create_invite, args[0], " ".join(args[1:]) or None, by=admin)
    lang = admin.language
    # Who it lets in, with the region as it was read (a typed name may have been a typo).
    who = t("role." + invite.role, lang)
    if invite.region_code is not None:
        region = await call(access.region_name, invite.region_code)
        who = t("invite.who_region", lang, role=who, region=region, region_code=invite.region_code)
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    text = t_html("invite.created", lang, who=who, link=link, code=invite.code)
    await reply_html(update, context, text)


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """/batal when no dialog is open: say so kindly (it used to be "unknown command")."""
    user = await lookup(update, context)
    await reply_html(update, context, t_html("cancel.nothing", language_of(update, user)))


def register_fallbacks(application: Application) -> None:  # type: ignore[type-arg]
    """Commands that only mean something inside a dialog: registered after every dialog, so
    an open dialog's own /batal comes first."""
    application.add_handler(CommandHandler(["batal", "cancel"], nothing_to_cancel))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(coordinator_dialog(persistent=application.persistence is not None))
    application.add_handler(CommandHandler("undang", invite_command))
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler(["bantuan", "help"], help_command))
    application.add_handler(CommandHandler(["bahasa", "language"], language_command))
    application.add_handler(on(callbacks.APPROVE, approve))
    application.add_handler(on(callbacks.REJECT, reject))
    application.add_handler(on(callbacks.LANGUAGE, language_button))
