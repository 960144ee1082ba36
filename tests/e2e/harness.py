"""Running the real bot application against the local Bot API server.

:class:`BotHarness` builds the application with ``bot.app.build_application`` on real services
(SQLite in a temporary folder, fake embeddings), points it at :class:`BotApiServer` through
``Settings.telegram_base_url`` and runs it with long polling on the test's event loop. Tests
act as Telegram users (``say``, ``press``, ``upload``) and get back the messages the bot sent
while handling that update; waiting is always a bounded poll, never a fixed sleep.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application

from accounts.schemas import UserView
from core.clock import FixedClock
from core.config import Settings
from core.errors import AppError
from services import Services
from tests.fakes.botapi import BotApiServer, BotMessage, FakeChat, FakeUser

#: Monday 2 March 2026, 09:00 in Jakarta.
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

ADMIN = FakeUser(id=1001, first_name="Rina", username="rina_admin", language_code="id")
TRAINER = FakeUser(id=1002, first_name="Budi", username="budi_pelatih", language_code="id")
COORDINATOR = FakeUser(id=1003, first_name="Sari", username="sari_kerinci", language_code="id")
OFFICIAL = FakeUser(id=1004, first_name="Dedi", username="dedi", language_code="en")
STRANGER = FakeUser(id=1999, first_name="Mallory", username="mallory", language_code="id")

_RAW_KEY = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def e2e_settings(data_dir: Path, server: BotApiServer, **overrides: Any) -> Settings:
    """Settings of a deployment whose Bot API server is the local fake."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "embedding_backend": "fake",
        "telegram_token": server.token,
        "telegram_base_url": server.base_url,
        "telegram_base_file_url": server.base_file_url,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Exchange:
    """What the bot sent while handling one update."""

    update_id: int
    messages: list[BotMessage]

    def to(self, chat_id: int) -> list[BotMessage]:
        return [m for m in self.messages if m.chat_id == chat_id]

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.messages]

    def one(self, chat_id: int) -> BotMessage:
        found = self.to(chat_id)
        assert len(found) == 1, f"expected one message to {chat_id}, got {[m.text for m in found]}"
        return found[0]


@dataclass
class BotHarness:
    server: BotApiServer
    services: Services
    settings: Settings
    clock: FixedClock
    app: Application  # type: ignore[type-arg]
    processed: set[int] = field(default_factory=set)
    crashes: list[BaseException] = field(default_factory=list)
    domain_errors: list[AppError] = field(default_factory=list)
    worker: Any = None

    # --- lifecycle -------------------------------------------------------------------------

    @classmethod
    def build(
        cls, server: BotApiServer, services: Services, settings: Settings, clock: FixedClock
    ) -> BotHarness:
        from bot.app import build_application

        app = build_application(services, settings)
        harness = cls(server, services, settings, clock, app)
        original = app.process_update

        async def process_update(update: object) -> None:
            try:
                await original(update)
            finally:
                if isinstance(update, Update):
                    harness.processed.add(update.update_id)

        app.process_update = process_update  # type: ignore[method-assign]

        async def record(update: object, context: Any) -> None:
            error = context.error
            if isinstance(error, AppError):
                harness.domain_errors.append(error)
            elif isinstance(error, Forbidden):
                pass  # the user blocked the bot: expected, nobody to tell
            elif error is not None:
                harness.crashes.append(error)

        app.add_error_handler(record)
        return harness

    async def start(self) -> None:
        """Start it as ``sinergi run`` does (``bot.runner.BotWorker``, long polling): every
        update goes through the inbox and the dispatcher."""
        from bot.runner import BotWorker

        self.worker = BotWorker(self.services, self.settings, application=self.app, poll_timeout=1)
        await self.worker.start()
        # Scheduled jobs (the reminder pass) run only when a test runs them, at its clock.
        if self.app.job_queue is not None:
            for job in self.app.job_queue.jobs():
                job.enabled = False

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        elif self.app.running:
            await self.app.stop()
            await self.app.shutdown()

    # --- acting as users ---------------------------------------------------------------------

    async def handled(self, update_id: int, *, mark: int, timeout: float = 15.0) -> Exchange:
        """Wait until the bot has handled ``update_id``; the messages it sent since ``mark``."""
        await self.server.until(
            lambda: update_id in self.processed, timeout=timeout, what=f"update {update_id}"
        )
        fresh = [m for m in self.server.sent() if m.message_id > mark]
        return Exchange(update_id, fresh)

    async def say(
        self,
        user: FakeUser,
        text: str,
        *,
        chat: FakeChat | None = None,
        reply_to: BotMessage | None = None,
        timeout: float = 15.0,
    ) -> Exchange:
        mark = self.server.last_message_id()
        self.server.send_text(user, text, chat=chat, reply_to=reply_to)
        return await self.handled(self.server.last_update_id, mark=mark, timeout=timeout)

    async def press(
        self,
        user: FakeUser,
        message: BotMessage,
        label: str | None = None,
        *,
        data: str | None = None,
        timeout: float = 15.0,
    ) -> Exchange:
        mark = self.server.last_message_id()
        self.server.press(user, message, data, button=label)
        return await self.handled(self.server.last_update_id, mark=mark, timeout=timeout)

    async def upload(
        self,
        user: FakeUser,
        filename: str,
        data: bytes,
        *,
        mime_type: str = "text/plain",
        caption: str | None = None,
        file_size: int | None = None,
        timeout: float = 60.0,
    ) -> Exchange:
        mark = self.server.last_message_id()
        self.server.send_document(
            user, filename, data, mime_type=mime_type, caption=caption, file_size=file_size
        )
        return await self.handled(self.server.last_update_id, mark=mark, timeout=timeout)

    async def photo(self, user: FakeUser, data: bytes, *, caption: str | None = None) -> Exchange:
        mark = self.server.last_message_id()
        self.server.send_photo(user, data, caption=caption)
        return await self.handled(self.server.last_update_id, mark=mark)

    def callback_answers(self, query_id: str | None = None) -> list[dict[str, Any]]:
        calls = self.server.calls("answerCallbackQuery", ok=True)
        answers = [c.params for c in calls]
        if query_id is not None:
            answers = [a for a in answers if a.get("callback_query_id") == query_id]
        return answers

    def until(self, condition: Callable[[], Any], **kwargs: Any) -> Any:
        return self.server.until(condition, **kwargs)

    def user(self, telegram_id: int) -> UserView:
        """The stored user (who must exist)."""
        found = self.services.access.get_user(telegram_id)
        assert found is not None, f"user {telegram_id} is not stored"
        return found

    # --- checks ---------------------------------------------------------------------------------

    def assert_healthy(self) -> None:
        """No invalid request, no crash, and every text came from a catalog (no raw keys)."""
        self.server.assert_clean()
        assert not self.crashes, f"the bot crashed: {self.crashes!r}"
        raw = [
            m.text
            for m in self.server.sent()
            if m.text and any(_RAW_KEY.match(line.strip()) for line in m.text.splitlines())
        ]
        assert not raw, f"untranslated catalog keys sent to users: {raw}"
