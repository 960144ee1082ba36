from __future__ import annotations

import pytest

from ingestion import detect
from ingestion.errors import CorruptFile, EncryptedPdf, NoText
from ingestion.loaders import blocks_from_lines, load
from ingestion.pipeline import prepare
from ingestion.schemas import Block
from tests.fakes import documents as docs


def _kinds(blocks: tuple[Block, ...]) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in blocks]


# ---- PDF ----------------------------------------------------------------------------------


def test_pdf_text_keeps_page_numbers_headings_and_steps() -> None:
    doc = load("erk.pdf", docs.sample_pdf())
    assert doc.media_type == detect.PDF
    assert doc.page_count == 2
    assert doc.title == "Panduan e-RK Pegawai"  # from the PDF's metadata
    by_text = {b.text: b for b in doc.blocks}
    assert by_text["2.1 Mengisi laporan harian"].kind == "heading"
    steps = next(b for b in doc.blocks if b.kind == "list")
    assert steps.text.splitlines() == [
        "1. Masuk dengan NIP dan kata sandi.",
        "2. Pilih menu Laporan Harian.",
        "3. Isi uraian kegiatan dan unggah bukti.",
    ]
    assert steps.page == 1
    assert by_text["2.2 Persetujuan atasan"].page == 2


def test_pdf_without_metadata_title_uses_first_heading() -> None:
    pdf = docs.make_pdf([["PANDUAN GAMPIL", "Gampil melayani izin usaha secara daring."]])
    assert load("x.pdf", pdf).title == "PANDUAN GAMPIL"


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(EncryptedPdf):
        load("rahasia.pdf", docs.make_encrypted_pdf("rahasia"))


def test_pdf_with_only_an_owner_password_is_read() -> None:
    doc = load("terbatas.pdf", docs.make_encrypted_pdf("pemilik", user_password=""))
    assert _kinds(doc.blocks) == [("paragraph", "Dokumen rahasia.")]


def test_image_only_pdf_has_no_text() -> None:
    with pytest.raises(NoText) as caught:
        load("pindaian.pdf", docs.make_image_only_pdf(pages=3))
    assert caught.value.params["pages"] == 3


@pytest.mark.parametrize("cut", [40, 300, -40])
def test_truncated_pdf_is_corrupt_or_partially_read(cut: int) -> None:
    data = docs.sample_pdf()[:cut]
    try:
        doc = load("rusak.pdf", data)
    except (CorruptFile, NoText):
        return
    # pypdf can recover some truncated files; then the text it recovers must be real text.
    assert all(b.text.strip() for b in doc.blocks)


def test_a_pdfs_own_text_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    # pypdf logs a font encoding it does not know by its name, at ERROR, and goes on: a name
    # with an escaped line break wrote a forged line into the bot's log (any user who may
    # send a PDF: a trainer's document, a coordinator's signed agreement).
    forged = "/X#0A2026-12-01#2012:00:00#20ERROR#20bot.auth:#20forged#20line"
    data = docs.make_pdf([["Pasal 1 berbunyi begini."]]).replace(
        b"/Encoding /WinAnsiEncoding", b"/Encoding " + forged.encode()
    )
    assert load("surat.pdf", data).blocks
    assert "forged" not in caplog.text


def test_garbage_after_pdf_magic_is_corrupt() -> None:
    with pytest.raises((CorruptFile, NoText)):
        load("rusak.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 20)


# ---- DOCX ---------------------------------------------------------------------------------


def test_docx_headings_lists_and_tables_in_order() -> None:
    doc = load("sop.docx", docs.sample_docx())
    assert doc.media_type == detect.DOCX
    assert doc.title == "SOP Hibah Sabilulungan"
    kinds = _kinds(doc.blocks)
    assert ("heading", "Langkah pengajuan") in kinds
    numbered = next(t for k, t in kinds if k == "list" and t.startswith("1."))
    assert numbered.splitlines()[1].startswith("2. Isi NIK")
    bullets = next(t for k, t in kinds if k == "list" and t.startswith("-"))
    assert bullets == "- Akta pendirian lembaga\n- Rekening atas nama lembaga"
    assert kinds[-1] == ("table", "Tahap | Waktu\nVerifikasi | 14 hari\nPencairan | 7 hari")
    heading_levels = [b.level for b in doc.blocks if b.kind == "heading"]
    assert heading_levels[0] < heading_levels[1]  # Title above Heading 1


def test_docx_core_title_wins_over_first_heading() -> None:
    data = docs.make_docx("Judul di isi", [("Bagian", ["Isi."])], core_title="Judul resmi")
    assert load("a.docx", data).title == "Judul resmi"


def test_docx_without_text_has_no_text() -> None:
    with pytest.raises(NoText):
        load("kosong.docx", docs.make_docx("", []))


# ---- HTML ---------------------------------------------------------------------------------


def test_html_keeps_main_content_and_drops_boilerplate() -> None:
    doc = load("hayu.html", docs.sample_html().encode())
    text = "\n".join(b.text for b in doc.blocks)
    assert "Hayu.Bdg menghubungkan warga" in text
    for boilerplate in ("Beranda", "Berita Terkini", "Hak cipta", "MENU_NAVIGASI", "color:#333"):
        assert boilerplate not in text
    assert doc.title == "Layanan Hayu.Bdg"
    assert (
        "list",
        "1. Buka aplikasi Hayu.Bdg.\n2. Pilih kategori laporan.\n3. Kirim foto dan lokasi.",
    ) in _kinds(doc.blocks)
    assert ("table", "Kanal | Jam\nAplikasi | 24 jam") in _kinds(doc.blocks)
    assert doc.declared["language"] == "id"


def test_html_without_main_uses_body_minus_chrome() -> None:
    page = (
        "<html><head><title>e-Budgeting | Pemkot</title></head><body>"
        '<div id="navbar"><a>Beranda</a></div>'
        "<div class='content'><p>Anggaran disusun lewat e-budgeting.</p>Teks lepas.</div>"
        "</body></html>"
    )
    doc = load("eb.html", page.encode())
    assert _kinds(doc.blocks) == [
        ("paragraph", "Anggaran disusun lewat e-budgeting."),
        ("paragraph", "Teks lepas."),
    ]
    assert doc.title == "e-Budgeting"


def test_nested_lists_keep_their_items() -> None:
    page = (
        "<main><ul><li>Persiapan<ol><li>Server</li><li>Domain</li></ol></li>"
        "<li>Pelatihan</li></ul></main>"
    )
    doc = load("a.html", page.encode())
    assert _kinds(doc.blocks) == [("list", "- Persiapan\n  1. Server\n  2. Domain\n- Pelatihan")]


def test_a_definition_list_keeps_each_term_with_its_description() -> None:
    # A term apart ("1. Offline") was a paragraph that answered nothing, and its description
    # lost what it describes: "dari mana bisa dibuka?" got the lead-in and "1. Offline".
    page = (
        "<main><p>SID dikelola dalam dua ranah:</p><dl>"
        "<dt>1. Offline</dt><dd>Hanya bisa diakses dalam jaringan lokal.</dd>"
        "<dt>Apa itu Gampil?</dt><dd>Perizinan daring.</dd><dd>Kota Bandung.</dd>"
        "<dt>Tanpa uraian</dt><dt>Online:</dt><dd>Terhubung ke <b>internet</b>.</dd>"
        "</dl></main>"
    )
    doc = load("a.html", page.encode())
    assert _kinds(doc.blocks) == [
        ("paragraph", "SID dikelola dalam dua ranah:"),
        ("paragraph", "1. Offline: Hanya bisa diakses dalam jaringan lokal."),
        ("paragraph", "Apa itu Gampil? Perizinan daring."),
        ("paragraph", "Kota Bandung."),
        ("paragraph", "Tanpa uraian"),
        ("paragraph", "Online: Terhubung ke internet."),
    ]


def test_a_definition_list_with_structure_inside_is_walked_as_blocks() -> None:
    page = "<main><dl><dt>Syarat</dt><dd><ul><li>KTP</li><li>NPWP</li></ul></dd></dl></main>"
    doc = load("a.html", page.encode())
    assert _kinds(doc.blocks) == [("paragraph", "Syarat"), ("list", "- KTP\n- NPWP")]


@pytest.mark.parametrize("depth", [100, 5000])
def test_deeply_nested_html_neither_crashes_nor_hangs(depth: int) -> None:
    data = docs.make_nested_html(depth).encode()
    doc = load("dalam.html", data)
    assert doc.blocks[0].text == "Sangat Bersarang"
    if depth < 200:
        assert "Teks terdalam tentang Gampil." in [b.text for b in doc.blocks]


def test_a_long_style_sheet_without_braces_is_read_at_once() -> None:
    # "@" and a long word without "{" made the at-rule pattern try every split of the word
    # (quadratic: 32,000 letters took 2 s, a megabyte style block an hour).
    page = f"<html><head><style>@{'a' * 60_000}</style></head><body><p>Isi halaman.</p>"
    doc = load("gaya.html", page.encode())  # its speed: docs/benchmarks.md, not asserted
    assert _kinds(doc.blocks) == [("paragraph", "Isi halaman.")]


def test_html_of_only_scripts_has_no_text() -> None:
    with pytest.raises(NoText):
        load("a.html", b"<html><body><script>alert(1)</script><nav>Menu</nav></body></html>")


# ---- Markdown and text --------------------------------------------------------------------


RELEASE_NOTES = (
    "Di rilis ini, versi 22.09 menyediakan fitur Pendaftaran pada Layanan Mandiri.\n\n"
    "#### Penambahan Fitur\n\n1. Laporan statistik kehamilan.\n2. Modul bumindes arsip desa.\n\n"
    "#### Perbaikan BUG\n\n1. Perbaikan ketika edit data penduduk terjadi error.\n"
)


def test_headings_that_share_the_top_level_are_sections_not_the_title() -> None:
    # The first "####" ("Penambahan Fitur") was taken as the title: every passage read
    # "Penambahan Fitur > Perbaikan BUG", and the release ("v22.09") stood in no title.
    assert load("opensid-catatan-rilis-v22.09.md", RELEASE_NOTES.encode()).title is None
    prepared = prepare(
        "opensid-catatan-rilis-v22.09.md", RELEASE_NOTES.encode(), chunk_size=800, chunk_overlap=0
    )
    assert prepared.document.title == "Opensid catatan rilis v22.09"
    fixes = next(c for c in prepared.chunks if "edit data penduduk" in c.text)
    assert fixes.section == "Perbaikan BUG"
    assert fixes.text.startswith("Opensid catatan rilis v22.09 > Perbaikan BUG\n")
    # One heading of the top level is the title, wherever the others stand below it.
    single = "# Panduan Gampil\n\n## Daftar\n\nIsi formulir.\n\n## Bayar\n\nBayar retribusi.\n"
    assert load("x.md", single.encode()).title == "Panduan Gampil"
    # Top-level headings one under another with no text between are one heading: an
    # agreement's cover is titled by its first line (the intake reads the kind from it).
    cover = (
        "# KESEPAKATAN BERSAMA\n\n# ANTARA KOTA BANDUNG DAN KABUPATEN KERINCI\n\n"
        "# TENTANG REPLIKASI GAMPIL\n\nPada hari ini Senin kami sepakat.\n"
    )
    assert load("kb.md", cover.encode()).title == "KESEPAKATAN BERSAMA"
    split = cover + "\n# LAMPIRAN\n\nDaftar aplikasi.\n"
    assert load("kb.md", split.encode()).title is None


def test_markdown_front_matter_headings_lists_tables() -> None:
    doc = load("gampil.md", docs.MARKDOWN_MANUAL.encode())
    assert doc.title == "Panduan Gampil untuk Pemohon"
    assert doc.version == "2.1"
    assert doc.declared["app"] == "gampil"
    kinds = _kinds(doc.blocks)
    assert ("heading", "Pengaduan") in kinds
    steps = next(t for k, t in kinds if k == "list")
    assert len(steps.splitlines()) == 5
    table = next(t for k, t in kinds if k == "table")
    assert table.splitlines()[0] == "Jenis izin | Biaya | Waktu"
    assert "---" not in table
    assert (
        "paragraph",
        "Jika permohonan belum diproses setelah tiga hari kerja, hubungi call center 112.",
    ) in kinds


@pytest.mark.parametrize("filler", [" " * 40_000, "---" + " " * 40_000 + "x"])
def test_a_table_row_with_a_long_run_of_spaces_is_read_at_once(filler: str) -> None:
    # The table-rule pattern had two runs of spaces that could trade characters: a row of
    # 32,000 spaces took 30 s to be found no rule.
    text = f"# Tarif\n\n| Jenis | Biaya |\n|---|---|\n|{filler}| Rp 0 |\n| Izin | Rp 5 |\n"
    doc = load("tarif.md", text.encode())  # its speed: docs/benchmarks.md, not asserted
    table = next(t for k, t in _kinds(doc.blocks) if k == "table")
    assert table.splitlines()[0] == "Jenis | Biaya" and table.splitlines()[-1] == "Izin | Rp 5"
    assert len(table.splitlines()) == 3  # the rule row left out, the odd row kept


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("catatan.txt", "# Catatan\n\n" + "\n" * 30_000 + "Isi catatan."),
        ("tautan.md", "# Tautan\n\n" + "[" * 60_000 + " Isi tautan."),
        ("gambar.md", "# Gambar\n\n" + "![" * 30_000 + " Isi gambar."),
    ],
)
def test_many_blank_lines_or_unclosed_brackets_are_read_at_once(name: str, text: str) -> None:
    # The Markdown sniffing pattern ran over line ends from every blank line (20,000 took
    # 10 s) and the link patterns from every "[" without a "]" (20,000 took 3.5 s).
    doc = load(name, text.encode())  # its speed: docs/benchmarks.md, not asserted
    assert doc.blocks[-1].text.endswith("Isi " + name.split(".")[0] + ".")
    kept = load("tautan.md", b"# T\n\nLihat [[panduan](https://x) dan ![foto SOP](s.png).")
    assert kept.blocks[-1].text == "Lihat [panduan dan foto SOP."


def test_markdown_code_fence_hides_hash_lines_and_setext_headings_work() -> None:
    text = "Judul Besar\n===========\n\n```\n# bukan judul\n```\n\nSub\n---\n\nIsi."
    doc = load("a.md", text.encode())
    assert _kinds(doc.blocks) == [
        ("heading", "Judul Besar"),
        ("code", "# bukan judul"),
        ("heading", "Sub"),
        ("paragraph", "Isi."),
    ]


def test_markdown_headings_without_a_space_and_inline_html() -> None:
    text = (
        '<h1 align="center">Selamat datang di OpenSID! 👋</h1>\n\n'
        "## 📃 PEDOMAN PENGGUNAAN\n\nBaca <b>panduan</b> dulu.\n\n"
        "####Tambah Anggota Baru\n<hr>\nIsi formulir anggota.\n\n#hashtag bukan judul\n"
    )
    doc = load("readme.md", text.encode())
    assert doc.media_type == detect.MARKDOWN  # inline HTML does not make it a web page
    assert doc.title == "Selamat datang di OpenSID! 👋"
    kinds = _kinds(doc.blocks)
    assert ("heading", "📃 PEDOMAN PENGGUNAAN") in kinds
    assert ("heading", "Tambah Anggota Baru") in kinds
    assert ("paragraph", "Baca panduan dulu.") in kinds
    assert not any("<hr>" in t for _, t in kinds)
    assert not any(k == "heading" and "hashtag" in t for k, t in kinds)


def test_html_without_a_declared_charset_is_read_as_the_text_it_is() -> None:
    page = "<html><body><main><h1>Layanan Desa 👋</h1><p>Surat keterangan domisili.</p></main>"
    doc = load("layanan.html", (page + "</body></html>").encode())
    assert doc.title == "Layanan Desa 👋"


def test_plain_text_recognises_legal_headings_and_steps() -> None:
    lines = [
        "BAB I",
        "Ketentuan umum berlaku untuk semua perangkat daerah.",
        "",
        "Pasal 2",
        "Langkah serah terima:",
        "1. Serahkan kode sumber.",
        "2. Siapkan server",
        "   dengan spesifikasi minimal.",
        "a) Latih operator.",
    ]
    blocks = blocks_from_lines(lines)
    assert _kinds(tuple(blocks)) == [
        ("heading", "BAB I"),
        ("paragraph", "Ketentuan umum berlaku untuk semua perangkat daerah."),
        ("heading", "Pasal 2"),
        ("paragraph", "Langkah serah terima:"),
        (
            "list",
            "1. Serahkan kode sumber.\n"
            "2. Siapkan server dengan spesifikasi minimal.\n"
            "a) Latih operator.",
        ),
    ]
    assert [b.level for b in blocks if b.kind == "heading"] == [1, 2]


def test_huge_single_line_loads() -> None:
    data = ("kata" * 10 + " ") * 50_000
    doc = load("besar.txt", data.encode())
    assert sum(len(b.text) for b in doc.blocks) >= len(data) - 10


def _word_style_list_docx() -> bytes:
    """Lists as Word writes them: "List Paragraph" style plus numPr on each paragraph."""
    import io

    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_heading("Serah terima", 1)

    def item(text: str, num_id: str, level: int = 0) -> None:
        paragraph = document.add_paragraph(text, style="List Paragraph")
        num_pr = OxmlElement("w:numPr")
        ilvl = OxmlElement("w:ilvl")
        ilvl.set(qn("w:val"), str(level))
        num = OxmlElement("w:numId")
        num.set(qn("w:val"), num_id)
        num_pr.append(ilvl)
        num_pr.append(num)
        paragraph._p.get_or_add_pPr().append(num_pr)

    item("Serahkan kode sumber.", "5")  # numId 5 is "decimal" in the default template
    item("Periksa kelengkapan.", "5")
    item("Catatan tambahan.", "1")  # numId 1 is a bullet
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_lists_numbered_through_the_numbering_part() -> None:
    doc = load("serah-terima.docx", _word_style_list_docx())
    assert _kinds(doc.blocks)[1:] == [
        ("list", "1. Serahkan kode sumber.\n2. Periksa kelengkapan.\n- Catatan tambahan."),
    ]


def test_html_line_breaks_and_role_main() -> None:
    page = (
        "<html><body><div role='navigation'>Menu</div><div role='main'>"
        "<p>Baris satu<br>baris dua</p></div><div>Di luar konten utama.</div></body></html>"
    )
    doc = load("a.html", page.encode())
    assert [b.text for b in doc.blocks] == ["Baris satu baris dua"]


def test_pdf_running_headers_page_numbers_and_hyphenation_are_cleaned() -> None:
    words = {1: "pertama", 2: "kedua", 3: "ketiga"}
    pages = [
        [
            "Panduan Gampil | DPMPTSP",
            f"Bagian {words[n]}: pemohon mengajukan izin melalui pela-",
            "yanan daring, bukan lewat loket.",
            "Anak-",
            "anak sekolah dan aplikasi e-",
            f"budgeting tetap utuh di bagian {words[n]}.",
            f"Halaman {n} dari 3",
        ]
        for n in (1, 2, 3)
    ]
    doc = load("gampil.pdf", docs.make_pdf(pages))
    text = "\n".join(b.text for b in doc.blocks)
    assert "DPMPTSP" not in text and "Halaman" not in text
    assert "melalui pelayanan daring" in text
    assert "Anak-anak sekolah" in text
    assert "e-budgeting" in text
    assert [b.page for b in doc.blocks] == [1, 2, 3]


def test_docx_content_controls_are_read_and_table_of_contents_skipped() -> None:
    import io

    import docx
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    document.add_heading("Panduan", 1)
    body = document.element.body
    toc = parse_xml(
        f"<w:sdt {ns}><w:sdtPr><w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Pendahuluan ..... 3</w:t></w:r>"
        "</w:p></w:sdtContent></w:sdt>"
    )
    control = parse_xml(
        f"<w:sdt {ns}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Isi di dalam kontrol.</w:t>"
        "</w:r></w:p></w:sdtContent></w:sdt>"
    )
    sect = body[-1]  # keep w:sectPr last
    sect.addprevious(toc)
    sect.addprevious(control)
    out = io.BytesIO()
    document.save(out)
    doc = load("panduan.docx", out.getvalue())
    assert _kinds(doc.blocks) == [("heading", "Panduan"), ("paragraph", "Isi di dalam kontrol.")]


def test_docx_tracked_changes_read_as_accepted() -> None:
    import io

    import docx
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    paragraph = parse_xml(
        f"<w:p {ns}><w:r><w:t xml:space='preserve'>Biaya </w:t></w:r>"
        "<w:del w:id='1' w:author='a'><w:r><w:delText>Rp5.000</w:delText></w:r></w:del>"
        "<w:ins w:id='2' w:author='a'><w:r><w:t>gratis</w:t></w:r></w:ins>"
        "<w:hyperlink><w:r><w:t>, lihat situs</w:t></w:r></w:hyperlink></w:p>"
    )
    document.element.body[-1].addprevious(paragraph)
    out = io.BytesIO()
    document.save(out)
    assert _kinds(load("a.docx", out.getvalue()).blocks) == [
        ("paragraph", "Biaya gratis, lihat situs")
    ]


def test_html_chrome_is_recognised_by_whole_class_tokens() -> None:
    page = (
        "<html><body><div id='header'>Logo Pemkot</div><div class='menu-utama'>Beranda</div>"
        "<div class='post'><div class='entry-header'><h1>Judul Berita</h1></div>"
        "<div class='entry-content'><p>Isi berita tentang Sabilulungan.</p></div>"
        "<div class='share-buttons'>Bagikan</div><div class='widget'>Arsip</div>"
        "<div id='comments'>Komentar warga</div></div>"
        "<div class='site-footer'>Alamat kantor</div></body></html>"
    )
    doc = load("berita.html", page.encode())
    assert _kinds(doc.blocks) == [
        ("heading", "Judul Berita"),
        ("paragraph", "Isi berita tentang Sabilulungan."),
    ]


def test_pdf_bookmarks_mark_headings_the_text_alone_would_miss() -> None:
    pdf = docs.make_pdf_with_outline(
        [
            ["Persiapan Replikasi", "Tim teknis menyiapkan server.", "Pelatihan Operator"],
            ["Operator dilatih dua hari."],
        ],
        [("Persiapan Replikasi", 0, 1), ("Pelatihan Operator", 0, 2)],
    )
    doc = load("replikasi.pdf", pdf)
    assert [(b.kind, b.text, b.level) for b in doc.blocks if b.kind == "heading"] == [
        ("heading", "Persiapan Replikasi", 1),
        ("heading", "Pelatihan Operator", 2),
    ]
    from ingestion.chunking import chunk_blocks

    chunks = chunk_blocks(doc.blocks, "Panduan", size=500)
    assert [(c.section, c.page) for c in chunks] == [
        ("Persiapan Replikasi", 1),
        ("Persiapan Replikasi > Pelatihan Operator", 2),
    ]


def test_hostile_line_structures_load_in_linear_time() -> None:
    # 200,000 continuation lines of one list item, and as many hyphenated line ends:
    # quadratic string building would take minutes; the assertions are on the output only.
    wrapped = ["1. Mulai"] + ["lanjutan"] * 200_000
    blocks = blocks_from_lines(wrapped)
    assert len(blocks) == 1 and blocks[0].text.count("lanjutan") == 200_000
    from ingestion.loaders import _join_hyphenated

    joined = _join_hyphenated(["ab-"] * 200_000 + ["cd"])
    assert len(joined) == 1 and joined[0].endswith("abcd")
