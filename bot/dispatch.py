"""Updates through the database: stored once, handled once, one chat at a time, in order.

Every update, whether a webhook POST reached this worker or long polling fetched it, is first
stored in the inbox (``services.conversations``; a repeated ``update_id`` is dropped) and only
then acknowledged. The dispatcher of every worker then looks for chats with pending updates,
takes a chat's lock (a PostgreSQL advisory lock: one worker at a time per chat) and handles
that chat's updates oldest first: it loads the dialogs, lets PTB run the handlers, writes the
conversation state and marks the update handled. The lock of the update's user is taken too
when it is not the chat itself (a user's data follows them from a group to their private
chat); locks are always taken chat first, then user, so two workers never wait on each other.

A worker that dies mid-update leaves the update pending and its locks released by the
database; the next worker handles it again (``attempts`` counts; after ``max_attempts`` an
update that keeps killing workers is given up and logged). Handling is therefore at least
once: a reply the dead worker had already sent may be sent again; nothing is lost.

While another process holds SQLite's write lock for long (``sinergi kb ingest`` of a large
folder, ``db upgrade``, ``kb reindex-terms``), the one worker of a SQLite deployment keeps
serving: an update the inbox cannot take within a short wait is *held* in this process and
handled at once (reads go on under the lock), but not acknowledged, so Telegram keeps it; the
bookkeeping of it (the inbox row, marked handled; the question log; the user's data) is
deferred (``services.deferred``) and written once the lock is free, after which a redelivery
is dropped as a repeat. Each update is still handled once by this process (a redelivery of a
held update is recognised); a restart before the deferred writes are done may handle it again
(at least once, as above). What the user asked to change (a milestone) is not deferred: it
waits for the lock for the database's busy timeout, then the user is told to try again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.persistence import DatabasePersistence
from bot.state import app_state, call
from core.db import is_write_locked
from core.errors import AppError
from services.conversations import ConversationService, PendingUpdate
from services.deferred import DeferredWrites

log = logging.getLogger(__name__)

TIDY_EVERY_S = 600.0
FLUSH_EVERY_S = 1.0
"""How often deferred bookkeeping is tried while the database is write-locked."""
APOLOGISED_KEPT = 1000
DISPATCHER_KEY = "sinergi-dispatcher"


def worker_name(port: int | None = None) -> str:
    """This worker in the inbox's ``worker`` column: host, process and port."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f":{port}" if port else "")


@dataclass
class HeldUpdate:
    """An update the database could not store (write-locked), kept in this process."""

    pending: PendingUpdate
    error: AppError
    handled: bool = False
    recorded: bool = False
    """Written to the inbox as handled (by the deferred writes); it can be forgotten here."""


def update_keys(update: Update) -> tuple[int, int | None]:
    """The chat an update is ordered within (else its user, else 0) and its user."""
    user = update.effective_user.id if update.effective_user is not None else None
    if update.effective_chat is not None:
        return update.effective_chat.id, user
    return (user if user is not None else 0), user


class UpdateDispatcher:
    """Stores updates and handles the inbox's pending ones (module docstring).

    Args:
        max_chats: chats handled at the same time by this worker.
        poll_interval: how often the inbox is looked at when nothing wakes the dispatcher
            (an update stored by another worker, or one left by a dead worker).
        max_attempts: an update begun this many times is given up.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        conversations: ConversationService,
        *,
        worker: str | None = None,
        max_chats: int = 16,
        poll_interval: float = 0.5,
        max_attempts: int = 5,
        deferred: DeferredWrites | None = None,
    ) -> None:
        self.application = application
        self.conversations = conversations
        self.deferred = deferred
        self._held: dict[int, HeldUpdate] = {}
        self._unrecorded: set[int] = set()
        """Stored updates handled here whose "handled" mark is deferred."""
        self._flushing: asyncio.Task[None] | None = None
        self._last_flush = 0.0
        self.worker = worker or worker_name()
        self.max_chats = max_chats
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.handled = 0
        self.heartbeat = time.monotonic()
        self.last_error: str | None = None
        self._active: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._last_tidy = 0.0
        self._apologised: OrderedDict[int, None] = OrderedDict()

    @property
    def persistence(self) -> DatabasePersistence | None:
        found = self.application.persistence
        return found if isinstance(found, DatabasePersistence) else None

    # ------------------------------------------------------------------ receiving
    async def receive(self, data: dict[str, Any]) -> bool:
        """Store one update as Telegram sent it; ``False`` if it was stored before.

        Raises ``ValueError`` for something that is not an update, and ``AppError`` (the
        database is unavailable) when it could not be stored: the caller must then not
        acknowledge it, so that Telegram sends it again.
        """
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise ValueError("not a Telegram update: no update_id")
        held = self._held.get(update_id)
        if held is not None:  # a redelivery of an update held here
            if held.handled:
                return False  # its inbox row is on its way (deferred)
            raise held.error  # being handled; not to be acknowledged yet
        update = Update.de_json(data, self.application.bot)
        chat, user = update_keys(update)
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        try:
            stored = await call(self.conversations.receive, update_id, chat, user, payload)
        except AppError as err:
            if self._may_hold(err):
                now = app_state(self.application).now()
                pending = PendingUpdate(update_id, chat, user, payload, 0, now)
                self._held[update_id] = HeldUpdate(pending, err)
                log.info("update %s held: the database is write-locked", update_id)
                self._wake.set()
                raise
            await self._apologise(update_id, update, err)
            raise
        self._wake.set()
        return stored

    def _may_hold(self, error: AppError) -> bool:
        """Whether an update (or its bookkeeping) may wait in this process: the database is
        write-locked by another process and this is the deployment's only worker."""
        return (
            self.deferred is not None
            and is_write_locked(error)
            and self.conversations.single_process
        )

    def holds(self, update_id: int) -> bool:
        """Whether the update is held here, not stored (its receiver must not confirm it)."""
        return update_id in self._held

    async def _apologise(self, update_id: int, update: Update, error: AppError) -> None:
        """Tell the sender once that the database cannot take their message now.

        The update is not acknowledged, so Telegram sends it again (and long polling asks for
        it again) until it is stored, then it is handled as usual: nothing is lost, and the
        official knows why the answer is late. Each update is apologised for once per worker.
        """
        if update_id in self._apologised:
            return
        self._apologised[update_id] = None
        while len(self._apologised) > APOLOGISED_KEPT:
            self._apologised.popitem(last=False)
        try:
            await self.application.process_error(update, error)
        except Exception:  # telling is best effort; the update itself is not lost
            log.exception("could not tell the sender of update %s", update_id)

    async def handle(self, data: dict[str, Any]) -> None:
        """Store an update and handle its chat's pending updates now (tests, one process).

        An update the database could not store is left to the sender to send again, as
        Telegram does after the webhook's 503 (the sender was told, see ``_apologise``).
        """
        try:
            await self.receive(data)
        except AppError:
            if not self.holds(data["update_id"]):
                return
        update = Update.de_json(data, self.application.bot)
        chat, _ = update_keys(update)
        while not await call(self.conversations.try_lock, [chat]):
            await asyncio.sleep(0.01)
        await self._drain(chat, locked=True)

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="sinergi-dispatcher")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def alive(self, stale_after: float = 60.0) -> bool:
        """The loop runs and went round recently (a hung database call would stop it)."""
        return self.running and time.monotonic() - self.heartbeat < stale_after

    async def stop(self, timeout: float = 20.0) -> None:
        """Finish the updates being handled (up to ``timeout``), then stop taking new ones.

        What is not finished stays pending in the inbox for the other workers.
        """
        self._stopping = True
        self._wake.set()
        tasks = [t for t in (self._task, *self._active.values()) if t is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self.heartbeat = time.monotonic()
            try:
                await self._round()
                self.last_error = None
            except AppError as err:  # the database is down: try again, quietly
                self.last_error = err.code
                log.warning("inbox unavailable (%s)", err.code)
                await asyncio.sleep(min(5.0, self.poll_interval * 4))
            except Exception as err:  # the loop must outlive any single failure
                self.last_error = type(err).__name__
                log.exception("dispatcher round failed")
                await asyncio.sleep(1.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)

    async def _round(self) -> None:
        self._flush_soon()
        free = self.max_chats - len(self._active)
        if free > 0:
            held = [h.pending.chat_key for h in list(self._held.values()) if not h.handled]
            chats = list(dict.fromkeys(held)) + await call(
                self.conversations.pending_chats, free * 2, set(self._active)
            )
            for chat in dict.fromkeys(chats):
                if self._stopping or len(self._active) >= self.max_chats:
                    break
                if chat in self._active:
                    continue
                if await call(self.conversations.try_lock, [chat]):
                    self._active[chat] = asyncio.create_task(
                        self._drain(chat, locked=True), name=f"sinergi-chat-{chat}"
                    )
        if time.monotonic() - self._last_tidy > TIDY_EVERY_S:
            self._last_tidy = time.monotonic()
            await call(self.conversations.tidy)

    # ------------------------------------------------------------------ one chat
    async def _drain(self, chat: int, *, locked: bool) -> None:
        """Handle the chat's pending updates in order while holding its lock."""
        try:
            while not self._stopping:
                pending = await self._next(chat)
                if pending is None:
                    break
                user = pending.user_key
                extra = [user] if user is not None and user != chat else []
                if extra:
                    await self._lock_user(extra[0])
                try:
                    await self._handle(pending)
                finally:
                    if extra:
                        await call(self.conversations.unlock, extra)
        except AppError as err:
            self.last_error = err.code
            log.warning("chat %s paused: %s", chat, err.code)
        except Exception:
            log.exception("chat %s: an update could not be handled", chat)
        finally:
            if locked:
                with contextlib.suppress(AppError):  # the database went; so did the lock
                    await call(self.conversations.unlock, [chat])
            if self._active.get(chat) is asyncio.current_task():
                del self._active[chat]
            self._wake.set()

    async def _next(self, chat: int) -> PendingUpdate | None:
        """The chat's oldest update to handle: stored or held here, whichever came first."""
        held = [
            h.pending
            for h in list(self._held.values())
            if not h.handled and h.pending.chat_key == chat
        ]
        stored = await call(self.conversations.next_update, chat, set(self._unrecorded))
        found = held + ([stored] if stored is not None else [])
        return min(found, key=lambda p: p.update_id, default=None)

    # ------------------------------------------------------------------ deferred bookkeeping
    def _flush_soon(self) -> None:
        """Start writing the deferred bookkeeping (in the background: a write-locked database
        makes it wait) and forget the held updates it recorded."""
        for update_id in [i for i, h in list(self._held.items()) if h.recorded]:
            del self._held[update_id]
        deferred = self.deferred
        if deferred is None or not len(deferred):
            return
        if self._flushing is not None and not self._flushing.done():
            return
        if time.monotonic() - self._last_flush < FLUSH_EVERY_S:
            return
        self._last_flush = time.monotonic()

        async def flush() -> None:
            done = await call(deferred.flush)
            if done:
                log.info("%d deferred writes done", done)
                self._wake.set()

        self._flushing = asyncio.create_task(flush(), name="sinergi-deferred")

    async def flush_deferred(self) -> None:
        """Write the deferred bookkeeping now (waits for the database's lock; tests, stop)."""
        if self.deferred is not None:
            await call(self.deferred.flush)
        for update_id in [i for i, h in list(self._held.items()) if h.recorded]:
            del self._held[update_id]

    def _record_later(self, held: HeldUpdate, outcome: str) -> None:
        assert self.deferred is not None
        p = held.pending
        conversations = self.conversations
        handled_at = app_state(self.application).now()

        def record() -> None:
            conversations.record_handled(
                p.update_id, p.chat_key, p.user_key, p.payload, outcome, handled_at
            )
            held.recorded = True

        self.deferred.defer(record, what=f"update {p.update_id} stored as handled")

    def _finish_later(self, update_id: int, outcome: str) -> None:
        assert self.deferred is not None
        self._unrecorded.add(update_id)
        conversations, unrecorded = self.conversations, self._unrecorded

        def finish() -> None:
            conversations.finish(update_id, outcome, wait=True)
            unrecorded.discard(update_id)

        self.deferred.defer(finish, what=f"update {update_id} marked {outcome}")

    async def _lock_user(self, user: int) -> None:
        """Wait for the user's lock: another worker handles them in another chat right now."""
        delay = 0.02
        while not await call(self.conversations.try_lock, [user]):
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    async def _handle(self, pending: PendingUpdate) -> None:
        held = self._held.get(pending.update_id)
        counted = True
        if held is not None:
            attempts: int | None = 1
        else:
            try:
                attempts = await call(self.conversations.begin, pending.update_id, self.worker)
            except AppError as err:
                if not self._may_hold(err):
                    raise
                attempts, counted = pending.attempts + 1, False  # written with the outcome
        if attempts is None:
            return  # handled meanwhile
        if attempts > self.max_attempts:
            log.error(
                "update %s given up after %d attempts (it stopped a worker each time)",
                pending.update_id,
                attempts - 1,
            )
            await call(
                self.conversations.finish, pending.update_id, f"given up after {attempts - 1}"
            )
            return
        update = Update.de_json(json.loads(pending.payload), self.application.bot)
        persistence = self.persistence
        if persistence is not None:
            await persistence.load_dialogs(self.application, update)
        await self.application.process_update(update)
        if persistence is not None:
            await self.application.update_persistence()
            persistence.forget(self.application, update)
        outcome = "handled" if attempts == 1 else f"handled at attempt {attempts}"
        if held is not None:
            held.handled = True
            self._record_later(held, "handled while the database was write-locked")
        elif not counted:
            self._finish_later(pending.update_id, outcome)
        else:
            try:
                await call(self.conversations.finish, pending.update_id, outcome)
            except AppError as err:
                if not self._may_hold(err):
                    raise
                self._finish_later(pending.update_id, outcome)
        self.handled += 1


def dispatcher_of(application: Application[Any, Any, Any, Any, Any, Any]) -> UpdateDispatcher:
    """The application's dispatcher (made on first use; ``bot.runner`` sets its own)."""
    found = application.bot_data.get(DISPATCHER_KEY)
    if not isinstance(found, UpdateDispatcher):
        services = app_state(application).services
        found = UpdateDispatcher(application, services.conversations, deferred=services.deferred)
        application.bot_data[DISPATCHER_KEY] = found
    return found
