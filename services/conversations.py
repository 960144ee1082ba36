"""The bot's shared conversation state: the update inbox, chat locks, dialogs, user and chat
data, the trainers' threads and the question rate limit, in the database.

Every worker of a deployment asks this service, so they behave as one bot: an update is
stored once (deduplicated by Telegram's ``update_id``) before it is acknowledged, a chat's
updates are handled one at a time in order by whichever worker holds the chat's lock, and a
dialog started on one worker continues on another (docs/deploy.md).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from accounts.repository import AccountsRepository
from conversations.locks import ChatLocks, LocalLocks
from conversations.repository import ConversationRepository
from conversations.schemas import (
    DialogState,
    InboxStats,
    PendingUpdate,
    RateDecision,
    ThreadView,
    UpdateRecord,
)
from core.clock import Clock
from core.db import is_write_locked
from core.errors import DatabaseUnavailable
from services.deferred import MAX_WAIT, withdraw_if_forgotten

__all__ = [
    "ConversationService",
    "DialogState",
    "InboxStats",
    "PendingUpdate",
    "RateDecision",
    "ThreadView",
    "UpdateRecord",
]

WARNED_SUFFIX = "!warned"
"""A rate key's own counter of warnings given (``question:42!warned``)."""
KEEP_HANDLED = timedelta(days=2)
"""Handled updates are kept this long: Telegram redelivers an update for at most a day."""
KEEP_THREADS = timedelta(days=90)
"""A trainer may answer a forwarded question for this long."""
KEEP_FORGET_EVENTS = MAX_WAIT + timedelta(hours=1)
"""A forget event is looked for by writes queued before it (``services.deferred``), which wait
at most ``MAX_WAIT``; the hour covers a write that began just before its time was up."""


class ConversationService:
    """The shared state of the bot's conversations (see the module docstring)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        locks: ChatLocks,
        bookkeeping: sessionmaker[Session] | None = None,
    ) -> None:
        self._sf = session_factory
        # The per-update writes wait only briefly for SQLite's write lock; the caller defers
        # them (``services.deferred``) when another process holds it.
        self._quick = bookkeeping or session_factory
        self.clock = clock
        self.locks = locks
        self._counted: dict[str, deque[datetime]] = {}
        self._counted_guard = threading.Lock()

    @property
    def single_process(self) -> bool:
        """Whether this process is the deployment's only bot worker (SQLite: local locks), so
        updates may be held in its memory while the database is write-locked."""
        return isinstance(self.locks, LocalLocks)

    def _factory(self, wait: bool) -> sessionmaker[Session]:
        return self._sf if wait else self._quick

    # ------------------------------------------------------------------ the inbox
    def receive(self, update_id: int, chat_key: int, user_key: int | None, payload: str) -> bool:
        """Store an update before Telegram is told it arrived; ``False`` for a repeat."""
        with self._quick.begin() as s:
            return ConversationRepository(s).add_update(
                update_id, chat_key, user_key, payload, self.clock.now()
            )

    def pending_chats(self, limit: int, skip: Collection[int] = ()) -> list[int]:
        """Chats with updates waiting, longest waiting first, except ``skip``."""
        with self._sf() as s:
            return ConversationRepository(s).pending_chats(limit, skip)

    def next_update(self, chat_key: int, skip: Collection[int] = ()) -> PendingUpdate | None:
        """The chat's oldest pending update but ``skip`` (ask while holding the chat's lock)."""
        with self._sf() as s:
            return ConversationRepository(s).oldest_pending(chat_key, skip)

    def begin(self, update_id: int, worker: str) -> int | None:
        """Record that ``worker`` begins handling the update; its attempts so far (``None``:
        it was handled meanwhile)."""
        with self._quick.begin() as s:
            return ConversationRepository(s).begin_attempt(update_id, worker)

    def finish(self, update_id: int, outcome: str = "handled", *, wait: bool = False) -> bool:
        with self._factory(wait).begin() as s:
            return ConversationRepository(s).finish(update_id, outcome, self.clock.now())

    def record_handled(
        self,
        update_id: int,
        chat_key: int,
        user_key: int | None,
        payload: str,
        outcome: str,
        handled_at: datetime,
    ) -> None:
        """Store an update handled while the database was write-locked, as handled (so a
        redelivery of it is dropped); waits for the lock. Nothing is stored when its sender
        was forgotten since (:func:`services.deferred.withdraw_if_forgotten`)."""
        with self._sf.begin() as s:
            repo = ConversationRepository(s)
            repo.add_update(update_id, chat_key, user_key, payload, handled_at)
            repo.finish(update_id, outcome, handled_at)
            withdraw_if_forgotten(s, user_key, handled_at)

    def inbox(self) -> InboxStats:
        with self._sf() as s:
            return ConversationRepository(s).stats()

    def outcomes(self, update_ids: Iterable[int]) -> dict[int, tuple[int, str | None]]:
        """``update_id`` -> (attempts, outcome) of stored updates."""
        with self._sf() as s:
            return ConversationRepository(s).update_outcomes(list(update_ids))

    def records(self, update_ids: Iterable[int]) -> list[UpdateRecord]:
        """Who handled these stored updates, when, at which attempt (by ``update_id``)."""
        with self._sf() as s:
            return ConversationRepository(s).records(list(update_ids))

    def tidy(self) -> int:
        """Forget handled updates, old trainers' threads and the forget events no queued
        write can still need; how many rows went."""
        now = self.clock.now()
        try:
            with self._quick.begin() as s:
                repo = ConversationRepository(s)
                return (
                    repo.purge_handled(now - KEEP_HANDLED)
                    + repo.purge_threads(now - KEEP_THREADS)
                    + AccountsRepository(s).prune_forget_events(now - KEEP_FORGET_EVENTS)
                )
        except DatabaseUnavailable as err:
            if is_write_locked(err):
                return 0  # another time
            raise

    # ------------------------------------------------------------------ locks
    def try_lock(self, keys: Iterable[int]) -> bool:
        """Take every one of ``keys`` (chat, then user) or none of them; never waits."""
        taken: list[int] = []
        for key in dict.fromkeys(keys):
            if not self.locks.try_lock(key):
                for held in reversed(taken):
                    self.locks.unlock(held)
                return False
            taken.append(key)
        return True

    def unlock(self, keys: Iterable[int]) -> None:
        for key in dict.fromkeys(keys):
            self.locks.unlock(key)

    def locks_healthy(self) -> bool:
        return self.locks.healthy()

    # ------------------------------------------------------------------ conversation data
    def data(self, scope: str, key: int) -> bytes | None:
        with self._sf() as s:
            return ConversationRepository(s).data(scope, key)

    def save_data(
        self,
        scope: str,
        key: int,
        value: bytes | None,
        *,
        wait: bool = True,
        queued_at: datetime | None = None,
    ) -> None:
        """Keep a user's or chat's data (``None`` or empty: forget it); ``wait=False``: give
        up soon on a write-locked database. ``queued_at``: a deferred write, queued then; it
        is dropped when the person was forgotten since (``services.deferred``)."""
        with self._factory(wait).begin() as s:
            repo = ConversationRepository(s)
            # The data of an update handled while its person was forgotten (``users forget``)
            # is not kept: only people with an account have data (a private chat's id is its
            # user's). Checked before writing (PostgreSQL: the account's row is locked first,
            # in the order a forgetting takes it, so the two cannot deadlock) and again after
            # (SQLite reads outside the write transaction; writing takes its lock).
            person = key > 0
            accounts = AccountsRepository(s)
            if value and (not person or accounts.holds_user(key)):
                repo.put_data(scope, key, value, self.clock.now())
                if person and not accounts.holds_user(key):
                    repo.drop_data(scope, key)
            else:
                repo.drop_data(scope, key)
            if queued_at is not None:
                withdraw_if_forgotten(s, _person_of_data(scope, key), queued_at)

    def dialogs(self, keys: Collection[tuple[str, str]]) -> list[DialogState]:
        with self._sf() as s:
            return ConversationRepository(s).dialogs(keys, self.clock.now())

    def save_dialog(
        self,
        name: str,
        key: str,
        state: str | None,
        expected: int | None,
        timeout: timedelta | None,
        *,
        wait: bool = True,
        person: int | None = None,
        queued_at: datetime | None = None,
    ) -> int | None:
        """Set (or with ``state=None`` end) a dialog still at version ``expected``; the new
        version, ``0`` once ended, ``None`` if another worker changed it first.

        ``person``: whose dialog it is. Only people with an account have dialogs: one saved
        by an update handled while its person was forgotten (``users forget``) is ended
        instead, checked before writing and again after, as :meth:`save_data` does.
        ``queued_at``: a deferred write, dropped when they were forgotten since."""
        now = self.clock.now()
        with self._factory(wait).begin() as s:
            repo = ConversationRepository(s)
            accounts = AccountsRepository(s)
            if person is not None and not accounts.holds_user(person):
                repo.drop_dialog(name, key)  # forgotten meanwhile: nothing of theirs stays
                written: int | None = 0
            elif state is None:
                written = 0 if repo.end_dialog(name, key, expected, now) else None
            else:
                expires_at = now + timeout if timeout is not None else None
                written = repo.write_dialog(
                    name, key, state, expected, now=now, expires_at=expires_at
                )
                if person is not None and not accounts.holds_user(person):
                    repo.drop_dialog(name, key)
                    written = 0
            if queued_at is not None:
                withdraw_if_forgotten(s, person, queued_at)
            return written

    # ------------------------------------------------------------------ trainers' threads
    def remember_thread(self, chat_id: int, message_id: int, thread: ThreadView) -> None:
        with self._sf.begin() as s:
            ConversationRepository(s).put_thread(chat_id, message_id, thread, self.clock.now())

    def thread(self, chat_id: int, message_id: int) -> ThreadView | None:
        with self._sf() as s:
            return ConversationRepository(s).thread(chat_id, message_id)

    # ------------------------------------------------------------------ rate limits
    def allow(self, key: str, *, limit: int, window: timedelta, now: datetime) -> bool:
        """Count one more action for ``key`` unless ``limit`` were counted in the sliding
        ``window`` before ``now``."""
        with self._sf.begin() as s:
            repo = ConversationRepository(s)
            repo.forget_events(key, now - window)
            if repo.count_events(key, now - window) >= limit:
                return False
            repo.add_event(key, now)
            return True

    def admit(self, key: str, *, limit: int, window: timedelta, now: datetime) -> RateDecision:
        """Like :meth:`allow`, and a refusal says whether the user should be told.

        The first refusal in a ``window`` is ``REFUSED`` (warn the user); further refusals
        until a ``window`` has passed since that warning are ``REFUSED_QUIETLY``, so an
        official who keeps typing gets one warning, not one per message. The warning is
        counted in the database like the actions, so every worker sees it.
        """
        warned = f"{key}{WARNED_SUFFIX}"
        try:
            with self._quick.begin() as s:
                repo = ConversationRepository(s)
                repo.forget_events(key, now - window)
                if repo.count_events(key, now - window) < limit:
                    repo.add_event(key, now)
                    return RateDecision.ALLOWED
                repo.forget_events(warned, now - window)
                if repo.count_events(warned, now - window) > 0:
                    return RateDecision.REFUSED_QUIETLY
                repo.add_event(warned, now)
                return RateDecision.REFUSED
        except DatabaseUnavailable as err:
            if not is_write_locked(err):
                raise
        # Another process holds the write lock: count here meanwhile (one worker on SQLite),
        # so the limit still holds; these counts are not written back.
        with self._counted_guard:
            if self._count(key, now, window) < limit:
                self._counted[key].append(now)
                return RateDecision.ALLOWED
            if self._count(warned, now, window) > 0:
                return RateDecision.REFUSED_QUIETLY
            self._counted[warned].append(now)
            return RateDecision.REFUSED

    def _count(self, key: str, now: datetime, window: timedelta) -> int:
        counted = self._counted.setdefault(key, deque())
        while counted and counted[0] <= now - window:
            counted.popleft()
        return len(counted)


def _person_of_data(scope: str, key: int) -> int | None:
    """Whose data a row of ``bot_data`` is: a user's, or a private chat's (its id is the
    user's); a group's (negative id) is nobody's."""
    return key if scope == "user" or (scope == "chat" and key > 0) else None
