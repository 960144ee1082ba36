"""Regions named inside a question: prefixes, typos, short names, everyday words, ambiguity."""

from __future__ import annotations

import pytest

from mou_tracker.mentions import find_regions, unknown_regions
from mou_tracker.questions import KNOWN_WORDS
from mou_tracker.regions import RegionDirectory


@pytest.fixture(scope="module")
def directory() -> RegionDirectory:
    return RegionDirectory.load()


def names(text: str, directory: RegionDirectory) -> list[tuple[str, list[str], bool]]:
    return [
        (m.phrase, [r.name for r in m.candidates], m.typo)
        for m in find_regions(text, directory, known_words=KNOWN_WORDS)
    ]


@pytest.mark.parametrize(
    ("text", "phrase", "region"),
    [
        (
            "Perjanjian dengan Kabupaten Kerinci sudah sampai mana?",
            "Kabupaten Kerinci",
            "Kabupaten Kerinci",
        ),
        ("status Kab. Kerinci", "Kab Kerinci", "Kabupaten Kerinci"),
        ("mou pemkot tanjung pinang", "pemkot tanjung pinang", "Kota Tanjung Pinang"),
        (
            "Pemerintah Kabupaten Sarolangun",
            "Pemerintah Kabupaten Sarolangun",
            "Kabupaten Sarolangun",
        ),
        ("kerjasama dengan Tanjungpinang", "Tanjungpinang", "Kota Tanjung Pinang"),
        ("pks gampil sergai udh ttd blm", "sergai", "Kabupaten Serdang Bedagai"),
        ("perjanjian ama aceh tengah", "aceh tengah", "Kabupaten Aceh Tengah"),
        ("Daftar perjanjian dengan Provinsi Jambi.", "Provinsi Jambi", "Jambi"),
    ],
)
def test_names_with_and_without_prefixes(
    directory: RegionDirectory, text: str, phrase: str, region: str
) -> None:
    [(found_phrase, candidates, typo)] = names(text, directory)
    assert (found_phrase, candidates, typo) == (phrase, [region], False)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Perjanjian dgn Kerincii gmn?", "Kabupaten Kerinci"),
        ("kapan kesepakatan dg sarolangung berakhir", "Kabupaten Sarolangun"),
        ("siapa koordinatr mempwah", "Kabupaten Mempawah"),
        ("kerjasama sm serdang bedagei udah sampe mana", "Kabupaten Serdang Bedagai"),
        ("tanjungpinag udh sampe mana", "Kota Tanjung Pinang"),
    ],
)
def test_typos_are_read(directory: RegionDirectory, text: str, region: str) -> None:
    [(_, candidates, typo)] = names(text, directory)
    assert candidates == [region] and typo


def test_a_bare_name_of_two_regions_keeps_both(directory: RegionDirectory) -> None:
    [(phrase, candidates, _)] = names("tasik gimana progresnya?", directory)
    assert phrase == "tasik"
    assert candidates == ["Kabupaten Tasikmalaya", "Kota Tasikmalaya"]
    [(_, typo_candidates, typo)] = names("yg telat di Mojokerta apa aja", directory)
    assert typo and typo_candidates == ["Kabupaten Mojokerto", "Kota Mojokerto"]
    [(_, city, _)] = names("Kota Tasikmalaya", directory)
    assert city == ["Kota Tasikmalaya"]


@pytest.mark.parametrize(
    "text",
    [
        "yang malang sekali nasibnya",  # "malang": unlucky
        "batu di jalan",  # "batu": a stone
        "Apa saja kendala umum saat mereplikasi aplikasi?",  # "kendala" is not a mistyped Kendal
        "Bagaimana cara mengatur ulang kata sandi?",  # "ulang kata" is not Langkat
        "perjanjian tonggak tenggat terlambat",  # the question's own words are no regions
    ],
)
def test_words_are_not_regions(directory: RegionDirectory, text: str) -> None:
    assert names(text, directory) == []


def test_everyday_names_count_with_a_prefix_or_a_capital(directory: RegionDirectory) -> None:
    assert names("mou kota batu", directory)[0][1] == ["Kota Batu"]
    assert names("perjanjian dengan Malang", directory)[0][1] == [
        "Kabupaten Malang",
        "Kota Malang",
    ]


def test_several_regions_in_order(directory: RegionDirectory) -> None:
    found = names("Perjanjian Kota Bandung dengan Kab. Kerinci dan Sarolangun", directory)
    assert [c for _, c, _ in found] == [
        ["Kota Bandung"],
        ["Kabupaten Kerinci"],
        ["Kabupaten Sarolangun"],
    ]


@pytest.mark.parametrize(
    ("text", "unknown"),
    [
        ("Kapan PKS dengan Kabupaten Atlantis ditandatangani?", ("Kabupaten Atlantis",)),
        ("Pemkot Atlantis dan Kab. Kerinci", ("Pemkot Atlantis",)),
        ("KB dengan Kota Zyx Qwerty Raya", ("Kota Zyx Qwerty",)),  # "Raya" is a word
        ("Kapan PKS dengan Kab. Kerinci ditandatangani?", ()),  # a region
        ("perjanjian dgn Kab. Kerincii", ()),  # a typo read as Kerinci
        ("PKS dengan Provinsi Jawa Barat", ()),
        ("kabupaten mana yang telat?", ()),  # no name written
        ("Kota Baru gimana?", ()),  # a word, not a name
        ("dengan kota atlantis", ()),  # not written as a name
    ],
)
def test_a_name_written_as_a_region_no_directory_knows_is_found(
    directory: RegionDirectory, text: str, unknown: tuple[str, ...]
) -> None:
    mentions = find_regions(text, directory, known_words=KNOWN_WORDS)
    assert unknown_regions(text, mentions, known_words=KNOWN_WORDS) == unknown
