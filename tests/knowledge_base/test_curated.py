"""When a later question means the same as a curated one: terms, keys and meaning."""

from __future__ import annotations

from knowledge_base.curated import (
    DENSE_MATCH,
    Candidate,
    QuestionForm,
    best_match,
    cosine,
    form_of,
    keys_of,
    match,
)
from knowledge_base.keyword import TextNormalizer

APPS = ("Gampil", "e-RK")


def form(terms: str, keys: str = "", vector: tuple[float, ...] | None = None) -> QuestionForm:
    return QuestionForm(frozenset(terms.split()), frozenset(keys.split()), vector)


def test_keys_are_apps_and_numbers() -> None:
    assert keys_of("Bagaimana reset password e-RK tahun 2026?", APPS) == {"erk", "2026"}
    assert keys_of("Bagaimana reset password?", APPS) == frozenset()


def test_the_kind_of_fact_asked_is_a_key() -> None:
    assert keys_of("Kapan premi bagi pelapor korupsi dibayarkan?", APPS) == {"?kapan"}
    # Chat spellings are made formal first: "brp" asks "berapa".
    assert keys_of("premi pelapor korupsi maksimal brp?", APPS) == {"?berapa"}


def test_questions_asking_different_facts_of_the_same_thing_never_match() -> None:
    terms = TextNormalizer().terms
    when = form_of("Kapan premi bagi pelapor korupsi dibayarkan?", APPS, terms)
    how_much = form_of("Berapa besaran premi untuk pelapor korupsi?", APPS, terms)
    assert len(when.terms & how_much.terms) >= 3  # the term rule alone would match them
    assert match(when, Candidate(1, how_much)) is None
    again = form_of("Premi untuk pelapor korupsi dibayar kapan?", APPS, terms)
    assert match(again, Candidate(1, when)) is not None


def test_shared_terms_match() -> None:
    asked = form("aju cara gampil izin", "gampil")
    later = Candidate(1, form("aju gampil izin langkah", "gampil"))
    found = match(asked, later)
    assert found is not None and found.by == "terms"


def test_different_apps_never_match_however_close() -> None:
    vector = (1.0, 0.0)
    asked = form("cara password reset", "erk", vector)
    other = Candidate(1, form("cara password reset", "gampil", vector))
    assert match(asked, other) is None


def test_one_shared_word_is_not_enough() -> None:
    assert match(form("daftar akun"), Candidate(1, form("daftar hibah sabilulungan"))) is None


def test_close_meaning_matches_when_a_term_is_shared() -> None:
    near = (1.0, 0.1)
    asked = form("kapan batas aju hibah", vector=(1.0, 0.0))
    later = Candidate(2, form("sampai kapan hibah buka", vector=near))
    assert cosine((1.0, 0.0), near) >= DENSE_MATCH
    found = match(asked, later)
    assert found is not None and found.by == "meaning"
    far = Candidate(3, form("sampai kapan hibah buka", vector=(0.0, 1.0)))
    assert match(asked, far) is None


def test_best_match_prefers_the_closest_then_the_newest() -> None:
    asked = form("aju gampil izin")
    candidates = [
        Candidate(1, form("aju gampil izin cara")),
        Candidate(2, form("aju gampil izin")),
        Candidate(3, form("aju gampil izin")),
    ]
    found = best_match(asked, candidates)
    assert found is not None and found.curated_id == 3
    assert best_match(asked, []) is None
