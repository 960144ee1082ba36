"""A question that asks what a short form means is answered by the sentence that spells it
out, not by one that only uses it."""

from __future__ import annotations

import pytest

from knowledge_base.abbreviations import asked_abbreviations, spelled_out
from knowledge_base.answer import compose
from knowledge_base.keyword import TextNormalizer
from knowledge_base.schemas import SearchHit

NORMALIZER = TextNormalizer()

USES = (
    "Porsi TPP berdasarkan kinerja dibayarkan sebanding dengan nilai capaian TPP, sedangkan "
    "porsi disiplin TPP dihitung dari data kehadiran."
)
SPELLS = (
    "Laporan kinerja yang disetujui atasan menjadi dasar perhitungan Tambahan Penghasilan "
    "Pegawai (TPP) atau remunerasi kinerja setiap bulan."
)


@pytest.mark.parametrize(
    ("text", "short", "spelled"),
    [
        (SPELLS, "tpp", True),
        ("TPP (Tambahan Penghasilan Pegawai) dibayar bulanan.", "tpp", True),
        ("Tim Koordinasi Kerja Sama Daerah (TKKSD) dibentuk bupati.", "tkksd", True),
        ("Sistem Pemerintahan Berbasis Elektronik (SPBE) dinilai tiap tahun.", "spbe", True),
        ("Organisasi Perangkat di Daerah (OPD) menyusun rencana.", "opd", True),  # "di" skipped
        ("Human Immunodeficiency Virus (HIV) menyerang sel.", "hiv", True),
        ("Persatuan Wartawan Indonesia selanjutnya dikenal dengan nama PWI adalah", "pwi", True),
        ("Badan Usaha Milik Daerah yang selanjutnya disingkat BUMD adalah", "bumd", True),
        (USES, "tpp", False),  # used, never spelled out
        ("Data (TPP) dikirim ke pusat.", "tpp", False),  # initials do not spell it
        ("Tambahan penghasilan (tpp) dibayar.", "tpp", False),  # not written as a short form
        ("Penghasilan Pegawai (TPP) dibayar.", "tpp", False),  # one letter short
    ],
)
def test_a_long_form_is_read_by_its_initials(text: str, short: str, spelled: bool) -> None:
    assert (short in spelled_out(text)) is spelled


def test_a_text_is_read_once_for_every_short_form_it_spells_out() -> None:
    # A long meaning question offers hundreds of words: the units are read once each for
    # the short forms they spell out, not once per word of the question.
    text = f"{SPELLS} Sistem Pemerintahan Berbasis Elektronik (SPBE) dinilai. Data (ABC) dikirim."
    assert spelled_out(text) == {"tpp", "spbe"}
    assert spelled_out(USES) == set()


def test_the_question_offers_its_short_words_as_it_types_them() -> None:
    assert asked_abbreviations("Apa itu TPP?") == ["apa", "itu", "tpp"]
    assert "tkksd" in asked_abbreviations("apa kepanjangan tkksd")
    # Connecting words are never a short form, however they are written.
    assert "dan" not in asked_abbreviations("Apa itu TPP DAN SPBE?")


def _hit(cid: str, text: str, score: float) -> SearchHit:
    title = "SOP Pelaporan Kinerja Harian e-RK"
    return SearchHit(cid, "sop-erk", title, f"{title}\n{text}", None, 1, 0, score)


def _compose(question: str, hits: list[SearchHit]) -> str:
    return compose(question, hits, terms=NORMALIZER.terms, idf=lambda t: 1.0).text


@pytest.mark.parametrize("question", ["Apa itu TPP?", "apa itu tpp", "What is TPP?"])
def test_a_meaning_question_on_a_short_form_gets_the_sentence_that_spells_it_out(
    question: str,
) -> None:
    # The sentence that uses "TPP" three times outscores the one that spells it out once.
    hits = [_hit("a", USES, 0.9), _hit("b", SPELLS, 0.8)]
    assert _compose(question, hits).startswith("Laporan kinerja yang disetujui atasan")


def test_other_questions_on_a_short_form_are_composed_as_before() -> None:
    hits = [_hit("a", USES, 0.9), _hit("b", SPELLS, 0.8)]
    # Not a meaning question: the scorer's choice stands.
    assert _compose("Bagaimana porsi TPP dihitung?", hits).startswith("Porsi TPP")
    # Nothing spells the short form out: the scorer's choice stands.
    assert _compose("Apa itu TPP?", [_hit("a", USES, 0.9)]).startswith("Porsi TPP")


def test_only_whole_words_are_offered_as_short_forms() -> None:
    # A long word is no short form: its 8-letter pieces ("pendidik", "an") were offered, and a
    # passage spelling out "AN" was given for "Apa itu pendidikan?". Latin letters inside a
    # word written with look-alikes (a Cyrillic "Т") are no short form either.
    assert asked_abbreviations("Apa itu pendidikan?") == ["apa", "itu"]
    assert "pp" not in asked_abbreviations("apa itu \u0422PP?")
    assert "spbe" in asked_abbreviations("apa itu SPBE2025?")  # a digit may follow
    assert "ktp" in asked_abbreviations("apa itu e-KTP?")
    # Full-width letters read as the search reads them.
    assert "tpp" in asked_abbreviations("apa itu \uff34\uff30\uff30?")


def test_a_long_word_does_not_pick_a_passage_spelling_out_its_tail() -> None:
    title = "Panduan Sekolah Daring"
    about = "Pendidikan daring diselenggarakan sekolah melalui aplikasi belajar setiap hari kerja."
    other = "Pendaftaran pendidikan daring dikelola Akademi Nasional (AN) bersama dinas."
    hits = [
        SearchHit("a", "panduan", title, f"{title}\n{about}", None, 1, 0, 0.9),
        SearchHit("b", "edaran", title, f"{title}\n{other}", None, 1, 0, 0.8),
    ]
    answer = compose("Apa itu pendidikan daring?", hits, terms=NORMALIZER.terms, idf=lambda t: 1.0)
    assert answer.text.startswith("Pendidikan daring diselenggarakan")


def test_a_short_form_written_with_full_stops_is_read_as_one_word() -> None:
    # "T.P.P." split at its stops gave single letters: the search had no term of it and it
    # was no short form. Written in capitals or of three letters or more, it is one word;
    # "s.d." (sampai dengan) and "a.n." (atas nama) stay as they are.
    assert NORMALIZER.terms("Apa itu T.P.P.?") == NORMALIZER.terms("Apa itu TPP?") == ["tpp"]
    assert NORMALIZER.terms("penilaian S.P.B.E") == NORMALIZER.terms("penilaian SPBE")
    assert "tpp" in NORMALIZER.terms("apa itu t.p.p")
    assert NORMALIZER.terms("hari 1 s.d. 5 a.n. Bupati") == ["hari", "1", "5", "bupati"]
    assert "ab" not in NORMALIZER.terms("situs www.a.b.com")
    assert asked_abbreviations("Apa itu T.P.P.?") == ["apa", "itu", "tpp"]
    assert "spbe" in asked_abbreviations("apa kepanjangan S.P.B.E")
    dotted = SPELLS.replace("(TPP)", "(T.P.P.)")
    assert spelled_out(dotted) == {"tpp"}
    hits = [_hit("a", USES, 0.9), _hit("b", dotted, 0.8)]
    assert _compose("Apa itu T.P.P.?", hits).startswith("Laporan kinerja yang disetujui atasan")
