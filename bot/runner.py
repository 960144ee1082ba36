"""Run one bot worker: updates in by long polling or by webhook, handled through the inbox.

Long polling suits one process (Telegram gives ``getUpdates`` to one consumer at a time).
Webhook mode runs as many workers as wanted behind one public URL (docs/deploy.md): each
serves ``POST /<path>`` for Telegram and ``/healthz/live``, ``/healthz/ready``, and registers
the webhook (the same URL and secret every time) when it starts. Either way an update is
stored in the database before it is acknowledged, and handled by the dispatcher of whichever
worker takes its chat (``bot.dispatch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any
from urllib.parse import urlparse

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.app import build_application
from bot.connection import telegram_errors, webhook_secret
from bot.dispatch import DISPATCHER_KEY, UpdateDispatcher, worker_name
from bot.state import call
from bot.webhook import WebhookServer
from core.config import Settings
from core.errors import AppError, ConfigurationError
from services import Services

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 20.0
"""How long a stopping worker lets the updates in hand finish (systemd waits 30 s)."""


class BotWorker:
    """One worker process's bot: the application, its dispatcher and its way in.

    Args:
        webhook: serve Telegram's webhook (``settings.webhook_url``) instead of polling.
        listen, port: where the webhook and the health checks listen (default: settings).
        poll_timeout: long-polling timeout in seconds.
    """

    def __init__(
        self,
        services: Services,
        settings: Settings,
        *,
        webhook: bool = False,
        listen: str | None = None,
        port: int | None = None,
        application: Application[Any, Any, Any, Any, Any, Any] | None = None,
        poll_timeout: float = 10.0,
        max_chats: int = 16,
    ) -> None:
        if webhook and not settings.webhook_url:
            raise ConfigurationError(detail="SINERGI_WEBHOOK_URL")
        self.services = services
        self.settings = settings
        self.webhook = webhook
        self.listen = listen or settings.webhook_listen
        self.port = port if port is not None else settings.webhook_port
        self.application = application or build_application(services, settings)
        self.poll_timeout = poll_timeout
        self.dispatcher = UpdateDispatcher(
            self.application,
            services.conversations,
            worker=worker_name(self.port if webhook else None),
            max_chats=max_chats,
            deferred=services.deferred,
        )
        self.application.bot_data[DISPATCHER_KEY] = self.dispatcher
        self.started = False
        self.stopping = False
        self._poller: asyncio.Task[None] | None = None
        self._offset: int | None = None
        self._server: WebhookServer | None = None
        self._ready_cache: tuple[float, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        app = self.application
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()  # the JobQueue; PTB's own update queue stays unused
        self.dispatcher.start()
        if self.webhook:
            self._server = WebhookServer(
                path=urlparse(self.settings.webhook_url or "").path,
                secret=webhook_secret(self.settings),
                receive=self.dispatcher.receive,
                accepting=lambda: self.started and not self.stopping,
                live=self.live,
                ready=self.ready,
                listen=self.listen,
                port=self.port,
            )
            self._server.start()
            await self._register_webhook()
        else:
            await self._telegram(lambda: app.bot.delete_webhook(drop_pending_updates=False))
            self._poller = asyncio.create_task(self._poll(), name="sinergi-polling")
        self.started = True
        log.info("worker %s started (%s)", self.dispatcher.worker, self.mode)

    @property
    def mode(self) -> str:
        return f"webhook on {self.listen}:{self.port}" if self.webhook else "long polling"

    async def stop(self) -> None:
        """Stop taking updates, let the ones in hand finish, then stop the application."""
        if self.stopping:
            return
        self.stopping = True
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.dispatcher.stop(STOP_TIMEOUT_S)
        if not self.webhook and self._offset is not None:
            # Confirm to Telegram what is stored, so it is not fetched again after a restart.
            with contextlib.suppress(TelegramError):
                await self.application.bot.get_updates(offset=self._offset, timeout=0)
        app = self.application
        if app.running:
            await app.stop()
        await app.shutdown()
        if self._server is not None:
            await self._server.stop()
        log.info("worker %s stopped", self.dispatcher.worker)

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    # ------------------------------------------------------------------ health
    async def live(self) -> dict[str, Any]:
        alive = self.dispatcher.alive() and (self._poller is None or not self._poller.done())
        return {
            "ok": alive,
            "worker": self.dispatcher.worker,
            "handled": self.dispatcher.handled,
        }

    async def ready(self) -> dict[str, Any]:
        now = asyncio.get_running_loop().time()
        if self._ready_cache is not None and now - self._ready_cache[0] < 1.0:
            return self._ready_cache[1]
        database = False
        pending: int | None = None
        try:
            database = await call(self.services.conversations.locks_healthy)
            pending = (await call(self.services.conversations.inbox)).pending
        except AppError:
            database = False
        result = {
            "ok": self.started and not self.stopping and database and self.dispatcher.alive(),
            "worker": self.dispatcher.worker,
            "started": self.started,
            "stopping": self.stopping,
            "database": database,
            "pending": pending,
            "last_error": self.dispatcher.last_error,
        }
        self._ready_cache = (now, result)
        return result

    # ------------------------------------------------------------------ ways in
    async def _telegram(self, request: Any, attempts: int = 5) -> Any:
        """A start-up call to Telegram, retried while the network or flood control says wait."""
        delay = 1.0
        for attempt in range(attempts):
            try:
                return await request()
            except RetryAfter as err:
                await asyncio.sleep(float(getattr(err, "_retry_after", 1) or 1))
            except NetworkError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        return None

    async def _register_webhook(self) -> None:
        bot = self.application.bot
        await self._telegram(
            lambda: bot.set_webhook(
                url=self.settings.webhook_url or "",
                secret_token=webhook_secret(self.settings),
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
        )

    async def _poll(self) -> None:
        """Long polling: every update is stored before the next request confirms it."""
        bot = self.application.bot
        delay = 1.0
        while not self.stopping:
            try:
                updates = await bot.get_updates(
                    offset=self._offset,
                    timeout=int(self.poll_timeout),
                    allowed_updates=Update.ALL_TYPES,
                )
            except InvalidToken:
                log.error("Telegram refused the bot token; polling stops")
                raise
            except Conflict as err:  # another poller, or a webhook set meanwhile
                log.error("polling conflict: %s", err)
                await asyncio.sleep(5.0)
                continue
            except NetworkError as err:
                log.warning("polling failed (%s); retrying in %.0f s", err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            held_from: int | None = None
            for update in updates:
                while not self.stopping:
                    try:
                        await self.dispatcher.receive(update.to_dict())
                        break
                    except AppError as err:  # not stored: keep it unconfirmed and retry
                        if self.dispatcher.holds(update.update_id):
                            # Handled here meanwhile (the database is write-locked): not
                            # confirmed until its inbox row is written; fetched again till then.
                            held_from = held_from or update.update_id
                            break
                        log.warning("update %s not stored (%s)", update.update_id, err.code)
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 30.0)
                else:
                    return
                if held_from is None:
                    self._offset = update.update_id + 1
            if held_from is not None:
                await asyncio.sleep(1.0)  # the same updates come back at once otherwise


def run_bot(
    services: Services,
    settings: Settings,
    *,
    webhook: bool | None = None,
    listen: str | None = None,
    port: int | None = None,
) -> None:
    """Run one worker until SIGINT or SIGTERM (blocks).

    ``webhook``: ``None`` follows the settings (a webhook when ``SINERGI_WEBHOOK_URL`` is set).

    Raises:
        TelegramTokenRejected, TelegramUnavailable: at start-up (``getMe``), without the token.
    """
    use_webhook = bool(settings.webhook_url) if webhook is None else webhook
    with telegram_errors(settings):
        worker = BotWorker(services, settings, webhook=use_webhook, listen=listen, port=port)
        asyncio.run(worker.run_until_signalled())
