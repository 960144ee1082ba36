"""How a passage is cut into the units an answer quotes."""

from __future__ import annotations

import pytest

from ingestion.chunking import sentences
from knowledge_base import units
from knowledge_base.units import passage_units, split_spans


def _texts(text: str) -> list[str]:
    return [s.text for s in split_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Jakarta adalah ibu kota Indonesia.[1] Kota ini terletak di Jawa.",
            ["Jakarta adalah ibu kota Indonesia.[1]", "Kota ini terletak di Jawa."],
        ),
        ("Selesai.[1][23] Berikutnya di sini.", ["Selesai.[1][23]", "Berikutnya di sini."]),
        ('Ia berkata "selesai." Lalu pergi.', ['Ia berkata "selesai."', "Lalu pergi."]),
        (
            "Izin terbit (dalam 3 hari.) Biaya gratis.",
            ["Izin terbit (dalam 3 hari.)", "Biaya gratis."],
        ),
    ],
)
def test_a_sentence_ends_after_citation_marks_and_closing_quotes(
    text: str, expected: list[str]
) -> None:
    assert _texts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Diatur dalam Perda No. 5 Tahun 2020 tentang pajak daerah.",
        "Biaya retribusi Rp. 10.000 per hari.",
    ],
)
def test_an_abbreviation_before_a_number_does_not_end_a_sentence(text: str) -> None:
    assert _texts(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Naskah dirumuskan oleh Tadashi Maeda, S. Nishijima, S. Miyoshi dan Soekarno.",
        "Robert Lawrence Stine, dikenal juga sebagai R. L. Stine, adalah penulis.",
        "Rektor pertama kampus itu adalah Drs. H. Uso.",
        "Kanal itu dikonsep oleh Prof. Ir. Hendrik van Breen.",
        "Uskup pribumi pertama adalah Mgr. Albertus Soegijapranata, S.J. dari Semarang.",
        "Gereja itu didirikan oleh Rev. Johannes Gerhard Thiessen pada tahun 1901.",
        "Rektor pertamanya adalah Letkol. H. Hasan Basry, wakilnya Abdul Wahab.",
        "Ia melantik Residen Djamin gr. Datuk Bagindo sebagai gubernur.",
        "Bersama Br. Bernard ia mendirikan gereja di Cepu.",
        "Pendirinya Ds. Roesman Moeljodwiatmoko dan Prof. Ds. Abineno.",
        "Kantor itu di Kel. Lebak Siliwangi, Kec. Coblong, Kota Bandung.",
        "Subang (Latin: Kab. Subang) terletak di Prov. Jawa Barat.",
        "Lomba diikuti Ds. Sukamaju dari Kab. Garut.",
    ],
)
def test_an_initial_or_a_title_does_not_end_a_sentence(text: str) -> None:
    assert _texts(text) == [text]
    assert [s.strip() for s in sentences(text)] == [text]


def test_a_sentence_after_a_name_with_initials_still_ends() -> None:
    assert _texts("Penulisnya R. L. Stine. Ia lahir di Ohio.") == [
        "Penulisnya R. L. Stine.",
        "Ia lahir di Ohio.",
    ]


def test_an_era_after_a_year_may_end_a_sentence() -> None:
    text = "Kerajaan itu berdiri tahun 1293 hingga 1500 M. Kerajaan ini mencapai puncaknya."
    assert _texts(text) == ["Kerajaan itu berdiri tahun 1293 hingga 1500 M.", text[47:]]
    assert _texts("Ia wafat tahun 1344 H. Makamnya di Jombang.") == [
        "Ia wafat tahun 1344 H.",
        "Makamnya di Jombang.",
    ]
    # Any other capital after a figure is still an initial: "1947 S. B. Yudhoyono".
    assert len(_texts("Presiden sejak 1947 S. B. Yudhoyono menjabat.")) == 1


def test_a_region_at_the_end_of_a_sentence_still_ends_it() -> None:
    # The kind of a region is abbreviated before its name only; a sentence ending on the
    # word "kab." (lower case, a word cut short) or a text ending on a title still ends.
    assert _texts("Rapat di kantor kab. Besok lanjut.") == ["Rapat di kantor kab.", "Besok lanjut."]
    assert _texts("Surat ditujukan kepada Kab.") == ["Surat ditujukan kepada Kab."]


def test_grams_after_a_figure_still_end_a_sentence() -> None:
    assert _texts("Beratnya 100 gr. Kemudian dimasak.") == ["Beratnya 100 gr.", "Kemudian dimasak."]


def test_spans_point_at_their_text_in_the_passage() -> None:
    text = "Judul\n  Satu dua.[4] Tiga empat!  Lima?\n- butir daftar"
    spans = split_spans(text, offset=10)
    assert [s.text for s in spans] == [
        "Judul",
        "Satu dua.[4]",
        "Tiga empat!",
        "Lima?",
        "- butir daftar",
    ]
    assert all(text[s.start - 10 : s.end - 10] == s.text for s in spans)
    assert spans[-1].is_list


def test_the_chunker_cuts_sentences_where_the_answer_does() -> None:
    text = "Jakarta adalah ibu kota.[1] Kota ini besar. Perda No. 5 berlaku."
    assert [s.strip() for s in sentences(text)] == _texts(text)


def test_a_passages_units_are_read_once_and_each_call_gets_its_own_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []
    real = units.split_spans

    def counted(text: str, offset: int = 0) -> list[units.Span]:
        read.append(text)
        return real(text, offset)

    monkeypatch.setattr(units, "split_spans", counted)
    text = "Panduan Cache > Biaya\nBiaya izin Rp 50.000. | Jenis | Waktu |\n| Reklame | 3 hari |"
    first = passage_units(text, "Panduan Cache", "Biaya")
    assert first == units._units_of(text, "Panduan Cache", "Biaya")  # as computed afresh
    first.clear()  # a caller's list is its own
    again = passage_units(text, "Panduan Cache", "Biaya")
    assert again == units._units_of(text, "Panduan Cache", "Biaya") and again
    assert len(read) == 3  # the two fresh computations and one for both calls
    # Another title or section is another passage: its units are computed.
    other = passage_units(text, "Panduan Lain", None)
    assert other == units._units_of(text, "Panduan Lain", None)
    assert len(read) == 5


def test_only_the_last_passages_units_are_kept() -> None:
    units._passage_units.cache_clear()
    for i in range(units.UNITS_REMEMBERED + 10):
        passage_units(f"Judul > Bagian\nKalimat nomor {i}.", "Judul", "Bagian")
    assert units._passage_units.cache_info().currsize == units.UNITS_REMEMBERED


_DEFINITIONS = (
    "1. Koordinasi adalah tindakan untuk menyinergikan dan mengharmoniskan penyelenggaraan "
    "perlindungan anak secara terpadu. 2. Perlindungan Anak adalah segala kegiatan untuk "
    "menjamin dan melindungi anak dan hak-haknya agar dapat hidup, tumbuh, berkembang, dan "
    "berpartisipasi secara optimal. 3. Anak adalah seseorang yang belum berusia 18 (delapan "
    "belas) tahun; 5. bukan butir berikutnya. 4. Hak Anak adalah bagian dari hak asasi manusia."
)


def test_items_a_scan_ran_into_one_long_line_are_units_apart() -> None:
    # OCR lost the breaks between the definitions: quoted whole, one asked term brought 900
    # characters. The items split where the next number follows a sentence's end, in order.
    spans = split_spans(f"Yang dimaksud dengan:\n{_DEFINITIONS}", offset=4)
    assert [s.text for s in spans] == [
        "Yang dimaksud dengan:",
        _DEFINITIONS[: _DEFINITIONS.index(" 2.")],
        _DEFINITIONS[_DEFINITIONS.index("2.") : _DEFINITIONS.index(" 3.")],
        _DEFINITIONS[_DEFINITIONS.index("3. ") : _DEFINITIONS.index(" 4.")],
        _DEFINITIONS[_DEFINITIONS.index("4. ") :],
    ]
    text = f"Yang dimaksud dengan:\n{_DEFINITIONS}"
    assert all(s.is_list for s in spans[1:]) and not spans[0].is_list
    assert all(text[s.start - 4 : s.end - 4] == s.text for s in spans)


@pytest.mark.parametrize(
    "line",
    [
        "1. Pendek. 2. Butir kedua.",  # short: a line as written
        "a. " + "kata " * 80 + "c. bukan b.",  # markers out of order
        "1. " + "kata " * 80 + "dalam Pasal 5 ayat 2. Anak",  # no marker after an end
    ],
)
def test_a_list_line_without_inline_items_stays_whole(line: str) -> None:
    assert _texts(line) == [line.strip()]
