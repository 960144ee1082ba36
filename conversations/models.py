"""Tables of the shared conversation state (see the package docstring)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class InboxUpdate(Base):
    """One Telegram update, stored before Telegram is told it arrived.

    ``update_id`` is Telegram's: a second delivery of the same update finds the row and is
    dropped. A row is pending until ``handled_at`` is set; a chat's pending rows are handled in
    ``update_id`` order, by whichever worker holds the chat's lock.
    """

    __tablename__ = "bot_updates"
    __table_args__ = (
        # What the dispatchers look for: the oldest pending update of each chat.
        Index(
            "ix_bot_updates_pending",
            "chat_key",
            "update_id",
            postgresql_where=text("handled_at IS NULL"),
            sqlite_where=text("handled_at IS NULL"),
        ),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[int] = mapped_column(BigInteger)
    """The chat the update belongs to (the user for updates without a chat, else 0)."""
    user_key: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    """The update as Telegram sent it (JSON)."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """How many times a worker began handling it (more than one: a worker died meanwhile)."""
    worker: Mapped[str | None] = mapped_column(String(100))
    """The worker that last began handling it."""
    outcome: Mapped[str | None] = mapped_column(String(200))


class ConversationData(Base):
    """A user's or a chat's conversation data (recent questions, drafts), encoded by the bot."""

    __tablename__ = "bot_data"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    """``user`` or ``chat``."""
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dialog(Base):
    """Where an open dialog of one chat and user stands (a conversation handler's state).

    ``version`` grows with every write; a write that expected another version (a worker's
    stale timer ending a dialog another worker continued) changes nothing. Past
    ``expires_at`` the dialog is over, whichever worker looks.
    """

    __tablename__ = "bot_dialogs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    """The conversation key as JSON (``[chat_id, user_id]``)."""
    state: Mapped[str] = mapped_column(String(200))
    """The state as JSON."""
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrainerThread(Base):
    """A question forwarded to the trainers: a reply to ``message_id`` in ``chat_id`` goes back
    to the official who asked.

    When the official is forgotten (``sinergi users forget``) the thread stays without them
    (``asker_*`` empty, their name blanked out of the question): a trainer's reply still becomes
    a curated answer, it just reaches nobody.
    """

    __tablename__ = "bot_trainer_threads"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    question: Mapped[str] = mapped_column(Text)
    asker_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    asker_user_id: Mapped[int | None] = mapped_column(BigInteger)
    asker_language: Mapped[str] = mapped_column(String(8))
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger)
    question_id: Mapped[int | None] = mapped_column(Integer)
    """The question in the log (``kb_questions``) a trainer's reply becomes the curated answer
    of; no foreign key, as the conversations stand apart from the knowledge base."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateEvent(Base):
    """One counted action (a question asked) for a sliding-window limit."""

    __tablename__ = "bot_rate_events"
    __table_args__ = (Index("ix_bot_rate_events_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
