"""Delivering reminders exactly once: record what is due, claim it, send it, mark it.

:class:`ReminderDelivery` runs one pass (``run_pass``): it resolves the leases of a pass that
died, records what the planner says is due, then claims ready rows and hands each recipient's
group to a :class:`ReminderSender` as one :class:`ReminderMessage` (the bot renders and sends
it; tests and benchmarks fake it). Which outbox transition to take is decided here with the
rules of :mod:`mou_tracker.reminders.outbox`, where the state machine and the exactly-once
argument live.

After downtime every reminder that fell due meanwhile is claimed in the same pass and goes out
as ONE message per recipient; the weekly digests are separate messages.

Failures: an :class:`UndeliverableError` (blocked the bot, chat gone), a recipient who left or
lost the role, or a region without a coordinator marks the reminder ``undeliverable`` and tells
the admins once; a :class:`TransientSendError` is retried with backoff (Telegram's
``retry_after``, else 1, 2, 4... minutes) and given up after ``max_attempts``; an
:class:`UnconfirmedSendError` (a read timeout: it may have arrived) is never sent again.
Nothing is sent outside the recipient's working hours, retries included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

from sqlalchemy.orm import Session, sessionmaker

from core.db import is_write_locked
from core.errors import AppError, DatabaseUnavailable, InvalidInput
from mou_tracker.reminders import outbox
from mou_tracker.reminders.errors import (
    NotResendable,
    ReminderNotFound,
    ResendWithoutRecipient,
    TransientSendError,
    UnconfirmedSendError,
    UndeliverableError,
)
from mou_tracker.reminders.models import OutboxEntry
from mou_tracker.reminders.outbox import (
    DROP,
    GIVE_UP,
    HAND_BACK,
    PENDING,
    RESEND,
    RETRY_LATER,
    UNANSWERED,
)
from mou_tracker.reminders.planning import admin_notices, outbox_row
from mou_tracker.reminders.repository import ReminderRepository
from mou_tracker.reminders.rules import next_working_slot
from mou_tracker.reminders.schemas import (
    OutboxView,
    PassReport,
    ReminderEntry,
    ReminderMessage,
    ResendReport,
)
from services.deferred import DeferredWrites
from services.reminder_planning import ReminderPlanner, Roster

__all__ = ["ReminderDelivery", "ReminderSender"]


class _Delivered(NamedTuple):
    """What one recipient's group came to (:meth:`ReminderDelivery._deliver`)."""

    messages: int = 0
    reminders: int = 0
    failed: int = 0
    undeliverable: int = 0
    routed: int = 0
    """Notices sent to the admins about it."""
    unconfirmed: int = 0


class ReminderSender(Protocol):
    """Delivers a message; returns the transport's message id.

    Raises:
        TransientSendError: try again later (the outbox schedules the retry with backoff).
        UnconfirmedSendError: Telegram got the request but its answer never came: the row is
            marked ``unconfirmed`` and never sent again.
        UndeliverableError: never deliverable to this recipient (routed to the admins).
    """

    def send(self, message: ReminderMessage) -> int | None: ...


#: Deliveries Telegram accepted, to be confirmed in the next transaction the pass opens anyway.
Accepted = list[tuple[list[int], str, int | None]]


class ReminderDelivery:
    """The delivery pass and the delivery log.

    Args:
        planner: what is due, the directory, time zones and region names.
        lease: how long a claim holds rows; must exceed one send's worst-case duration.
        max_attempts: transient failures after which a reminder is given up (undeliverable).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        planner: ReminderPlanner,
        *,
        lease: timedelta,
        max_attempts: int,
        bookkeeping: sessionmaker[Session] | None = None,
    ) -> None:
        self._sf = session_factory
        # The "sent" marks wait only briefly for SQLite's write lock when they can be deferred.
        self._quick = bookkeeping or session_factory
        self._planner = planner
        self.lease = lease
        self.max_attempts = max_attempts

    # --- the pass ------------------------------------------------------------------------------

    def run_pass(
        self, *, now: datetime, sender: ReminderSender, deferred: DeferredWrites | None = None
    ) -> PassReport:
        """Record what is due at ``now`` and deliver everything ready, one message per recipient.

        Safe to run concurrently with another pass and after a crash of a previous one.
        ``deferred``: a message Telegram accepted is marked ``sent`` later, through it, if
        another process holds SQLite's write lock meanwhile (the pass then stops: its other
        writes are not bookkeeping, and the next pass does them).
        """
        roster = self._planner.roster()
        with self._sf.begin() as s:
            reclaimed, unconfirmed = ReminderRepository(s).recover_expired_leases(now)
        due = self._planner.plan(now, roster)
        routed = 0
        with self._sf.begin() as s:
            repo = ReminderRepository(s)
            recorded = repo.enqueue([outbox_row(r) for r in due], now=now)
            placeholders = [r.dedup_key for r in due if r.telegram_id is None]
            if placeholders:
                rows = repo.entries(dedup_keys=placeholders, statuses=[PENDING], limit=None)
                repo.mark_no_recipient(
                    [r.id for r in rows], now=now, error="no active recipient for this role"
                )
                routed += self._tell_admins(repo, rows, "no_recipient", now, roster)
        sent_messages = sent_reminders = failed = undeliverable = 0
        # A second round delivers what the first routed to the admins.
        for _round in range(3):
            with self._sf.begin() as s:
                claim_id, claimed = ReminderRepository(s).claim(
                    now=now, lease_until=now + self.lease
                )
                batch = [self._detach(e) for e in claimed]
            if not batch:
                break
            # Until confirmed, accepted deliveries stay ``sending``: a crash in between leaves
            # them unconfirmed, never re-sent (one commit per message instead of two).
            accepted: Accepted = []
            try:
                for group in outbox.groups(batch):
                    outcome = self._deliver(group, claim_id, now, sender, roster, accepted)
                    sent_messages += outcome.messages
                    sent_reminders += outcome.reminders
                    failed += outcome.failed
                    undeliverable += outcome.undeliverable
                    routed += outcome.routed
                    unconfirmed += outcome.unconfirmed
            except Exception:  # a failing pass still records what Telegram accepted
                self._confirm_accepted(accepted, now, deferred)
                raise
            self._confirm_accepted(accepted, now, deferred)
        return PassReport(
            at=now,
            due=len(due),
            recorded=recorded,
            messages_sent=sent_messages,
            reminders_sent=sent_reminders,
            failed=failed,
            undeliverable=undeliverable,
            routed_to_admins=routed,
            reclaimed=reclaimed,
            unconfirmed=unconfirmed,
        )

    def _confirm_accepted(
        self, accepted: Accepted, now: datetime, deferred: DeferredWrites | None
    ) -> None:
        if not accepted:
            return
        try:
            with (self._sf if deferred is None else self._quick).begin() as s:
                _confirm(ReminderRepository(s), accepted, now)
            return
        except DatabaseUnavailable as err:
            if deferred is None or not is_write_locked(err):
                raise
        later = list(accepted)
        accepted.clear()
        sf = self._sf

        def confirm_later() -> None:
            with sf.begin() as s:
                _confirm(ReminderRepository(s), later, now)

        ids = [i for group, _, _ in later for i in group]
        deferred.defer(confirm_later, what=f"reminders {ids} marked sent")

    def _deliver(
        self,
        group: list[ReminderEntry],
        claim_id: str,
        now: datetime,
        sender: ReminderSender,
        roster: Roster,
        accepted: Accepted,
    ) -> _Delivered:
        """Send one recipient's group."""
        ids = [e.id for e in group]
        first = group[0]
        # A retry, or a row left from a pass that died, may come up after hours: it waits for
        # the recipient's next working slot like a fresh reminder would.
        slot = next_working_slot(now, first.timezone, self._planner.policy)
        if slot > now:
            with self._sf.begin() as s:
                repo = ReminderRepository(s)
                _confirm(repo, accepted, now)
                _hand_back(repo, ids, claim_id, now, next_attempt_at=slot)
            return _Delivered()
        reason = (
            outbox.ineligibility(first, roster.get_user(first.telegram_id))
            if roster.available and first.telegram_id is not None
            else "no_recipient"
        )
        if reason is not None:
            with self._sf.begin() as s:
                repo = ReminderRepository(s)
                _confirm(repo, accepted, now)
                routed = self._give_up(repo, group, claim_id, now, roster, reason, attempted=False)
            return _Delivered(undeliverable=len(ids), routed=routed)
        assert first.telegram_id is not None
        with self._sf.begin() as s:
            repo = ReminderRepository(s)
            _confirm(repo, accepted, now)
            # Read again right before sending: a retry, or a reminder held for the working
            # slot, may come hours after it fell due.
            stale = _stale(repo, group)
            for reason in sorted(set(stale.values())):
                dropped = [i for i, why in stale.items() if why == reason]
                repo.release(
                    DROP, dropped, claim_id=claim_id, now=now, error=reason, count_attempt=False
                )
            group = [e for e in group if e.id not in stale]
            ids = [e.id for e in group]
            if not group:
                return _Delivered()
            if not repo.start_sending(
                ids, claim_id=claim_id, lease_until=now + self.lease, now=now
            ):
                # Our lease ran out and another pass took (some of) the rows: leave them to it.
                _hand_back(repo, ids, claim_id, now)
                return _Delivered()
        message = ReminderMessage(first.telegram_id, first.language, tuple(group), now)
        try:
            message_id = sender.send(message)
        except TransientSendError as err:
            attempts = max(e.attempts for e in group) + 1
            detail = str(err.params.get("detail") or err.code)
            with self._sf.begin() as s:
                repo = ReminderRepository(s)
                _confirm(repo, accepted, now)
                if attempts >= self.max_attempts:
                    error = f"gave up after {attempts} attempts: {err.params.get('detail')}"
                    routed = self._give_up(repo, group, claim_id, now, roster, "gave_up", error)
                    return _Delivered(undeliverable=len(ids), routed=routed)
                repo.release(
                    RETRY_LATER,
                    ids,
                    claim_id=claim_id,
                    now=now,
                    error=detail,
                    next_attempt_at=now + outbox.backoff(attempts, err.retry_after),
                )
            return _Delivered(failed=len(ids))
        except UnconfirmedSendError as err:
            # Telegram got the request and may have delivered it: at most once, never re-sent.
            with self._sf.begin() as s:
                repo = ReminderRepository(s)
                _confirm(repo, accepted, now)
                repo.release(
                    UNANSWERED,
                    ids,
                    claim_id=claim_id,
                    now=now,
                    error=str(err.params.get("detail") or err.code),
                )
            return _Delivered(unconfirmed=len(ids))
        except UndeliverableError as err:
            with self._sf.begin() as s:
                repo = ReminderRepository(s)
                _confirm(repo, accepted, now)
                error = str(err.params.get("detail") or err.code)
                routed = self._give_up(repo, group, claim_id, now, roster, "blocked", error)
            return _Delivered(undeliverable=len(ids), routed=routed)
        accepted.append((ids, claim_id, message_id))
        return _Delivered(messages=1, reminders=len(ids))

    def _give_up(
        self,
        repo: ReminderRepository,
        group: Sequence[ReminderEntry],
        claim_id: str,
        now: datetime,
        roster: Roster,
        reason: str,
        error: str | None = None,
        *,
        attempted: bool = True,
    ) -> int:
        """Mark the group undeliverable and tell the admins; returns the notices recorded.

        ``attempted``: whether a send was tried (it counts as an attempt).
        """
        repo.release(
            GIVE_UP,
            [e.id for e in group],
            claim_id=claim_id,
            now=now,
            error=error or reason,
            count_attempt=attempted,
        )
        return self._tell_admins(repo, group, reason, now, roster)

    def _tell_admins(
        self,
        repo: ReminderRepository,
        entries: Iterable[OutboxEntry | ReminderEntry],
        reason: str,
        now: datetime,
        roster: Roster,
    ) -> int:
        notices = admin_notices(
            entries,
            roster.admins(),
            reason,
            name=self._planner.name,
            default_timezone=self._planner.policy.default_timezone,
        )
        return repo.enqueue(notices, now=now)

    def _detach(self, e: OutboxEntry) -> ReminderEntry:
        """An outbox row as the sender sees it, its recipient's zone resolved."""
        payload = dict(e.payload or {})
        return ReminderEntry(
            id=e.id,
            kind=e.kind,
            threshold=e.threshold,
            agreement_id=e.agreement_id,
            milestone_id=e.milestone_id,
            recipient=e.recipient,
            telegram_id=e.telegram_id,
            region_code=e.region_code,
            language=e.language,
            due_on=e.due_on,
            trigger_on=e.trigger_on,
            payload=payload,
            attempts=e.attempts,
            timezone=str(payload.get("timezone") or self._planner.timezone_of(e.region_code)),
            resends=e.resends or 0,
        )

    # --- sending again on request ---------------------------------------------------------------

    def resend(self, ids: Sequence[int], *, by: str, now: datetime) -> ResendReport:
        """Put ``unconfirmed`` and ``undeliverable`` reminders back to ``pending`` for the next
        pass (:data:`outbox.RESEND`), which sends them as fresh reminders: in the recipient's
        working hours, dropped if what they remind of was settled meanwhile, refused again if
        the recipient still cannot receive them. Every other id is refused and left as it was.

        Args:
            by: who asked (``cli:<name>``, ``tg:<telegram id>``), kept on the row.
        """
        wanted = list(dict.fromkeys(ids))
        resent: list[int] = []
        refused: list[tuple[int, AppError]] = []
        with self._sf.begin() as s:
            repo = ReminderRepository(s)
            # An id no row can have (0, negative, beyond 64 bits) is simply not found.
            storable = [i for i in wanted if 0 < i < 2**63]
            rows = {r.id: r for r in repo.entries(ids=storable, limit=None)}
            for entry_id in wanted:
                row = rows.get(entry_id)
                if row is None:
                    refused.append((entry_id, ReminderNotFound(entry_id)))
                    continue
                if row.status not in RESEND.source:
                    refused.append((entry_id, NotResendable(entry_id, row.status)))
                    continue
                if row.telegram_id is None:
                    refused.append((entry_id, ResendWithoutRecipient(entry_id, row.recipient)))
                    continue
                note = _resend_note(row, by, now)
                if repo.resend(entry_id, status=row.status, now=now, by=by, note=note):
                    resent.append(entry_id)
                    continue
                # Another operator, or a pass's late confirmation, moved it first.
                s.expire(row)
                now_row = repo.entries(ids=[entry_id], limit=1)
                refused.append(
                    (entry_id, NotResendable(entry_id, now_row[0].status))
                    if now_row
                    else (entry_id, ReminderNotFound(entry_id))
                )
        return ResendReport(resent=tuple(resent), refused=tuple(refused))

    # --- the log -------------------------------------------------------------------------------

    def log(
        self,
        *,
        limit: int = 50,
        status: str | None = None,
        recipient: str | None = None,
    ) -> list[OutboxView]:
        """Outbox rows, newest first: what was sent, to whom, when, and what failed."""
        if limit < 1:
            raise InvalidInput(detail="limit must be at least 1")
        with self._sf.begin() as s:
            rows = ReminderRepository(s).entries(
                statuses=[status] if status else None, recipient=recipient, limit=limit
            )
            return [_view(r) for r in rows]

    def resendable(self, *, limit: int = 10) -> list[OutboxView]:
        """The newest rows an operator may send again (``unconfirmed``, ``undeliverable``)
        that have someone to send them to."""
        with self._sf.begin() as s:
            rows = ReminderRepository(s).entries(
                statuses=RESEND.source, addressed=True, limit=limit
            )
            return [_view(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """How many outbox rows are in each status."""
        with self._sf.begin() as s:
            return ReminderRepository(s).status_counts()


def _confirm(repo: ReminderRepository, accepted: Accepted, now: datetime) -> None:
    for ids, claim_id, message_id in accepted:
        repo.confirm(ids, claim_id=claim_id, message_id=message_id, now=now)
    accepted.clear()


def _hand_back(
    repo: ReminderRepository,
    ids: Sequence[int],
    claim_id: str,
    now: datetime,
    *,
    next_attempt_at: datetime | None = None,
) -> None:
    """Return claimed rows to ``pending`` without counting an attempt (nothing was sent)."""
    repo.release(
        HAND_BACK,
        ids,
        claim_id=claim_id,
        now=now,
        error=None,
        next_attempt_at=next_attempt_at,
        count_attempt=False,
    )


def _view(r: OutboxEntry) -> OutboxView:
    return OutboxView(
        id=r.id,
        kind=r.kind,
        threshold=r.threshold,
        agreement_id=r.agreement_id,
        milestone_id=r.milestone_id,
        recipient=r.recipient,
        status=r.status,
        attempts=r.attempts,
        trigger_on=r.trigger_on,
        due_on=r.due_on,
        created_at=r.created_at,
        updated_at=r.updated_at,
        sent_at=r.sent_at,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        message_id=r.message_id,
        resends=r.resends or 0,
        resent_by=r.resent_by,
        resent_at=r.resent_at,
    )


def _resend_note(row: OutboxEntry, by: str, now: datetime) -> str:
    """What the error column says after a resend, until the next outcome replaces it: who
    asked, when, and what the row was (its attempts start again from zero)."""
    was = f"was {row.status} after {row.attempts} attempt(s)"
    if row.last_error:
        was += f": {row.last_error}"
    return f"resent by {by} at {now.isoformat(timespec='minutes')}; {was}"[:2000]


def _stale(repo: ReminderRepository, group: Sequence[ReminderEntry]) -> dict[int, str]:
    """The entries of ``group`` that no longer say something true, with the reason
    (:func:`outbox.staleness`), read from the tracker as it is now."""
    agreement_ids = {e.agreement_id for e in group if e.agreement_id is not None}
    if not agreement_ids:
        return {}
    agreements, milestones = repo.load_portfolio_for(agreement_ids)
    agreement_by_id = {a.id: a for a in agreements}
    milestone_by_id = {m.id: m for m in milestones}
    out: dict[int, str] = {}
    for entry in group:
        agreement = agreement_by_id.get(entry.agreement_id or -1)
        milestone = milestone_by_id.get(entry.milestone_id or -1)
        reason = outbox.staleness(entry, agreement, milestone)
        if reason is not None:
            out[entry.id] = reason
    return out
