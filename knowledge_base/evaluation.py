"""Retrieval evaluation on BEIR-format data: MRR@10, Recall@k, nDCG@10, latency, abstention.

Each corpus entry is indexed as one document (long entries are split into passages and a
document ranks by its best passage). The same index is queried three ways (hybrid, BM25 only,
dense only) so the fusion can be judged against its parts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from core.clock import Clock
from core.db import Base, make_engine, make_session_factory
from knowledge_base.errors import EvalDataError
from knowledge_base.fusion import FusionConfig
from knowledge_base.index import KnowledgeIndex
from knowledge_base.schemas import ChunkInput, Citation, DocumentInput, SearchMode
from knowledge_base.units import passage_units
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


#: The retrieval metrics in the order every report shows them.
METRICS = (
    "mrr@10",
    "recall@1",
    "recall@5",
    "recall@10",
    "ndcg@10",
    "latency_p50_ms",
    "latency_p95_ms",
)


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
    answers: Mapping[str, object] | None = None
    """Answer-level figures (see :func:`answer_report`) when the questions carry answers."""

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
        if self.answers is not None:
            out["answers"] = dict(self.answers)
        out.update(self.extra)
        return out


# ---------------------------------------------------------------------- loading
def _json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) of each non-blank line; unreadable files and lines raise
    :class:`EvalDataError` naming the file and the line."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise EvalDataError(path=str(path), detail=exc.strerror or str(exc)) from exc
    number = 0
    with fh:
        try:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    detail = f"line {number}: {exc.msg}"
                    raise EvalDataError(path=str(path), detail=detail) from exc
                yield number, item
        except UnicodeDecodeError as exc:
            detail = f"line {number + 1}: not UTF-8"
            raise EvalDataError(path=str(path), detail=detail) from exc


def _jsonl(path: Path) -> Iterable[dict[str, object]]:
    for number, item in _json_lines(path):
        if not isinstance(item, dict) or "_id" not in item or "text" not in item:
            raise EvalDataError(path=str(path), detail=f"line {number}: needs _id and text")
        yield item


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


def load_answers(path: Path) -> dict[str, tuple[str, ...]]:
    """``query-id -> gold answer spans`` of a BEIR queries file that carries ``answers``."""
    out: dict[str, tuple[str, ...]] = {}
    for item in _jsonl(path):
        answers = item.get("answers")
        if isinstance(answers, list) and answers:
            out[str(item["_id"])] = tuple(str(a) for a in answers if str(a).strip())
    return out


@dataclass(frozen=True)
class AnswerCase:
    """One question of an answer-level evaluation, with what a right answer contains."""

    case_id: str
    question: str
    answerable: bool
    answers: tuple[str, ...] = ()
    relevant: frozenset[str] = frozenset()
    """Document ids whose citation counts as right."""
    section: str | None = None
    """Where the answer stands (``Pasal 12``, ``Penjelasan Pasal 4``, a manual's heading)."""
    category: str | None = None
    qtype: str | None = None


def load_answer_cases(path: Path, doc_id: Callable[[str], str] = str) -> list[AnswerCase]:
    """Questions of a domain set: one JSON object per line with ``id``, ``question``,
    ``answerable``, ``answers``, ``doc`` (a file name, mapped by ``doc_id``), ``section``,
    ``category`` and ``type``."""
    cases: list[AnswerCase] = []
    for number, item in _json_lines(path):
        if not isinstance(item, dict):
            raise EvalDataError(path=str(path), detail=f"line {number}: not an object")
        question = item.get("question", item.get("text"))
        if not isinstance(question, str) or not question.strip():
            raise EvalDataError(path=str(path), detail=f"line {number}: needs a question")
        answers = item.get("answers") or []
        if not isinstance(answers, list):
            raise EvalDataError(path=str(path), detail=f"line {number}: answers must be a list")
        doc = item.get("doc")
        cases.append(
            AnswerCase(
                case_id=str(item.get("id", item.get("_id", number))),
                question=question,
                answerable=bool(item.get("answerable", bool(answers))),
                answers=tuple(str(a) for a in answers if str(a).strip()),
                relevant=frozenset({doc_id(str(doc))}) if doc else frozenset(),
                section=str(item.get("section") or "") or None,
                category=str(item.get("category") or "") or None,
                qtype=str(item.get("type") or "") or None,
            )
        )
    return cases


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


_MARKER = re.compile(r"\[\d+\]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def match_form(text: str) -> str:
    """Text for span matching: citation markers out, case and punctuation ignored."""
    text = _MARKER.sub(" ", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def contains_answer(text: str, answers: Iterable[str]) -> bool:
    """Whether a gold span occurs in ``text`` (case- and punctuation-insensitive)."""
    haystack = f" {match_form(text)} "
    return any((needle := match_form(answer)) and f" {needle} " in haystack for answer in answers)


_OPENING = "paragraf pembuka"


def section_matches(gold: str | None, cited: str | None) -> bool:
    """Whether a citation's section names the gold section or article.

    ``Pasal 12`` matches ``Pasal 12 ayat (2)`` but not ``Pasal 120`` nor ``Penjelasan Pasal
    12``; a manual's heading matches when it is part of the cited heading path. The gold
    value ``Paragraf pembuka`` (text before the first heading) matches a citation without
    a section.
    """
    if not gold:
        return True
    want = match_form(gold)
    have = match_form(cited or "")
    if want == _OPENING:
        return not have
    if not have:
        return False
    if "penjelasan" in have.split() and "penjelasan" not in want.split():
        return False
    return f" {want} " in f" {have} "


class AnsweredLike(Protocol):
    """What the evaluation reads of an answer (``services.knowledge.Answer`` fits)."""

    @property
    def found(self) -> bool: ...

    @property
    def confident(self) -> bool: ...

    @property
    def text(self) -> str: ...

    @property
    def citations(self) -> Sequence[Citation]: ...


@dataclass(frozen=True)
class AnswerOutcome:
    """What the ask path gave for one :class:`AnswerCase`."""

    case: AnswerCase
    found: bool
    confident: bool
    text: str
    first_doc: str | None
    first_section: str | None
    latency_ms: float
    first_title: str | None = None

    @property
    def hit(self) -> bool:
        return self.found and self.case.answerable and contains_answer(self.text, self.case.answers)

    @property
    def cited_right(self) -> bool:
        return self.found and self.first_doc in self.case.relevant

    @property
    def section_right(self) -> bool:
        """The first citation names the gold section; a document whose only heading became
        its title ("Menu Tambah Bibliografi Baru") is cited by that title."""
        if not self.cited_right:
            return False
        if section_matches(self.case.section, self.first_section):
            return True
        return not self.first_section and section_matches(self.case.section, self.first_title)


def ask_cases(
    ask: Callable[[str], AnsweredLike],
    cases: Sequence[AnswerCase],
    *,
    timer: Callable[[], float] = time.perf_counter,
    progress: Callable[[int, int], None] | None = None,
) -> list[AnswerOutcome]:
    """Every case through ``ask`` (the product's full ask path), timed."""
    outcomes: list[AnswerOutcome] = []
    for number, case in enumerate(cases, 1):
        start = timer()
        answer = ask(case.question)
        elapsed = (timer() - start) * 1000.0
        first = answer.citations[0] if answer.found and answer.citations else None
        outcomes.append(
            AnswerOutcome(
                case=case,
                found=answer.found,
                confident=answer.confident,
                text=answer.text if answer.found else "",
                first_doc=first.doc_id if first is not None else None,
                first_section=first.section if first is not None else None,
                latency_ms=elapsed,
                first_title=first.title if first is not None else None,
            )
        )
        if progress is not None:
            progress(number, len(cases))
    return outcomes


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def answer_figures(
    outcomes: Sequence[AnswerOutcome], *, sections: bool = False
) -> dict[str, object]:
    """The answer-level figures of ``outcomes``.

    ``answered_rate`` and ``hit_rate`` are shares of the answerable questions (a refused
    answerable question is a miss); ``cited_first_rate`` and ``section_rate`` are shares of
    the answered ones; ``refusal_rate`` is the share of unanswerable questions that got "not
    in the knowledge base" (a tentative, hedged answer is an answer, not a refusal).
    """
    answerable = [o for o in outcomes if o.case.answerable]
    unanswerable = [o for o in outcomes if not o.case.answerable]
    answered = [o for o in answerable if o.found]
    out: dict[str, object] = {
        "answerable": len(answerable),
        "answered_rate": _rate(len(answered), len(answerable)),
        "confident_rate": _rate(sum(o.confident for o in answered), len(answerable)),
        "hit_rate": _rate(sum(o.hit for o in answerable), len(answerable)),
        "chars_p50": round(percentile([len(o.text) for o in answered], 0.5), 1),
        "cited_first_rate": _rate(sum(o.cited_right for o in answered), len(answered)),
    }
    if sections:
        out["section_rate"] = _rate(sum(o.section_right for o in answered), len(answered))
    out["unanswerable"] = len(unanswerable)
    out["refusal_rate"] = _rate(sum(not o.found for o in unanswerable), len(unanswerable))
    latencies = [o.latency_ms for o in outcomes]
    out["latency_p50_ms"] = round(percentile(latencies, 0.5), 2)
    out["latency_p95_ms"] = round(percentile(latencies, 0.95), 2)
    return out


def answer_report(
    outcomes: Sequence[AnswerOutcome], *, sections: bool = False, by_category: bool = False
) -> dict[str, object]:
    """:func:`answer_figures`, plus the same figures per question category if asked."""
    report = answer_figures(outcomes, sections=sections)
    if by_category:
        names = sorted({o.case.category or "-" for o in outcomes})
        report["by_category"] = {
            name: answer_figures(
                [o for o in outcomes if (o.case.category or "-") == name], sections=sections
            )
            for name in names
        }
    return report


# ---------------------------------------------------------------------- running
class PrimedEmbeddings(Embeddings):
    """Embeds a whole corpus in large batches up front, then serves the per-document writes.

    Indexing one small document at a time would call the model with one passage per batch,
    which is 2-3x slower than batching across documents.
    """

    def __init__(self, inner: Embeddings, *, batch_size: int = 32) -> None:
        self.inner = inner
        self.batch_size = batch_size
        self._primed: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}

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
                # float32 arrays: a corpus's worth of Python float lists would take gigabytes.
                self._primed[text] = np.asarray(vector, dtype=np.float32)
            if progress is not None:
                progress(min(start + self.batch_size, len(todo)), len(todo))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in texts if t not in self._primed]
        if missing:
            self.prime(missing)
        out = [self._primed[t].tolist() for t in texts]
        for text in set(texts):  # served once: the index never asks twice for one text
            del self._primed[text]
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class EmbeddingCache(Embeddings):
    """Passage vectors kept on disk, content-addressed by model and text, for evaluation runs.

    Re-running an evaluation (TyDi: 4,650 passages, about 16 minutes of embedding on two
    cores) then embeds only passages it has not seen. Question vectors are never cached, so
    the latencies an evaluation reports stay real. One SQLite file per model; concurrent runs
    may share it (a lost race only recomputes a vector).
    """

    def __init__(self, inner: Embeddings, directory: Path) -> None:
        from knowledge_base.embeddings import model_id

        self.inner = inner
        self._model = model_id(inner)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self._model)
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{safe}.sqlite"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    @property
    def model_id(self) -> str:
        return self._model

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._model}\x00{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT key, v FROM vectors WHERE key IN ({marks})", batch
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            vectors = self.inner.embed_documents([text_of[k] for k in missing])
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, v) VALUES (?, ?)",
                    [
                        (k, np.asarray(v, dtype=np.float32).tobytes())
                        for k, v in zip(missing, vectors, strict=True)
                    ],
                )
                self._db.commit()
            for k, v in zip(missing, vectors, strict=True):
                # As stored (float32), so a text gets the same vector cached or not.
                found[k] = np.asarray(v, dtype=np.float32).tolist()
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_scratch_index(
    embeddings: Embeddings,
    workdir: Path,
    *,
    fusion: FusionConfig | None = None,
    clock: Clock | None = None,
    **options: Any,
) -> KnowledgeIndex:
    """A fresh index (SQLite + on-disk Chroma) in ``workdir``, for evaluations and benchmarks.

    ``options`` go to :class:`KnowledgeIndex` (the same query settings as production)."""
    from knowledge_base import models  # noqa: F401 - registers the tables

    workdir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{workdir / 'eval.db'}")
    tables = [t for name, t in Base.metadata.tables.items() if name.startswith("kb_")]
    Base.metadata.create_all(engine, tables=tables)
    store = VectorStore(
        make_client(chroma_url=None, chroma_dir=workdir / "chroma"), "eval", embeddings
    )
    return KnowledgeIndex(
        make_session_factory(engine), embeddings, store, fusion=fusion, clock=clock, **options
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
        texts = [c.text for _, chunks in documents for c in chunks]
        if index.unit_vectors:
            # The passages' units too, in large batches (the index asks per document).
            texts += [
                u.read
                for doc, chunks in documents
                for c in chunks
                for u in passage_units(c.text, doc.title, c.section)
            ]
        index.embeddings.prime(texts, progress)
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


Answerer = Callable[[KnowledgeIndex], Callable[[str], AnsweredLike]]
"""Given the scratch index, the product's ask path over it (built by the services layer)."""


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
    answerer: Answerer | None = None,
    cache_dir: Path | None = None,
    index_options: Mapping[str, Any] | None = None,
) -> EvalReport:
    """Index the corpus into a fresh index and evaluate every search mode on it.

    When the queries carry ``answers`` and ``answerer`` is given, every question (and every
    unanswerable one) also goes through the full ask path, and the report carries the
    answer-level figures (:func:`answer_report`). ``cache_dir`` keeps passage vectors between
    runs (:class:`EmbeddingCache`).
    """
    corpus = load_corpus(corpus_path)
    queries = load_queries(queries_path)
    qrels = load_qrels(qrels_path)
    gold = load_answers(queries_path)
    unanswerable = load_queries(unanswerable_path) if unanswerable_path else []
    if not corpus:
        raise EvalDataError(path=str(corpus_path), detail="no documents")
    cache = EmbeddingCache(embeddings, cache_dir) if cache_dir is not None else None
    answers: dict[str, object] | None = None
    with tempfile.TemporaryDirectory(prefix="sinergi-eval-") as tmp:
        primed = PrimedEmbeddings(cache if cache is not None else embeddings)
        index = open_scratch_index(
            primed, workdir or Path(tmp), fusion=fusion, **dict(index_options or {})
        )
        try:
            index_corpus(index, corpus, progress=progress)
            out = evaluate_index(index, queries, qrels, k=k, unanswerable=unanswerable)
            if answerer is not None and gold:
                cases = [
                    AnswerCase(
                        q.query_id,
                        q.text,
                        True,
                        gold[q.query_id],
                        frozenset(qrels.get(q.query_id, {})),
                    )
                    for q in queries
                    if q.query_id in gold
                ]
                cases += [AnswerCase(q.query_id, q.text, False) for q in unanswerable]
                answers = answer_report(ask_cases(answerer(index), cases))
        finally:
            index.close()
            if cache is not None:
                cache.close()
    modes = out["modes"]
    assert isinstance(modes, dict)
    abstention = out["abstention"]
    return EvalReport(
        documents=len(corpus),
        queries=next(iter(modes.values())).queries if modes else 0,
        k=k,
        modes=modes,
        abstention=abstention if isinstance(abstention, Abstention) else None,
        answers=answers,
    )
