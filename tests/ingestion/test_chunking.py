from __future__ import annotations

import itertools
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion.chunking import MAX_HEADING_CHARS, WHOLE_FACTOR, chunk_blocks, sentences, split_text
from ingestion.schemas import Block

TITLE = "Panduan Replikasi"


def _body(text: str) -> str:
    return text.split("\n\n", 1)[1]


def test_each_section_starts_a_chunk_prefixed_with_title_and_path() -> None:
    blocks = [
        Block("heading", "Panduan Replikasi", level=1),
        Block("paragraph", "Pengantar singkat."),
        Block("heading", "Persiapan", level=2),
        Block("heading", "Server", level=3),
        Block("paragraph", "Siapkan server dengan 8 GB RAM."),
        Block("heading", "Pelatihan", level=2),
        Block("paragraph", "Latih operator selama dua hari."),
    ]
    chunks = chunk_blocks(blocks, TITLE, size=500)
    assert [c.text for c in chunks] == [
        "Panduan Replikasi\n\nPengantar singkat.",
        "Panduan Replikasi > Persiapan > Server\n\nSiapkan server dengan 8 GB RAM.",
        "Panduan Replikasi > Pelatihan\n\nLatih operator selama dua hari.",
    ]
    assert [c.section for c in chunks] == ["", "Persiapan > Server", "Pelatihan"]
    assert [c.position for c in chunks] == [0, 1, 2]


def test_step_list_is_kept_whole_with_its_lead_in() -> None:
    steps = "\n".join(f"{i}. Langkah nomor {i} untuk mendaftar di Gampil." for i in range(1, 9))
    blocks = [
        Block("heading", "Pendaftaran", level=1),
        Block("paragraph", "Gampil melayani izin usaha. " * 6),
        Block("paragraph", "Langkah-langkahnya:"),
        Block("list", steps),
    ]
    size = 400
    assert len(steps) + 170 > size  # does not fit after the first paragraph
    chunks = chunk_blocks(blocks, TITLE, size=size)
    holder = [c for c in chunks if "1. Langkah" in c.text]
    assert len(holder) == 1
    assert steps in holder[0].text
    assert _body(holder[0].text).startswith("Langkah-langkahnya:\n\n1.")


def test_long_list_is_cut_between_items_and_long_table_repeats_header() -> None:
    items = "\n".join(f"{i}. Item daftar yang cukup panjang nomor {i}." for i in range(1, 60))
    rows = "\n".join(f"Kabupaten {i} | Tahap {i % 4}" for i in range(1, 80))
    table = "Daerah | Tahap\n" + rows
    chunks = chunk_blocks([Block("list", items), Block("table", table)], TITLE, size=300)
    list_chunks = [c for c in chunks if "Item daftar" in c.text]
    table_chunks = [c for c in chunks if "Kabupaten" in c.text]
    assert len(list_chunks) > 1 and len(table_chunks) > 1
    for chunk in list_chunks:
        assert all(re.match(r"\d+\. Item", line) for line in _body(chunk.text).splitlines())
    for chunk in table_chunks:
        assert _body(chunk.text).startswith("Daerah | Tahap\n")
    recovered = [line for c in list_chunks for line in _body(c.text).splitlines()]
    assert recovered == items.splitlines()


def test_long_paragraph_is_cut_between_sentences_with_overlap() -> None:
    sentences = [f"Kalimat nomor {i} menjelaskan proses e-budgeting." for i in range(40)]
    chunks = chunk_blocks([Block("paragraph", " ".join(sentences))], TITLE, size=300, overlap=100)
    bodies = [_body(c.text) for c in chunks]
    assert len(bodies) > 3
    for body in bodies:
        assert len(body) <= 300
        assert body.endswith(".")  # never cut inside a sentence
    for first, second in itertools.pairwise(bodies):
        last_sentence = first.rsplit(". ", 1)[-1]
        assert second.startswith(last_sentence.rstrip(".")) or last_sentence in second


def test_overlap_is_carried_between_paragraphs_of_one_section() -> None:
    paragraphs = [
        Block("paragraph", f"Paragraf {i} awal. Kalimat penutup paragraf {i}.") for i in range(12)
    ]
    chunks = chunk_blocks(paragraphs, TITLE, size=200, overlap=60)
    assert len(chunks) > 2
    assert _body(chunks[1].text).startswith("Kalimat penutup paragraf")


def test_page_of_a_chunk_is_the_page_it_starts_on() -> None:
    blocks = [
        Block("paragraph", "Halaman satu.", page=1),
        Block("paragraph", "Masih bagian yang sama.", page=2),
        Block("heading", "Bab dua", level=1, page=2),
        Block("paragraph", "Isi bab dua.", page=3),
    ]
    chunks = chunk_blocks(blocks, TITLE, size=500)
    assert [c.page for c in chunks] == [1, 3]


def test_huge_line_without_spaces_is_hard_cut() -> None:
    chunks = chunk_blocks([Block("paragraph", "x" * 5000)], TITLE, size=1000, overlap=100)
    assert [len(_body(c.text)) for c in chunks] == [1000] * 5


def test_sentences_end_before_capitals_and_keep_every_character() -> None:
    text = 'Sesuai Perwal No. 5 biaya Rp. 10.000 dibayar. Lalu (Catatan) ok? "Ya." Kata dia.'
    assert sentences(text) == [
        "Sesuai Perwal No. 5 biaya Rp. 10.000 dibayar.",
        "Lalu (Catatan) ok?",
        '"Ya."',
        "Kata dia.",
    ]
    assert " ".join(sentences(text)) == text


def test_split_text_keeps_every_word() -> None:
    text = "Satu dua tiga. " * 200
    pieces = split_text(text.strip(), 120, 0)
    assert " ".join(pieces).split() == text.split()


_words = st.text(alphabet="abcdefghij", min_size=1, max_size=12)
_sentence = st.lists(_words, min_size=1, max_size=25).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
_block = st.one_of(
    st.builds(
        lambda s: Block("paragraph", " ".join(s)), st.lists(_sentence, min_size=1, max_size=30)
    ),
    st.builds(
        lambda items: Block("list", "\n".join(f"{i + 1}. {t}" for i, t in enumerate(items))),
        st.lists(_sentence, min_size=1, max_size=30),
    ),
    st.builds(lambda t, lvl: Block("heading", t, level=lvl), _words, st.integers(1, 3)),
)


@settings(max_examples=150, deadline=None)
@given(blocks=st.lists(_block, max_size=25), size=st.integers(100, 1500))
def test_no_text_is_lost_and_chunks_stay_bounded(blocks: list[Block], size: int) -> None:
    chunks = chunk_blocks(blocks, TITLE, size=size, overlap=size // 8)
    words_in = [w for b in blocks if b.kind != "heading" for w in b.text.split()]
    words_out = set()
    for chunk in chunks:
        body = _body(chunk.text)
        assert len(body) <= size * WHOLE_FACTOR + 2
        words_out.update(body.split())
    assert set(words_in) <= words_out
    assert [c.position for c in chunks] == list(range(len(chunks)))
    # Every heading with text after it stands in some chunk, in its path or its text.
    everything = " ".join(c.text for c in chunks).split()
    for i, block in enumerate(blocks):
        if block.kind == "heading" and any(b.kind != "heading" for b in blocks[i + 1 :]):
            assert block.text in everything


def test_a_heading_replaced_before_any_text_keeps_its_words() -> None:
    # An agreement's cover and a Markdown article: "NOMOR: ..." and "Pasal 1" stood in no
    # chunk and no path, so the agreement's number and the article's were found nowhere.
    blocks = [
        Block("heading", "KESEPAKATAN BERSAMA", level=1, page=1),
        Block("heading", "NOMOR: 119/KB.12/2025", level=1, page=1),
        Block("heading", "TENTANG REPLIKASI GAMPIL", level=1, page=1),
        Block("paragraph", "Pada hari ini Senin kami sepakat.", page=1),
        Block("heading", "Pasal 1", level=2, page=2, label="Pasal 1"),
        Block("heading", "Ruang Lingkup", level=2, page=2),
        Block("paragraph", "Replikasi aplikasi Gampil.", page=2),
        Block("heading", "Lampiran", level=1, page=3),
    ]
    chunks = chunk_blocks(blocks, "KESEPAKATAN BERSAMA", size=500)
    assert [c.text for c in chunks] == [
        "KESEPAKATAN BERSAMA > TENTANG REPLIKASI GAMPIL\n\n"
        "NOMOR: 119/KB.12/2025\n\nPada hari ini Senin kami sepakat.",
        "KESEPAKATAN BERSAMA > TENTANG REPLIKASI GAMPIL > Ruang Lingkup\n\n"
        "Pasal 1\n\nReplikasi aplikasi Gampil.",
    ]
    # The heading's own page and label: a citation of "Pasal 1" names page 2.
    assert chunks[1].page == 2 and chunks[1].anchors[0][1:] == (2, "Pasal 1")


def test_a_run_of_empty_headings_stays_within_the_chunk_size() -> None:
    # A table of contents exported as headings: 3,000 of them before the first text.
    blocks = [Block("heading", f"Bagian {i} tentang hal nomor {i}", level=2) for i in range(3000)]
    chunks = chunk_blocks([*blocks, Block("paragraph", "Isi.")], TITLE, size=300, overlap=40)
    assert all(len(_body(c.text)) <= 300 * WHOLE_FACTOR for c in chunks)
    text = " ".join(c.text for c in chunks)
    assert "Bagian 0 tentang hal nomor 0" in text and "Bagian 2998 tentang" in text
    # A heading another heading's words contain is kept unless it is that whole phrase:
    # "BAB I" above "BAB II ..." is a chapter of its own.
    kept = chunk_blocks(
        [Block("heading", "BAB I", level=1), Block("heading", "BAB II UMUM", level=1),
         Block("paragraph", "Isi.")], TITLE, size=300,
    )  # fmt: skip
    assert _body(kept[0].text) == "BAB I\n\nIsi."


def test_a_20_mib_line_without_spaces_is_chunked_in_linear_time() -> None:
    # Quadratic re-slicing would take minutes here; the assertion is on the output only.
    text = "a" * (20 * 1024 * 1024)
    chunks = chunk_blocks([Block("paragraph", text)], TITLE, size=900, overlap=120)
    assert sum(len(_body(c.text)) for c in chunks) == len(text)
    assert max(len(_body(c.text)) for c in chunks) == 900


def test_a_heading_too_long_to_be_one_is_chunked_as_text() -> None:
    # A hostile "# kata kata ..." line of 2 MB prefixed every chunk of its section.
    huge = "kata " * 100_000
    blocks = [Block("heading", huge, level=1), Block("paragraph", "Isi kalimat. " * 200)]
    chunks = chunk_blocks(blocks, TITLE, size=900, overlap=120)
    assert max(len(c.text) for c in chunks) <= 900 * WHOLE_FACTOR + len(TITLE) + 2
    assert sum(c.text.count("kata") for c in chunks) >= 100_000
    short = "H" * MAX_HEADING_CHARS
    [chunk] = chunk_blocks([Block("heading", short, level=1), Block("paragraph", "Isi.")], TITLE)
    assert chunk.section == short
