"""The sentence beside the best one that states the asked kind of fact is quoted with it."""

from __future__ import annotations

import pytest

from knowledge_base import answer
from knowledge_base.keyword import TextNormalizer
from knowledge_base.question import QuestionType, states_new
from knowledge_base.schemas import SearchHit
from tests.knowledge_base.conftest import composed_text, weights_of
from tests.knowledge_base.conftest import encyclopedia_hit as hit


@pytest.mark.parametrize(
    ("qtype", "text", "question", "expected"),
    [
        ("berapa", "Luas wilayahnya 1.902 km².", "Berapa luas Kabupaten Brebes?", True),
        ("berapa", "Brebes adalah salah satu kabupaten.[1]", "Berapa luas Brebes?", False),
        ("berapa", "Pada 2010 ada 30 kursi.", "Berapa kursi DPR pada 2010?", True),
        ("berapa", "Pemilu 2010 diikuti banyak partai.", "Berapa kursi DPR pada 2010?", False),
        # A figure the question holds is a whole figure of it: "5" is not held by "50/2007".
        (
            "berapa",
            "Jangka waktu kerja sama paling lama 5 tahun.",
            "Berapa lama jangka waktu kerja sama menurut PP 50/2007?",
            True,
        ),
        ("kapan", "Ia lahir pada 8 Oktober 1879.", "Kapan Douwes Dekker lahir?", True),
        ("kapan", "Sejak 1879 ia tinggal di sana.", "Apa yang terjadi pada 1879?", False),
        ("siapa", "Arsiteknya bernama Henry Bacon.", "Siapa arsitek Memorial Lincoln?", True),
        (
            "siapa",
            "Memorial Lincoln dibangun untuk Lincoln.",
            "Siapa arsitek Memorial Lincoln?",
            False,
        ),
        ("dimana", "Ia dimakamkan di Bandung.", "Di mana Douwes Dekker dimakamkan?", True),
        ("apa", "Ia dimakamkan di Bandung.", "Apa pekerjaan Douwes Dekker?", False),
    ],
)
def test_a_sentence_states_the_asked_fact_the_question_does_not_hold(
    qtype: QuestionType, text: str, question: str, expected: bool
) -> None:
    assert states_new(qtype, text, question) is expected


def coverage_weights() -> list[float]:
    return weights_of(coverage=2.0)


def compose_text(question: str, passage: SearchHit, normalizer: TextNormalizer) -> str:
    return composed_text(question, [passage], normalizer, coverage_weights())


def test_the_next_sentence_with_the_asked_figure_beats_a_runner_up_without_one(
    normalizer: TextNormalizer,
) -> None:
    # The best sentence names the regency and says "salah satu" (a number word, not a
    # figure); the runner-up repeats the regency's name; the area stands in the next sentence,
    # which shares no word with the question.
    passage = hit(
        "brebes",
        "Kabupaten Brebes adalah salah satu kabupaten di Provinsi Jawa Tengah. "
        "Wilayahnya meliputi 190.237 hektar dataran dan perbukitan. "
        "Kabupaten Brebes terkenal dengan telur asin.",
    )
    text = compose_text("Berapa luas Kabupaten Brebes?", passage, normalizer)
    assert text.startswith("Kabupaten Brebes adalah salah satu kabupaten")
    assert "190.237 hektar" in text
    assert "telur asin" not in text


def test_a_runner_up_that_states_the_asked_figure_is_kept(
    normalizer: TextNormalizer,
) -> None:
    passage = hit(
        "brebes",
        "Kabupaten Brebes adalah salah satu kabupaten di Provinsi Jawa Tengah. "
        "Wilayahnya meliputi 190.237 hektar dataran dan perbukitan. "
        "Kabupaten Brebes berpenduduk 1,8 juta jiwa.",
    )
    text = compose_text("Berapa penduduk Kabupaten Brebes?", passage, normalizer)
    assert "1,8 juta jiwa" in text
    assert "190.237" not in text


def test_a_best_sentence_that_states_the_asked_date_gets_no_neighbour_for_it(
    normalizer: TextNormalizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    passage = hit(
        "sekolah",
        "Sekolah Rakyat Cikutra didirikan pada tahun 1921 di Bandung. "
        "Gedungnya dipugar pada 3 Maret 1985. "
        "Kini sekolah itu menjadi cagar budaya.",
    )
    # Without the rule the best sentence already answers; the neighbour is not added for it.
    monkeypatch.setattr(answer, "TYPED_QUESTIONS", frozenset())
    without = compose_text("Kapan Sekolah Rakyat Cikutra didirikan?", passage, normalizer)
    monkeypatch.undo()
    assert compose_text("Kapan Sekolah Rakyat Cikutra didirikan?", passage, normalizer) == without
