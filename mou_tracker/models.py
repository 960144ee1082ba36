"""Tables of the tracker: agreements, their parties and apps, milestones and the audit log.

Table and column names are a contract: the reminder rules query them directly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.db import Base, UTCDateTime
from core.text import clean_line, clean_optional_block, clean_optional_line

AGREEMENT_KINDS = ("kb", "pks", "addendum")
AGREEMENT_STATUSES = ("draft", "active", "expired", "terminated", "completed")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "blocked", "skipped")
#: Milestones that still need someone to act.
OPEN_STATUSES = ("planned", "in_progress", "blocked")


class Agreement(Base):
    """A cooperation agreement: a KB/MoU, a PKS under it, or an addendum."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    objective: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    signed_on: Mapped[date | None] = mapped_column(Date, default=None)
    ends_on: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreements.id", ondelete="SET NULL"), default=None, index=True
    )
    owner_region_code: Mapped[str] = mapped_column(String(16), index=True)
    template: Mapped[str | None] = mapped_column(String(100), default=None)
    import_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    parties: Mapped[list[AgreementParty]] = relationship(
        back_populates="agreement",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="AgreementParty.position",
    )
    apps: Mapped[list[AgreementApp]] = relationship(
        back_populates="agreement",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="AgreementApp.id",
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="agreement",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="Milestone.position",
    )

    # Text typed by people (CLI, Telegram, imported files) loses its control characters here,
    # whatever path it came by: they break the XLSX export and can spoof terminals.
    @validates("title")
    def _clean_title(self, _key: str, value: str) -> str:
        return clean_line(value)

    @validates("objective")
    def _clean_objective(self, _key: str, value: str | None) -> str | None:
        return clean_optional_block(value)


class AgreementParty(Base):
    """One signing region of an agreement, with its own document number and coordinator."""

    __tablename__ = "agreement_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(16), index=True)
    document_number: Mapped[str | None] = mapped_column(String(200), default=None)
    signatory: Mapped[str | None] = mapped_column(String(200), default=None)
    coordinator_name: Mapped[str | None] = mapped_column(String(200), default=None)
    coordinator_contact: Mapped[str | None] = mapped_column(String(200), default=None)

    agreement: Mapped[Agreement] = relationship(back_populates="parties", lazy="raise")

    @validates("document_number", "signatory", "coordinator_name", "coordinator_contact")
    def _clean_text(self, _key: str, value: str | None) -> str | None:
        return clean_optional_line(value)


class AgreementApp(Base):
    """An app the agreement replicates (Hayu.Bdg, Gampil, e-RK, ...)."""

    __tablename__ = "agreement_apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))

    agreement: Mapped[Agreement] = relationship(back_populates="apps", lazy="raise")

    @validates("name")
    def _clean_name(self, _key: str, value: str) -> str:
        return clean_line(value)


class Milestone(Base):
    """One step of carrying out an agreement, due on a date, owed by one side or by all."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    #: ``None`` means every party must act.
    responsible_region_code: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    completed_on: Mapped[date | None] = mapped_column(Date, default=None)
    evidence_note: Mapped[str | None] = mapped_column(Text, default=None)
    evidence_link: Mapped[str | None] = mapped_column(String(1000), default=None)
    evidence_file: Mapped[str | None] = mapped_column(String(1000), default=None)
    blocked_reason: Mapped[str | None] = mapped_column(Text, default=None)
    updated_by: Mapped[str | None] = mapped_column(String(100), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    agreement: Mapped[Agreement] = relationship(back_populates="milestones", lazy="raise")

    @validates("title")
    def _clean_title(self, _key: str, value: str) -> str:
        return clean_line(value)

    @validates("evidence_link", "evidence_file")
    def _clean_line(self, _key: str, value: str | None) -> str | None:
        return clean_optional_line(value)

    @validates("evidence_note", "blocked_reason")
    def _clean_block(self, _key: str, value: str | None) -> str | None:
        return clean_optional_block(value)


class AuditEntry(Base):
    """An append-only record of a change. No foreign keys: entries outlive what they describe."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    agreement_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    milestone_id: Mapped[int | None] = mapped_column(Integer, default=None)
    action: Mapped[str] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AgreementFile(Base):
    """A file kept for an agreement: its signed source document, or a milestone's evidence.

    The bytes live under the data dir, content-addressed (``path`` relative to it, named by
    ``sha256``); ``text`` is what was read from it (text layer or OCR), searchable per agreement.
    No foreign keys, like the audit log: a file record outlives a removed milestone.
    """

    __tablename__ = "agreement_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(Integer, index=True)
    milestone_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    role: Mapped[str] = mapped_column(String(16))  # "source" or "evidence"
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    kb_doc_id: Mapped[str | None] = mapped_column(String(200), default=None)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
