"""The runner-up beside a short best sentence is chosen by its score plus what it adds of the
question's concepts that the best sentence lacks: the sentence naming the asked "arsitek" is
quoted rather than a closer-scoring one that repeats the subject."""

from __future__ import annotations

import pytest

from knowledge_base import answer
from knowledge_base.keyword import TextNormalizer
from tests.knowledge_base.conftest import composed_text, weights_of
from tests.knowledge_base.conftest import encyclopedia_hit as hit

PASSAGE = (
    "Monumen Lincoln dibangun untuk menghormati presiden keenam belas. "
    "Monumen Lincoln sering dikunjungi wisatawan dari seluruh negeri. "
    "Arsitek monumen ini bernama Henry Bacon."
)


def place_weights() -> list[float]:
    """Units ranked by their place in the passage, then by the question's words they hold."""
    return weights_of(first=2.0, position=-1.0, coverage=1.0)


def ask(normalizer: TextNormalizer) -> str:
    question = "Apa nama arsitek Monumen Lincoln?"
    return composed_text(question, [hit("monumen", PASSAGE)], normalizer, place_weights())


def test_the_runner_up_that_adds_the_asked_concept_is_quoted(
    normalizer: TextNormalizer,
) -> None:
    text = ask(normalizer)
    assert text.startswith("Monumen Lincoln dibangun untuk menghormati presiden keenam belas.")
    assert "Henry Bacon" in text
    assert "wisatawan" not in text


def test_by_score_alone_the_closer_sentence_is_quoted(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the concepts it adds, the second sentence (closer to the best by its place)
    # is the runner-up: the rule above is what brings the architect's sentence.
    monkeypatch.setattr(answer, "COMPLEMENT_WEIGHT", 0.0)
    text = ask(normalizer)
    assert "wisatawan" in text
    assert "Henry Bacon" not in text
