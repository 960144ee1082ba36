"""Bookkeeping writes that found the database write-locked, done later, in order.

On the default SQLite deployment one process at a time may write, and a long write by another
process (``sinergi kb ingest`` of a large folder, ``db upgrade``, ``kb reindex-terms``) holds
the lock for minutes. The bot's own writes for each update are mostly bookkeeping: the update
inbox, the question log, the user's recent questions. They are tried with a short wait
(``core.db.with_busy_timeout``); one that finds the lock taken is queued here and written by
:meth:`DeferredWrites.flush` once the lock is free, so the reply never waits for it. Writes the
user asked for (a milestone marked, an agreement recorded) are never deferred: they wait the
full busy timeout and then tell the user to try again.

A queued write that holds a person's data may run after ``sinergi users forget`` removed
them in another process. One policy holds for it, queued or written at once: the late write
is treated as the forgetting would have treated it. What forgetting deletes (conversation
data, dialogs, their updates in the inbox) calls :func:`withdraw_if_forgotten` after writing,
in its own transaction: when someone was forgotten since the write was queued and the person
has no account from before that forgetting, the transaction is rolled back and the write
dropped. What
forgetting keeps without the person (a question in the log, a vote) is written without them
(``services.privacy.asker_forgotten``). Either way nothing names them again.
Under SQLite the write already holds the write lock when it checks, so a forget cannot slip
in between. A person without an account (one who never asked for access) is not told apart
from the forgotten one: their queued bookkeeping is dropped too, which costs at most a
redelivered update or a dialog started again.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accounts.repository import AccountsRepository
from core.clock import Clock
from core.db import is_write_locked
from core.errors import AppError

log = logging.getLogger(__name__)

MAX_WAIT = timedelta(hours=24)
"""The longest a queued write may wait: one older is dropped, not written (and logged as
lost), so the forget events it would check need not be kept longer
(``services.conversations.KEEP_FORGET_EVENTS``). A write lock held that long is no long
ingest but a stuck process; the bookkeeping it held up is not worth keeping."""


CLOCK_STEP_TOLERANCE = timedelta(minutes=10)
"""How far the clock may have been stepped back (an NTP correction, a virtual machine's
clock) between queueing a write and a forgetting: forget events are looked for from this
long before the write was queued. Without it, a forgetting stamped by a clock set back
looked older than the write, and the write handed the forgotten person's data to the account
they made again. An account is told apart from one made anew by the forgetting itself (made
after it or not), so widening the window drops nobody else's writes. Forget events are kept
an hour past :data:`MAX_WAIT` (``services.conversations.KEEP_FORGET_EVENTS``), more than this."""


class Withdrawn(Exception):
    """A queued write of a person forgotten since it was queued: rolled back and dropped."""


def withdraw_if_forgotten(s: Session, person: int | None, queued_at: datetime) -> None:
    """Call after a queued write, in its transaction: raise :class:`Withdrawn` (rolling the
    write back) when ``person`` was forgotten after ``queued_at`` (module docstring)."""
    since = queued_at - CLOCK_STEP_TOLERANCE
    if person is not None and AccountsRepository(s).forgotten_since(person, since):
        raise Withdrawn()


_PERSON_ACTOR = re.compile(r"tg:(-?\d+)", re.ASCII)


def person_of(actor: str | None) -> int | None:
    """The Telegram ID in an actor name (``tg:123``); ``None`` for anything else."""
    found = _PERSON_ACTOR.fullmatch(actor) if actor is not None else None
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class _Item:
    key: Hashable | None
    write: Callable[[], object]
    what: str
    queued_at: datetime | None
    on_drop: Callable[[], object] | None = None


@dataclass
class _Slot:
    """A place in the queue; a newer write of its key takes it over."""

    item: _Item


class DeferredWrites:
    """A queue of writes to do once the database takes writes again (module docstring).

    Writes are done in the order they were queued; a write queued under a ``key`` that is
    already waiting replaces that one in its place (the newer state of the same row), keeping
    when the first was queued. With a ``clock``, a write that waited longer than
    :data:`MAX_WAIT` is dropped and logged instead of written.

    Queueing, replacing and asking whether a key waits cost the same however long the queue
    (a lock held for hours queues an item per update).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._items: deque[_Slot] = deque()
        self._keyed: dict[Hashable, _Slot] = {}
        self._guard = threading.Lock()
        self._flushing = threading.Lock()
        self._clock = clock

    def defer(
        self,
        write: Callable[[], object],
        *,
        key: Hashable | None = None,
        what: str = "a bookkeeping write",
        on_drop: Callable[[], object] | None = None,
    ) -> None:
        """Queue ``write``; ``what`` names it in the log if it is never done (no personal
        data: ids, not texts); ``on_drop`` is called when it is dropped for waiting too long
        (:data:`MAX_WAIT`), so its owner stops serving what it held for it."""
        now = self._clock.now() if self._clock is not None else None
        with self._guard:
            queued = self._keyed.get(key) if key is not None else None
            if queued is not None:
                queued.item = _Item(key, write, what, queued.item.queued_at, on_drop)
                return
            slot = _Slot(_Item(key, write, what, now, on_drop))
            self._items.append(slot)
            if key is not None:
                self._keyed[key] = slot

    def pending(self) -> list[str]:
        """What is waiting, oldest first (its ``what``)."""
        with self._guard:
            return [slot.item.what for slot in self._items]

    def __len__(self) -> int:
        with self._guard:
            return len(self._items)

    def waiting(self, key: Hashable) -> bool:
        with self._guard:
            return key in self._keyed

    def _expired(self, item: _Item) -> bool:
        return (
            self._clock is not None
            and item.queued_at is not None
            and self._clock.now() - item.queued_at > MAX_WAIT
        )

    def _done(self, slot: _Slot, item: _Item) -> None:
        """Take ``slot`` off the queue after ``item`` was done or dropped, unless a newer
        write of its key took the slot over meanwhile (that one is done next)."""
        with self._guard:
            if not self._items or self._items[0] is not slot or slot.item is not item:
                return
            self._items.popleft()
            if item.key is not None and self._keyed.get(item.key) is slot:
                del self._keyed[item.key]

    def flush(self) -> int:
        """Do the queued writes, oldest first, until the database is still locked; how many
        were done. A write that fails otherwise (a bug, a row that became invalid) is logged
        and dropped, so it cannot hold up the others."""
        done = 0
        with self._flushing:  # one flush at a time keeps the order
            while True:
                with self._guard:
                    if not self._items:
                        return done
                    slot = self._items[0]
                    item = slot.item
                try:
                    if self._expired(item):
                        log.warning(
                            "a bookkeeping write queued over %s ago is dropped: %s",
                            MAX_WAIT,
                            item.what,
                        )
                        if item.on_drop is not None:
                            item.on_drop()
                    else:
                        item.write()
                except Withdrawn:
                    log.info(
                        "a deferred write of a person forgotten since is dropped: %s", item.what
                    )
                except AppError as err:
                    if is_write_locked(err):
                        return done
                    log.error("a deferred write failed and is dropped: %s", err.code)
                except Exception:
                    log.exception("a deferred write failed and is dropped")
                self._done(slot, item)
                done += 1

    def flush_before_stop(self, wait_s: float) -> int:
        """The last :meth:`flush` of a stopping process, given at most ``wait_s``: a write
        waits for SQLite's busy timeout (30 s by default), longer than a service manager
        waits for a stop. What is still queued then is lost, and each is named in the log.
        """
        if not len(self):
            return 0
        done: list[int] = []
        worker = threading.Thread(
            target=lambda: done.append(self.flush()), name="sinergi-last-flush", daemon=True
        )
        worker.start()
        worker.join(wait_s)
        with self._guard:
            lost = [slot.item.what for slot in self._items]
            self._items.clear()
            self._keyed.clear()
        if lost:
            log.warning(
                "%d bookkeeping writes not done before stopping (the database is write-locked"
                " by another process): %s",
                len(lost),
                "; ".join(lost),
            )
        return done[0] if done else 0
