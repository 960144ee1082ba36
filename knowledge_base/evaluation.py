"""Retrieval evaluation on BEIR-format data: MRR@10, Recall@k, nDCG@10, latency, abstention.

Each corpus entry is indexed as one document (long entries are split into passages and a
document ranks by its best passage). The same index is queried three ways (hybrid, BM25 only,
dense only) so the fusion can be judged against its parts.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.embeddings import Embeddings

from core.clock import Clock
from core.db import Base, make_engine, make_session_factory
from knowledge_base.errors import EvalDataError
from knowledge_base.fusion import FusionConfig
from knowledge_base.index import KnowledgeIndex
from knowledge_base.schemas import ChunkInput, DocumentInput, SearchMode
from knowledge_base.vectorstore import VectorStore, make_client

MODES: tuple[SearchMode, ...] = ("hybrid", "keyword", "dense")
_SPLIT_ABOVE = 2000  # characters; e5 reads at most 512 tokens of a passage


@dataclass(frozen=True)
class CorpusEntry:
    doc_id: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    query_id: str
    text: str


@dataclass(frozen=True)
class Metrics:
    """Figures of one search mode; latencies in milliseconds."""

    mrr_at_10: float
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    ndcg_at_10: float
    latency_p50_ms: float
    latency_p95_ms: float
    queries: int
    k: int = 10
    recall_at_k: float = 0.0

    def as_dict(self) -> dict[str, float]:
        extra = {} if self.k in (1, 5, 10) else {f"recall@{self.k}": self.recall_at_k}
        return extra | {
            "mrr@10": self.mrr_at_10,
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "recall@10": self.recall_at_10,
            "ndcg@10": self.ndcg_at_10,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "queries": self.queries,
        }


@dataclass(frozen=True)
class Abstention:
    """How often the system declined to answer: wanted on unanswerable, unwanted on answerable."""

    unanswerable: int
    abstained: int
    answerable: int
    answered: int

    @property
    def rate(self) -> float:
        return self.abstained / self.unanswerable if self.unanswerable else 0.0

    @property
    def answered_rate(self) -> float:
        return self.answered / self.answerable if self.answerable else 0.0


@dataclass(frozen=True)
class EvalReport:
    documents: int
    queries: int
    k: int
    modes: Mapping[str, Metrics]
    abstention: Abstention | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.modes["hybrid"].as_dict())
        out["documents"] = self.documents
        out["k"] = self.k
        out["bm25"] = self.modes["keyword"].as_dict() if "keyword" in self.modes else None
        out["dense"] = self.modes["dense"].as_dict() if "dense" in self.modes else None
        if self.abstention is not None:
            out["abstention_rate"] = round(self.abstention.rate, 4)
            out["answered_rate"] = round(self.abstention.answered_rate, 4)
            out["unanswerable"] = self.abstention.unanswerable
        return out


# ---------------------------------------------------------------------- loading
def _jsonl(path: Path) -> Iterable[dict[str, object]]:
    try:
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvalDataError(path=str(path), detail=f"line {number}: {exc.msg}") from exc
                if not isinstance(item, dict) or "_id" not in item or "text" not in item:
                    raise EvalDataError(path=str(path), detail=f"line {number}: needs _id and text")
                yield item
    except OSError as exc:
        raise EvalDataError(path=str(path), detail=exc.strerror or str(exc)) from exc


def load_corpus(path: Path) -> list[CorpusEntry]:
    return [
        CorpusEntry(str(i["_id"]), str(i.get("title") or ""), str(i["text"])) for i in _jsonl(path)
    ]


def load_queries(path: Path) -> list[Query]:
    return [Query(str(i["_id"]), str(i["text"])) for i in _jsonl(path)]


def load_qrels(path: Path) -> dict[str, dict[str, float]]:
    """``query-id -> {corpus-id: relevance}`` from a BEIR TSV (header line optional)."""
    out: dict[str, dict[str, float]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalDataError(path=str(path), detail=exc.strerror or str(exc)) from exc
    for number, line in enumerate(lines, 1):
        parts = line.strip().split("\t")
        if not line.strip() or (number == 1 and parts[0] == "query-id"):
            continue
        if len(parts) < 3:
            raise EvalDataError(path=str(path), detail=f"line {number}: needs 3 columns")
        try:
            score = float(parts[2])
        except ValueError as exc:
            raise EvalDataError(path=str(path), detail=f"line {number}: bad score") from exc
        if score > 0:
            out.setdefault(parts[0], {})[parts[1]] = score
    return out


# ---------------------------------------------------------------------- metrics
def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 10) -> float:
    for i, doc in enumerate(ranked[:k]):
        if doc in relevant:
            return 1.0 / (i + 1)
    return 0.0


def recall(ranked: Sequence[str], relevant: Mapping[str, float], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def ndcg(ranked: Sequence[str], relevant: Mapping[str, float], k: int = 10) -> float:
    dcg = sum(
        (2 ** relevant.get(doc, 0.0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k])
    )
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**rel - 1) / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


# ---------------------------------------------------------------------- running
class PrimedEmbeddings(Embeddings):
    """Embeds a whole corpus in large batches up front, then serves the per-document writes.

    Indexing one small document at a time would call the model with one passage per batch,
    which is 2-3x slower than batching across documents.
    """

    def __init__(self, inner: Embeddings, *, batch_size: int = 32) -> None:
        self.inner = inner
        self.batch_size = batch_size
        self._primed: dict[str, list[float]] = {}

    @property
    def model_id(self) -> str:
        from knowledge_base.embeddings import model_id

        return model_id(self.inner)

    def prime(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._primed))
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start : start + self.batch_size]
            for text, vector in zip(batch, self.inner.embed_documents(batch), strict=True):
                self._primed[text] = vector
            if progress is not None:
                progress(min(start + self.batch_size, len(todo)), len(todo))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self._primed]
        if missing:
            self.prime(missing)
        return [self._primed.pop(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def open_scratch_index(
    embeddings: Embeddings,
    workdir: Path,
    *,
    fusion: FusionConfig | None = None,
    clock: Clock | None = None,
) -> KnowledgeIndex:
    """A fresh index (SQLite + on-disk Chroma) in ``workdir``, for evaluations and benchmarks."""
    from knowledge_base import models  # noqa: F401 - registers the tables

    workdir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{workdir / 'eval.db'}")
    tables = [t for name, t in Base.metadata.tables.items() if name.startswith("kb_")]
    Base.metadata.create_all(engine, tables=tables)
    store = VectorStore(
        make_client(chroma_url=None, chroma_dir=workdir / "chroma"), "eval", embeddings
    )
    return KnowledgeIndex(
        make_session_factory(engine), embeddings, store, fusion=fusion, clock=clock
    )


def split_long(text: str, limit: int = _SPLIT_ABOVE) -> list[str]:
    """Split an overlong corpus entry at paragraph/sentence boundaries."""
    if len(text) <= limit:
        return [text]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=limit // 2, chunk_overlap=100, separators=["\n\n", "\n", ". ", " "]
    )
    return [c for c in splitter.split_text(text) if c.strip()] or [text]


def index_corpus(
    index: KnowledgeIndex,
    corpus: Sequence[CorpusEntry],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Index every entry as one document; returns the number of passages embedded."""
    documents = []
    for entry in corpus:
        head = f"{entry.title}\n" if entry.title else ""
        chunks = [
            ChunkInput(text=head + part, section=None, page=None, position=i)
            for i, part in enumerate(split_long(entry.text))
        ]
        documents.append((DocumentInput(entry.doc_id, entry.title or entry.doc_id), chunks))
    if isinstance(index.embeddings, PrimedEmbeddings):
        index.embeddings.prime([c.text for _, chunks in documents for c in chunks], progress)
    embedded = 0
    for doc, chunks in documents:
        embedded += index.replace_document(doc, chunks)
    return embedded


def rank_documents(
    index: KnowledgeIndex, text: str, k: int, mode: SearchMode
) -> tuple[list[str], bool]:
    """Document ids best first (a document ranks by its best passage) and the confidence."""
    result = index.retrieve(text, k=k * 3, mode=mode)
    ranked: list[str] = []
    for hit in result.hits:
        if hit.doc_id not in ranked:
            ranked.append(hit.doc_id)
    return ranked[:k], result.confident


def evaluate_index(
    index: KnowledgeIndex,
    queries: Sequence[Query],
    qrels: Mapping[str, Mapping[str, float]],
    *,
    k: int = 10,
    modes: Sequence[SearchMode] = MODES,
    unanswerable: Sequence[Query] = (),
    timer: Callable[[], float] = time.perf_counter,
) -> dict[str, object]:
    """Metrics per mode for the queries that have judgements; abstention in hybrid mode."""
    judged = [q for q in queries if qrels.get(q.query_id)]
    results: dict[str, Metrics] = {}
    answered = 0
    for mode in modes:
        rr = r1 = r5 = r10 = rk = nd = 0.0
        latencies: list[float] = []
        for q in judged:
            start = timer()
            ranked, confident = rank_documents(index, q.text, max(k, 10), mode)
            latencies.append((timer() - start) * 1000.0)
            rel = qrels[q.query_id]
            rr += reciprocal_rank(ranked, rel, 10)
            r1 += recall(ranked, rel, 1)
            r5 += recall(ranked, rel, 5)
            r10 += recall(ranked, rel, 10)
            rk += recall(ranked, rel, k)
            nd += ndcg(ranked, rel, 10)
            if mode == "hybrid" and confident:
                answered += 1
        n = len(judged) or 1
        results[mode] = Metrics(
            mrr_at_10=round(rr / n, 4),
            recall_at_1=round(r1 / n, 4),
            recall_at_5=round(r5 / n, 4),
            recall_at_10=round(r10 / n, 4),
            ndcg_at_10=round(nd / n, 4),
            latency_p50_ms=round(percentile(latencies, 0.5), 2),
            latency_p95_ms=round(percentile(latencies, 0.95), 2),
            queries=len(judged),
            k=k,
            recall_at_k=round(rk / n, 4),
        )
    abstention = None
    if unanswerable:
        abstained = sum(1 for q in unanswerable if not index.retrieve(q.text, k=k).confident)
        abstention = Abstention(len(unanswerable), abstained, len(judged), answered)
    return {"modes": results, "abstention": abstention}


def run_evaluation(
    embeddings: Embeddings,
    corpus_path: Path,
    queries_path: Path,
    qrels_path: Path,
    *,
    k: int = 10,
    unanswerable_path: Path | None = None,
    fusion: FusionConfig | None = None,
    workdir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Index the corpus into a fresh index and evaluate every search mode on it."""
    corpus = load_corpus(corpus_path)
    queries = load_queries(queries_path)
    qrels = load_qrels(qrels_path)
    unanswerable = load_queries(unanswerable_path) if unanswerable_path else []
    if not corpus:
        raise EvalDataError(path=str(corpus_path), detail="no documents")
    with tempfile.TemporaryDirectory(prefix="sinergi-eval-") as tmp:
        primed = PrimedEmbeddings(embeddings)
        index = open_scratch_index(primed, workdir or Path(tmp), fusion=fusion)
        try:
            index_corpus(index, corpus, progress=progress)
            out = evaluate_index(index, queries, qrels, k=k, unanswerable=unanswerable)
        finally:
            index.close()
    modes = out["modes"]
    assert isinstance(modes, dict)
    abstention = out["abstention"]
    return EvalReport(
        documents=len(corpus),
        queries=next(iter(modes.values())).queries if modes else 0,
        k=k,
        modes=modes,
        abstention=abstention if isinstance(abstention, Abstention) else None,
    )
