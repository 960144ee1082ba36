"""A local HTTP server that speaks the Telegram Bot API, for end-to-end tests of the real bot.

It listens on 127.0.0.1 (ephemeral port) in a background thread. Tests queue updates as users
would produce them (messages, commands, documents, photos, button presses, the bot being added
to or removed from a chat), the bot fetches them with ``getUpdates`` and answers through the
usual methods. Every request is validated against the Bot API specification (see
:mod:`tests.fakes.botapi.spec`): a request Telegram would refuse gets the same 400 answer and is
recorded in :attr:`BotApiServer.violations`, so the test fails on ``assert_clean()``.

Faults are injected per method (:meth:`BotApiServer.fail`: 429 with retry_after, 500, 403) and
per chat (:meth:`BotApiServer.block`: the user blocked the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from tests.fakes.botapi.spec import BotApiSpec, CheckedCall, UploadedFile

TOKEN = "123456789:AAE-sinergi-test-token_0123456789ab"
_EPOCH = 1_795_000_000  # a fixed "date" for messages: tests never depend on the wall clock

#: Update kinds delivered when getUpdates has no allowed_updates (as Telegram does).
_DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user; ``chat`` is their private chat with the bot."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "id"
    last_name: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @property
    def chat(self) -> FakeChat:
        return FakeChat(id=self.id, type="private", first_name=self.first_name)


@dataclass(frozen=True)
class FakeChat:
    """A chat: private (id = the user's id), group or supergroup (negative id)."""

    id: int
    type: str = "private"
    title: str | None = None
    first_name: str | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            data["title"] = self.title
        if self.first_name is not None:
            data["first_name"] = self.first_name
        return data


@dataclass
class Call:
    """One request the bot made, as the server saw and answered it."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    problems: list[str]
    status: int
    result: Any
    plain: dict[str, str]
    seq: int
    #: time.monotonic() when the request arrived and when it was answered
    received_at: float = 0.0
    answered_at: float = 0.0

    @property
    def chat_id(self) -> int | str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        """The plain text (after entity parsing) of a text or caption."""
        return self.plain.get("text", self.plain.get("caption"))

    @property
    def ok(self) -> bool:
        return self.status == 200

    def buttons(self) -> list[dict[str, Any]]:
        """The inline buttons of the request's reply_markup, flattened."""
        markup = self.params.get("reply_markup")
        if not isinstance(markup, dict):
            return []
        rows = markup.get("inline_keyboard") or []
        return [b for row in rows if isinstance(row, list) for b in row if isinstance(b, dict)]


@dataclass
class BotMessage:
    """A message in a chat as it currently is (edits applied)."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo", "document", "forward", "copy", "user"
    text: str | None
    reply_markup: dict[str, Any] | None
    api: dict[str, Any]
    from_bot: bool = True
    deleted: bool = False
    edits: int = 0
    data: bytes | None = None

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]

    def button(self, contains: str) -> dict[str, Any]:
        """The first button whose label contains ``contains`` (case-insensitive)."""
        for button in self.buttons():
            if contains.lower() in str(button.get("text", "")).lower():
                return button
        labels = [b.get("text") for b in self.buttons()]
        raise LookupError(f"no button with {contains!r} in message {self.message_id}: {labels}")


@dataclass
class _Fault:
    status: int
    description: str
    remaining: int
    retry_after: int | None = None
    chat_id: int | None = None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_size: int
    file_path: str | None
    downloads: int = 0


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    messages: dict[tuple[int, int], BotMessage] = field(default_factory=dict)
    files: dict[str, _StoredFile] = field(default_factory=dict)
    faults: dict[str, list[_Fault]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    known_chats: set[int] = field(default_factory=set)
    open_queries: set[str] = field(default_factory=set)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    """Command lists by scope (its JSON) and language code, as Telegram keeps them."""
    webhook: str = ""
    webhook_secret: str | None = None
    webhook_allowed: list[str] = field(default_factory=list)
    #: (status, secret header sent) of each webhook delivery attempt
    webhook_deliveries: list[tuple[int, str | None]] = field(default_factory=list)
    confirmed_offset: int = 0


class BotApiServer:
    """The fake Bot API server; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_id: int = 7_000_000_001,
        bot_username: str = "sinergi_test_bot",
        spec: BotApiSpec | None = None,
        strict_chats: bool = False,
        hold_updates: bool = False,
    ) -> None:
        self.token = token
        #: keep the updates users make instead of queueing them for getUpdates or the webhook:
        #: the test delivers each itself (``update``), e.g. to one of several webhook workers
        self.hold_updates = hold_updates
        #: update_id -> every update made, as Telegram would send it
        self.made: dict[int, dict[str, Any]] = {}
        #: answer "chat not found" for chats that never talked to the bot (as Telegram does);
        #: off by default so tests can message users they did not script a /start for
        self.strict_chats = strict_chats
        self.spec = spec or BotApiSpec.load()
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Sinergi",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._state = _State()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._closing = False
        self._webhook_thread: threading.Thread | None = None
        #: the id of the most recently queued update
        self.last_update_id = 0
        #: update_id -> time.monotonic() when it was queued (for latency measurements)
        self.queued_at: dict[int, float] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        #: called (in the server thread) after a request was answered; tests use it to act at
        #: a precise point, e.g. to kill a process right after Telegram accepted a message.
        self.after_call: Callable[[Call], None] | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> BotApiServer:
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="fake-bot-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._closing = True
            self._changed.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``Settings.telegram_base_url`` / PTB's ``base_url`` (the token is appended)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``Settings.telegram_base_file_url`` / PTB's ``base_file_url``."""
        return f"{self.root_url}/file/bot"

    # --- what the users do -------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of ``kind`` (e.g. "message"); returns its update_id."""
        with self._lock:
            update_id = next(self._update_ids)
            self.queued_at[update_id] = time.monotonic()
            self.made[update_id] = {"update_id": update_id, kind: payload}
            if not self.hold_updates:
                self._state.updates.append({"update_id": update_id, kind: payload})
            for holder in (payload, payload.get("message") or {}):
                for key in ("chat", "from"):
                    if isinstance(holder.get(key), dict) and "id" in holder[key]:
                        self._state.known_chats.add(int(holder[key]["id"]))
            self.last_update_id = update_id
            self._changed.notify_all()
            return update_id

    def update(self, update_id: int) -> dict[str, Any]:
        """An update made by a user action, as Telegram would send it (JSON-ready)."""
        with self._lock:
            return json.loads(json.dumps(self.made[update_id]))

    def _user_message(
        self, user: FakeUser, chat: FakeChat | None, extra: dict[str, Any]
    ) -> dict[str, Any]:
        chat = chat or user.chat
        with self._lock:
            message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": user.to_api(),
            "chat": chat.to_api(),
            "date": _EPOCH + message_id,
            **extra,
        }
        with self._lock:
            self._state.messages[(chat.id, message_id)] = BotMessage(
                chat_id=chat.id,
                message_id=message_id,
                kind="user",
                text=extra.get("text") or extra.get("caption"),
                reply_markup=None,
                api=message,
                from_bot=False,
            )
        return message

    def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        reply_to: BotMessage | None = None,
    ) -> dict[str, Any]:
        """The user sends ``text``; a leading ``/command`` and @mentions get their entities."""
        extra: dict[str, Any] = {"text": text}
        entities: list[dict[str, Any]] = []
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0])
            entities.append({"type": "bot_command", "offset": 0, "length": length})
        mention = "@" + str(self.bot_user["username"])
        index = text.find(mention)
        if index >= 0:
            entities.append({"type": "mention", "offset": index, "length": len(mention)})
        if entities:
            extra["entities"] = entities
        if reply_to is not None:
            extra["reply_to_message"] = reply_to.api
        message = self._user_message(user, chat, extra)
        self.push_update("message", message)
        return message

    def add_file(self, data: bytes, *, file_size: int | None = None) -> _StoredFile:
        """Store a file the bot may download; ``file_size`` may claim more than ``data`` holds."""
        with self._lock:
            number = len(self._state.files) + 1
            stored = _StoredFile(
                file_id=f"FILE{number:04d}{secrets.token_hex(4)}",
                file_unique_id=f"U{number:04d}",
                data=data,
                file_size=len(data) if file_size is None else file_size,
                file_path=f"documents/file_{number}",
            )
            self._state.files[stored.file_id] = stored
            return stored

    def send_document(
        self,
        user: FakeUser,
        filename: str,
        data: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        file_size: int | None = None,
        chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        """The user sends a document; ``file_size`` lets a test announce an oversize file."""
        stored = self.add_file(data, file_size=file_size)
        extra: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": filename,
                "mime_type": mime_type,
                "file_size": stored.file_size,
            }
        }
        if caption is not None:
            extra["caption"] = caption
        message = self._user_message(user, chat, extra)
        self.push_update("message", message)
        return message

    def send_photo(
        self,
        user: FakeUser,
        data: bytes,
        *,
        caption: str | None = None,
        chat: FakeChat | None = None,
    ) -> dict[str, Any]:
        stored = self.add_file(data)
        sizes = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 640,
                "height": 480,
                "file_size": stored.file_size,
            }
        ]
        extra: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            extra["caption"] = caption
        message = self._user_message(user, chat, extra)
        self.push_update("message", message)
        return message

    def press(
        self,
        user: FakeUser,
        message: BotMessage,
        callback_data: str | None = None,
        *,
        button: str | None = None,
    ) -> str:
        """The user presses a button of ``message`` (by label or with raw ``callback_data``).

        Any ``callback_data`` can be sent, including data the message never offered: that is
        how forged callbacks are tested. Returns the callback query id.
        """
        if callback_data is None:
            if button is None:
                raise ValueError("give callback_data or a button label")
            callback_data = str(message.button(button)["callback_data"])
        with self._lock:
            query_id = f"{next(self._callback_ids)}"
            self._state.open_queries.add(query_id)
        chat_instance = str(abs(message.chat_id))
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": message.api,
            "chat_instance": chat_instance,
            "data": callback_data,
        }
        self.push_update("callback_query", query)
        return query_id

    def chat_member_update(
        self, user: FakeUser, chat: FakeChat, *, old: str = "left", new: str = "member"
    ) -> int:
        """``user`` changed the bot's membership in ``chat`` (added to a group, blocked...)."""
        payload = {
            "chat": chat.to_api(),
            "from": user.to_api(),
            "date": _EPOCH,
            "old_chat_member": self._member(old),
            "new_chat_member": self._member(new),
        }
        return self.push_update("my_chat_member", payload)

    def _member(self, status: str) -> dict[str, Any]:
        """A ChatMember of the bot with the fields its status requires."""
        member: dict[str, Any] = {"status": status, "user": self.bot_user}
        if status == "administrator":
            rights = [
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ]
            member.update({"can_be_edited": False, "is_anonymous": False})
            member.update({right: right != "can_promote_members" for right in rights})
        elif status == "kicked":
            member["until_date"] = 0
        elif status != "member" and status != "left":
            raise ValueError(f"status {status!r}: use member, administrator, left or kicked")
        return member

    # --- faults -------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail: kind "429", "500", "403" or "400"."""
        if kind == "429":
            fault = _Fault(429, f"Too Many Requests: retry after {retry_after}", times, retry_after)
        elif kind == "500":
            fault = _Fault(500, "Internal Server Error", times)
        elif kind == "403":
            fault = _Fault(403, "Forbidden: bot was blocked by the user", times)
        elif kind == "400":
            fault = _Fault(400, "Bad Request: chat not found", times)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")
        fault.chat_id = chat_id
        name = self.spec.method_name(method) or method
        with self._lock:
            self._state.faults.setdefault(name, []).append(fault)

    def introduce(self, *chat_ids: int) -> None:
        """These chats have started the bot (the bot may write to them with strict_chats)."""
        with self._lock:
            self._state.known_chats.update(chat_ids)

    def block(self, user_id: int) -> None:
        """From now on every message to ``user_id`` gets 403 "bot was blocked by the user"."""
        with self._lock:
            self._state.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        with self._lock:
            self._state.blocked.discard(user_id)

    # --- what the bot did -------------------------------------------------------------------

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return list(self._state.violations)

    def calls(
        self, method: str | None = None, *, chat_id: int | None = None, ok: bool | None = None
    ) -> list[Call]:
        """Requests made, optionally of one method, to one chat, accepted or refused."""
        with self._lock:
            found = list(self._state.calls)
        if method is not None:
            name = self.spec.method_name(method) or method
            found = [c for c in found if c.method == name]
        if chat_id is not None:
            found = [c for c in found if _same_chat(c.chat_id, chat_id)]
        if ok is not None:
            found = [c for c in found if c.ok is ok]
        return found

    def sent(self, chat_id: int | None = None, *, kind: str | None = None) -> list[BotMessage]:
        """Messages the bot sent (current state, edits applied), oldest first."""
        with self._lock:
            found = [m for m in self._state.messages.values() if m.from_bot and not m.deleted]
        if chat_id is not None:
            found = [m for m in found if m.chat_id == chat_id]
        if kind is not None:
            found = [m for m in found if m.kind == kind]
        return sorted(found, key=lambda m: m.message_id)

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        with self._lock:
            return self._state.messages[(chat_id, message_id)]

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The default menu: every chat's, for clients of no particular language."""
        return self.commands_for()

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._state.commands.get(_commands_key(scope, language_code), []))

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet."""
        with self._lock:
            offset = self._state.confirmed_offset
            return sum(1 for u in self._state.updates if u["update_id"] >= offset)

    def file_downloads(self, file_id: str) -> int:
        with self._lock:
            return self._state.files[file_id].downloads

    def assert_clean(self) -> None:
        """Fail if the bot made any request Telegram would have refused as invalid."""
        problems = self.violations
        assert not problems, "invalid Bot API requests:\n" + "\n".join(problems)

    # --- waiting --------------------------------------------------------------------------------

    def wait_for(
        self, condition: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        """Block until ``condition()`` is truthy (from a thread other than the bot's loop)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = condition()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
                self._changed.wait(min(remaining, 0.05))

    async def until(
        self, condition: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        """Await ``condition()`` being truthy while the bot runs on the same event loop."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}; "
                    f"last calls: {[(c.method, c.status) for c in self.calls()[-8:]]}"
                )
            await asyncio.sleep(0.02)

    async def reply_to(
        self,
        chat_id: int,
        *,
        after: int = 0,
        count: int = 1,
        timeout: float = 10.0,
        kind: str | None = None,
    ) -> list[BotMessage]:
        """Await ``count`` new bot messages in ``chat_id`` with message_id > ``after``."""

        def found() -> list[BotMessage] | None:
            new = [m for m in self.sent(chat_id, kind=kind) if m.message_id > after]
            return new if len(new) >= count else None

        result: list[BotMessage] = await self.until(
            found, timeout=timeout, what=f"{count} message(s) to chat {chat_id}"
        )
        return result

    def last_message_id(self) -> int:
        """The highest message id so far (to wait for what comes after)."""
        with self._lock:
            return max((key[1] for key in self._state.messages), default=0)

    # --- the HTTP side ----------------------------------------------------------------------

    def _handle(self, method: str, raw: dict[str, str], files: dict[str, UploadedFile]) -> Call:
        received_at = time.monotonic()
        checked = self.spec.check(method, raw, files)
        with self._lock:
            seq = next(self._seq)
        if checked.problems:
            status, result = self._bad_request(checked)
            if self.spec.method_name(method) is None:
                status, result = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        else:
            fault = self._take_fault(checked)
            if fault is not None:
                status, result = fault
            else:
                try:
                    status, result = self._dispatch(checked)
                except _ApiError as err:
                    status = err.status
                    result = {"ok": False, "error_code": err.status, "description": err.text}
                    if err.violation:
                        checked.problems.append(f"{checked.method}: {err.text}")
        call = Call(
            method=checked.method,
            params=checked.params,
            files=checked.files,
            problems=checked.problems,
            status=status,
            result=result,
            plain=checked.plain,
            seq=seq,
            received_at=received_at,
            answered_at=time.monotonic(),
        )
        with self._lock:
            self._state.calls.append(call)
            self._state.violations.extend(checked.problems)
            self._changed.notify_all()
        if self.after_call is not None:
            self.after_call(call)
        return call

    @staticmethod
    def _bad_request(checked: CheckedCall) -> tuple[int, dict[str, Any]]:
        return 400, {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: " + "; ".join(checked.problems),
        }

    def _take_fault(self, checked: CheckedCall) -> tuple[int, dict[str, Any]] | None:
        chat = checked.params.get("chat_id")
        with self._lock:
            if (
                checked.method.startswith(("send", "copy", "forward", "edit"))
                and isinstance(chat, int)
                and chat in self._state.blocked
            ):
                return 403, {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            if (
                self.strict_chats
                and checked.method.startswith(("send", "copy", "forward"))
                and isinstance(chat, int)
                and chat not in self._state.known_chats
            ):
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: chat not found",
                }
            faults = self._state.faults.get(checked.method, [])
            for fault in faults:
                if fault.chat_id is not None and not _same_chat(chat, fault.chat_id):
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    faults.remove(fault)
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": fault.status,
                    "description": fault.description,
                }
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                return fault.status, body
        return None

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates") or []
        kinds = set(allowed) if allowed else _DEFAULT_UPDATE_KINDS
        deadline = time.monotonic() + min(timeout, 30.0)
        with self._lock:
            if offset:
                self._state.confirmed_offset = max(self._state.confirmed_offset, offset)
                self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self._state.updates if _kind(u) in kinds]
                # Updates of kinds the bot did not ask for are dropped, as Telegram does.
                self._state.updates = ready
                if ready or self._closing:
                    return ready[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._changed.wait(min(remaining, 0.25))

    def _dispatch(self, call: CheckedCall) -> tuple[int, Any]:
        params = call.params
        method = call.method
        if method == "getUpdates":
            with self._lock:
                if self._state.webhook:
                    raise _ApiError(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active;"
                        " use deleteWebhook to delete the webhook first",
                    )
            return 200, {"ok": True, "result": self._get_updates(params)}
        simple_true = {
            "sendChatAction",
            "setMyCommands",
            "deleteMyCommands",
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
            "setChatMenuButton",
            "leaveChat",
            "close",
            "logOut",
        }
        if method == "getMe":
            return _ok(self.bot_user)
        if method == "answerCallbackQuery":
            with self._lock:
                query_id = str(params["callback_query_id"])
                if query_id not in self._state.open_queries:
                    raise _ApiError(
                        400,
                        "Bad Request: query is too old and response timeout expired or query ID"
                        " is invalid (answered twice, or never sent)",
                        violation=True,
                    )
                self._state.open_queries.discard(query_id)
            return _ok(True)
        if method in {"sendPhoto", "sendDocument"}:
            self._check_upload(call)
        if method in {"deleteWebhook", "setWebhook"}:
            with self._lock:
                if method == "setWebhook":
                    self._state.webhook = str(params.get("url", ""))
                    secret = params.get("secret_token")
                    self._state.webhook_secret = str(secret) if secret else None
                    self._state.webhook_allowed = list(params.get("allowed_updates") or [])
                else:
                    self._state.webhook = ""
                    if params.get("drop_pending_updates"):
                        self._state.updates = []
                self._changed.notify_all()
            if method == "setWebhook" and self._state.webhook:
                self._start_webhook_delivery()
            return _ok(True)
        if method == "getWebhookInfo":
            with self._lock:
                url = self._state.webhook
            return _ok({"url": url, "has_custom_certificate": False, "pending_update_count": 0})
        if method == "setMyCommands":
            key = _commands_key(params.get("scope"), params.get("language_code") or "")
            with self._lock:
                self._state.commands[key] = list(params.get("commands") or [])
        if method == "getMyCommands":
            key = _commands_key(params.get("scope"), params.get("language_code") or "")
            with self._lock:
                return _ok(list(self._state.commands.get(key, [])))
        if method in simple_true:
            return _ok(True)
        if method == "getChat":
            chat_id = _chat_int(params.get("chat_id"))
            kind = "private" if chat_id > 0 else "supergroup"
            chat: dict[str, Any] = {"id": chat_id, "type": kind, "accent_color_id": 0}
            chat["max_reaction_count"] = 11
            if kind != "private":
                chat["title"] = "Group"
            return _ok(chat)
        if method == "sendMessage":
            return _ok(self._new_message(params, "text", text=params["text"]))
        if method == "sendPhoto":
            return _ok(self._new_message(params, "photo", upload=call.files.get("photo")))
        if method == "sendDocument":
            return _ok(self._new_message(params, "document", upload=call.files.get("document")))
        if method in {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}:
            return _ok(self._edit(method, params))
        if method == "deleteMessage":
            message = self._find(params)
            with self._lock:
                message.deleted = True
            return _ok(True)
        if method == "forwardMessage":
            source = self._find(params, chat_key="from_chat_id")
            forwarded = self._new_message(
                params, "forward", text=source.text, forwarded_from=source
            )
            return _ok(forwarded)
        if method == "copyMessage":
            source = self._find(params, chat_key="from_chat_id")
            copied = self._new_message(
                params, "copy", text=params.get("caption") or source.text, forwarded_from=source
            )
            return _ok({"message_id": copied["message_id"]})
        if method == "getFile":
            with self._lock:
                stored = self._state.files.get(str(params["file_id"]))
            if stored is None:
                raise _ApiError(400, "Bad Request: invalid file_id")
            if stored.file_size > 20 * 1024 * 1024:
                raise _ApiError(400, "Bad Request: file is too big")
            return _ok(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                    "file_path": stored.file_path,
                }
            )
        raise _ApiError(
            400, f"Bad Request: {method} is valid but not implemented by the fake", violation=True
        )

    @staticmethod
    def _check_upload(call: CheckedCall) -> None:
        """Telegram's limits on uploads: photos 10 MB, width + height <= 10000, ratio <= 20;
        documents 50 MB."""
        if call.method == "sendPhoto":
            upload = call.files.get("photo")
            if upload is None:
                return
            if len(upload.data) > 10 * 1024 * 1024:
                raise _ApiError(400, "Bad Request: photo over 10 MB", violation=True)
            size = png_size(upload.data)
            if size is not None:
                width, height = size
                if width + height > 10_000 or max(width, height) > 20 * max(min(width, height), 1):
                    raise _ApiError(
                        400,
                        f"Bad Request: PHOTO_INVALID_DIMENSIONS ({width}x{height})",
                        violation=True,
                    )
        else:
            upload = call.files.get("document")
            if upload is not None and len(upload.data) > 50 * 1024 * 1024:
                raise _ApiError(400, "Bad Request: document over 50 MB", violation=True)

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"user{chat_id}"}
        return {"id": chat_id, "type": "supergroup", "title": f"group{chat_id}"}

    def _new_message(
        self,
        params: dict[str, Any],
        kind: str,
        *,
        text: str | None = None,
        upload: UploadedFile | None = None,
        forwarded_from: BotMessage | None = None,
    ) -> dict[str, Any]:
        chat_id = _chat_int(params.get("chat_id"))
        with self._lock:
            message_id = next(self._message_ids)
        api: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": _EPOCH + message_id,
        }
        data: bytes | None = None
        plain_text = text
        if kind in {"text", "forward", "copy"} and text is not None:
            plain_text = self._plain(params, "text", text) if kind == "text" else text
            api["text"] = plain_text
        if kind in {"photo", "document"}:
            data = upload.data if upload is not None else None
            stored = self.add_file(data or b"")
            if kind == "photo":
                api["photo"] = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": 800,
                        "height": 600,
                        "file_size": stored.file_size,
                    }
                ]
            else:
                api["document"] = {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_name": upload.filename if upload and upload.filename else "file",
                    "file_size": stored.file_size,
                }
            caption = params.get("caption")
            if isinstance(caption, str):
                plain_text = self._plain(params, "caption", caption)
                api["caption"] = plain_text
        if forwarded_from is not None and kind == "forward":
            api["forward_origin"] = {"type": "hidden_user", "sender_user_name": "x", "date": 0}
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            api["reply_markup"] = markup
        with self._lock:
            self._state.messages[(chat_id, message_id)] = BotMessage(
                chat_id=chat_id,
                message_id=message_id,
                kind=kind,
                text=plain_text,
                reply_markup=markup if isinstance(markup, dict) else None,
                api=api,
                data=data,
            )
        return api

    @staticmethod
    def _plain(params: dict[str, Any], key: str, text: str) -> str:
        if params.get("parse_mode") == "HTML":
            from tests.fakes.botapi.html import parse_html

            return parse_html(text).plain
        return text

    def _find(self, params: dict[str, Any], *, chat_key: str = "chat_id") -> BotMessage:
        if "inline_message_id" in params:
            raise _ApiError(400, "Bad Request: inline messages are not supported by the fake")
        chat_id = _chat_int(params.get(chat_key))
        message_id = params.get("message_id")
        with self._lock:
            message = self._state.messages.get((chat_id, int(message_id or 0)))
        if message is None or message.deleted:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return message

    def _edit(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        if not message.from_bot:
            raise _ApiError(400, "Bad Request: message can't be edited", violation=True)
        markup = params.get("reply_markup")
        new_markup = markup if isinstance(markup, dict) else None
        with self._lock:
            if method == "editMessageText":
                new_text = self._plain(params, "text", str(params["text"]))
                if new_text == message.text and new_markup == message.reply_markup:
                    raise _ApiError(
                        400,
                        "Bad Request: message is not modified: specified new message content"
                        " and reply markup are exactly the same",
                    )
                message.text = new_text
                message.api["text"] = new_text
            elif method == "editMessageCaption":
                message.text = self._plain(params, "caption", str(params.get("caption", "")))
                message.api["caption"] = message.text
            elif new_markup == message.reply_markup:
                raise _ApiError(400, "Bad Request: message is not modified")
            message.reply_markup = new_markup
            if new_markup is not None and "inline_keyboard" in new_markup:
                message.api["reply_markup"] = new_markup
            else:
                message.api.pop("reply_markup", None)
            message.edits += 1
            message.api["edit_date"] = _EPOCH + message.message_id + message.edits
            return dict(message.api)

    def _start_webhook_delivery(self) -> None:
        with self._lock:
            if self._webhook_thread is not None and self._webhook_thread.is_alive():
                return
            self._webhook_thread = threading.Thread(
                target=self._deliver_webhooks, name="fake-bot-api-webhook", daemon=True
            )
            self._webhook_thread.start()

    def _deliver_webhooks(self) -> None:
        """POST queued updates to the webhook, one at a time, as Telegram does."""
        while True:
            with self._lock:
                while not self._closing and self._state.webhook and not self._state.updates:
                    self._changed.wait(0.25)
                if self._closing or not self._state.webhook:
                    return
                update = self._state.updates[0]
                url, secret = self._state.webhook, self._state.webhook_secret
            request = urllib.request.Request(
                url,
                data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            if secret is not None:
                request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as err:
                status = err.code
            except OSError:
                status = 0  # the bot is not listening (yet): try again
            with self._lock:
                self._state.webhook_deliveries.append((status, secret))
                if status == 200 and self._state.updates and self._state.updates[0] is update:
                    self._state.updates.pop(0)
                    self._state.confirmed_offset = int(update["update_id"]) + 1
                self._changed.notify_all()
                if status != 200:
                    self._changed.wait(0.2)

    @property
    def webhook_deliveries(self) -> list[tuple[int, str | None]]:
        with self._lock:
            return list(self._state.webhook_deliveries)

    @property
    def webhook(self) -> tuple[str, str | None]:
        """The webhook URL and secret token the bot set ("" when polling)."""
        with self._lock:
            return self._state.webhook, self._state.webhook_secret

    def _download(self, path: str) -> bytes | None:
        with self._lock:
            for stored in self._state.files.values():
                if stored.file_path == path:
                    stored.downloads += 1
                    self._changed.notify_all()
                    return stored.data
        return None


class _ApiError(Exception):
    def __init__(self, status: int, text: str, *, violation: bool = False) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.violation = violation


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or ``None`` if ``data`` is not one."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _commands_key(scope: Any, language_code: str) -> tuple[str, str]:
    """Telegram keeps one command list per scope and language; no scope is the default one."""
    if isinstance(scope, str):
        scope = json.loads(scope)
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code)


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _chat_int(value: Any) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise _ApiError(400, "Bad Request: chat not found") from None


def _same_chat(value: Any, chat_id: int) -> bool:
    try:
        return int(str(value)) == chat_id
    except ValueError:
        return False


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Form fields and file parts of a request (urlencoded, multipart or JSON)."""
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    if not body:
        return fields, files
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif content_type.startswith("application/json"):
        for key, value in json.loads(body).items():
            fields[key] = value if isinstance(value, str) else json.dumps(value)
    elif content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            raw_payload = part.get_payload(decode=True)
            payload = raw_payload if isinstance(raw_payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = UploadedFile(filename, part.get_content_type(), payload)
            else:
                charset = part.get_content_charset() or "utf-8"
                fields[name] = payload.decode(charset)
    return fields, files


def _make_handler(server: BotApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body are written separately: without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every request (measured by bench.bot).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the calls are recorded instead

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
            except (BrokenPipeError, ConnectionResetError):
                return
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # the client may have given up (a long poll cancelled at shutdown)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def _route(self) -> tuple[str, str] | None:
            path = unquote(self.path.split("?", 1)[0])  # PTB quotes file URLs
            for prefix in ("/bot", "/file/bot"):
                if path.startswith(prefix + server.token + "/"):
                    return prefix, path[len(prefix + server.token + "/") :]
            return None

        def do_GET(self) -> None:
            route = self._route()
            if route is not None and route[0] == "/file/bot":
                data = server._download(route[1])
                if data is not None:
                    self._reply(200, data, "application/octet-stream")
                    return
            if route is not None and route[0] == "/bot":
                query = self.path.split("?", 1)[1] if "?" in self.path else ""
                self._api(route[1], dict(parse_qsl(query)), {})
                return
            self._reply(404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "json")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            route = self._route()
            if route is None or route[0] != "/bot":
                self._reply(
                    401,
                    b'{"ok":false,"error_code":401,"description":"Unauthorized"}',
                    "application/json",
                )
                return
            fields, files = _parse_body(self.headers.get("Content-Type", ""), body)
            self._api(route[1], fields, files)

        def _api(self, method: str, fields: dict[str, str], files: dict[str, UploadedFile]) -> None:
            call = server._handle(method, fields, files)
            self._reply(call.status, json.dumps(call.result).encode(), "application/json")

    return Handler
