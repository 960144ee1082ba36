"""Keyword search in PostgreSQL: full-text search with a GIN index, ranked by BM25.

The terms are the ones every chunk row already stores (Sastrawi-stemmed, see
:class:`knowledge_base.keyword.TextNormalizer`); PostgreSQL keeps them as a ``tsvector``
column generated from ``kb_chunks.terms`` (``kb_terms_tsvector``), under a GIN index. A worker
therefore holds no corpus-sized index: a few thousand cached document frequencies at most.

PostgreSQL's own ``indonesian`` configuration was measured against this pipeline on the TyDi QA
valid split and lost (MRR@10 0.763 against 0.790 under the same BM25, 0.571 with ``ts_rank``;
docs/benchmarks.md, ``python -m bench.pg_keyword --keyword-only``), so the database
indexes our terms as they are (``array_to_tsvector``: no parser, no dictionary).

A query runs in two steps, one round trip:

1. **Candidates** (GIN): passages holding any of the query's terms, ranked by BM25 as if every
   term occurred once (IDF weights, the passage's distinct terms standing in for its length);
   the best ``pool`` (500) go on. The rarest terms choose the candidates until their postings
   exceed ``posting_budget`` (20,000); more common terms (a "tahun" in half the corpus) still
   count in the scores but do not widen the scan, which keeps a query's cost bounded at a
   million passages.
2. **BM25** over the candidates' stored terms, in Python, with the corpus statistics kept in
   ``kb_term_stats`` (document frequency per term) and ``kb_index_meta`` counters (live
   passages, total and distinct terms), updated in the transaction that writes the chunks.

How close this stays to the exact in-process BM25 is measured, not assumed: on a synthetic
corpus of real sentences (``bench.scale --exactness``: 99.7 % of the exact top 10 at 5,000
passages; docs/benchmarks.md). What it can miss are passages whose repeated terms the first
step cannot see, or that hold only terms beyond the posting budget.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, String, bindparam, cast, delete, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from knowledge_base.keyword import top_k
from knowledge_base.keyword_store import (
    Concept,
    QueryTerms,
    concept_coverage_of,
    coverage_of,
    distinct_terms,
)
from knowledge_base.models import REVISION_META, KbChunk, KbIndexMeta, KbTermStats
from knowledge_base.schemas import SearchFilters

CHUNKS_META = "keyword_chunks"
LENGTH_META = "keyword_length"
DISTINCT_META = "keyword_distinct"
"""Distinct terms summed over the live passages (the sum of all document frequencies)."""
STATS_META = "keyword_stats"
"""Present once ``kb_term_stats`` and the counters describe the chunk rows (see ``rebuild``)."""
STATS_VERSION = "1"

REBUILD_STATS = """
INSERT INTO kb_term_stats (term, df)
SELECT lexeme, count(*) FROM kb_chunks, unnest(tsv) AS u(lexeme, positions, weights)
GROUP BY lexeme
"""
COUNTERS = (
    "SELECT count(*), coalesce(sum(cardinality(array_remove(string_to_array(terms, ' '), ''))), 0)"
    " FROM kb_chunks"
)


def tsquery_literal(term: str) -> str:
    """One lexeme as a ``tsquery`` constant, taken as is (no parser, no stemming)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _filter_sql(filters: SearchFilters | None, params: dict[str, Any]) -> str:
    """``AND ...`` conditions on ``d`` (kb_documents) for ``filters``; ``""`` for none."""
    if filters is None:
        return ""
    parts: list[str] = []
    for field in ("app", "doc_type", "language"):
        value = getattr(filters, field)
        if value is not None:
            params[f"f_{field}"] = value.casefold()
            parts.append(f"lower(d.{field}) = :f_{field}")
    return "".join(f" AND {p}" for p in parts)


class PostgresKeywordStore:
    """BM25 keyword search and the live-passage registry, answered by PostgreSQL.

    Args:
        pool: candidates scored by BM25 per query (the index asks for the best 50).
        posting_budget: postings the candidate scan may read, at least one term's.
        max_query_terms: a long question's rarest terms that count (the rest cannot move
            the ranking much and would cost a condition each).
    """

    kind = "database"

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        pool: int = 500,
        posting_budget: int = 20_000,
        max_query_terms: int = 24,
    ) -> None:
        self._sf = session_factory
        self.k1 = k1
        self.b = b
        self.pool = pool
        self.posting_budget = posting_budget
        self.max_query_terms = max_query_terms
        self._chunks = 0
        self._length = 0
        self._distinct = 0
        self._df: dict[str, int] = {}
        self._buckets: dict[str, list[str]] = {}
        self._terms: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._counts: dict[SearchFilters, int] = {}
        self.last_plan: dict[str, int] = {}
        """What the last search did: candidate terms, postings read, candidates scored."""

    # ------------------------------------------------------------------ following writes
    def follow(self, session: Session, previous: int, revision: int) -> None:
        if previous < 0 and _meta(session, STATS_META) != STATS_VERSION:
            self._rebuild_once()
        self._df.clear()
        self._buckets.clear()
        self._counts.clear()
        if previous >= 0:
            # A batch of the terms upgrade may have re-derived chunks whose terms are cached.
            self._terms.clear()
        rows = dict(
            session.execute(
                select(KbIndexMeta.key, KbIndexMeta.value).where(
                    KbIndexMeta.key.in_([CHUNKS_META, LENGTH_META, DISTINCT_META])
                )
            ).all()
        )
        self._chunks = int(rows.get(CHUNKS_META) or 0)
        self._length = int(rows.get(LENGTH_META) or 0)
        self._distinct = int(rows.get(DISTINCT_META) or 0)

    def _rebuild_once(self) -> None:
        """Count the statistics of an index written before they existed (an upgrade)."""
        with self._sf.begin() as s:
            s.get(KbIndexMeta, REVISION_META, with_for_update=True)  # one rebuild at a time
            if _meta(s, STATS_META) != STATS_VERSION:
                self.rebuild(s)

    # ------------------------------------------------------------------ statistics
    def _load_df(self, terms: Iterable[str]) -> dict[str, int]:
        wanted = {t for t in terms}
        missing = [t for t in wanted if t not in self._df]
        if missing:
            if len(self._df) > 200_000:
                self._df.clear()
            with self._sf() as s:
                found = dict(
                    s.execute(
                        select(KbTermStats.term, KbTermStats.df).where(
                            KbTermStats.term.in_(missing)
                        )
                    ).all()
                )
            for t in missing:
                self._df[t] = int(found.get(t, 0))
        return {t: self._df[t] for t in wanted}

    def df(self, term: str) -> int:
        return self._load_df([term])[term]

    def prefetch(self, terms: Iterable[str]) -> None:
        self._load_df(terms)

    def terms_like(self, first: str) -> Sequence[str]:
        """Indexed terms starting with ``first``, sorted, read once per index revision.

        Only a question with a word the index does not know asks (a typo candidate), and
        the answer is a slice of the vocabulary, not of the corpus.
        """
        bucket = self._buckets.get(first)
        if bucket is None:
            with self._sf() as s:
                rows = s.execute(
                    text("SELECT term, df FROM kb_term_stats WHERE left(term, 1) = :first"),
                    {"first": first},
                ).all()
            bucket = sorted(term for term, _ in rows)
            if len(self._df) < 200_000:
                self._df.update((term, int(df)) for term, df in rows)
            self._buckets[first] = bucket
        return bucket

    def idf(self, term: str) -> float:
        df = self.df(term)
        n = max(self._chunks, 1)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _idf_of(self, dfs: Mapping[str, int]) -> dict[str, float]:
        n = max(self._chunks, 1)
        return {t: math.log(1.0 + (n - df + 0.5) / (df + 0.5)) for t, df in dfs.items()}

    # ------------------------------------------------------------------ stored terms
    def _remember(self, chunk_id: str, terms: str | list[str]) -> tuple[str, ...]:
        # Chunk ids are content addresses: a chunk's terms change only with the normalisation.
        split = tuple(terms.split() if isinstance(terms, str) else terms)
        self._terms[chunk_id] = split
        self._terms.move_to_end(chunk_id)
        while len(self._terms) > 2_000:
            self._terms.popitem(last=False)
        return split

    def _stored_terms(self, chunk_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        ids = list(dict.fromkeys(chunk_ids))
        out = {cid: self._terms[cid] for cid in ids if cid in self._terms}
        missing = [cid for cid in ids if cid not in out]
        if missing:
            with self._sf() as s:
                rows = s.execute(
                    select(KbChunk.chunk_id, KbChunk.terms).where(KbChunk.chunk_id.in_(missing))
                ).all()
                for cid, terms in rows:
                    out[cid] = self._remember(cid, terms)
        return out

    # ------------------------------------------------------------------ the registry
    def live_count(self, filters: SearchFilters | None) -> int:
        if filters is None or filters.is_empty:
            return self._chunks
        count = self._counts.get(filters)
        if count is None:
            params: dict[str, Any] = {}
            where = _filter_sql(filters, params)
            sql = f"SELECT coalesce(sum(d.chunk_count), 0) FROM kb_documents d WHERE true{where}"
            with self._sf() as s:
                count = int(s.scalar(text(sql), params) or 0)
            self._counts[filters] = count
        return count

    def admit(self, chunk_ids: Sequence[str], filters: SearchFilters | None) -> list[str]:
        if not chunk_ids:
            return []
        params: dict[str, Any] = {"ids": list(chunk_ids)}
        where = _filter_sql(filters, params)
        # The passages by their keys first, then their documents (see ``search``).
        sql = text(
            "WITH c AS MATERIALIZED (SELECT chunk_id, doc_id, terms FROM kb_chunks"
            " WHERE chunk_id IN :ids)"
            f" SELECT c.chunk_id, c.terms FROM c JOIN kb_documents d ON d.doc_id = c.doc_id"
            f" WHERE true{where}"
        ).bindparams(bindparam("ids", expanding=True))
        with self._sf() as s:
            rows = s.execute(sql, params).all()
        live = set()
        for cid, terms in rows:
            live.add(cid)
            self._remember(cid, terms)
        return [cid for cid in chunk_ids if cid in live]

    def allowed(self, filters: SearchFilters) -> list[str]:
        params: dict[str, Any] = {}
        where = _filter_sql(filters, params)
        sql = (
            "SELECT c.chunk_id FROM kb_chunks c JOIN kb_documents d ON d.doc_id = c.doc_id"
            f" WHERE true{where} ORDER BY c.doc_id, c.position"
        )
        with self._sf() as s:
            return list(s.scalars(text(sql), params))

    # ------------------------------------------------------------------ keyword search
    def search(self, terms: QueryTerms, n: int, filters: SearchFilters | None) -> dict[str, float]:
        weights: dict[str, float] = (
            {t: float(w) for t, w in terms.items() if w > 0}
            if isinstance(terms, Mapping)
            else {t: float(c) for t, c in Counter(terms).items()}
        )
        self.last_plan = {"terms": 0, "postings": 0, "candidates": 0}
        if not weights or n <= 0 or not self._chunks:
            return {}
        dfs = {t: df for t, df in self._load_df(weights).items() if df > 0}
        if not dfs:
            return {}
        idf = self._idf_of(dfs)
        # The rarest terms count first; a long question's most common ones are left out.
        counted = sorted(dfs, key=lambda t: (dfs[t], t))[: self.max_query_terms]
        chosen: list[str] = []
        postings = 0
        for term in counted:
            if chosen and postings + dfs[term] > self.posting_budget:
                break
            chosen.append(term)
            postings += dfs[term]
        params: dict[str, Any] = {
            "q": " | ".join(tsquery_literal(t) for t in chosen),
            "pool": max(self.pool, n),
        }
        score_parts = []
        for i, term in enumerate(counted):
            params[f"t{i}"] = tsquery_literal(term)
            params[f"w{i}"] = weights[term] * idf[term]
            score_parts.append(f"CASE WHEN c.tsv @@ CAST(:t{i} AS tsquery) THEN :w{i} ELSE 0 END")
        where = _filter_sql(filters, params)
        # With a filter, the GIN matches are taken first (bounded by the posting budget) and
        # only then joined with their documents: left to itself, the planner (which cannot
        # estimate ``lower(d.app) = ...``, it guesses 10 documents) probed the GIN index once
        # per document of the app: 250 ms at 100,000 passages, seconds at a million.
        source = (
            "(SELECT c.chunk_id, c.doc_id, c.tsv FROM kb_chunks c"
            " WHERE c.tsv @@ CAST(:q AS tsquery))"
        )
        head = f"WITH hit AS MATERIALIZED {source}, " if where else "WITH "
        scan = (
            " FROM hit c JOIN kb_documents d ON d.doc_id = c.doc_id WHERE true"
            if where
            else " FROM kb_chunks c WHERE c.tsv @@ CAST(:q AS tsquery)"
        )
        # BM25 with every tf at 1, the passage's distinct terms standing in for its length:
        # the common case, and close enough to rank the candidates BM25 then scores exactly.
        params["k1"] = self.k1
        params["b"] = self.b
        params["avg_distinct"] = (self._distinct / self._chunks) if self._distinct else 1.0
        divisor = "(1 + :k1 * (1 - :b + :b * length(c.tsv) / :avg_distinct))"
        sql = (
            head + "cand AS (SELECT c.chunk_id, (" + " + ".join(score_parts) + ") * (:k1 + 1)"
            " / "
            + divisor
            + " AS proxy"
            + scan
            + where
            + " ORDER BY proxy DESC, c.chunk_id LIMIT :pool)"
            " SELECT k.chunk_id, k.terms FROM cand"
            " JOIN kb_chunks k ON k.chunk_id = cand.chunk_id"
        )
        with self._sf() as s:
            rows = s.execute(text(sql), params).all()
        self.last_plan = {"terms": len(chosen), "postings": postings, "candidates": len(rows)}
        if not rows:
            return {}
        avgdl = self._length / self._chunks or 1.0
        k1, b = self.k1, self.b
        query = [(t, weights[t] * idf[t] * (k1 + 1.0)) for t in counted]
        ids: list[str] = []
        splits: list[list[str]] = []
        scores: list[float] = []
        for cid, stored in rows:
            split = stored.split()
            norm = k1 * (1.0 - b + b * len(split) / avgdl)
            score = 0.0
            for term, weight in query:
                f = split.count(term)
                if f:
                    score += weight * f / (f + norm)
            ids.append(cid)
            splits.append(split)
            scores.append(score)
        order = top_k(np.asarray(scores, dtype=np.float64), n)
        for i in order:  # their coverage is asked next
            self._remember(ids[i], splits[i])
        return {ids[i]: scores[i] for i in order}

    def concept_coverages(
        self, concepts: Sequence[Concept], chunk_ids: Iterable[str]
    ) -> dict[str, float]:
        ids = list(chunk_ids)
        have = self._stored_terms(ids)
        self.prefetch(t for own, alts in concepts for t in (*own, *(x for a in alts for x in a)))
        found = concept_coverage_of(
            concepts,
            {cid: set(terms) for cid, terms in have.items()},
            self.idf,
            lambda term: self.df(term) > 0,
        )
        return {cid: found.get(cid, 0.0) for cid in ids}

    def coverages(self, terms: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        have = self._stored_terms(chunk_ids)
        distinct = set(terms)
        idf = self._idf_of(self._load_df(distinct))
        return coverage_of(terms, {cid: set(t) for cid, t in have.items()}, idf)

    # ------------------------------------------------------------------ writes
    def record_write(self, session: Session, added: Sequence[str], removed: Sequence[str]) -> None:
        delta: Counter[str] = Counter()
        for stored in added:
            delta.update(distinct_terms(stored))
        for stored in removed:
            delta.subtract(distinct_terms(stored))
        changes = sorted((t, d) for t, d in delta.items() if d)
        if changes:
            insert = postgresql.insert(KbTermStats)
            upsert = insert.on_conflict_do_update(
                index_elements=[KbTermStats.term], set_={"df": KbTermStats.df + insert.excluded.df}
            )
            for start in range(0, len(changes), 5000):
                batch = changes[start : start + 5000]
                session.execute(upsert, [{"term": t, "df": d} for t, d in batch])
            gone = [t for t, d in changes if d < 0]
            for start in range(0, len(gone), 5000):
                session.execute(
                    delete(KbTermStats).where(
                        KbTermStats.term.in_(gone[start : start + 5000]), KbTermStats.df <= 0
                    )
                )
        chunks = len(added) - len(removed)
        length = sum(len(t.split()) for t in added) - sum(len(t.split()) for t in removed)
        _add_meta(session, CHUNKS_META, chunks)
        _add_meta(session, LENGTH_META, length)
        _add_meta(session, DISTINCT_META, sum(delta.values()))

    def rebuild(self, session: Session) -> None:
        session.flush()
        session.execute(delete(KbTermStats))
        session.execute(text(REBUILD_STATS))
        chunks, length = session.execute(text(COUNTERS)).one()
        _set_meta(session, CHUNKS_META, str(chunks))
        _set_meta(session, LENGTH_META, str(length))
        distinct = session.scalar(text("SELECT coalesce(sum(df), 0) FROM kb_term_stats"))
        _set_meta(session, DISTINCT_META, str(distinct))
        _set_meta(session, STATS_META, STATS_VERSION)
        self._terms.clear()


def _meta(s: Session, key: str) -> str | None:
    return s.scalar(select(KbIndexMeta.value).where(KbIndexMeta.key == key))


def _set_meta(s: Session, key: str, value: str) -> None:
    insert = postgresql.insert(KbIndexMeta).values(key=key, value=value)
    s.execute(insert.on_conflict_do_update(index_elements=[KbIndexMeta.key], set_={"value": value}))


def _add_meta(s: Session, key: str, delta: int) -> None:
    insert = postgresql.insert(KbIndexMeta).values(key=key, value=str(delta))
    s.execute(
        insert.on_conflict_do_update(
            index_elements=[KbIndexMeta.key],
            set_={"value": cast(cast(KbIndexMeta.value, BigInteger) + delta, String)},
        )
    )
