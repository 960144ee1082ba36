"""Any text is a question for the assistant: the tracker, the documents, or both answer it.

The assistant (``services.assistant``) routes the question and answers as the user (their role
and region decide what the tracker shows); :mod:`bot.views.assistant` shows the reply with its
buttons: feedback, sources and "ask a trainer" on the documents' half; the agreement, its
timeline and its next milestone on the tracker's half; one button per region when a name fits
several. Also /sumber (the documents), "show source" (the cited passage), and "ask a trainer":
the question goes to the trainers' chat, and a trainer's reply to it comes back to the asker and
becomes a curated answer (``services.curated``) that later questions meaning the same get.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks
from bot.auth import authorized, authorized_callback, deny, language_of, lookup, refusal
from bot.callbacks import Callback
from bot.formatting import render_passage
from bot.handlers.common import reply_html, send_html
from bot.i18n import t, t_html
from bot.keyboards import markup, on
from bot.state import (
    AskedQuestion,
    Context,
    TrainerThread,
    answer_button,
    asked_question,
    call,
    get_state,
    remember_question,
    remember_thread,
    trainer_thread,
)
from bot.views import View
from bot.views import assistant as assistant_views
from bot.views import curation as curation_views
from bot.views import documents as document_views
from services.access import AccessService, Permission, UserView
from services.assistant import AssistantReply
from services.conversations import RateDecision
from services.knowledge import Turn

log = logging.getLogger(__name__)

HISTORY_TURNS = 3
HISTORY_WINDOW = timedelta(minutes=30)  # an older exchange is not what a follow-up refers to
HISTORY_KEY = "history"
TYPING_REFRESH_S = 4.5
#: Questions kept per user for the buttons that ask them again (a region chosen, the documents).
PENDING_KEY = "assistant_questions"
MAX_PENDING = 20


def is_addressed(message: Message, bot_id: int, bot_username: str | None) -> bool:
    """In groups the bot answers only when mentioned or replied to."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == bot_id:
        return True
    text = message.text or ""
    return bool(bot_username) and f"@{bot_username}".lower() in text.lower()


def strip_mention(text: str, bot_username: str | None) -> str:
    if not bot_username:
        return text.strip()
    return re.sub(rf"@{re.escape(bot_username)}\b", "", text, flags=re.IGNORECASE).strip()


async def question(update: Update, context: Context) -> None:
    message = update.effective_message
    tg_user = update.effective_user
    chat = update.effective_chat
    if message is None or tg_user is None or chat is None or not message.text:
        return
    if not is_addressed(message, context.bot.id, context.bot.username):
        return
    user = await lookup(update, context)
    reason = refusal(user, Permission.ASK)
    if reason is not None or user is None:
        await deny(update, context, user, reason or "unknown")
        return
    state = get_state(context)
    lang = user.language
    # The whole message goes to the service: a long paste is searched for its question (or
    # the asker is asked to shorten it), never cut here without a word.
    text = strip_mention(message.text, context.bot.username)
    if not text:
        await reply_html(update, context, t_html(f"help.{user.role}", lang))
        return
    decision = await state.limiter.allow(tg_user.id, state.now())
    if decision is RateDecision.REFUSED:
        await reply_html(
            update, context, t_html("question.rate_limited", lang, limit=state.limiter.per_minute)
        )
        return
    if decision is RateDecision.REFUSED_QUIETLY:  # already warned in this minute
        return
    now = state.now()
    history = _history(context, chat.id, now)
    async with typing(context, chat.id):
        reply = await call(
            state.services.assistant.answer,
            user,
            text,
            language=lang,
            history=tuple(history),
            asked_by=user.actor,
        )
    await _show_reply(update, context, user, reply, _keep_pending(context, text))


async def _show_reply(
    update: Update, context: Context, user: UserView, reply: AssistantReply, token: str
) -> None:
    """Show the assistant's reply and keep what its buttons need."""
    state = get_state(context)
    chat = update.effective_chat
    assert chat is not None
    view = assistant_views.reply_view(
        reply,
        reply.language,
        token=token,
        may_report=AccessService.can(user, Permission.REPORT),
    )
    answer = reply.knowledge
    _remember(context, chat.id, state.now(), reply.question, _to_text(view))
    if answer is not None and answer.key is not None:
        remember_question(
            context,
            answer.key,
            AskedQuestion(
                reply.question, str(answer.answer), user.telegram_id, chat.id, user.language
            ),
        )
    await reply_html(
        update,
        context,
        view.text,
        reply_markup=markup(state.signer, user.telegram_id, view.buttons),
        quote=chat.type != ChatType.PRIVATE,
    )


def _to_text(view: View) -> str:
    return re.sub(r"<[^<>]+>", "", view.text)


def _keep_pending(context: Context, question: str) -> str:
    """Keep ``question`` for the buttons that ask it again; the short token they carry."""
    if context.user_data is None:
        return ""
    pending: dict[str, str] = context.user_data.setdefault(PENDING_KEY, {})
    token = hashlib.sha256(question.encode()).hexdigest()[:8]
    pending.pop(token, None)
    pending[token] = question
    while len(pending) > MAX_PENDING:
        del pending[next(iter(pending))]
    return token


def _pending(context: Context, token: str) -> str | None:
    if context.user_data is None:
        return None
    found = context.user_data.get(PENDING_KEY, {}).get(token)
    return found if isinstance(found, str) else None


@authorized_callback(callbacks.ASSISTANT_REGION)  # may answer with an alert
async def choose_region(update: Update, context: Context, user: UserView, data: Callback) -> None:
    """The asker chose which region a name meant: the question is answered again."""
    await _ask_again(update, context, user, data.str_arg(0), region_code=data.str_arg(1))


@authorized_callback(callbacks.ASSISTANT_DOCS)  # may answer with an alert
async def search_documents(
    update: Update, context: Context, user: UserView, data: Callback
) -> None:
    """After an off-topic reply: search the documents anyway."""
    await _ask_again(update, context, user, data.str_arg(0), documents_only=True)


async def _ask_again(
    update: Update,
    context: Context,
    user: UserView,
    token: str,
    *,
    region_code: str | None = None,
    documents_only: bool = False,
) -> None:
    question = _pending(context, token)
    if question is None:
        await answer_button(update, context, t("assistant.expired", user.language), alert=True)
        return
    await answer_button(update, context)
    state = get_state(context)
    region = None
    if region_code is not None:
        routed = await call(state.services.assistant.read, question)
        phrase = next(
            (
                m.phrase
                for m in routed.tracker.regions
                if any(r.code == region_code for r in m.candidates)
            ),
            None,
        )
        if phrase is not None:
            region = (phrase, region_code)
    reply = await call(
        state.services.assistant.answer,
        user,
        question,
        language=user.language,
        asked_by=user.actor,
        region=region,
        documents_only=documents_only,
    )
    await _show_reply(update, context, user, reply, token)


@contextlib.asynccontextmanager
async def typing(context: Context, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" until the block ends (Telegram clears it after about five seconds)."""

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_REFRESH_S)
            with contextlib.suppress(TelegramError):
                await context.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)

    await context.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
    refresher = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher


def _history(context: Context, chat_id: int, now: datetime) -> list[Turn]:
    """The user's recent exchanges in this chat (a follow-up refers to these)."""
    data = context.user_data if context.user_data is not None else {}
    turns = data.get(HISTORY_KEY, {}).get(chat_id, [])
    return [
        Turn(question, answer)
        for question, answer, asked_at in turns
        if now - asked_at <= HISTORY_WINDOW
    ][-HISTORY_TURNS:]


def _remember(context: Context, chat_id: int, now: datetime, question: str, answer: str) -> None:
    if context.user_data is None:
        return
    by_chat = context.user_data.setdefault(HISTORY_KEY, {})
    by_chat[chat_id] = [*by_chat.get(chat_id, []), (question, answer, now)][-HISTORY_TURNS:]


@authorized_callback(callbacks.FEEDBACK)  # answers with a thank-you
async def feedback(update: Update, context: Context, user: UserView, data: Callback) -> None:
    state = get_state(context)
    helpful = data.int_arg(1) == 1
    await call(state.services.knowledge.feedback, data.str_arg(0), helpful, user=user.actor)
    await answer_button(update, context, t("feedback.thanks", user.language))


@authorized_callback(callbacks.SOURCE)
async def show_source(update: Update, context: Context, user: UserView, data: Callback) -> None:
    state = get_state(context)
    number = data.int_arg(1)
    source = await call(state.services.knowledge.citation_source, data.str_arg(0), number)
    text = t_html("source.header", user.language, number=str(number))
    body = render_passage(source.text, source.quotes)
    await reply_html(update, context, f"{text}\n<blockquote>{body}</blockquote>")


@authorized_callback(callbacks.ASK_TRAINER)  # may answer with an alert
async def ask_trainer(update: Update, context: Context, user: UserView, data: Callback) -> None:
    state = get_state(context)
    query = update.callback_query
    assert query is not None
    asked = asked_question(context, data.str_arg(0))
    if asked is None:
        await answer_button(update, context, t("trainer.expired", user.language), alert=True)
        return
    targets: list[int]
    if state.settings.trainers_chat_id is not None:
        targets = [state.settings.trainers_chat_id]
    else:
        targets = [u.telegram_id for u in await call(state.services.access.trainers)]
    if not targets:
        await answer_button(update, context, t("trainer.none", user.language), alert=True)
        return
    reply_to = query.message.message_id if query.message is not None else None
    # None while the question's log entry waits to be written: the thread goes on without it.
    question_id = await call(state.services.knowledge.question_id, data.str_arg(0))
    delivered = False
    who = user.name or str(user.telegram_id)
    if user.region_code:  # an official without a region is named alone
        region = await call(state.services.access.region_name, user.region_code)
        who = t("trainer.forward_region", "id", name=who, region=region)
    for chat_id in targets:
        text = t_html(
            "trainer.forward",
            "id",
            who=who,
            question=asked.question,
            answer=asked.answer[:1500],
        )
        try:
            sent = await send_html(context, chat_id, text)
        except TelegramError as err:
            log.warning("could not reach trainers at %s: %s", chat_id, err)
            continue
        if sent is not None:
            delivered = True
            await remember_thread(
                state,
                chat_id,
                sent.message_id,
                TrainerThread(
                    asked.question,
                    asked.chat_id,
                    user.telegram_id,
                    user.language,
                    reply_to,
                    question_id=question_id,
                ),
            )
    await answer_button(update, context)
    key = "trainer.forwarded" if delivered else "trainer.none"
    await reply_html(update, context, t_html(key, user.language))


async def trainer_reply(update: Update, context: Context) -> None:
    """A reply in the trainers' chat to a forwarded question goes back to the official."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or message.reply_to_message is None:
        return
    thread = await trainer_thread(get_state(context), chat.id, message.reply_to_message.message_id)
    if thread is None:
        return
    user = await lookup(update, context)
    if user is None or refusal(user, Permission.ANSWER_AS_TRAINER) is not None:
        raise ApplicationHandlerStop  # not a trainer: ignore quietly, not as a question either
    answer_text = message.text or message.caption or ""
    if not answer_text.strip():
        raise ApplicationHandlerStop
    delivered = False
    if thread.asker_chat_id is not None:  # None: the official was forgotten meanwhile
        text = t_html(
            "trainer.answer",
            thread.asker_language,
            trainer=user.name or "-",
            question=thread.question,
            answer=answer_text,
        )
        try:
            await send_html(
                context, thread.asker_chat_id, text, reply_to=thread.reply_to_message_id
            )
            delivered = True
        except (Forbidden, BadRequest) as err:
            # Forbidden: the official blocked the bot or left Telegram; "chat not found": the
            # account is gone. Any other bad request is ours, and stays an error.
            if isinstance(err, BadRequest) and "chat not found" not in str(err).lower():
                raise
            log.info("a trainer's answer could not reach chat %s", thread.asker_chat_id)
    # The reply teaches the assistant: later questions that mean the same get it first. It is
    # the trainer's work, kept whether or not the official can still receive it.
    curated = await call(
        get_state(context).services.curated.add_from_reply,
        user,
        question=thread.question,
        answer=answer_text,
        question_id=thread.question_id,
    )
    view = curation_views.saved_from_reply(curated, user.language)
    keyboard = markup(get_state(context).signer, user.telegram_id, view.buttons)
    note = "" if delivered else t_html("trainer.undelivered", user.language) + "\n\n"
    await message.reply_html(note + view.text, reply_markup=keyboard)
    raise ApplicationHandlerStop


@authorized(Permission.SOURCES)
async def sources(update: Update, context: Context, user: UserView) -> None:
    state = get_state(context)
    documents = await call(state.services.knowledge.list_documents)
    await reply_html(update, context, document_views.sources_list(documents, user.language))


def register(application: Application, trainers_chat_id: int | None) -> None:  # type: ignore[type-arg]
    # Replies in the trainers' chat are looked at first (group -1) and stop there when relayed.
    reply_filter = filters.REPLY & ~filters.COMMAND
    if trainers_chat_id is not None:
        reply_filter = reply_filter & (filters.Chat(trainers_chat_id) | filters.ChatType.PRIVATE)
    application.add_handler(MessageHandler(reply_filter, trainer_reply), group=-1)
    application.add_handler(CommandHandler("sumber", sources))
    application.add_handler(on(callbacks.FEEDBACK, feedback))
    application.add_handler(on(callbacks.SOURCE, show_source))
    application.add_handler(on(callbacks.ASK_TRAINER, ask_trainer))
    application.add_handler(on(callbacks.ASSISTANT_REGION, choose_region))
    application.add_handler(on(callbacks.ASSISTANT_DOCS, search_documents))


async def stale_button(update: Update, context: Context) -> None:
    """Callback data no handler claimed: forged, or from an older version of the bot."""
    query = update.callback_query
    if query is not None:
        user = await lookup(update, context)
        await answer_button(
            update, context, t("auth.forged", language_of(update, user)), alert=True
        )


def register_questions(application: Application) -> None:  # type: ignore[type-arg]
    """The catch-alls, registered last so commands, dialogs and buttons come first."""
    # New messages only: an edited question is not answered twice.
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, question)
    )
    application.add_handler(CallbackQueryHandler(stale_button))
