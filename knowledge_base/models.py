"""Tables of the knowledge base: documents, chunks, index metadata, questions and feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
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
    logged as not found, so they appear among the knowledge gaps."""
    top_score: Mapped[float | None] = mapped_column(Float)
    answer: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


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
