"""What leaves the conversations package: frozen values, never rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class PendingUpdate:
    """An update waiting in the inbox."""

    update_id: int
    chat_key: int
    user_key: int | None
    payload: str
    attempts: int
    received_at: datetime


@dataclass(frozen=True)
class DialogState:
    """A dialog's stored state and the version a write must expect."""

    name: str
    key: str
    state: str
    version: int


@dataclass(frozen=True)
class ThreadView:
    """Where a trainer's reply to a forwarded question goes."""

    question: str
    asker_chat_id: int | None
    """``None`` once the official was forgotten: the reply reaches nobody."""
    asker_user_id: int | None
    asker_language: str
    reply_to_message_id: int | None
    question_id: int | None = None
    """The question in the log (a trainer's reply to it becomes a curated answer)."""


@dataclass(frozen=True)
class InboxStats:
    """How the inbox stands: for health checks and the operator."""

    pending: int
    oldest_pending_at: datetime | None
    retried: int
    """Pending updates a worker already began (and died, or is handling now)."""


@dataclass(frozen=True)
class UpdateRecord:
    """What became of a stored update: who handled it, when, at which attempt."""

    update_id: int
    chat_key: int
    attempts: int
    worker: str | None
    outcome: str | None
    handled_at: datetime | None


class RateDecision(StrEnum):
    """What a rate limit says to one more action."""

    ALLOWED = "allowed"
    REFUSED = "refused"
    """Over the limit, and the first refusal in the window: tell the user once."""
    REFUSED_QUIETLY = "refused_quietly"
    """Over the limit, and the user was already told in this window: say nothing again."""
