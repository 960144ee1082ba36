"""Reads the tracker's tables for the rules, and keeps the outbox. Never commits.

Exactly once
============

A reminder is *recorded* before it is sent and *sent* by whoever *claims* it:

``pending -> claimed -> sending -> sent | failed (retried later) | undeliverable``

1. **Record.** Every due reminder becomes an outbox row with a unique ``dedup_key``
   ``kind:agreement:milestone:threshold:recipient``. Inserting is ``ON CONFLICT DO NOTHING``,
   so a reminder that was ever recorded (sent or not) is never recorded again, whatever
   process, restart or pass computed it.
2. **Claim with a lease.** A pass takes rows with one conditional ``UPDATE ... SET
   status='claimed', claim_id=:mine, lease_until=now+lease WHERE status='pending' ...``. The
   database applies that update to each row once, so two passes (the bot's job and a cron
   ``sinergi reminders send --once``) never both hold a row; each reads back only the rows
   carrying its own ``claim_id``.
3. **Sending.** Right before the Telegram call the pass commits ``status='sending'`` (fenced by
   its ``claim_id``: if its lease ran out and another pass reclaimed the rows, it stops).
4. **Mark.** Only after Telegram accepted the message is the row marked ``sent`` with the
   ``message_id`` (in the same commit as the next recipient's ``sending``, so a pass costs one
   commit per message). A transient error marks it ``failed`` with ``next_attempt_at``
   (backoff); an undeliverable one ``undeliverable``.

A process killed at any point leaves rows in ``claimed`` or ``sending`` with a lease. At the
next pass, :func:`recover_expired_leases` resolves them:

* ``claimed`` past its lease -> back to ``pending``: nothing was sent yet (the send only
  starts after ``sending`` was committed), so sending it now cannot duplicate it.
* ``sending`` past its lease -> ``unconfirmed``, **never re-sent**. The Bot API has no
  idempotency key and no way to ask "did this message arrive?", so a process that died
  between Telegram's acceptance and our commit leaves a reminder we cannot tell apart from
  one that was never sent. We choose *at most once* for that window (one HTTP round trip per
  recipient): a duplicate nag undermines trust in every later reminder, while the weekly
  digest and the next rung of the ladder still carry a lost one. ``sinergi reminders log``
  shows such rows, so an operator can follow up.

The only remaining way to send twice is a transient error that Telegram in fact accepted (a
read timeout after delivery), which the retry then repeats; Telegram's own ``RetryAfter`` and
5xx mean it was not delivered, so those retries are safe.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    Table,
    and_,
    column,
    delete,
    func,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.errors import InvalidChoice
from mou_tracker.reminders.models import (
    CLAIMED,
    FAILED,
    OUTBOX_STATUSES,
    PENDING,
    SENDING,
    SENT,
    UNCONFIRMED,
    UNDELIVERABLE,
    OutboxEntry,
    Snooze,
)
from mou_tracker.reminders.schemas import (
    OPEN_MILESTONE_STATUSES,
    AgreementFacts,
    MilestoneFacts,
)

# The tracker's tables, by their contracted names and columns. Lightweight table clauses keep
# this module independent of how the tracker spells its ORM classes.
_agreements = table(
    "agreements",
    column("id", Integer),
    column("title", String),
    column("status", String),
    column("signed_on", Date),
    column("ends_on", Date),
    column("owner_region_code", String),
)
_parties = table(
    "agreement_parties",
    column("agreement_id", Integer),
    column("position", Integer),
    column("region_code", String),
    column("document_number", String),
)
_milestones = table(
    "milestones",
    column("id", Integer),
    column("agreement_id", Integer),
    column("title", String),
    column("position", Integer),
    column("status", String),
    column("due_on", Date),
    column("responsible_region_code", String),
    column("completed_on", Date),
)

_CHUNK = 500


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- facts for the rules ------------------------------------------------------------------------


def _agreement_facts(
    session: Session, agreement_filter: ColumnElement[bool]
) -> list[AgreementFacts]:
    rows = session.execute(
        select(
            _agreements.c.id,
            _agreements.c.title,
            _agreements.c.status,
            _agreements.c.owner_region_code,
            _agreements.c.signed_on,
            _agreements.c.ends_on,
        ).where(agreement_filter)
    ).all()
    if not rows:
        return []
    parties: dict[int, list[tuple[int, str, str | None]]] = {}
    ids = select(_agreements.c.id).where(agreement_filter).scalar_subquery()
    for agreement_id, position, region_code, number in session.execute(
        select(
            _parties.c.agreement_id,
            _parties.c.position,
            _parties.c.region_code,
            _parties.c.document_number,
        ).where(_parties.c.agreement_id.in_(ids))
    ):
        parties.setdefault(agreement_id, []).append((position, region_code, number))
    out = []
    for agreement_id, title, status, owner, signed_on, ends_on in rows:
        ordered = sorted(parties.get(agreement_id, []))
        codes = tuple(dict.fromkeys(code for _, code, _ in ordered))
        number = next((n for _, _, n in ordered if n), None)
        out.append(
            AgreementFacts(
                id=agreement_id,
                title=title,
                status=status,
                owner_region_code=owner or (codes[0] if codes else ""),
                party_codes=codes,
                number=number,
                signed_on=signed_on,
                ends_on=ends_on,
            )
        )
    return out


def _milestone_facts(session: Session, where: ColumnElement[bool]) -> list[MilestoneFacts]:
    rows = session.execute(
        select(
            _milestones.c.id,
            _milestones.c.agreement_id,
            _milestones.c.title,
            _milestones.c.status,
            _milestones.c.due_on,
            _milestones.c.responsible_region_code,
            _milestones.c.position,
            _milestones.c.completed_on,
        ).where(where)
    ).all()
    return [MilestoneFacts(*row) for row in rows]


def _agreements_by_ids(session: Session, ids: Collection[int]) -> list[AgreementFacts]:
    out: list[AgreementFacts] = []
    for part in _chunks(sorted(ids)):
        out += _agreement_facts(session, _agreements.c.id.in_(part))
    return out


def load_due_facts(
    session: Session,
    *,
    due_from: date,
    due_to: date,
    ends_from: date,
    ends_to: date,
) -> tuple[list[AgreementFacts], list[MilestoneFacts]]:
    """Active agreements with an open milestone due in ``[due_from, due_to]`` or an end date in
    ``[ends_from, ends_to]``, with those milestones. The windows come from the policy, so a pass
    reads only what can possibly be due instead of the whole portfolio."""
    rows = session.execute(
        select(
            _milestones.c.id,
            _milestones.c.agreement_id,
            _milestones.c.title,
            _milestones.c.status,
            _milestones.c.due_on,
            _milestones.c.responsible_region_code,
            _milestones.c.position,
            _milestones.c.completed_on,
        )
        .select_from(_milestones.join(_agreements, _agreements.c.id == _milestones.c.agreement_id))
        .where(
            _agreements.c.status == "active",
            _milestones.c.status.in_(OPEN_MILESTONE_STATUSES),
            _milestones.c.due_on >= due_from,
            _milestones.c.due_on <= due_to,
        )
    ).all()
    milestones = [MilestoneFacts(*row) for row in rows]
    ids = {m.agreement_id for m in milestones}
    ids.update(
        session.scalars(
            select(_agreements.c.id).where(
                _agreements.c.status == "active",
                _agreements.c.ends_on >= ends_from,
                _agreements.c.ends_on <= ends_to,
            )
        )
    )
    return _agreements_by_ids(session, ids), milestones


def load_portfolio(
    session: Session, *, statuses: Collection[str] = ("active",)
) -> tuple[list[AgreementFacts], list[MilestoneFacts]]:
    """Every agreement in ``statuses`` with all its milestones (for the weekly digests)."""
    agreement_filter = _agreements.c.status.in_(sorted(statuses))
    agreements = _agreement_facts(session, agreement_filter)
    ids = select(_agreements.c.id).where(agreement_filter)
    return agreements, _milestone_facts(session, _milestones.c.agreement_id.in_(ids))


def load_portfolio_for(
    session: Session, agreement_ids: Collection[int]
) -> tuple[list[AgreementFacts], list[MilestoneFacts]]:
    """The given agreements (any status) with all their milestones."""
    ids = sorted(agreement_ids)
    agreements = _agreement_facts(session, _agreements.c.id.in_(ids))
    return agreements, _milestone_facts(session, _milestones.c.agreement_id.in_(ids))


def active_party_regions(session: Session) -> set[str]:
    """Every region that is a party to an active agreement (the digest audience)."""
    active = select(_agreements.c.id).where(_agreements.c.status == "active")
    return set(
        session.scalars(
            select(_parties.c.region_code).where(_parties.c.agreement_id.in_(active)).distinct()
        )
    )


def load_milestone(session: Session, milestone_id: int) -> MilestoneFacts | None:
    found = _milestone_facts(session, _milestones.c.id == milestone_id)
    return found[0] if found else None


# --- the outbox ---------------------------------------------------------------------------------


def existing_keys(session: Session, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` are already in the outbox (in any status)."""
    found: set[str] = set()
    ordered = sorted(keys)
    for part in _chunks(ordered):
        found.update(
            session.scalars(select(OutboxEntry.dedup_key).where(OutboxEntry.dedup_key.in_(part)))
        )
    return found


def recorded_keys_since(session: Session, trigger_from: date) -> set[str]:
    """Every outbox key whose reminder fell due on or after ``trigger_from``."""
    return set(
        session.scalars(select(OutboxEntry.dedup_key).where(OutboxEntry.trigger_on >= trigger_from))
    )


def enqueue(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping any whose ``dedup_key`` exists. Returns how many were new.

    ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL) makes concurrent passes that computed
    the same reminder agree on one row instead of failing; the count is of the keys this call
    did not find already recorded (a concurrent pass may have won some of them meanwhile).
    """
    if not rows:
        return 0
    present = existing_keys(session, [r["dedup_key"] for r in rows])
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:  # the first of equal keys in one batch wins
        unique.setdefault(row["dedup_key"], row)
    fresh = [r for key, r in unique.items() if key not in present]
    if not fresh:
        return 0
    dialect = session.get_bind().dialect.name
    outbox = cast(Table, OutboxEntry.__table__)
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(outbox)
    elif dialect == "sqlite":
        stmt = sqlite.insert(outbox)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database: {dialect}")
    # One compiled statement, executed for many parameter sets (not a huge VALUES list).
    session.execute(stmt.on_conflict_do_nothing(index_elements=["dedup_key"]), fresh)
    return len(fresh)


def recover_expired_leases(session: Session, now: datetime) -> tuple[int, int]:
    """Resolve rows left by a pass that died: (back to pending, marked unconfirmed)."""
    reclaimed = session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.status == CLAIMED, OutboxEntry.lease_until < now)
        .values(status=PENDING, claim_id=None, lease_until=None, updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    unconfirmed = session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.status == SENDING, OutboxEntry.lease_until < now)
        .values(
            status=UNCONFIRMED,
            lease_until=None,
            last_error="the sending process stopped before Telegram's answer was recorded",
            updated_at=now,
        )
    ).rowcount  # type: ignore[attr-defined]
    return int(reclaimed or 0), int(unconfirmed or 0)


def _ready(now: datetime) -> ColumnElement[bool]:
    return and_(
        OutboxEntry.telegram_id.is_not(None),
        or_(
            and_(
                OutboxEntry.status == PENDING,
                or_(OutboxEntry.next_attempt_at.is_(None), OutboxEntry.next_attempt_at <= now),
            ),
            and_(OutboxEntry.status == FAILED, OutboxEntry.next_attempt_at <= now),
        ),
    )


def claim(
    session: Session, *, now: datetime, lease_until: datetime, limit: int | None = None
) -> tuple[str, list[OutboxEntry]]:
    """Claim ready rows for one pass; returns the claim id and the rows this claim won.

    The conditional ``UPDATE`` re-checks the status row by row, so when two passes pick the
    same candidates, each row goes to exactly one of them.
    """
    claim_id = uuid.uuid4().hex
    candidates = select(OutboxEntry.id).where(_ready(now)).order_by(OutboxEntry.id)
    if limit is not None:
        candidates = candidates.limit(limit)
    ids = list(session.scalars(candidates))
    for part in _chunks(ids):
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(part), _ready(now))
            .values(status=CLAIMED, claim_id=claim_id, lease_until=lease_until, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    won = list(
        session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.claim_id == claim_id, OutboxEntry.status == CLAIMED)
            .order_by(OutboxEntry.id)
        )
    )
    return claim_id, won


def mark_sending(
    session: Session, ids: Sequence[int], *, claim_id: str, lease_until: datetime, now: datetime
) -> bool:
    """Fence: move our claimed rows to ``sending``; False if any was taken from us."""
    count = session.execute(
        update(OutboxEntry)
        .where(
            OutboxEntry.id.in_(ids),
            OutboxEntry.claim_id == claim_id,
            OutboxEntry.status == CLAIMED,
        )
        .values(status=SENDING, lease_until=lease_until, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return int(count or 0) == len(ids)


def mark_sent(
    session: Session, ids: Sequence[int], *, claim_id: str, message_id: int | None, now: datetime
) -> int:
    # UNCONFIRMED too: if our lease ran out mid-call and another pass flagged the rows, we now
    # know better and record the delivery.
    return int(
        session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id.in_(ids),
                OutboxEntry.claim_id == claim_id,
                OutboxEntry.status.in_((SENDING, UNCONFIRMED)),
            )
            .values(
                status=SENT,
                message_id=message_id,
                sent_at=now,
                lease_until=None,
                last_error=None,
                attempts=OutboxEntry.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        or 0
    )


def release(
    session: Session,
    ids: Sequence[int],
    *,
    claim_id: str,
    status: str,
    now: datetime,
    error: str | None,
    next_attempt_at: datetime | None = None,
    count_attempt: bool = True,
) -> int:
    """End our hold on rows with ``status`` (failed, undeliverable or back to pending)."""
    values: dict[str, Any] = {
        "status": status,
        "lease_until": None,
        "next_attempt_at": next_attempt_at,
        "last_error": error,
        "updated_at": now,
    }
    if count_attempt:
        values["attempts"] = OutboxEntry.attempts + 1
    if status == PENDING:
        values["claim_id"] = None
    return int(
        session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id.in_(ids),
                OutboxEntry.claim_id == claim_id,
                OutboxEntry.status.in_((CLAIMED, SENDING, UNCONFIRMED)),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        or 0
    )


def mark_undeliverable_unclaimed(
    session: Session, ids: Sequence[int], *, now: datetime, error: str
) -> int:
    """Rows that never had a reachable recipient (``region:<code>``/``admins`` placeholders)."""
    if not ids:
        return 0
    return int(
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(ids), OutboxEntry.status == PENDING)
            .values(status=UNDELIVERABLE, last_error=error, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        or 0
    )


def entries(
    session: Session,
    *,
    statuses: Collection[str] | None = None,
    ids: Collection[int] | None = None,
    dedup_keys: Collection[str] | None = None,
    recipient: str | None = None,
    limit: int | None = 100,
) -> list[OutboxEntry]:
    """Outbox rows, newest first.

    Raises:
        InvalidChoice: a status that no row can have (a typo would otherwise list nothing).
    """
    for status in statuses or ():
        if status not in OUTBOX_STATUSES:
            raise InvalidChoice("status", status, OUTBOX_STATUSES)
    stmt = select(OutboxEntry).order_by(OutboxEntry.updated_at.desc(), OutboxEntry.id.desc())
    if statuses:
        stmt = stmt.where(OutboxEntry.status.in_(sorted(statuses)))
    if ids is not None:
        stmt = stmt.where(OutboxEntry.id.in_(sorted(ids)))
    if dedup_keys is not None:
        stmt = stmt.where(OutboxEntry.dedup_key.in_(sorted(dedup_keys)))
    if recipient is not None:
        stmt = stmt.where(OutboxEntry.recipient == recipient)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
    ).all()
    return {status: int(n) for status, n in rows}


# --- snoozes ------------------------------------------------------------------------------------


def add_snooze(
    session: Session,
    *,
    agreement_id: int,
    milestone_id: int,
    telegram_id: int,
    until_at: datetime,
    now: datetime,
    created_by: str,
) -> Snooze:
    # A new snooze replaces an older one for the same user and milestone.
    session.execute(
        delete(Snooze).where(Snooze.milestone_id == milestone_id, Snooze.telegram_id == telegram_id)
    )
    row = Snooze(
        agreement_id=agreement_id,
        milestone_id=milestone_id,
        telegram_id=telegram_id,
        until_at=until_at,
        created_at=now,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def snoozes(session: Session, *, ending_after: datetime | None = None) -> list[Snooze]:
    """Snoozes, optionally only those whose time is (or was) up after ``ending_after``."""
    stmt = select(Snooze).order_by(Snooze.id)
    if ending_after is not None:
        stmt = stmt.where(Snooze.until_at > ending_after)
    return list(session.scalars(stmt))


def delete_snoozes(session: Session, ids: Collection[int]) -> None:
    if ids:
        session.execute(delete(Snooze).where(Snooze.id.in_(sorted(ids))))


__all__ = [
    "CLAIMED",
    "FAILED",
    "PENDING",
    "SENDING",
    "SENT",
    "UNCONFIRMED",
    "UNDELIVERABLE",
    "active_party_regions",
    "add_snooze",
    "claim",
    "delete_snoozes",
    "enqueue",
    "entries",
    "existing_keys",
    "load_due_facts",
    "load_milestone",
    "load_portfolio",
    "load_portfolio_for",
    "mark_sending",
    "mark_sent",
    "mark_undeliverable_unclaimed",
    "recorded_keys_since",
    "recover_expired_leases",
    "release",
    "snoozes",
    "status_counts",
]
