"""Every query of the reminders: the tracker's facts for the rules, the outbox, the snoozes.

Never commits: the service owns the unit of work. The outbox's transitions are the ones
declared in :mod:`mou_tracker.reminders.outbox` (the state machine and the exactly-once
argument live there); each runs as one conditional ``UPDATE`` fenced by its source statuses.
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
    literal,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db import UTCDateTime, row_dict
from core.errors import InvalidChoice
from mou_tracker.reminders.models import OutboxEntry, Snooze
from mou_tracker.reminders.outbox import (
    ABANDON,
    CLAIM,
    CONFIRM,
    FAILED,
    NO_RECIPIENT,
    OUTBOX_STATUSES,
    PENDING,
    RECLAIM,
    RESEND,
    START_SENDING,
    Transition,
)
from mou_tracker.reminders.schemas import (
    OPEN_MILESTONE_STATUSES,
    AgreementFacts,
    MilestoneFacts,
    OutboxRow,
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
    column("created_at", UTCDateTime),
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
_MILESTONE_FACTS = (
    _milestones.c.id,
    _milestones.c.agreement_id,
    _milestones.c.title,
    _milestones.c.status,
    _milestones.c.due_on,
    _milestones.c.responsible_region_code,
    _milestones.c.position,
    _milestones.c.completed_on,
)
"""The columns of a milestone, in the order of :class:`MilestoneFacts`."""

_CHUNK = 500


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ReminderRepository:
    """Reads the facts the reminder rules need; keeps the outbox and the snoozes."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # --- facts for the rules -------------------------------------------------------------------

    def _agreement_facts(self, agreement_filter: ColumnElement[bool]) -> list[AgreementFacts]:
        rows = self.s.execute(
            select(
                _agreements.c.id,
                _agreements.c.title,
                _agreements.c.status,
                _agreements.c.owner_region_code,
                _agreements.c.signed_on,
                _agreements.c.ends_on,
                _agreements.c.created_at,
            ).where(agreement_filter)
        ).all()
        if not rows:
            return []
        parties: dict[int, list[tuple[int, str, str | None]]] = {}
        ids = select(_agreements.c.id).where(agreement_filter).scalar_subquery()
        for agreement_id, position, region_code, number in self.s.execute(
            select(
                _parties.c.agreement_id,
                _parties.c.position,
                _parties.c.region_code,
                _parties.c.document_number,
            ).where(_parties.c.agreement_id.in_(ids))
        ):
            parties.setdefault(agreement_id, []).append((position, region_code, number))
        out = []
        for agreement_id, title, status, owner, signed_on, ends_on, created_at in rows:
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
                    recorded_on=created_at.date() if created_at is not None else None,
                )
            )
        return out

    def _milestone_facts(self, where: ColumnElement[bool]) -> list[MilestoneFacts]:
        rows = self.s.execute(select(*_MILESTONE_FACTS).where(where)).all()
        return [MilestoneFacts(*row) for row in rows]

    def _agreements_by_ids(self, ids: Collection[int]) -> list[AgreementFacts]:
        out: list[AgreementFacts] = []
        for part in _chunks(sorted(ids)):
            out += self._agreement_facts(_agreements.c.id.in_(part))
        return out

    def load_due_facts(
        self,
        *,
        due_from: date,
        due_to: date,
        ends_from: date,
        ends_to: date,
        last_escalation: int | None = None,
        today: date | None = None,
    ) -> tuple[list[AgreementFacts], list[MilestoneFacts]]:
        """Active agreements with an open milestone due in ``[due_from, due_to]`` or an end date in
        ``[ends_from, ends_to]``, with those milestones. The windows come from the policy, so a pass
        reads only what can possibly be due instead of the whole portfolio.

        With ``last_escalation`` (the escalation ladder's last threshold) also the open
        milestones due before ``due_from`` of agreements still running on ``today`` whose last
        escalation for that due date is not in the outbox yet: the ones an outage may have
        kept from escalating. Once escalated they are not read again.
        """
        columns = _MILESTONE_FACTS
        joined = _milestones.join(_agreements, _agreements.c.id == _milestones.c.agreement_id)
        open_ = (
            _agreements.c.status == "active",
            _milestones.c.status.in_(OPEN_MILESTONE_STATUSES),
        )
        rows = list(
            self.s.execute(
                select(*columns)
                .select_from(joined)
                .where(*open_, _milestones.c.due_on >= due_from, _milestones.c.due_on <= due_to)
            ).all()
        )
        if last_escalation is not None and today is not None:
            escalated = (
                select(OutboxEntry.id)
                .where(
                    OutboxEntry.agreement_id == _milestones.c.agreement_id,
                    OutboxEntry.milestone_id == _milestones.c.id,
                    OutboxEntry.kind == "escalation",
                    OutboxEntry.threshold == last_escalation,
                    OutboxEntry.due_on == _milestones.c.due_on,
                )
                .exists()
            )
            rows += self.s.execute(
                select(*columns)
                .select_from(joined)
                .where(
                    *open_,
                    _milestones.c.due_on < due_from,
                    or_(_agreements.c.ends_on.is_(None), _agreements.c.ends_on >= today),
                    self._fell_after_recording(last_escalation),
                    ~escalated,
                )
            ).all()
        milestones = [MilestoneFacts(*row) for row in rows]
        ids = {m.agreement_id for m in milestones}
        ids.update(
            self.s.scalars(
                select(_agreements.c.id).where(
                    _agreements.c.status == "active",
                    _agreements.c.ends_on >= ends_from,
                    _agreements.c.ends_on <= ends_to,
                )
            )
        )
        return self._agreements_by_ids(ids), milestones

    def _fell_after_recording(self, days: int) -> ColumnElement[bool]:
        """The rung ``days`` after a milestone's due date fell on or after the day its
        agreement was recorded (a day of slack for the database's time zone: the rules decide
        exactly). Keeps an import of old agreements, whose history never escalates, from being
        read again by every pass."""
        dialect = self.s.get_bind().dialect.name
        if dialect == "postgresql":
            rung = _milestones.c.due_on + sql_cast(literal(days + 1), Integer)
            return rung >= sql_cast(_agreements.c.created_at, Date)
        if dialect == "sqlite":
            rung_text = func.date(_milestones.c.due_on, f"+{days + 1} days")
            return rung_text >= func.date(_agreements.c.created_at)
        return true()

    def load_portfolio(
        self, *, statuses: Collection[str] = ("active",)
    ) -> tuple[list[AgreementFacts], list[MilestoneFacts]]:
        """Every agreement in ``statuses`` with all its milestones (for the weekly digests)."""
        agreement_filter = _agreements.c.status.in_(sorted(statuses))
        agreements = self._agreement_facts(agreement_filter)
        ids = select(_agreements.c.id).where(agreement_filter)
        return agreements, self._milestone_facts(_milestones.c.agreement_id.in_(ids))

    def load_portfolio_for(
        self, agreement_ids: Collection[int]
    ) -> tuple[list[AgreementFacts], list[MilestoneFacts]]:
        """The given agreements (any status) with all their milestones."""
        ids = sorted(agreement_ids)
        agreements = self._agreement_facts(_agreements.c.id.in_(ids))
        return agreements, self._milestone_facts(_milestones.c.agreement_id.in_(ids))

    def active_party_regions(self) -> set[str]:
        """Every region that is a party to an active agreement (the digest audience)."""
        active = select(_agreements.c.id).where(_agreements.c.status == "active")
        return set(
            self.s.scalars(
                select(_parties.c.region_code).where(_parties.c.agreement_id.in_(active)).distinct()
            )
        )

    def load_milestone(self, milestone_id: int) -> MilestoneFacts | None:
        found = self._milestone_facts(_milestones.c.id == milestone_id)
        return found[0] if found else None

    # --- the outbox ----------------------------------------------------------------------------

    def existing_keys(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are already in the outbox (in any status)."""
        found: set[str] = set()
        for part in _chunks(sorted(keys)):
            found.update(
                self.s.scalars(select(OutboxEntry.dedup_key).where(OutboxEntry.dedup_key.in_(part)))
            )
        return found

    def enqueue(self, rows: Sequence[OutboxRow], *, now: datetime) -> int:
        """Record rows as ``pending``, skipping any whose ``dedup_key`` exists; returns how many
        were new.

        ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL) makes concurrent passes that computed
        the same reminder agree on one row instead of failing; the count is of the keys this call
        did not find already recorded (a concurrent pass may have won some of them meanwhile).
        """
        if not rows:
            return 0
        present = self.existing_keys([r.dedup_key for r in rows])
        unique: dict[str, OutboxRow] = {}
        for row in rows:  # the first of equal keys in one batch wins
            unique.setdefault(row.dedup_key, row)
        fresh = [_values(r, now) for key, r in unique.items() if key not in present]
        if not fresh:
            return 0
        dialect = self.s.get_bind().dialect.name
        outbox = cast(Table, OutboxEntry.__table__)
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(outbox)
        elif dialect == "sqlite":
            stmt = sqlite.insert(outbox)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database: {dialect}")
        # One compiled statement, executed for many parameter sets (not a huge VALUES list).
        self.s.execute(stmt.on_conflict_do_nothing(index_elements=["dedup_key"]), fresh)
        return len(fresh)

    def recover_expired_leases(self, now: datetime) -> tuple[int, int]:
        """Resolve rows left by a pass that died: (back to pending, marked unconfirmed)."""
        reclaimed = self._move(
            RECLAIM,
            OutboxEntry.lease_until < now,
            claim_id=None,
            lease_until=None,
            updated_at=now,
        )
        unconfirmed = self._move(
            ABANDON,
            OutboxEntry.lease_until < now,
            lease_until=None,
            last_error="the sending process stopped before Telegram's answer was recorded",
            updated_at=now,
        )
        return reclaimed, unconfirmed

    def claim(
        self, *, now: datetime, lease_until: datetime, limit: int | None = None
    ) -> tuple[str, list[OutboxEntry]]:
        """Claim ready rows for one pass; returns the claim id and the rows this claim won.

        The conditional ``UPDATE`` re-checks the status row by row, so when two passes pick the
        same candidates, each row goes to exactly one of them.
        """
        claim_id = uuid.uuid4().hex
        candidates = select(OutboxEntry.id).where(_ready(now)).order_by(OutboxEntry.id)
        if limit is not None:
            candidates = candidates.limit(limit)
        ids = list(self.s.scalars(candidates))
        for part in _chunks(ids):
            self._move(
                CLAIM,
                OutboxEntry.id.in_(part),
                _ready(now),
                claim_id=claim_id,
                lease_until=lease_until,
                updated_at=now,
            )
        won = list(
            self.s.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.claim_id == claim_id, OutboxEntry.status == CLAIM.target)
                .order_by(OutboxEntry.id)
            )
        )
        return claim_id, won

    def start_sending(
        self, ids: Sequence[int], *, claim_id: str, lease_until: datetime, now: datetime
    ) -> bool:
        """Fence: move our claimed rows to ``sending``; False if any was taken from us."""
        moved = self._move(
            START_SENDING,
            OutboxEntry.id.in_(ids),
            OutboxEntry.claim_id == claim_id,
            lease_until=lease_until,
            updated_at=now,
        )
        return moved == len(ids)

    def confirm(
        self, ids: Sequence[int], *, claim_id: str, message_id: int | None, now: datetime
    ) -> int:
        """Telegram accepted the message (also after our lease ran out and another pass flagged
        the rows unconfirmed: we now know better)."""
        return self._move(
            CONFIRM,
            OutboxEntry.id.in_(ids),
            OutboxEntry.claim_id == claim_id,
            message_id=message_id,
            sent_at=now,
            lease_until=None,
            last_error=None,
            attempts=OutboxEntry.attempts + 1,
            updated_at=now,
        )

    def release(
        self,
        transition: Transition,
        ids: Sequence[int],
        *,
        claim_id: str,
        now: datetime,
        error: str | None,
        next_attempt_at: datetime | None = None,
        count_attempt: bool = True,
    ) -> int:
        """End our hold on rows: retry later, give up, or hand back (a held transition)."""
        if not transition.held:
            raise ValueError(f"{transition.name} is not taken by the pass holding the rows")
        values: dict[str, Any] = {
            "lease_until": None,
            "next_attempt_at": next_attempt_at,
            "last_error": error,
            "updated_at": now,
        }
        if count_attempt:
            values["attempts"] = OutboxEntry.attempts + 1
        if transition.target == PENDING:
            values["claim_id"] = None
        return self._move(
            transition, OutboxEntry.id.in_(ids), OutboxEntry.claim_id == claim_id, **values
        )

    def mark_no_recipient(self, ids: Sequence[int], *, now: datetime, error: str) -> int:
        """Rows that never had a reachable recipient (``region:<code>``/``admins`` placeholders)."""
        if not ids:
            return 0
        return self._move(NO_RECIPIENT, OutboxEntry.id.in_(ids), last_error=error, updated_at=now)

    def resend(self, entry_id: int, *, status: str, now: datetime, by: str, note: str) -> bool:
        """An operator's resend: the row back to ``pending``, free of any claim, lease or retry
        time, its attempts counted afresh (``note``, in the error column, says what they were),
        who asked recorded. Fenced by the status the operator saw: of two resends at once, or a
        resend and a pass's late confirmation, one moves the row. False: it had moved on."""
        return bool(
            self._move(
                RESEND,
                OutboxEntry.id == entry_id,
                OutboxEntry.status == status,
                OutboxEntry.telegram_id.is_not(None),
                claim_id=None,
                lease_until=None,
                next_attempt_at=None,
                attempts=0,
                last_error=note,
                resends=OutboxEntry.resends + 1,
                resent_by=by,
                resent_at=now,
                updated_at=now,
            )
        )

    def _move(self, transition: Transition, *where: ColumnElement[bool], **values: Any) -> int:
        """Run ``transition`` on the rows matching ``where``; returns how many moved."""
        result = self.s.execute(
            update(OutboxEntry)
            .where(OutboxEntry.status.in_(transition.source), *where)
            .values(status=transition.target, **values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def entries(
        self,
        *,
        statuses: Collection[str] | None = None,
        ids: Collection[int] | None = None,
        dedup_keys: Collection[str] | None = None,
        recipient: str | None = None,
        addressed: bool = False,
        limit: int | None = 100,
    ) -> list[OutboxEntry]:
        """Outbox rows, newest first; ``addressed``: only those to a person (not a
        ``region:<code>``/``admins`` placeholder).

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
        if addressed:
            stmt = stmt.where(OutboxEntry.telegram_id.is_not(None))
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(self.s.scalars(stmt))

    def status_counts(self) -> dict[str, int]:
        rows = self.s.execute(
            select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
        ).all()
        return {status: int(n) for status, n in rows}

    # --- snoozes -------------------------------------------------------------------------------

    def add_snooze(
        self,
        *,
        agreement_id: int,
        milestone_id: int,
        telegram_id: int,
        until_at: datetime,
        now: datetime,
        created_by: str,
    ) -> Snooze:
        # A new snooze replaces an older one for the same user and milestone.
        self.s.execute(
            delete(Snooze).where(
                Snooze.milestone_id == milestone_id, Snooze.telegram_id == telegram_id
            )
        )
        row = Snooze(
            agreement_id=agreement_id,
            milestone_id=milestone_id,
            telegram_id=telegram_id,
            until_at=until_at,
            created_at=now,
            created_by=created_by,
        )
        self.s.add(row)
        self.s.flush()
        return row

    def snoozes(self, *, ending_after: datetime | None = None) -> list[Snooze]:
        """Snoozes, optionally only those whose time is (or was) up after ``ending_after``."""
        stmt = select(Snooze).order_by(Snooze.id)
        if ending_after is not None:
            stmt = stmt.where(Snooze.until_at > ending_after)
        return list(self.s.scalars(stmt))

    # --- personal data (UU 27/2022) ------------------------------------------------------------

    def personal_data(self, telegram_id: int, names: Sequence[str]) -> dict[str, Any]:
        """The reminders addressed to the person and the snoozes they set."""
        outbox = select(OutboxEntry).where(
            or_(OutboxEntry.telegram_id == telegram_id, OutboxEntry.recipient.in_(names))
        )
        snoozes = select(Snooze).where(Snooze.telegram_id == telegram_id)
        # Reminders they sent again: that they asked, and when (the recipient is another's).
        resent = select(OutboxEntry.id, OutboxEntry.kind, OutboxEntry.resent_at).where(
            OutboxEntry.resent_by.in_(names)
        )
        return {
            "reminders": [row_dict(r) for r in self.s.scalars(outbox.order_by(OutboxEntry.id))],
            "snoozes": [row_dict(r) for r in self.s.scalars(snoozes.order_by(Snooze.id))],
            "reminders_resent": [
                {"id": i, "kind": kind, "resent_at": at}
                for i, kind, at in self.s.execute(resent.order_by(OutboxEntry.id))
            ],
        }

    def forget_person(
        self, telegram_id: int, names: Sequence[str], pseudonym: str | None = None
    ) -> dict[str, int]:
        """Delete the person's reminders (whatever their state: nobody is left to send them
        to) and snoozes. A deleted reminder is not planned again: the person is gone from the
        audience. Reminders of others they sent again keep that it was done, under
        ``pseudonym``."""
        reminders = self.s.execute(
            delete(OutboxEntry).where(
                or_(OutboxEntry.telegram_id == telegram_id, OutboxEntry.recipient.in_(names))
            )
        )
        snoozes = self.s.execute(delete(Snooze).where(Snooze.telegram_id == telegram_id))
        resent = 0
        if pseudonym is not None:
            for name in names:
                # The resend's note in the error column names them too ("resent by tg:1 at").
                note = func.replace(
                    OutboxEntry.last_error, f"resent by {name} at", f"resent by {pseudonym} at"
                )
                self.s.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.last_error.contains(f"resent by {name} at"))
                    .values(last_error=note)
                    .execution_options(synchronize_session=False)
                )
                moved = self.s.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.resent_by == name)
                    .values(resent_by=pseudonym)
                    .execution_options(synchronize_session=False)
                )
                resent += int(moved.rowcount or 0)  # type: ignore[attr-defined]
        return {
            "reminders": int(reminders.rowcount or 0),  # type: ignore[attr-defined]
            "snoozes": int(snoozes.rowcount or 0),  # type: ignore[attr-defined]
            "resends_pseudonymised": resent,
        }


def _ready(now: datetime) -> ColumnElement[bool]:
    """Claimable: pending (and not waiting for a working slot) or failed and due for a retry."""
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


def _values(row: OutboxRow, now: datetime) -> dict[str, Any]:
    return {
        "dedup_key": row.dedup_key,
        "kind": row.kind,
        "threshold": row.threshold,
        "agreement_id": row.agreement_id,
        "milestone_id": row.milestone_id,
        "recipient": row.recipient,
        "telegram_id": row.telegram_id,
        "region_code": row.region_code,
        "language": row.language,
        "due_on": row.due_on,
        "trigger_on": row.trigger_on,
        "payload": dict(row.payload),
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }
