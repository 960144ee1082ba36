"""Tables of the reminder outbox and of the "remind me later" snoozes.

``reminder_outbox`` holds one row per reminder per recipient, keyed by a unique ``dedup_key``
(kind, agreement, milestone, threshold, recipient): the database, not the process, decides
whether a reminder was already handed out. See :mod:`mou_tracker.reminders.outbox` for the
state machine and the exactly-once argument.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime
from mou_tracker.reminders.outbox import PENDING


class OutboxEntry(Base):
    """One reminder for one recipient, from the moment it fell due until it was delivered."""

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        Index("ix_reminder_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_reminder_outbox_trigger_on", "trigger_on"),
        Index("ix_reminder_outbox_claim_id", "claim_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[int] = mapped_column(Integer)
    agreement_id: Mapped[int | None] = mapped_column(Integer, index=True)
    milestone_id: Mapped[int | None] = mapped_column(Integer)
    #: ``tg:<telegram id>``, or ``region:<code>`` / ``admins`` when nobody holds that role.
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    region_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="id")
    due_on: Mapped[date | None] = mapped_column(Date)
    trigger_on: Mapped[date] = mapped_column(Date)
    #: What the message shows (titles, region names, laggards), fixed when it fell due.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_id: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How often an operator sent it again (``unconfirmed``/``undeliverable`` -> ``pending``),
    #: who asked last (``cli:<name>``, ``tg:<telegram id>``) and when.
    resends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resent_by: Mapped[str | None] = mapped_column(String(100))
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Snooze(Base):
    """ "Remind me in 3 days": holds a milestone's reminders for one user until ``until_at``."""

    __tablename__ = "reminder_snoozes"
    __table_args__ = (Index("ix_reminder_snoozes_until_at", "until_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(Integer)
    milestone_id: Mapped[int] = mapped_column(Integer, index=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    until_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
