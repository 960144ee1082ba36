"""The stemmer strips a confix around a root word as one (core.stemming)."""

from __future__ import annotations

import pytest

from core.stemming import indonesian_stemmer


@pytest.mark.parametrize(
    ("word", "root"),
    [
        # "di-" + root + "-i" where the root starts with "ke"/"se"/"ku"...: the second prefix
        # must not be stripped first (Sastrawi gave "palai", "tuai", "nali", "pakat", "asai").
        ("dikepalai", "kepala"),
        ("diketuai", "ketua"),
        ("dikenali", "kenal"),
        ("disepakati", "sepakat"),
        ("dikuasai", "kuasa"),
        ("ditemani", "teman"),
        ("berkepentingan", "penting"),
    ],
)
def test_a_confix_around_a_root_word_is_stripped_as_one(word: str, root: str) -> None:
    assert indonesian_stemmer().stem(word) == root


@pytest.mark.parametrize(
    ("word", "root"),
    [
        # A real second prefix, or a root ending in "i", stays as before.
        ("diketahui", "tahu"),
        ("dikenai", "kena"),
        ("dikehendaki", "hendak"),
        ("dikemukakan", "muka"),
        ("diperbaiki", "baik"),
        ("mempersenjatai", "senjata"),
        ("dicari", "cari"),
        ("dimulai", "mulai"),
        ("bertahan", "tahan"),
        ("dikelola", "kelola"),
        ("kepala", "kepala"),
    ],
)
def test_other_words_keep_their_stems(word: str, root: str) -> None:
    assert indonesian_stemmer().stem(word) == root


def test_the_keyword_terms_use_it() -> None:
    from knowledge_base.keyword import TextNormalizer

    assert TextNormalizer().terms("Tim dikepalai oleh sekretaris") == [
        "tim",
        "kepala",
        "sekretaris",
    ]
