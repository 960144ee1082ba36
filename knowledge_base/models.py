"""Tables of the knowledge base: documents, chunks, index metadata, questions and feedback."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class KbDocument(Base):
    """One indexed source document (its current version)."""

    __tablename__ = "kb_documents"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    app: Mapped[str | None] = mapped_column(String(100), index=True)
    doc_type: Mapped[str | None] = mapped_column(String(50), index=True)
    language: Mapped[str | None] = mapped_column(String(16), index=True)
    version: Mapped[str | None] = mapped_column(String(100))
    uploader: Mapped[str | None] = mapped_column(String(100))
    source_name: Mapped[str | None] = mapped_column(String(500))
    source_hash: Mapped[str | None] = mapped_column(String(128))
    original_path: Mapped[str | None] = mapped_column(String(1000))
    media_type: Mapped[str | None] = mapped_column(String(100))
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    """The index revision that wrote this version (readers reload documents newer than theirs)."""
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KbChunk(Base):
    """One passage of a document; ``terms`` are its BM25 terms (the keyword index's source)."""

    __tablename__ = "kb_chunks"
    __table_args__ = (Index("ix_kb_chunks_doc_position", "doc_id", "position"),)

    chunk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    doc_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("kb_documents.doc_id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(String(1000))
    page: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text, default="")
    anchors: Mapped[list[list[Any]] | None] = mapped_column(JSON, default=None)
    """``[[offset, page, section], ...]``: where each part of ``text`` stands (citations);
    ``None`` for chunks indexed before anchors were kept."""


class KbUnitVectors(Base):
    """The vectors of a chunk's units (sentences, list items, table rows), for choosing the
    sentence that answers (``knowledge_base.unit_vectors``: int8, keyed by unit text)."""

    __tablename__ = "kb_unit_vectors"

    chunk_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("kb_chunks.chunk_id", ondelete="CASCADE"), primary_key=True
    )
    vectors: Mapped[bytes] = mapped_column(LargeBinary)


# On PostgreSQL the chunk terms are also a tsvector under a GIN index: keyword search runs in
# the database (knowledge_base/pg_keyword.py). The lexemes are the stored terms as they are.
TSVECTOR_FUNCTION = """
CREATE OR REPLACE FUNCTION kb_terms_tsvector(terms text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_to_tsvector(ARRAY(
    SELECT DISTINCT t FROM unnest(string_to_array(terms, ' ')) AS t
    WHERE t <> '' AND octet_length(t) < 2047))
$$
"""
TSVECTOR_COLUMN = (
    "ALTER TABLE kb_chunks ADD COLUMN tsv tsvector "
    "GENERATED ALWAYS AS (kb_terms_tsvector(terms)) STORED"
)
GIN_INDEX = "CREATE INDEX ix_kb_chunks_tsv ON kb_chunks USING gin (tsv)"

# Alembic runs the same statements (migration 0005); these cover ``metadata.create_all``.
for _statement in (TSVECTOR_FUNCTION, TSVECTOR_COLUMN, GIN_INDEX):
    event.listen(
        KbChunk.__table__,
        "after_create",
        DDL(_statement).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
    )


class KbTermStats(Base):
    """How many live chunks hold each term (PostgreSQL keyword search; BM25's IDF)."""

    __tablename__ = "kb_term_stats"

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    df: Mapped[int] = mapped_column(Integer)


REVISION_META = "revision"
"""The ``kb_index_meta`` key of the index revision, bumped (row-locked) by every write."""


class KbIndexMeta(Base):
    """Key/value facts about the index: the embedding model that built it, its revision."""

    __tablename__ = "kb_index_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(1000))


class KbQuestion(Base):
    """A question asked, what was answered and which passages were cited (the gap log)."""

    __tablename__ = "kb_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    asked_by: Mapped[str | None] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text, default="")
    """Sorted distinct stemmed terms, for grouping similar unanswered questions."""
    language: Mapped[str] = mapped_column(String(16))
    found: Mapped[bool] = mapped_column(Boolean, index=True)
    """Whether a confident answer was given; tentative answers (shown with a caveat) are
    logged as not found, so they appear among the knowledge gaps. An answer that was
    confident but shown with the caveat only because the keyword terms were being upgraded
    (``SearchResult.held_back``) is logged as found: the caveat is a precaution, not a gap."""
    top_score: Mapped[float | None] = mapped_column(Float)
    answer: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    gap_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    """The knowledge gap this question was grouped into (set when gaps are grouped)."""
    curated_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The trainer's curated answer shown for it (it then counts as answered)."""
    key: Mapped[str | None] = mapped_column(String(40), unique=True, default=None)
    """The name its buttons carry when the entry was written later (the database was
    write-locked): made before it is written, so any worker finds it, after a restart too."""


class KbFeedback(Base):
    """A thumbs-up/down on an answer (one per user per question; the latest counts)."""

    __tablename__ = "kb_feedback"
    __table_args__ = (UniqueConstraint("question_id", "user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("kb_questions.id", ondelete="CASCADE"), index=True
    )
    user: Mapped[str] = mapped_column(String(100))
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class KbCuratedAnswer(Base):
    """A trainer's answer to an official's question, served to later questions that mean the
    same thing (its current version; earlier ones are in ``kb_curated_versions``)."""

    __tablename__ = "kb_curated_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), index=True)
    """``active`` or ``retired``."""
    author: Mapped[str] = mapped_column(String(100))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_by_name: Mapped[str] = mapped_column(String(200), default="")
    review_on: Mapped[date] = mapped_column(Date)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    retired_by: Mapped[str | None] = mapped_column(String(100), default=None)
    source_question_id: Mapped[int | None] = mapped_column(Integer, default=None)


class KbCuratedVersion(Base):
    """One version of a curated answer, kept when it is edited (the history)."""

    __tablename__ = "kb_curated_versions"
    __table_args__ = (UniqueConstraint("curated_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    curated_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("kb_curated_answers.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    edited_by: Mapped[str] = mapped_column(String(100))
    edited_by_name: Mapped[str] = mapped_column(String(200), default="")
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_on: Mapped[date] = mapped_column(Date)


class KbGap(Base):
    """A group of similar questions the knowledge base could not answer well, with the
    trainer who owns it and where it stands."""

    __tablename__ = "kb_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question: Mapped[str] = mapped_column(Text)
    """The wording that started the group."""
    normalized: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    """``open``, ``answered``, ``documented`` or ``wont_answer``."""
    owner: Mapped[str | None] = mapped_column(String(100), default=None)
    owner_name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    curated_id: Mapped[int | None] = mapped_column(Integer, default=None)
