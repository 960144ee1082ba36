"""Where keyword search runs: in this process (BM25 arrays), or in the database (PostgreSQL).

:class:`KeywordStore` is what :class:`knowledge_base.index.KnowledgeIndex` asks of the keyword
side, and it includes the facts about the live passages that the dense side needs too (which
chunks are live, which ones a filter allows), so the index itself holds nothing corpus-sized:

* :class:`InProcessKeywordStore` (SQLite, and PostgreSQL on request): the BM25 index lives in
  memory, restored from the chunk rows and following other processes' writes through the
  index revision. Memory grows with the corpus; every process holds a copy.
* :class:`knowledge_base.pg_keyword.PostgresKeywordStore`: full-text search in PostgreSQL (a
  GIN index finds candidates, BM25 ranks them); a process holds only small caches, so any
  number of workers can share one database.

Both score with the same BM25 (k1 = 1.2, b = 0.75) over the same stored terms
(:class:`knowledge_base.keyword.TextNormalizer`), so they rank alike (docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge_base.keyword import KeywordIndex
from knowledge_base.models import KbChunk, KbDocument
from knowledge_base.schemas import SearchFilters

QueryTerms = Sequence[str] | Mapping[str, float]
"""A query's terms in order (repeats count), or term -> weight."""
Concept = tuple[Sequence[str], Sequence[Sequence[str]]]
"""A question's concept: its own terms, and the alternatives (term sequences) that stand for it."""


def same_filter_value(wanted: str | None, value: str | None) -> bool:
    """Whether a document's ``value`` passes a filter's ``wanted`` (case-insensitive)."""
    return wanted is None or (value is not None and value.casefold() == wanted.casefold())


def passes(
    filters: SearchFilters | None, app: str | None, doc_type: str | None, lang: str | None
) -> bool:
    """Whether a document with these fields passes ``filters`` (none: everything passes)."""
    if filters is None:
        return True
    return (
        same_filter_value(filters.app, app)
        and same_filter_value(filters.doc_type, doc_type)
        and same_filter_value(filters.language, lang)
    )


class KeywordStore(Protocol):
    """The keyword side of the index and the registry of live passages.

    ``follow`` runs under the index's lock whenever the index revision moved; everything
    else may assume the state of the last ``follow``. Writes call ``record_write`` inside the
    writing transaction, after the index revision row was locked.
    """

    kind: str
    """``"process"`` or ``"database"`` (reported by ``sinergi status`` and the benchmarks)."""

    def follow(self, session: Session, previous: int, revision: int) -> None:
        """Catch up with the database: the index revision went from ``previous`` to ``revision``
        (``previous`` is -1 the first time)."""

    def live_count(self, filters: SearchFilters | None) -> int:
        """How many live passages ``filters`` allows (all of them for ``None``)."""

    def admit(self, chunk_ids: Sequence[str], filters: SearchFilters | None) -> list[str]:
        """Those of ``chunk_ids`` that are live and allowed, in the given order."""

    def allowed(self, filters: SearchFilters) -> list[str]:
        """Every live passage ``filters`` allows (called only for small sets)."""

    def search(self, terms: QueryTerms, n: int, filters: SearchFilters | None) -> dict[str, float]:
        """The ``n`` best passages by BM25 (chunk id -> score), only positive scores."""

    def coverages(self, terms: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        """IDF-weighted share of the query's distinct terms present in each chunk."""

    def concept_coverages(
        self, concepts: Sequence[Concept], chunk_ids: Iterable[str]
    ) -> dict[str, float]:
        """IDF-weighted share of the question's concepts present in each chunk (see
        :meth:`knowledge_base.keyword.KeywordIndex.concept_coverages`)."""

    def df(self, term: str) -> int:
        """In how many live passages ``term`` occurs."""

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of ``term``."""

    def terms_like(self, first: str) -> Sequence[str]:
        """Indexed terms starting with ``first`` (the candidates of a typo correction), sorted;
        a term whose passages were all removed may stay (its ``df`` is 0)."""

    def prefetch(self, terms: Iterable[str]) -> None:
        """About to ask ``df`` of these terms: a store that asks a database asks once."""

    def record_write(self, session: Session, added: Sequence[str], removed: Sequence[str]) -> None:
        """Passages' stored terms (space-joined) were added and removed in this transaction."""

    def rebuild(self, session: Session) -> None:
        """Every stored term may have changed (a new normalisation): recount from the rows."""


@dataclass(frozen=True)
class _Doc:
    doc_id: str
    app: str | None
    doc_type: str | None
    language: str | None
    revision: int


class InProcessKeywordStore:
    """BM25 in memory, restored from the chunk rows and updated per changed document.

    Safe to share between threads: one lock guards the arrays (the bot answers several
    questions at once from worker threads while a write is followed).
    """

    kind = "process"

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self._lock = threading.RLock()
        self._keyword = KeywordIndex(k1=k1, b=b)
        self._docs: dict[str, _Doc] = {}
        self._doc_chunks: dict[str, list[str]] = {}
        self._masks: dict[SearchFilters, npt.NDArray[np.bool_]] = {}

    @property
    def keyword(self) -> KeywordIndex:
        """The BM25 arrays themselves (benchmarks and tests)."""
        return self._keyword

    # ------------------------------------------------------------------ following writes
    def follow(self, session: Session, previous: int, revision: int) -> None:
        with self._lock:
            self._follow(session, previous)

    def _follow(self, session: Session, previous: int) -> None:
        # Only documents written since the last look are read; deletions show up as a
        # difference in the number of documents.
        query = select(
            KbDocument.doc_id,
            KbDocument.app,
            KbDocument.doc_type,
            KbDocument.language,
            KbDocument.revision,
        )
        if previous >= 0:
            query = query.where(KbDocument.revision > previous)
        changed = [_Doc(*r) for r in session.execute(query)]
        for doc in changed:
            self._drop(doc.doc_id)
        known = set(self._docs) | {d.doc_id for d in changed}
        total = session.scalar(select(func.count()).select_from(KbDocument)) or 0
        if total != len(known):
            present = set(session.scalars(select(KbDocument.doc_id)))
            for doc_id in known - present:
                self._drop(doc_id)
            changed = [d for d in changed if d.doc_id in present]
        for start in range(0, len(changed), 500):
            batch = {d.doc_id: d for d in changed[start : start + 500]}
            chunk_rows = session.execute(
                select(KbChunk.chunk_id, KbChunk.doc_id, KbChunk.terms)
                .where(KbChunk.doc_id.in_(list(batch)))
                .order_by(KbChunk.doc_id, KbChunk.position)
            ).all()
            for d in batch.values():
                self._docs[d.doc_id] = d
                self._doc_chunks[d.doc_id] = []
            for cid, doc_id, terms in chunk_rows:
                self._keyword.add(cid, terms.split())
                self._doc_chunks[doc_id].append(cid)
        self._masks.clear()

    def _drop(self, doc_id: str) -> None:
        for cid in self._doc_chunks.pop(doc_id, []):
            self._keyword.remove(cid)
        self._docs.pop(doc_id, None)

    def _mask(self, filters: SearchFilters | None) -> npt.NDArray[np.bool_] | None:
        if filters is None or filters.is_empty:
            return None
        mask = self._masks.get(filters)
        if mask is None:
            mask = np.zeros(self._keyword.capacity, dtype=bool)
            for doc in self._docs.values():
                if passes(filters, doc.app, doc.doc_type, doc.language):
                    for cid in self._doc_chunks.get(doc.doc_id, ()):
                        slot = self._keyword.slot(cid)
                        if slot is not None:
                            mask[slot] = True
            self._masks[filters] = mask
        return mask

    # ------------------------------------------------------------------ the registry
    def live_count(self, filters: SearchFilters | None) -> int:
        with self._lock:
            mask = self._mask(filters)
            return int(mask.sum()) if mask is not None else len(self._keyword)

    def admit(self, chunk_ids: Sequence[str], filters: SearchFilters | None) -> list[str]:
        out: list[str] = []
        with self._lock:
            mask = self._mask(filters)
            for cid in chunk_ids:
                slot = self._keyword.slot(cid)
                if slot is None or (mask is not None and not mask[slot]):
                    continue
                out.append(cid)
        return out

    def allowed(self, filters: SearchFilters) -> list[str]:
        with self._lock:
            mask = self._mask(filters)
            if mask is None:
                slots = np.flatnonzero(self._keyword.alive_mask())
            else:
                slots = np.flatnonzero(mask)
            return [c for s in slots.tolist() if (c := self._keyword.chunk_id(s)) is not None]

    # ------------------------------------------------------------------ keyword search
    def search(self, terms: QueryTerms, n: int, filters: SearchFilters | None) -> dict[str, float]:
        with self._lock:
            hits = self._keyword.search(terms, n, allowed=self._mask(filters))
        return {h.chunk_id: h.score for h in hits}

    def concept_coverages(
        self, concepts: Sequence[Concept], chunk_ids: Iterable[str]
    ) -> dict[str, float]:
        with self._lock:
            return self._keyword.concept_coverages(concepts, chunk_ids)

    def terms_like(self, first: str) -> Sequence[str]:
        with self._lock:
            return self._keyword.terms_like(first)

    def prefetch(self, terms: Iterable[str]) -> None:
        """Nothing to fetch: every term is in memory."""

    def coverages(self, terms: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        with self._lock:
            return self._keyword.coverages(terms, chunk_ids)

    def df(self, term: str) -> int:
        with self._lock:
            return self._keyword.df(term)

    def idf(self, term: str) -> float:
        with self._lock:
            return self._keyword.idf(term)

    # ------------------------------------------------------------------ writes
    def record_write(self, session: Session, added: Sequence[str], removed: Sequence[str]) -> None:
        """Nothing to do: the next :meth:`follow` re-reads the changed documents."""

    def rebuild(self, session: Session) -> None:
        """Nothing to do: every document gets a new revision, so :meth:`follow` re-reads it."""


def distinct_terms(stored: str) -> set[str]:
    """The distinct terms of a chunk's stored (space-joined) terms, as the database indexes
    them: empty strings dropped, and nothing PostgreSQL could not hold as a lexeme."""
    return {t for t in stored.split(" ") if t and len(t.encode()) < MAX_LEXEME_BYTES}


MAX_LEXEME_BYTES = 2047
"""PostgreSQL's limit for one lexeme; longer "words" (a pasted hash, base64) are not indexed."""


def coverage_of(
    terms: Sequence[str], have: Mapping[str, Collection[str]], idf: Mapping[str, float]
) -> dict[str, float]:
    """IDF-weighted share of the distinct ``terms`` present in each chunk's term set."""
    distinct = sorted(set(terms))
    total = sum(idf[t] for t in distinct)
    if not distinct or total <= 0:
        return dict.fromkeys(have, 0.0)
    return {
        cid: sum(idf[t] for t in distinct if t in present) / total for cid, present in have.items()
    }


def concept_coverage_of(
    concepts: Sequence[Concept],
    have: Mapping[str, Collection[str]],
    idf: Callable[[str], float],
    known: Callable[[str], bool],
) -> dict[str, float]:
    """:meth:`KeywordStore.concept_coverages` over each chunk's term set (``have``).

    A concept weighs what its own terms weigh (IDF) and counts as present when every term of
    one of its alternatives is in the chunk; alternatives holding a term no passage has never
    count (as in :meth:`knowledge_base.keyword.KeywordIndex.concept_coverages`).
    """
    prepared: list[tuple[float, list[set[str]]]] = []
    for own, alternatives in concepts:
        weight = sum(idf(t) for t in set(own))
        alts = [set(alt) for alt in alternatives if all(known(t) for t in alt)]
        prepared.append((weight, alts))
    total = sum(w for w, _ in prepared)
    out: dict[str, float] = {}
    for cid, present in have.items():
        if not total:
            out[cid] = 0.0
            continue
        terms = present if isinstance(present, set | frozenset) else set(present)
        out[cid] = sum(w for w, alts in prepared if any(a <= terms for a in alts)) / total
    return out
