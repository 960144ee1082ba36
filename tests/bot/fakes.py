"""A faked Bot API request layer and builders of real PTB updates for handler tests.

``FakeBotApi`` subclasses PTB's ``BaseRequest`` (the seam PTB's own tests fake with their
``OfflineRequest``): every call the bot makes is recorded, checked against the Bot API
specification, and answered with canned JSON.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from tests.fakes.botapi.spec import BotApiSpec, UploadedFile

BOT_ID = 777000
BOT_USERNAME = "SinergiTestBot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Sinergi", "username": BOT_USERNAME}
DATE = 1767578400  # 2026-01-05


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    result: Any = None
    read_timeout: Any = None
    """What the caller passed (PTB's ``DefaultValue`` when it passed nothing)."""

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not markup:
            return []
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def button(self, contains: str) -> dict[str, Any]:
        for b in self.buttons():
            if contains in b["text"]:
                return b
        raise AssertionError(
            f"no button with {contains!r} in {[b['text'] for b in self.buttons()]}"
        )


_ANSWERED_TWICE = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class FakeBotApi(BaseRequest):
    """Records requests, validates them against the spec, answers like Telegram would."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self._ids = itertools.count(5000)
        self.spec = BotApiSpec.load()
        self._answered: set[str] = set()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            path = url.split("/file/bot", 1)[1].split("/", 1)[1]
            self.downloads.append(path)
            return 200, self.files[path]
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        raw = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, UploadedFile] = {}
        if request_data is not None and request_data.contains_files:
            for key, part in (request_data.multipart_data or {}).items():
                name, data, content_type = part if len(part) == 3 else (part[0], part[1], None)
                files[key] = UploadedFile(name, content_type, data)
                raw.pop(key, None)
        checked = self.spec.check(api_method, raw, files)
        if api_method == "answerCallbackQuery":
            query_id = str(params["callback_query_id"])
            if query_id in self._answered:  # Telegram refuses a second answer
                self.calls.append(ApiCall(api_method, params, ["answered twice"], None))
                return 400, json.dumps(
                    {"ok": False, "error_code": 400, "description": _ANSWERED_TWICE}
                ).encode()
            self._answered.add(query_id)
        result = self._respond(api_method, params)
        self.calls.append(ApiCall(api_method, params, list(checked.problems), result, read_timeout))
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "Grup"
        message = {
            "message_id": next(self._ids),
            "date": DATE,
            "chat": chat,
            "from": BOT_USER,
        }
        message.update(extra)
        return message

    def _respond(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}  # fmt: skip
        if method == "sendMessage":
            return self._message(params, text=params.get("text", ""))
        if method in {"sendPhoto", "sendDocument"}:
            photo = [{"file_id": "sent-photo", "file_unique_id": "sp", "width": 10, "height": 10}]
            return self._message(params, photo=photo, caption=params.get("caption", ""))
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            if "chat_id" not in params:
                return True
            return {**self._message(params, text=params.get("text", "")),
                    "message_id": int(params["message_id"])}  # fmt: skip
        if method == "getFile":
            file_id = str(params["file_id"])
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files.get(file_id, b"")),
                "file_path": file_id,
            }
        return True

    # --- what tests look at -------------------------------------------------------------------

    def of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        kinds = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText"}
        return [
            c for c in self.calls if c.method in kinds and (chat_id is None or c.chat_id == chat_id)
        ]

    def last(self, chat_id: int | None = None) -> ApiCall:
        sent = self.sent(chat_id)
        assert sent, f"nothing sent to {chat_id}"
        return sent[-1]

    def problems(self) -> list[str]:
        return [p for c in self.calls for p in c.problems]

    def clear(self) -> None:
        self.calls.clear()


class Updates:
    """Builds real ``telegram.Update`` objects and feeds them to the application."""

    def __init__(self, app: Application, *, first_id: int = 1) -> None:  # type: ignore[type-arg]
        self.app = app
        # Telegram never reuses an update_id: a repeated one is dropped as a redelivery.
        self._ids = itertools.count(first_id)
        self._messages = itertools.count(100)

    @staticmethod
    def user(user_id: int, first_name: str = "Pengguna", lang: str = "id") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": lang,
                "username": f"u{user_id}"}  # fmt: skip

    @staticmethod
    def chat(chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Pengguna"}
        return {"id": chat_id, "type": "supergroup", "title": "Grup"}

    def message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        reply_to: dict[str, Any] | None = None,
        lang: str = "id",
        **extra: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._messages),
            "date": DATE,
            "chat": self.chat(chat_id if chat_id is not None else user_id),
            "from": self.user(user_id, lang=lang),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra)
        return message

    async def send(self, user_id: int, text: str | None = None, **kw: Any) -> dict[str, Any]:
        message = self.message(user_id, text, **kw)
        await self.feed({"update_id": next(self._ids), "message": message})
        return message

    async def press(
        self, user_id: int, data: str, *, chat_id: int | None = None, message_id: int = 1
    ) -> None:
        message = {
            "message_id": message_id,
            "date": DATE,
            "chat": self.chat(chat_id if chat_id is not None else user_id),
            "from": BOT_USER,
            "text": "…",
        }
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id),
            "chat_instance": "ci",
            "message": message,
            "data": data,
        }
        await self.feed({"update_id": next(self._ids), "callback_query": query})

    async def member_change(self, by_user: int, chat_id: int, old: str, new: str) -> None:
        member = {"user": BOT_USER}
        change = {
            "chat": self.chat(chat_id),
            "from": self.user(by_user),
            "date": DATE,
            "old_chat_member": {**member, "status": old},
            "new_chat_member": {**member, "status": new},
        }
        await self.feed({"update_id": next(self._ids), "my_chat_member": change})

    async def feed(self, data: dict[str, Any]) -> None:
        """Through the inbox, as every update: stored, then handled with its chat locked."""
        from bot.dispatch import dispatcher_of

        await dispatcher_of(self.app).handle(data)
