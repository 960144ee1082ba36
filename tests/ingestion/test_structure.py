# ruff: noqa: E501 (the regulation text keeps its long lines, as dumps of regulations do)
"""Regulations structured by BAB, Bagian, Pasal and ayat, in plain (and OCR'd) text."""

from __future__ import annotations

import re

import pytest

from ingestion import structure
from ingestion.chunking import chunk_blocks
from ingestion.pipeline import prepare
from ingestion.schemas import Block
from ingestion.structure import find_regulation, structure_regulation

# Markdown-like text as regulation dumps come: articles run together in one paragraph,
# OCR noise ("(21" for "(2)", "Bagran" for "Bagian", "2Ol8" for "2018"), references to other
# articles inside the text.
REGULATION = """PERATURAN PEMERINTAH REPUBLIK INDONESIA NOMOR 28 TAHUN 2Ol8 TENTANG KERJA SAMA DAERAH
DENGAN RAHMAT TUHAN YANG MAHA ESA bahwa untuk melaksanakan ketentuan Pasal 369 Undang-Undang Nomor 23 Tahun 2014 perlu menetapkan Peraturan Pemerintah; Pasal 5 ayat (2) Undang-Undang Dasar.

BAB I KETENTUAN UMUM Pasal 1 Dalam Peraturan Pemerintah ini yang dimaksud dengan Kerja Sama Daerah adalah usaha bersama antara daerah dan daerah lain.

BAB II KERJA SAMA DAERAH DENGAN DAERAH LAIN Bagran Kesatu Subjek Hukum Pasal 2 (1) Dalam pelaksanaan KSDD, daerah diwakili oleh gubernur. (21 Gubernur dapat memberikan kuasa kepada pejabat sebagaimana dimaksud dalam Pasal 1.

Bagian Kedua Kategori Pasal 3 (1) KSDD dikategorikan menjadi kerja sama wajib dan kerja sama sukarela. (2) Kerja sama wajib dilaksanakan oleh 2 (dua) atau lebih daerah yang berbatasan sebagaimana dimaksud pada ayat (1).

Pasal 4 Verifikasi rencana kerja sama paling lama 14 (empat belas) hari kerja.

PENJELASAN ATAS PERATURAN PEMERINTAH NOMOR 28 TAHUN 2018 I. UMUM Kerja sama daerah meningkatkan pelayanan.

Pasal 1 Cukup jelas. Pasal 2 Ayat (1) Yang dimaksud dengan daerah adalah daerah otonom. Ayat (2) Cukup jelas.
"""


def _blocks(text: str) -> list[Block]:
    return [Block("paragraph", p.strip()) for p in text.split("\n\n") if p.strip()]


def test_a_regulation_is_named_as_it_is_cited() -> None:
    regulation = find_regulation(REGULATION)
    assert regulation is not None
    assert regulation.short_name == "PP 28/2018"
    assert regulation.title == "PP 28/2018 tentang Kerja Sama Daerah"
    assert find_regulation("Panduan Gampil: cara mendaftar akun.") is None


def test_articles_become_sections_and_ayat_labels_in_running_text() -> None:
    blocks = structure_regulation(_blocks(REGULATION))
    assert blocks is not None
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert "Pasal 1" in headings and "Pasal 2" in headings and "Pasal 4" in headings
    assert any(h.startswith("BAB II KERJA SAMA DAERAH") for h in headings)
    assert "Bagian Kesatu Subjek Hukum" in headings
    labels = {b.label for b in blocks if b.kind == "paragraph"}
    # "(21" is the OCR'd "(2)"; "dimaksud dalam Pasal 1" is a reference, not a heading.
    assert {"Pasal 2 ayat (1)", "Pasal 2 ayat (2)", "Pasal 3 ayat (2)", "Pasal 4"} <= labels
    assert "Pembukaan" in labels
    # The numbering restarts in the Penjelasan: its articles are labelled as such.
    assert "Penjelasan Pasal 2 ayat (1)" in labels
    kuasa = next(b for b in blocks if "memberikan kuasa" in b.text)
    assert kuasa.label == "Pasal 2 ayat (2)"


def test_chunks_never_straddle_two_articles() -> None:
    blocks = structure_regulation(_blocks(REGULATION))
    assert blocks is not None
    chunks = chunk_blocks(blocks, "PP 28/2018 tentang Kerja Sama Daerah", size=1200, overlap=120)
    for chunk in chunks:
        articles = {label.split(" ayat")[0] for _, _, label in chunk.anchors if label}
        assert len(articles) <= 1, chunk.text
    three = next(c for c in chunks if "kerja sama wajib dan kerja sama sukarela" in c.text)
    assert three.section.endswith("Pasal 3")
    labels = [label for _, _, label in three.anchors]
    assert labels == ["Pasal 3 ayat (1)", "Pasal 3 ayat (2)"]
    offset = three.text.index("(2) Kerja sama wajib")
    assert [a for a in three.anchors if a[0] <= offset][-1][2] == "Pasal 3 ayat (2)"


def test_an_excerpt_may_start_at_any_article() -> None:
    excerpt = (
        "BAB XIV PARTISIPASI MASYARAKAT Pasal 354 (1) Pemerintah Daerah mendorong partisipasi "
        "masyarakat. (2) Partisipasi dilakukan melalui konsultasi publik.\n\nPasal 355 "
        "Masyarakat dapat menyampaikan pengaduan.\n\nPasal 356 Pengaduan ditanggapi paling "
        "lambat 14 hari."
    )
    blocks = structure_regulation(_blocks(excerpt))
    assert blocks is not None
    assert [b.text for b in blocks if b.kind == "heading" and b.text.startswith("Pasal")] == [
        "Pasal 354",
        "Pasal 355",
        "Pasal 356",
    ]


def test_a_manual_is_not_a_regulation() -> None:
    manual = _blocks(
        "Untuk mendaftar, buka menu Daftar.\n\nLihat juga Pasal 3 Peraturan Wali Kota.\n\n"
        "Langkah berikutnya: isi formulir."
    )
    assert structure_regulation(manual) is None


def test_ingestion_titles_and_types_a_regulation() -> None:
    prepared = prepare("pp-28-2018.md", REGULATION.encode(), chunk_size=1200, chunk_overlap=120)
    assert prepared.document.title == "PP 28/2018 tentang Kerja Sama Daerah"
    assert prepared.document.doc_type == "regulation"
    assert any(c.section and c.section.endswith("Pasal 3") for c in prepared.chunks)
    assert all(c.anchors for c in prepared.chunks)


def test_the_closing_article_and_an_ocr_read_number_are_headings() -> None:
    text = (
        "PERATURAN PEMERINTAH NOMOR 12 TAHUN 2022 TENTANG FORKOPIMDA\n\n"
        "Pasal 13 Forkopimda dibentuk di provinsi.\n\n"
        "Pasal 14 Forkopimda dipimpin oleh gubernur.\n\n"
        "BAB IV PENDANAAN Pasal i5 (1) Pendanaan bersumber dari anggaran daerah.\n\n"
        "Pasal 16\nPeraturan Pemerintah ini mulai berlaku pada tanggal diundangkan. "
        "Ditetapkan di Jakarta pada tanggal 25 Februari 2022.\n\n"
        "Pasal 17 Ketentuan sebagaimana dimaksud dalam Pasal 16 Peraturan Pemerintah Nomor 17."
    )
    blocks = structure_regulation(_blocks(text))
    assert blocks is not None
    labels = {b.label for b in blocks if b.kind == "paragraph"}
    # "Pasal i5" is OCR's "Pasal 15"; "Pasal 16 Peraturan Pemerintah ini mulai berlaku" is
    # the closing article, while "Pasal 16 Peraturan Pemerintah Nomor 17" is a reference.
    assert "Pasal 15 ayat (1)" in labels
    enacted = next(b for b in blocks if "25 Februari 2022" in b.text)
    assert enacted.label == "Pasal 16"
    reference = next(b for b in blocks if "Nomor 17" in b.text)
    assert reference.label == "Pasal 17"


def test_a_paragraph_number_after_ayat_is_a_reference_not_a_paragraph() -> None:
    """A reference "dimaksud dalam Pasal 14 ayat (2) huruf a" inside paragraph (1) points at one:
    it opens none, so the sentence stays whole and the real "(2)" after it is paragraph 2."""
    text = (
        "PERATURAN PEMERINTAH NOMOR 96 TAHUN 2012 TENTANG PELAYANAN PUBLIK\n\n"
        "Pasal 14 (1) Pelayanan terpadu diselenggarakan daerah. (2) Pelayanan terpadu terdiri "
        "atas: a. satu pintu; dan b. satu atap.\n\n"
        "Pasal 15 (1) Sistem pelayanan terpadu satu pintu sebagaimana dimaksud dalam Pasal 14 "
        "ayat (2) huruf a dilakukan dengan memadukan beberapa jenis pelayanan. (2) Sistem satu "
        "pintu wajib dilaksanakan untuk perizinan bidang penanaman modal.\n\n"
        "Pasal 16 Sistem satu atap diselenggarakan oleh pemerintah daerah."
    )
    blocks = structure_regulation(_blocks(text))
    assert blocks is not None
    first = next(b for b in blocks if "memadukan" in b.text)
    assert first.label == "Pasal 15 ayat (1)"
    assert "ayat (2) huruf a dilakukan" in first.text
    second = next(b for b in blocks if "penanaman modal" in b.text)
    assert second.label == "Pasal 15 ayat (2)"


def test_a_general_elucidation_whose_penjelasan_heading_ocr_lost_is_not_the_last_article() -> None:
    """OCR may garble the "PENJELASAN ATAS ..." heading beyond recognition; its "I. UMUM" still
    opens the Penjelasan, so the general elucidation is not labelled as the last article."""
    garbled = REGULATION.replace(
        "PENJELASAN ATAS PERATURAN PEMERINTAH NOMOR 28 TAHUN 2018 I. UMUM",
        'PR ES IO EN REPUBLIK INDONESIA pERAruRAN r"r"*,*llT*rpuBLrK NOMOR 28 TAHUN 2OI8 I. UMUM',
    ).replace("\n\nPasal 1 Cukup jelas.", " N. PASALDEMIPASAL Pasal 1 Cukup jelas.")
    blocks = structure_regulation(_blocks(garbled))
    assert blocks is not None
    general = next(b for b in blocks if "meningkatkan pelayanan" in b.text)
    assert general.label == "Penjelasan"
    verifikasi = next(b for b in blocks if "Verifikasi rencana" in b.text)
    assert verifikasi.label == "Pasal 4"
    assert "Penjelasan Pasal 2 ayat (1)" in {b.label for b in blocks}


def test_umum_inside_the_body_opens_no_penjelasan() -> None:
    """Only a numbered "I. UMUM" after the articles opens the Penjelasan: "KETENTUAN UMUM"
    (a chapter's title) and a lower-case "umum" in the text do not."""
    blocks = structure_regulation(_blocks(REGULATION))
    assert blocks is not None
    first = next(b for b in blocks if "usaha bersama antara daerah" in b.text)
    assert first.label == "Pasal 1"
    text = REGULATION.replace(
        "Pasal 4 Verifikasi rencana", "Pasal 4 Pelayanan umum. I. Umum dicatat. Verifikasi rencana"
    )
    blocks = structure_regulation(_blocks(text))
    assert blocks is not None
    verifikasi = next(b for b in blocks if "Verifikasi rencana" in b.text)
    assert verifikasi.label == "Pasal 4"


def test_ocr_spellings_of_an_article_heading_open_the_next_article() -> None:
    """OCR misreads the heading's word ("Pasa1", "PasaL", "Pasa]", "P. asal", "Pasa-l") and
    number ("2T" for 27, "2 I" for 21); each still opens the very next article, so its text is
    not cited as the previous one's."""
    text = (
        "PERATURAN PEMERINTAH NOMOR 19 TAHUN 2018 TENTANG TUNJANGAN\n\n"
        "Pasal 20 Tunjangan dibayarkan bulan Juni. Pasa] 2 I Tunjangan tidak dipotong pajak.\n\n"
        "Pasal 22 Tunjangan diberikan sekali setahun. PasaL 23 (1) Penerima pensiun diberikan "
        "tunjangan. (2) Penerima tunjangan diberikan tunjangan.\n\n"
        "BAB IV PENDANAAN P. asal 24 (i) Pendanaan bersumber dari anggaran daerah.\n\n"
        "a. Pasa-l 25 Belanja operasi dirinci atas jenis.\n\n"
        "Pembayaran Pasa1 26 Penerima gaji terusan diberikan tunjangan.\n\n"
        "Pasal 2T Pengendali data wajib memproses data secara terbatas."
    )
    blocks = structure_regulation(_blocks(text))
    assert blocks is not None
    expected = {
        "tidak dipotong pajak": "Pasal 21",
        "Penerima pensiun": "Pasal 23 ayat (1)",
        "Penerima tunjangan": "Pasal 23 ayat (2)",
        "bersumber dari anggaran": "Pasal 24 ayat (1)",
        "Belanja operasi": "Pasal 25",
        "gaji terusan": "Pasal 26",
        "secara terbatas": "Pasal 27",
    }
    for words, label in expected.items():
        assert next(b for b in blocks if words in b.text).label == label, words


def test_an_ocr_spelling_is_read_only_as_the_very_next_article() -> None:
    """A misread word or number is a weaker reading than "Pasal 12": it opens no article
    ahead of the sequence ("Pasa1 9" after Pasal 6), and "Pasal 2T" right after Pasal 2 is
    no article 27."""
    text = (
        "PERATURAN PEMERINTAH NOMOR 19 TAHUN 2018 TENTANG TUNJANGAN\n\n"
        "Pasal 1 Tunjangan dibayarkan. Pasal 2 Tunjangan diberikan sekali.\n\n"
        "Pasal 3 Tunjangan tidak dipotong. Pasa1 9 Penerima gaji terusan diberikan tunjangan. "
        "Pasal 2T Pengendali data wajib memproses data."
    )
    blocks = structure_regulation(_blocks(text))
    assert blocks is not None
    assert next(b for b in blocks if "gaji terusan" in b.text).label == "Pasal 3"
    assert next(b for b in blocks if "Pengendali data" in b.text).label == "Pasal 3"


def test_a_long_document_of_article_references_is_read_at_once() -> None:
    """Each "Pasal N" of the document is weighed by the word before it and the text after it
    only: everything before each one was sliced and split (a 100,000-character text followed
    by 200 "Pasal 1 ... dalam Pasal 2" pairs took 80 s; 500,000 characters, 400 s)."""
    prose = "kata " * 20_000
    references = "Pasal 1 Ketentuan umum. Hal itu diatur dalam Pasal 2 dan seterusnya. " * 200
    # Its speed is measured, not asserted (docs/benchmarks.md, "Pathological inputs and
    # leftovers, fourteenth round"): here, what it finds.
    assert structure_regulation([Block("paragraph", prose), Block("paragraph", references)]) is None
    # A reference stays a reference wherever the document is long: only the headings open.
    text = prose + "Pasal 1 Isi. Lihat Pasal 2 ayat (1). Pasal 2 Isi. Pasal 3 Isi. Pasal 4 Isi."
    structured = structure_regulation([Block("paragraph", text)])
    assert structured is not None
    assert [b.text for b in structured if b.kind == "heading"] == [
        "Pasal 1",
        "Pasal 2",
        "Pasal 3",
        "Pasal 4",
    ]


def test_a_list_numbered_in_roman_numerals_and_the_word_lit_open_no_paragraph() -> None:
    """OCR's "(i)" is paragraph (1), but not the first item of a list numbered "(i) (ii)
    (iii)", in running text or as a list, nor the "l", "i", "t" of the word "lit"."""
    articles = [Block("paragraph", f"Pasal {n} Isi pasal {n}.") for n in (1, 2, 3)]
    for tail in (
        [Block("paragraph", "Syaratnya: (i) surat; (ii) KTP; (iii) foto.")],
        [Block("paragraph", "Syaratnya:"), Block("list", "(i) surat;\n(ii) KTP;\n(iii) foto.")],
        [Block("paragraph", "Lampu jalan itu lit sepanjang malam.")],
    ):
        structured = structure_regulation([*articles, *tail])
        assert structured is not None
        assert {b.label for b in structured[-len(tail) :]} == {"Pasal 3"}, tail
    # An OCR'd "(i)" alone still opens paragraph (1), and "(2)" follows it.
    structured = structure_regulation(
        [*articles, Block("paragraph", "(i) Pendanaan dari APBD. (2) Dana lain.")]
    )
    assert structured is not None
    assert [b.label for b in structured[-2:]] == ["Pasal 3 ayat (1)", "Pasal 3 ayat (2)"]


def test_a_roman_two_is_looked_for_only_after_an_i_that_would_open_a_paragraph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each "(i)" read the 2,000 characters after it looking for an "(ii)", also where it could
    not open the next paragraph anyway (a megabyte of "(i) x" took 6 s): now only the one
    that would. What opens stays the same."""
    searched: list[str] = []
    roman_two = structure._ROMAN_TWO

    class Counting:
        def search(self, text: str) -> re.Match[str] | None:
            searched.append(text)
            return roman_two.search(text)

    monkeypatch.setattr(structure, "_ROMAN_TWO", Counting())
    articles = [Block("paragraph", f"Pasal {n} Isi pasal {n}.") for n in (1, 2, 3)]
    structured = structure_regulation([*articles, Block("paragraph", "(i) x " * 1000)])
    assert structured is not None
    assert [b.label for b in structured][-1] == "Pasal 3 ayat (1)"
    assert len(searched) == 1  # the first "(i)": paragraph (1) is taken after it


def test_a_paragraph_whose_marker_ocr_lost_does_not_swallow_the_next_one() -> None:
    """OCR read "(4)" as "(a)": "(5)" after it still opens paragraph 5 (at a sentence's start),
    where paragraph 3 ran on to the article's end; a reference "ayat (5)" and a "(5)" that
    does not open a sentence open nothing."""
    text = (
        "PERATURAN PEMERINTAH NOMOR 12 TAHUN 2019 TENTANG PENGELOLAAN KEUANGAN DAERAH\n\n"
        "Pasal 61 (1) Subsidi diberikan kepada badan usaha. (2) Badan usaha menghasilkan "
        "produk. (3) Badan usaha yang akan diberikan subsidi terlebih dahulu dilakukan audit "
        "keuangan. (a) Hasil audit menjadi bahan pertimbangan. (5) Penerima subsidi wajib "
        "menyampaikan laporan pertanggungjawaban. (6) Ketentuan lebih lanjut diatur dalam "
        "perkada.\n\n"
        "Pasal 62 (1) Hibah diberikan sesuai ayat (3) dan dicatat. (2) Hibah (4) Dicatat "
        "lagi. (3) Hibah dilaporkan sebagaimana dimaksud pada ayat (5) Peraturan ini.\n\n"
        "Pasal 63 Bantuan keuangan dianggarkan dalam APBD."
    )
    blocks = structure_regulation(_blocks(text))
    assert blocks is not None
    audit = next(b for b in blocks if "audit keuangan" in b.text)
    assert audit.label == "Pasal 61 ayat (3)"
    assert "pertanggungjawaban" not in audit.text
    report = next(b for b in blocks if "pertanggungjawaban" in b.text)
    assert report.label == "Pasal 61 ayat (5)"
    assert next(b for b in blocks if "perkada" in b.text).label == "Pasal 61 ayat (6)"
    # Not at a sentence's start, or a reference: no paragraph opens.
    second = next(b for b in blocks if "Dicatat lagi" in b.text)
    assert second.label == "Pasal 62 ayat (2)"
    third = next(b for b in blocks if "dilaporkan" in b.text)
    assert third.label == "Pasal 62 ayat (3)"
    assert "ayat (5) Peraturan ini" in third.text
