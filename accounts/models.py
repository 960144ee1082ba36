"""Tables of accounts: users (and their access requests), agreement bindings, invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.db import Base, UTCDateTime
from core.text import clean_line, clean_optional_line


class User(Base):
    """A person who uses Sinergi through Telegram (or the terminal chat).

    A new user's access request is a row with ``status="pending"``; approval makes it active.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(32), default=None)
    language: Mapped[str] = mapped_column(String(8), default="id")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    agreements: Mapped[list[UserAgreement]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_users_role_status", "role", "status"),
        Index("ix_users_region_code", "region_code"),
    )

    # Names come from Telegram as their owners typed them: a right-to-left override or other
    # control character would turn the rest of an admin's line around (spoofing who asks).
    @validates("name")
    def _clean_name(self, _key: str, value: str) -> str:
        return clean_line(value or "")[:200]

    @validates("username")
    def _clean_username(self, _key: str, value: str | None) -> str | None:
        return clean_optional_line(value)


class UserAgreement(Base):
    """A coordinator bound to an agreement (the agreement lives in the tracker: no FK across)."""

    __tablename__ = "user_agreements"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    agreement_id: Mapped[int] = mapped_column(Integer, primary_key=True)

    user: Mapped[User] = relationship(back_populates="agreements", lazy="raise")


class Invite(Base):
    """A one-time code that lets its holder in directly with a given role and region."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(32), default=None)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ForgetEvent(Base):
    """That someone was forgotten (``sinergi users forget``), and when; never who.

    Writes the bot queued while the database was write-locked may run after a forget in
    another process; a queued write of a person checks for a forget since it was queued and
    is dropped when that person has no account from before it (``services.deferred``).
    """

    __tablename__ = "forget_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forgotten_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
