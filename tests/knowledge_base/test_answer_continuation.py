"""A short best sentence and the next one that goes on about its subject are given together."""

from __future__ import annotations

import pytest

from knowledge_base import answer
from knowledge_base.answer import FEATURES, compose, continues
from knowledge_base.keyword import TextNormalizer
from tests.knowledge_base.conftest import encyclopedia_hit as hit


@pytest.mark.parametrize(
    "text",
    [
        "Ia menjabat sebagai gubernur selama dua periode.",
        "Beliau wafat pada tahun 1970.",
        "Kota tersebut terletak di tepi Sungai Musi.",
        "Pada tahun itu ia pindah ke Bandung.",
        "Luasnya mencapai 1.902 km².",
        "Ibu kotanya adalah Palembang.",
        "Hal ini disebabkan oleh letaknya di khatulistiwa.",
        "It was founded in 1990.",
    ],
)
def test_a_sentence_that_goes_on_about_the_previous_subject(text: str) -> None:
    assert continues(text)


@pytest.mark.parametrize(
    "text",
    [
        "Palembang adalah ibu kota Sumatera Selatan.",
        "Sungai Musi mengalir melalui kota.",
        "Sebagian besar penduduknya bertani.",
        "Sejarah Palembang dimulai pada abad ke-7.",
    ],
)
def test_a_sentence_that_opens_its_own_subject(text: str) -> None:
    assert not continues(text)


@pytest.mark.parametrize("run", ["-", "/", "'", '"', "\u200b"])
def test_a_long_run_of_punctuation_is_read_at_once(run: str) -> None:
    """A sentence of dashes, slashes or quotes (a table's rule, a separator line) is read
    once: each character given back was read to the end again (8,000 took 3.5 s). Its speed
    is measured, not asserted (docs/benchmarks.md, "Pathological inputs and leftovers,
    fourteenth round"): here, the verdict on such a run."""
    assert not continues(run * 50_000)
    assert continues(run * 50_000 + " ia pindah ke Bandung.")


def test_the_next_sentence_that_continues_the_best_one_is_quoted_beside_it(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The asked years stand in the sentence after the one that names the sultan, which
    # shares no word with the question: no runner-up fits beside the best sentence.
    passage = hit(
        "sultan",
        "Sultan Mahmud Badaruddin lahir di Palembang pada tahun 1767. "
        "Ia memerintah dari tahun 1803 sampai 1821. "
        "Kota itu kini menjadi kota terbesar kedua di Sumatra.",
    )
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("coverage")] = 2.0
    question = "Kapan Sultan Mahmud Badaruddin berkuasa?"

    def answer_text() -> str:
        return compose(
            question, [passage], terms=normalizer.terms, idf=lambda t: 1.0, weights=weights
        ).text

    text = answer_text()
    assert text.startswith("Sultan Mahmud Badaruddin lahir di Palembang")
    assert "dari tahun 1803 sampai 1821" in text
    assert "Sumatra" not in text
    # Without room for the pair, the best sentence stands alone.
    monkeypatch.setattr(answer, "CONTINUATION_CHARS", 60)
    assert "dari tahun 1803 sampai 1821" not in answer_text()


def test_a_runner_up_that_fits_is_preferred_to_the_continuing_sentence(
    normalizer: TextNormalizer,
) -> None:
    passage = hit(
        "sultan",
        "Sultan Mahmud Badaruddin lahir di Palembang pada tahun 1767. "
        "Ia gemar berburu di hutan. "
        "Sultan Mahmud Badaruddin berkuasa dari tahun 1803 sampai 1821.",
    )
    weights = [0.0] * len(FEATURES)
    weights[FEATURES.index("coverage")] = 2.0
    weights[FEATURES.index("first")] = 1.0
    text = compose(
        "Kapan Sultan Mahmud Badaruddin berkuasa?",
        [passage],
        terms=normalizer.terms,
        idf=lambda t: 1.0,
        weights=weights,
    ).text
    assert "dari tahun 1803 sampai 1821" in text
    assert "berburu" not in text
