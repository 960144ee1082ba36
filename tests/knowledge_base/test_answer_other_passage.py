"""The runner-up beside a short best sentence may come from another answer passage: the unit
of the second passage that scores close to the best one is quoted with it (and cited), when
it states the asked kind of fact for a typed question."""

from __future__ import annotations

from dataclasses import replace

import pytest

from knowledge_base import answer
from knowledge_base.answer import FEATURES, compose
from knowledge_base.judge import judge_answer
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import analyse
from knowledge_base.schemas import SearchHit, SearchResult
from tests.knowledge_base.conftest import encyclopedia_hit as hit


def rank_weights(rank_weight: float = 1.0) -> list[float]:
    """Units ranked by the question's words they hold, then by their passage's rank."""
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("coverage")] = 2.0
    weights[FEATURES.index("reciprocal_rank")] = rank_weight
    return weights


def passages(second: str = "Kaisar wafat pada tahun 1850 di Kyoto.") -> list[SearchHit]:
    # The first passage's best sentence names the emperor's death but not when; the second
    # passage, ranked below it, says when. Nothing else of the first passage shares a word
    # with the question, so no runner-up of its own stands beside the best sentence.
    return [
        hit("istana", "Kaisar wafat di istana timur. Para tukang membangun gerbang kota.", 1.0),
        hit("riwayat", f"{second} Putranya naik takhta.", 0.95),
    ]


def compose_with(
    question: str, hits: list[SearchHit], normalizer: TextNormalizer, rank_weight: float = 1.0
) -> answer.ComposedAnswer:
    return compose(
        question,
        hits,
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        weights=rank_weights(rank_weight),
    )


def test_a_close_unit_of_the_next_passage_is_quoted_beside_the_best_one(
    normalizer: TextNormalizer,
) -> None:
    composed = compose_with("Kapan kaisar wafat?", passages(), normalizer)
    assert composed.text.startswith("Kaisar wafat di istana timur. [1]")
    assert "Kaisar wafat pada tahun 1850 di Kyoto. [2]" in composed.text
    assert [c.doc_id for c in composed.citations] == ["doc-istana", "doc-riwayat"]
    assert "Putranya" not in composed.text


def test_not_when_it_scores_too_far_below_the_best_one(
    normalizer: TextNormalizer,
) -> None:
    # The first passage's rank now counts for 3.0 more than the second's half of it: the
    # second passage's sentence scores 1.5 below the best one.
    close = compose_with("Kapan kaisar wafat?", passages(), normalizer, rank_weight=3.0)
    assert "1850" in close.text
    far = compose_with("Kapan kaisar wafat?", passages(), normalizer, rank_weight=6.0)
    assert "1850" not in far.text
    assert far.text == "Kaisar wafat di istana timur. [1]"


def test_for_a_typed_question_only_a_unit_that_states_the_asked_fact(
    normalizer: TextNormalizer,
) -> None:
    # "Kapan" asks a time; the second passage's sentence states none.
    hits = passages("Kaisar wafat dikenang rakyatnya di Kyoto.")
    composed = compose_with("Kapan kaisar wafat?", hits, normalizer)
    assert composed.text == "Kaisar wafat di istana timur. [1]"
    # A question of no typed kind takes it.
    other = compose_with("Apa yang terjadi setelah kaisar wafat?", hits, normalizer)
    assert "dikenang rakyatnya" in other.text


def test_the_refusal_evidence_stays_the_best_passages(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The refusal model was fitted on what the best passage's units say: a sentence of
    # another passage beside them does not change the evidence it reads.
    with_other = compose_with("Kapan kaisar wafat?", passages(), normalizer)
    assert "1850" in with_other.text
    monkeypatch.setattr(answer, "OTHER_PASSAGE_MARGIN", -1.0)
    alone = compose_with("Kapan kaisar wafat?", passages(), normalizer)
    assert "1850" not in alone.text
    assert with_other.evidence == alone.evidence


def test_the_refusal_reads_the_answer_without_the_other_passages_sentence(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its checks read the answer's text and the cited passages too: a near-miss answered with
    # an unrelated sentence of another passage beside the best one's was no longer refused
    # ("harga langganan opensid premium brp per tahun?"). Here the asked year stands only in
    # the other passage, in a sentence that is not quoted.
    question = "Apa yang terjadi setelah kaisar wafat pada tahun 1850?"
    hits = [
        hit("istana", "Kaisar wafat di istana timur. Para tukang membangun gerbang kota.", 1.0),
        hit("riwayat", "Kaisar wafat dikenang rakyatnya. Peristiwa itu terjadi pada 1850.", 0.95),
    ]
    # The runner-up by score alone: the year's sentence, adding "terjadi" and the year the
    # best sentence lacks, would otherwise be quoted (``COMPLEMENT_WEIGHT``).
    monkeypatch.setattr(answer, "COMPLEMENT_WEIGHT", 0.0)
    with_other = compose_with(question, hits, normalizer)
    assert with_other.text.endswith("Kaisar wafat dikenang rakyatnya. [2]")
    monkeypatch.setattr(answer, "OTHER_PASSAGE_MARGIN", -1.0)
    alone = compose_with(question, hits, normalizer)
    assert alone.judged is None and with_other.judged is not None
    assert (with_other.judged.text, with_other.judged.citations) == (alone.text, alone.citations)
    result = SearchResult(tuple(hits), True, False)
    info = analyse(question)
    verdict = judge_answer(result, with_other, info, terms=normalizer.terms)
    assert (verdict.answer, verdict.reason) == (False, "year")
    # Read as the user sees it, the other passage's year would pass the check.
    unjudged = judge_answer(result, replace(with_other, judged=None), info, terms=normalizer.terms)
    assert unjudged.reason != "year"


def test_the_best_units_passage_is_cited_first(normalizer: TextNormalizer) -> None:
    # The best sentence stands in the passage ranked second; the first passage's sentence,
    # scoring just below it, states the asked year and is quoted after it.
    hits = [
        hit("takhta", "Kaisar bertakhta pada tahun 1820. Para tukang membangun gerbang kota.", 1.0),
        hit("istana", "Kaisar wafat di istana timur. Para tukang membangun gerbang kota.", 0.95),
    ]
    composed = compose_with("Kapan kaisar wafat?", hits, normalizer)
    assert (
        composed.text == "Kaisar wafat di istana timur. [1] Kaisar bertakhta pada tahun 1820. [2]"
    )
    assert [c.doc_id for c in composed.citations] == ["doc-istana", "doc-takhta"]


@pytest.mark.parametrize("question", ["Kapan kaisar wafat?", "Apa yang terjadi saat kaisar wafat?"])
def test_a_passage_repeating_the_best_sentence_is_not_quoted_beside_it(
    normalizer: TextNormalizer, question: str
) -> None:
    # The same document uploaded twice (or a sentence a manual repeats): its copy of the best
    # sentence scores as close as any runner-up and was quoted beside it, cited twice.
    text = "Kaisar wafat pada tahun 1850 di Kyoto. Para tukang membangun gerbang kota."
    copy = "kaisar  wafat pada tahun 1850 di KYOTO. Para tukang membangun gerbang kota."
    composed = compose_with(
        question, [hit("istana", text, 1.0), hit("salinan", copy, 0.99)], normalizer
    )
    assert composed.text == "Kaisar wafat pada tahun 1850 di Kyoto. [1]"
    assert [c.doc_id for c in composed.citations] == ["doc-istana"]
    # Another passage's different sentence still stands beside it.
    other = hit("riwayat", "Kaisar wafat setelah sakit pada tahun 1850 di Kyoto.", 0.98)
    hits = [hit("istana", text, 1.0), hit("salinan", copy, 0.99), other]
    assert "setelah sakit" in compose_with(question, hits, normalizer).text
