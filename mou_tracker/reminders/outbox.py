"""The reminder outbox's state machine: its statuses, every transition, and the delivery rules.

This module is the one place that says how a reminder row may move. The repository
(:class:`~mou_tracker.reminders.repository.ReminderRepository`) runs each :class:`Transition`
as one conditional ``UPDATE`` fenced by its source statuses; the delivery service
(:mod:`services.reminder_delivery`) decides which transition to take, with the pure rules at
the bottom of this module.

Exactly once
============

A reminder is *recorded* before it is sent and *sent* by whoever *claims* it:

``pending -> claimed -> sending -> sent | failed (retried later) | undeliverable``

1. **Record.** Every due reminder becomes an outbox row with a unique ``dedup_key``
   ``kind:agreement:milestone:threshold:recipient``. Inserting is ``ON CONFLICT DO NOTHING``,
   so a reminder that was ever recorded (sent or not) is never recorded again, whatever
   process, restart or pass computed it.
2. **Claim with a lease** (:data:`CLAIM`). A pass takes rows with one conditional ``UPDATE ...
   SET status='claimed', claim_id=:mine, lease_until=now+lease WHERE status='pending' ...``.
   The database applies that update to each row once, so two passes (the bot's job and a cron
   ``sinergi reminders send --once``) never both hold a row; each reads back only the rows
   carrying its own ``claim_id``.
3. **Sending** (:data:`START_SENDING`). Right before the Telegram call the pass commits
   ``status='sending'`` (fenced by its ``claim_id``: if its lease ran out and another pass
   reclaimed the rows, it stops).
4. **Mark** (:data:`CONFIRM`). Only after Telegram accepted the message is the row marked
   ``sent`` with the ``message_id`` (in the same commit as the next recipient's ``sending``, so
   a pass costs one commit per message). A transient error marks it ``failed`` with
   ``next_attempt_at`` (:data:`RETRY_LATER`, :func:`backoff`); an undeliverable one
   ``undeliverable`` (:data:`GIVE_UP`).

A process killed at any point leaves rows in ``claimed`` or ``sending`` with a lease. At the
next pass the expired leases are resolved:

* ``claimed`` past its lease -> back to ``pending`` (:data:`RECLAIM`): nothing was sent yet
  (the send only starts after ``sending`` was committed), so sending it now cannot duplicate it.
* ``sending`` past its lease -> ``unconfirmed`` (:data:`ABANDON`), **never re-sent**. The Bot
  API has no idempotency key and no way to ask "did this message arrive?", so a process that
  died between Telegram's acceptance and our commit leaves a reminder we cannot tell apart from
  one that was never sent. We choose *at most once* for that window (one HTTP round trip per
  recipient): a duplicate nag undermines trust in every later reminder, while the weekly
  digest and the next rung of the ladder still carry a lost one. ``sinergi reminders log``
  shows such rows, so an operator can follow up.

At most once is what the passes do by themselves. An operator who finds an ``unconfirmed``
reminder missing, or an ``undeliverable`` one whose recipient can receive it again (unblocked
the bot, got the role back), sends it again on purpose (:data:`RESEND`): the row goes back to
``pending`` with no claim, lease or retry time, and the next pass treats it as a fresh
reminder (working hours, the staleness check, the recipient's eligibility). The update is
conditional on the row still being ``unconfirmed`` or ``undeliverable``, so two operators at
once, or an operator and a pass, move it once. Who asked and when stays on the row
(``resent_by``, ``resent_at``, ``resends``).

The same doubt comes from a live pass whose request reached Telegram but whose answer did not
come back in time (a read timeout: the message may have been delivered). The sender says so
(:class:`~mou_tracker.reminders.errors.UnconfirmedSendError`) and the row becomes
``unconfirmed`` (:data:`UNANSWERED`), never re-sent. Errors that say the message was not
delivered are retried: Telegram's own ``RetryAfter`` and 5xx, and a timeout or an error while
connecting, waiting for a free connection or writing the request (nothing complete was sent).
A connection dropped while reading the answer is unconfirmed too, and so is a send the bot's
worker stopped waiting for once it had begun (``bot.jobs.SEND_TIMEOUT_S``); one that had not
begun never begins and is retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Protocol, TypeVar

from mou_tracker.reminders.schemas import (
    SETTLED_MILESTONE_STATUSES,
    AgreementFacts,
    MilestoneFacts,
)

#: Outbox statuses.
PENDING: Final = "pending"  # recorded, waiting for a sender
CLAIMED: Final = "claimed"  # taken by one pass (claim_id) until lease_until; nothing sent yet
SENDING: Final = "sending"  # the Telegram call is about to be / being made
SENT: Final = "sent"  # Telegram accepted it (message_id)
FAILED: Final = "failed"  # a transient error; retried at next_attempt_at
UNDELIVERABLE: Final = "undeliverable"  # nobody can receive it (blocked the bot, left, lost role)
UNCONFIRMED: Final = "unconfirmed"  # sent, no answer recorded: re-sent only when an operator asks
OBSOLETE: Final = "obsolete"  # no longer true when its turn came (milestone done or dropped...)

OUTBOX_STATUSES: Final = (
    PENDING,
    CLAIMED,
    SENDING,
    SENT,
    FAILED,
    UNDELIVERABLE,
    UNCONFIRMED,
    OBSOLETE,
)

#: A pass's ``claim_id`` is on rows in these statuses: only that pass may move them on.
HELD: Final = (CLAIMED, SENDING, UNCONFIRMED)


@dataclass(frozen=True)
class Transition:
    """A move of outbox rows from any of ``source`` to ``target``."""

    name: str
    source: tuple[str, ...]
    target: str
    held: bool
    """Only the pass holding the rows (by its ``claim_id``) may take it."""


#: Ready rows (pending, or failed and due for a retry) are taken by one pass.
CLAIM: Final = Transition("claim", (PENDING, FAILED), CLAIMED, held=False)
#: Right before the Telegram call; fails (changes fewer rows) if the lease was lost.
START_SENDING: Final = Transition("start_sending", (CLAIMED,), SENDING, held=True)
#: Telegram accepted the message (also after the lease ran out and the row was abandoned).
CONFIRM: Final = Transition("confirm", (SENDING, UNCONFIRMED), SENT, held=True)
#: A transient failure: tried again at ``next_attempt_at``.
RETRY_LATER: Final = Transition("retry_later", HELD, FAILED, held=True)
#: Nobody can receive it; the admins are told.
GIVE_UP: Final = Transition("give_up", HELD, UNDELIVERABLE, held=True)
#: Returned untried (outside working hours, or the lease was lost): not an attempt.
HAND_BACK: Final = Transition("hand_back", HELD, PENDING, held=True)
#: Recorded for a placeholder recipient (``region:<code>``, ``admins``): nobody to claim it.
NO_RECIPIENT: Final = Transition("no_recipient", (PENDING,), UNDELIVERABLE, held=False)
#: A dead pass's claim expired before it sent anything.
RECLAIM: Final = Transition("reclaim", (CLAIMED,), PENDING, held=False)
#: A dead pass's send expired: we cannot know whether Telegram delivered it.
ABANDON: Final = Transition("abandon", (SENDING,), UNCONFIRMED, held=False)
#: Telegram got the request and its answer never came (a read timeout): the same doubt.
UNANSWERED: Final = Transition("unanswered", (SENDING,), UNCONFIRMED, held=True)

#: An operator asks for it again (``sinergi reminders resend``, ``/kirimulang``): the next pass
#: sends it as it would a fresh reminder. Never taken by a pass.
RESEND: Final = Transition("resend", (UNCONFIRMED, UNDELIVERABLE), PENDING, held=False)

#: What it reminds of changed since it fell due (a retry hours later, a pass that waited for
#: the working slot): the milestone was done, skipped, dropped or moved, the agreement ended.
DROP: Final = Transition("drop", (CLAIMED,), OBSOLETE, held=True)

TRANSITIONS: Final = (
    CLAIM,
    START_SENDING,
    CONFIRM,
    RETRY_LATER,
    GIVE_UP,
    HAND_BACK,
    NO_RECIPIENT,
    RECLAIM,
    ABANDON,
    UNANSWERED,
    DROP,
    RESEND,
)

#: Statuses no transition leaves.
FINAL: Final = frozenset(OUTBOX_STATUSES) - {s for t in TRANSITIONS for s in t.source}


def successors(status: str) -> frozenset[str]:
    """The statuses a row in ``status`` may move to."""
    return frozenset(t.target for t in TRANSITIONS if status in t.source)


# --- delivery rules -----------------------------------------------------------------------------

#: Kinds the rules produce about one milestone or agreement (these are collapsed per recipient).
RULE_KINDS: Final = ("upcoming", "overdue", "escalation", "renewal", "snooze")
#: Kinds that are always a message of their own.
DIGEST_KINDS: Final = ("digest", "portfolio")


class Grouped(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def telegram_id(self) -> int | None: ...


E = TypeVar("E", bound=Grouped)


def groups(entries: Sequence[E]) -> list[list[E]]:
    """One message per group: per recipient, every rule reminder together (collapsed), each
    digest on its own."""
    by_key: dict[tuple[int | None, str, int], list[E]] = {}
    for e in entries:
        key = (e.telegram_id, e.kind, e.id) if e.kind in DIGEST_KINDS else (e.telegram_id, "", 0)
        by_key.setdefault(key, []).append(e)
    return list(by_key.values())


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """What the transport asked for (RetryAfter), else 1, 2, 4... minutes, at most an hour."""
    if retry_after is not None:
        return timedelta(seconds=max(int(retry_after) + 1, 1))
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


class Addressed(Protocol):
    """What :func:`ineligibility` reads about a reminder."""

    @property
    def kind(self) -> str: ...
    @property
    def telegram_id(self) -> int | None: ...
    @property
    def region_code(self) -> str | None: ...


class Recipient(Protocol):
    """What :func:`ineligibility` reads about the person (``accounts.schemas.UserView``)."""

    @property
    def role(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def region_code(self) -> str | None: ...


def ineligibility(entry: Addressed, person: Recipient | None) -> str | None:
    """Why the recipient may no longer receive ``entry`` (``None``: they still may).

    ``left`` (unknown now), ``inactive`` (blocked, pending) or ``lost_role``: admin notices and
    portfolio digests go to admins, escalations without a region to admins, the rest to the
    coordinators of the reminder's region; a snooze to whoever asked for it.
    """
    if person is None:
        return "left"
    if person.status != "active":
        return "inactive"
    if entry.kind in ("undeliverable", "portfolio"):
        return None if person.role == "admin" else "lost_role"
    if entry.kind == "snooze":
        return None
    if entry.region_code is None:  # escalations to the admins
        return None if person.role == "admin" else "lost_role"
    if person.role == "coordinator" and person.region_code == entry.region_code:
        return None
    return "lost_role"


class Reminding(Protocol):
    """What :func:`staleness` reads about a reminder."""

    @property
    def kind(self) -> str: ...
    @property
    def agreement_id(self) -> int | None: ...
    @property
    def milestone_id(self) -> int | None: ...
    @property
    def due_on(self) -> date | None: ...


def staleness(
    entry: Reminding, agreement: AgreementFacts | None, milestone: MilestoneFacts | None
) -> str | None:
    """Why ``entry`` no longer says something true (``None``: it still does), checked right
    before it is sent: a retry or a reminder held for the working slot can come hours after it
    fell due, and nobody should be nagged about a milestone done, skipped or dropped since.

    ``agreement_gone``, ``agreement_inactive`` (ended, terminated), ``milestone_gone``
    (dropped), ``milestone_settled`` (done, skipped), ``date_moved`` (the text would name a due
    or end date that no longer holds). Digests and notices to the admins are read as they
    stand and are never stale.
    """
    if entry.kind not in RULE_KINDS or entry.agreement_id is None:
        return None
    if agreement is None:
        return "agreement_gone"
    if agreement.status != "active":
        return "agreement_inactive"
    if entry.kind == "renewal":
        return "date_moved" if agreement.ends_on != entry.due_on else None
    if entry.milestone_id is None:
        return None
    if milestone is None or milestone.agreement_id != agreement.id:
        return "milestone_gone"
    if milestone.status in SETTLED_MILESTONE_STATUSES:
        return "milestone_settled"
    if entry.due_on is not None and milestone.due_on != entry.due_on:
        return "date_moved"
    return None
