"""Data that crosses the knowledge base's boundary: frozen dataclasses, never ORM rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from knowledge_base.query import Query

SearchMode = Literal["hybrid", "dense", "keyword"]


@dataclass(frozen=True)
class DocumentInput:
    """One source document as the ingestion hands it to the index.

    ``doc_id`` is stable per source document: a new upload of the same document replaces the old
    version.
    """

    doc_id: str
    title: str
    app: str | None = None
    doc_type: str | None = None
    language: str | None = None
    version: str | None = None
    uploader: str | None = None
    source_name: str | None = None
    source_hash: str | None = None
    original_path: str | None = None
    media_type: str | None = None


Anchor = tuple[int, int | None, str | None]
"""``(offset, page, section)``: from ``offset`` in a chunk's text on, the text stands on this
page, in this section or article ("Pasal 12 ayat (2)")."""


@dataclass(frozen=True)
class ChunkInput:
    """One passage of a document; ``text`` already carries the "title > section" prefix.

    ``anchors`` locate the parts of the text (see :data:`Anchor`), in offset order; without
    them the whole chunk stands at ``page`` and ``section``.
    """

    text: str
    section: str | None = None
    page: int | None = None
    position: int = 0
    anchors: tuple[Anchor, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DocumentInfo(DocumentInput):
    """A document as it is indexed now."""

    chunk_count: int
    ingested_at: datetime


@dataclass(frozen=True)
class SearchFilters:
    """Restrict a search to one app, document type and/or language (``None`` = any)."""

    app: str | None = None
    doc_type: str | None = None
    language: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.app is None and self.doc_type is None and self.language is None


@dataclass(frozen=True)
class SearchHit:
    """One retrieved passage with its fused score and the scores of each search.

    ``score`` is the fused relevance in ``[0, 1]`` (the abstention threshold applies to it);
    ``dense_score`` is the cosine similarity, ``keyword_score`` the raw BM25 score (``None`` when
    that search did not return the passage).
    """

    chunk_id: str
    doc_id: str
    title: str
    text: str
    section: str | None
    page: int | None
    position: int
    score: float
    dense_score: float | None = None
    keyword_score: float | None = None
    app: str | None = None
    doc_type: str | None = None
    language: str | None = None
    coverage: float = 0.0
    """Share of the query's (IDF-weighted) terms found in the passage, ``[0, 1]``."""
    anchors: tuple[Anchor, ...] = ()
    """Where the parts of ``text`` stand (page, section); empty for chunks indexed before
    anchors were kept (the whole chunk then stands at ``page`` and ``section``)."""
    rerank_score: float | None = None
    """The blended score a configured cross-encoder ordered this hit by (else ``None``)."""


@dataclass(frozen=True)
class SearchResult:
    """Hits plus the verdict on whether they are relevant enough to answer from."""

    hits: tuple[SearchHit, ...]
    confident: bool
    tentative: bool = False
    """Not confident, but close enough to show with a caveat (see ``fusion``)."""
    query: Query | None = None
    """The question as the searches read it (formal words, typos corrected, synonyms)."""
    query_vector: Any = field(default=None, compare=False, repr=False)
    """The question's embedding (a float32 array; ``None`` for a keyword-only search): the
    answer compares it with the units' stored vectors."""
    terms_stale: bool = False
    """Searched while the stored keyword terms are being upgraded to a new normalisation
    (``KnowledgeIndex.terms_current`` false): a keyword match may have been missed, so no
    answer from these hits is given as confident (``knowledge_base.terms_upgrade``)."""
    held_back: bool = False
    """Confident by its scores, but held back to tentative because ``terms_stale``."""
    unit_vectors: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The stored unit vectors the search already read (chunk id -> ``UnitVectors``), so the
    answer does not read them again (``KnowledgeIndex.unit_similarities``)."""
    unit_cosines: Mapping[str, Mapping[bytes, float]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """The question's cosine with each unit of the passages in ``unit_vectors`` (chunk id ->
    unit key -> cosine), computed once for the ranking by sentences: the answer and the
    refusal's neighbourhood cosine reuse them instead of computing them again."""


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: which document, where in it, and what was taken."""

    number: int
    doc_id: str
    title: str
    section: str | None
    page: int | None
    score: float
    snippet: str
    chunk_id: str = ""
    page_end: int | None = None
    """The last page of the quoted text when it runs over more than one page."""
    quotes: tuple[tuple[int, int], ...] = ()
    """``(start, end)`` offsets of the quoted sentences in the cited passage's text."""


@dataclass(frozen=True)
class IndexCheck:
    """Whether every passage in the database has its vector, and every vector its passage.

    A restore from backups taken at different moments (the database, the Chroma folder)
    leaves passages without vectors (invisible to the dense search) or vectors without
    passages (never returned, only disk). ``repaired``: both were fixed by this check.
    """

    chunks: int
    vectors: int
    missing: int
    orphans: int
    repaired: bool = False
    damaged_units: int = 0
    """Passages whose stored sentence (unit) vectors cannot be used: another model's, damaged
    (NaN scales) or of another width. An answer reading one embeds it again while the
    official waits; ``repair`` does it now."""

    @property
    def consistent(self) -> bool:
        return self.repaired or (
            self.missing == 0 and self.orphans == 0 and self.damaged_units == 0
        )
