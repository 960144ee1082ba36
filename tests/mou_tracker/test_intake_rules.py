"""The agreement reader's rules: words, dates, terms, numbers, parties, apps, parents."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mou_tracker.intake.apps import find_apps
from mou_tracker.intake.rules import add_term, normalize_number, read_agreement, smart_case
from mou_tracker.intake.schemas import SourcePage, Term
from mou_tracker.intake.words import word_date, words_to_number
from mou_tracker.regions import RegionDirectory

REGIONS = RegionDirectory.load()


def read(text: str, *, confidence: float = 1.0):  # type: ignore[no-untyped-def]
    pages = [
        SourcePage(number, tuple(page.strip("\n").splitlines()), confidence)
        for number, page in enumerate(text.split("\f"), start=1)
    ]
    return read_agreement(pages, REGIONS)


KB = """KESEPAKATAN BERSAMA
ANTARA
PEMERINTAH KOTA BANDUNG
DENGAN
PEMERINTAH KABUPATEN KERINCI
TENTANG
REPLIKASI APLIKASI HAYU.BDG DAN E-RK
NOMOR : 119/HK.01/Bag.Huk/2025
NOMOR : 180 / 45 / HK / 2025
Pada hari ini Senin tanggal tujuh belas bulan Maret tahun dua ribu dua puluh lima,
bertempat di Bandung, kami yang bertanda tangan di bawah ini:
Dasar hukum: Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah.
\f
Pasal 7
Kesepakatan Bersama ini berlaku untuk jangka waktu 5 (lima) tahun terhitung sejak
tanggal ditandatangani.
"""


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("tujuh belas", 17),
        ("sebelas", 11),
        ("dua puluh", 20),
        ("tiga puluh satu", 31),
        ("dua ribu dua puluh lima", 2025),
        ("dua ribu delapan belas", 2018),
        ("seratus dua puluh", 120),
        ("seribu sembilan ratus sembilan puluh sembilan", 1999),
        ("dua tiga", None),
        ("lima kucing", None),
    ],
)
def test_number_words(words: str, value: int | None) -> None:
    assert words_to_number(words) == value


def test_dates_in_words() -> None:
    assert word_date("tujuh belas", "Maret", "dua ribu dua puluh lima") == date(2025, 3, 17)
    assert word_date("tiga puluh", "Februari", "dua ribu dua puluh lima") is None  # no such day


def test_a_kb_is_read_field_by_field_with_where_it_was_found() -> None:
    reading = read(KB)
    assert reading.kind is not None and reading.kind.value == "kb"
    assert [n.value for n in reading.numbers] == ["119/HK.01/Bag.Huk/2025", "180/45/HK/2025"]
    assert [(n.page, n.line) for n in reading.numbers] == [(1, 8), (1, 9)]
    assert reading.title is not None
    assert reading.title.value == "Kesepakatan Bersama tentang Replikasi Aplikasi Hayu.Bdg dan e-RK"
    assert reading.signed_on is not None and reading.signed_on.value == date(2025, 3, 17)
    assert reading.signed_on.confidence >= 0.95  # the weekday fits the date
    assert reading.ends_on is not None and reading.ends_on.value == date(2030, 3, 17)
    assert reading.ends_on.page == 2
    assert reading.region_codes == ("32.73", "15.01")
    assert [a.value for a in reading.apps] == ["Hayu.Bdg", "e-RK"]
    assert reading.parent_numbers == ()  # a KB carries out nothing; laws are not parents


def test_a_weekday_that_does_not_fit_lowers_the_confidence() -> None:
    reading = read(KB.replace("Senin tanggal", "Kamis tanggal"))
    assert reading.signed_on is not None and reading.signed_on.value == date(2025, 3, 17)
    assert reading.signed_on.confidence < 0.7


def test_ocr_confidence_carries_into_the_fields() -> None:
    clean, blurred = read(KB), read(KB, confidence=0.5)
    assert clean.kind is not None and blurred.kind is not None
    assert blurred.kind.confidence < clean.kind.confidence


def test_digits_with_words_and_explicit_end_dates() -> None:
    text = KB.replace(
        "Pada hari ini Senin tanggal tujuh belas bulan Maret tahun dua ribu dua puluh lima,",
        "Pada hari ini, Senin, tanggal 17 Maret 2025, bertempat di Bandung,",
    ).replace(
        "berlaku untuk jangka waktu 5 (lima) tahun terhitung sejak",
        "berlaku sampai dengan tanggal 31 Desember 2027 terhitung sejak",
    )
    reading = read(text)
    assert reading.signed_on is not None and reading.signed_on.value == date(2025, 3, 17)
    assert reading.ends_on is not None and reading.ends_on.value == date(2027, 12, 31)


def test_months_terms_and_signature_dates() -> None:
    text = """PERJANJIAN KERJASAMA
ANTARA
DINAS KOMUNIKASI DAN INFORMATIKA KOTA BANDUNG
DAN
DINAS KOMUNIKASI DAN INFORMATIKA KABUPATEN SERDANG BEDAGAI
TENTANG
PENDAMPINGAN APLIKASI GAMPIL
NOMOR: 027/PKS.41-Diskominfo/2025 NOMOR: 503/1182/DPMPTSP/2025
Kami yang bertanda tangan di bawah ini:
Perjanjian ini merupakan pelaksanaan Kesepakatan Bersama Nomor 415.4/051-Huk/2025 dan
Nomor 119/871/Huk/2025 tentang Replikasi Aplikasi.
Perjanjian ini berlaku selama 18 (delapan belas) bulan sejak tanggal ditandatangani.
Ditandatangani di Bandung pada tanggal 15 September 2025
"""
    reading = read(text)
    assert reading.kind is not None and reading.kind.value == "pks"
    assert reading.region_codes == ("32.73", "12.18")  # the agencies' regions
    assert [n.value for n in reading.numbers] == [
        "027/PKS.41-Diskominfo/2025",
        "503/1182/DPMPTSP/2025",
    ]
    assert [n.value for n in reading.parent_numbers] == ["415.4/051-Huk/2025", "119/871/Huk/2025"]
    assert reading.signed_on is not None and reading.signed_on.value == date(2025, 9, 15)
    assert reading.ends_on is not None and reading.ends_on.value == date(2027, 3, 15)


def test_an_ambiguous_region_is_asked_unless_the_signatory_says_which() -> None:
    text = KB.replace("PEMERINTAH KABUPATEN KERINCI", "PEMERINTAH TASIKMALAYA")
    [_, tasik] = read(text).parties
    assert tasik.code is None
    assert {code for code, _ in tasik.candidates} == {"32.06", "32.78"}
    signed = read(text + "\nWALI KOTA TASIKMALAYA,\n")
    assert signed.parties[1].code == "32.78"


def test_an_addendum_names_what_it_amends() -> None:
    text = """ADENDUM PERTAMA
PERJANJIAN KERJA SAMA
ANTARA PEMERINTAH KOTA BANDUNG DAN PEMERINTAH KABUPATEN GARUT
TENTANG REPLIKASI APLIKASI GAMPIL
NOMOR : 027/PKS.33-ADD.1/2025
Pada hari ini Rabu tanggal satu bulan Oktober tahun dua ribu dua puluh lima,
Para Pihak sepakat melakukan perubahan atas Perjanjian Kerja Sama Nomor
027/PKS.33-Diskominfo/2024 tentang Replikasi Aplikasi Gampil.
Perjanjian ini berlaku sampai dengan tanggal 31 Desember 2027.
"""
    reading = read(text)
    assert reading.kind is not None and reading.kind.value == "addendum"
    assert [n.value for n in reading.numbers] == ["027/PKS.33-ADD.1/2025"]
    assert [n.value for n in reading.parent_numbers] == ["027/PKS.33-Diskominfo/2024"]
    assert reading.ends_on is not None and reading.ends_on.value == date(2027, 12, 31)
    assert reading.title is not None
    assert reading.title.value.startswith("Adendum Pertama Perjanjian Kerja Sama tentang")


def test_numbers_lose_ocr_confusions_and_spaces() -> None:
    assert normalize_number("119 / HK.O1 / 2025.") == "119/HK.01/2025"
    assert normalize_number("555/2l1/Kominfo/2024") == "555/211/Kominfo/2024"


def test_terms_end_on_the_same_day_or_the_month_end() -> None:
    assert add_term(date(2025, 3, 17), Term(years=5)) == date(2030, 3, 17)
    assert add_term(date(2024, 2, 29), Term(years=1)) == date(2025, 2, 28)
    assert add_term(date(2025, 8, 31), Term(months=6)) == date(2026, 2, 28)


def test_apps_from_the_dictionary_and_shaped_names_only() -> None:
    text = (
        'meliputi aplikasi Gampil, aplikasi "Sampurasun", aplikasi e-Retribusi, '
        "aplikasi Perizinan daring dan HAYU. BDG"
    )
    assert [name for name, _, _ in find_apps(text)] == [
        "Gampil",
        "Sampurasun",
        "e-Retribusi",
        "Hayu.Bdg",
    ]


def test_upper_case_titles_are_written_as_people_write_titles() -> None:
    assert smart_case("REPLIKASI APLIKASI HAYU.BDG DAN E-RK DI BIDANG SPBE") == (
        "Replikasi Aplikasi Hayu.Bdg dan e-RK di Bidang SPBE"
    )
    assert smart_case("Sudah Ditulis Biasa") == "Sudah Ditulis Biasa"


def test_the_text_documents_of_the_dev_set_are_read_exactly() -> None:
    """A regression guard on the dev set's text documents (the scans need Tesseract: bench)."""
    from ingestion import scans

    folder = Path(__file__).resolve().parent.parent / "data" / "agreements"
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    for name, truth in expected.items():
        if truth["format"] != "text":
            continue
        document = scans.read_lines(name, (folder / name).read_bytes(), None)
        pages = [SourcePage(p.page, p.lines) for p in document.pages]
        reading = read_agreement(pages, REGIONS)
        assert reading.kind is not None and reading.kind.value == truth["kind"], name
        assert [n.value for n in reading.numbers] == truth["numbers"], name
        assert [n.value for n in reading.parent_numbers] == truth["parent_numbers"], name
        assert reading.signed_on is not None, name
        assert reading.signed_on.value.isoformat() == truth["signed_on"], name
        assert reading.ends_on is not None, name
        assert reading.ends_on.value.isoformat() == truth["ends_on"], name
        assert sorted(a.value for a in reading.apps) == sorted(truth["apps"]), name
        if "ambiguous" not in name:
            assert list(reading.region_codes) == truth["region_codes"], name
