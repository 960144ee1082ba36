"""Grouping gap questions: the indexed grouping equals comparing with every group."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge_base.gaps import (
    GapSeed,
    LoggedQuestion,
    assign,
    group_all_pairs,
    prefix_length,
    similar,
    terms_of,
)


def q(question_id: int, text: str) -> LoggedQuestion:
    return LoggedQuestion(question_id, terms_of(text))


def test_similar_is_shared_terms_over_the_smaller_set() -> None:
    assert similar(terms_of("aju cara gampil izin"), terms_of("aju gampil izin"))
    assert not similar(terms_of("aju cara gampil izin"), terms_of("akun cara daftar gampil"))
    assert similar(frozenset(), frozenset()) and not similar(frozenset(), terms_of("izin"))
    assert [prefix_length(n) for n in (1, 2, 4, 8)] == [1, 1, 2, 3]


def test_new_questions_join_existing_gaps_or_start_new_ones() -> None:
    seeds = [GapSeed(7, terms_of("aju gampil izin")), GapSeed(9, terms_of("hibah syarat"))]
    grouping = assign(
        seeds,
        [
            q(1, "aju cara gampil izin"),  # joins gap 7
            q(2, "otp sms waktu"),  # new
            q(3, "hibah dokumen syarat"),  # joins gap 9
            q(4, "berlaku otp sms waktu"),  # joins the new group of question 2
        ],
    )
    assert grouping.into_existing == {7: [1], 9: [3]}
    assert grouping.new_groups == [[2, 4]]


def test_the_best_candidate_wins_and_ties_go_to_the_oldest() -> None:
    seeds = [GapSeed(1, terms_of("a b c d")), GapSeed(2, terms_of("a b c"))]
    assert assign(seeds, [q(10, "a b c")]).into_existing == {2: [10]}  # identical set
    seeds = [GapSeed(1, terms_of("a b x")), GapSeed(2, terms_of("a b y"))]
    assert assign(seeds, [q(10, "a b")]).into_existing == {1: [10]}


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_indexed_grouping_equals_all_pairs(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [f"t{i}" for i in range(40)]
    weights = [1 / (i + 1) for i in range(40)]  # a few frequent terms, many rare ones
    questions = [
        LoggedQuestion(i, frozenset(rng.choices(vocabulary, weights, k=rng.randint(0, 6))))
        for i in range(120)
    ]
    indexed = assign([], questions)
    assert indexed.into_existing == {}
    assert indexed.new_groups == group_all_pairs(questions)
