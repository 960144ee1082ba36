from __future__ import annotations

from pathlib import Path

from ingestion.pipeline import prepare
from ingestion.repeats import drop_repeated_runs
from ingestion.schemas import Block

DEFINITIONS = (
    "Dalam Peraturan Pemerintah ini yang dimaksud dengan Koordinasi adalah tindakan untuk "
    "menyinergikan penyelenggaraan perlindungan anak secara terpadu."
)
LIST = "\n".join(f"{n}. Butir ketentuan umum nomor {n} yang cukup panjang." for n in range(1, 6))


def _texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks]


def test_a_stretch_repeated_word_for_word_is_kept_once() -> None:
    page = [
        Block("heading", "Pasal 1", level=2),
        Block("paragraph", DEFINITIONS),
        Block("list", LIST),
    ]
    later = [Block("heading", "Pasal 2", level=2), Block("paragraph", "Tujuan koordinasi.")]
    # The same page three times, the copies' spacing and case changed by the scan.
    copy = [Block(b.kind, b.text.upper().replace(" ", "  "), b.level) for b in page]
    kept = drop_repeated_runs(page + copy + page + later)
    assert _texts(kept) == _texts(page + later)


def test_text_the_author_repeats_in_its_places_stays() -> None:
    note = Block("paragraph", "Catatan: pastikan data sudah benar sebelum menekan tombol Simpan.")
    blocks = [
        Block("heading", "Tambah Anggota", level=2),
        note,
        Block("paragraph", "Cukup jelas."),
        Block("heading", "Ubah Anggota", level=2),
        note,  # one paragraph, not a run
        Block("paragraph", "Cukup jelas."),  # short
        Block("paragraph", "Cukup jelas."),
    ]
    assert drop_repeated_runs(blocks) == blocks


def test_a_run_under_a_heading_of_its_own_stays() -> None:
    steps = Block("list", LIST)
    note = Block("paragraph", DEFINITIONS)
    blocks = [
        Block("heading", "Instalasi di Android", level=2),
        steps,
        note,
        Block("heading", "Instalasi di iOS", level=2),
        steps,
        note,
    ]
    assert drop_repeated_runs(blocks) == blocks


def test_a_short_repeated_run_stays() -> None:
    # Two repeated blocks, but under the run's length: a header and a footer line.
    header = Block("paragraph", "PRESIDEN REPUBLIK INDONESIA - SALINAN RESMI DOKUMEN NEGARA")
    footer = Block("paragraph", "Halaman ini merupakan bagian tidak terpisahkan dari lampiran")
    blocks = [header, footer, Block("paragraph", "Isi."), header, footer]
    assert drop_repeated_runs(blocks) == blocks


def test_a_regulation_whose_pages_repeat_cites_its_article(tmp_path: Path) -> None:
    article = (
        "Pasal 1\n\nDalam Peraturan Pemerintah ini yang dimaksud dengan:\n\n"
        "1. Koordinasi adalah tindakan untuk menyinergikan dan mengharmoniskan penyelenggaraan "
        "perlindungan anak secara terpadu.\n2. Anak adalah seseorang yang belum berusia 18 "
        "(delapan belas) tahun, termasuk anak yang masih dalam kandungan.\n\n"
    )
    text = (
        "PERATURAN PEMERINTAH REPUBLIK INDONESIA NOMOR 59 TAHUN 2019 TENTANG PENYELENGGARAAN "
        "KOORDINASI PERLINDUNGAN ANAK\n\nBAB I\nKETENTUAN UMUM\n\n"
        + article
        * 4
        + "Pasal 2\n\nPenyelenggaraan Koordinasi Perlindungan Anak bertujuan untuk meningkatkan "
        "upaya pemenuhan Hak Anak.\n"
    )
    prepared = prepare("pp-59.txt", text.encode(), chunk_size=800, chunk_overlap=100)
    holding = [c for c in prepared.chunks if "belum berusia 18" in c.text]
    assert len(holding) == 1
    assert (holding[0].section or "").endswith("Pasal 1")
