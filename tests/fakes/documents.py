"""Real documents for tests, built in memory: PDF, DOCX, HTML, Markdown, and a hostile corpus.

PDFs are written by hand (a minimal, valid PDF 1.4 with Helvetica text and an xref table) so
the tests exercise pypdf on real files without a PDF library; DOCX files come from python-docx.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points


def _pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _pdf_bytes(objects: Sequence[bytes], *, info: dict[str, str] | None = None) -> bytes:
    """Assemble numbered objects (1-based, object 1 = catalog) into a PDF with an xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    all_objects = list(objects)
    info_ref = b""
    if info:
        entries = b" ".join(
            b"/" + key.encode("ascii") + b" (" + _pdf_escape(value) + b")"
            for key, value in info.items()
        )
        all_objects.append(b"<< " + entries + b" >>")
        info_ref = f" /Info {len(all_objects)} 0 R".encode()
    for number, body in enumerate(all_objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(all_objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(all_objects) + 1} /Root 1 0 R".encode()
        + info_ref
        + f" >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def make_pdf(pages: Sequence[Sequence[str]], *, title: str | None = None) -> bytes:
    """A text PDF: one list of lines per page (each line drawn on its own baseline)."""
    count = len(pages)
    # 1 catalog, 2 pages, 3 font, then per page: page object, content stream.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(count))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for index, lines in enumerate(pages):
        stream = io.BytesIO()
        stream.write(b"BT /F1 11 Tf 14 TL 56 780 Td\n")
        for line in lines:
            stream.write(b"(" + _pdf_escape(line) + b") Tj T*\n")
        stream.write(b"ET")
        content = stream.getvalue()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
    return _pdf_bytes(objects, info={"Title": title} if title else None)


def make_image_only_pdf(pages: int = 2) -> bytes:
    """A "scanned" PDF: every page paints a grey image and has no text layer."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    pixels = bytes([128]) * 64 * 64
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray "
        + f"/BitsPerComponent 8 /Length {len(pixels)} >>\nstream\n".encode()
        + pixels
        + b"\nendstream",
    ]
    content = b"q 500 0 0 700 40 60 cm /Im1 Do Q"
    for index in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /XObject << /Im1 3 0 R >> >> /Contents {5 + 2 * index} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
    return _pdf_bytes(objects)


def make_encrypted_pdf(password: str = "rahasia", *, user_password: str | None = None) -> bytes:
    """A PDF protected by ``password`` (RC4, which pypdf writes without extra libraries).

    With ``user_password=""`` it opens without a password (owner restrictions only).
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["Dokumen rahasia."]]))))
    writer.encrypt(
        user_password=password if user_password is None else user_password,
        owner_password=password,
        algorithm="RC4-128",
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(
    title: str,
    sections: Sequence[tuple[str, Sequence[str | list[str] | tuple[str, ...]]]],
    *,
    table: Sequence[Sequence[str]] | None = None,
    core_title: str | None = None,
) -> bytes:
    """A DOCX with a Title, Heading 1 sections and their content.

    In a section, a ``str`` is a paragraph, a ``list`` a numbered list and a ``tuple`` a bulleted
    list. ``table`` (rows of cells) is appended after the last section.
    """
    import docx

    document = docx.Document()
    if core_title:
        document.core_properties.title = core_title
    document.add_heading(title, 0)
    for heading, content in sections:
        document.add_heading(heading, 1)
        for item in content:
            if isinstance(item, list):
                for step in item:
                    document.add_paragraph(step, style="List Number")
            elif isinstance(item, tuple):
                for point in item:
                    document.add_paragraph(point, style="List Bullet")
            else:
                document.add_paragraph(item)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_html(title: str, body: str, *, boilerplate: bool = True, lang: str = "id") -> str:
    """A page with ``body`` inside <main>, wrapped in the usual site chrome when asked."""
    chrome_top = (
        '<header class="site-header"><a href="/">Portal Pemkot</a></header>'
        '<nav><ul><li><a href="/">Beranda</a></li><li><a href="/berita">Berita</a></li></ul></nav>'
        '<div class="breadcrumb">Beranda / Layanan</div>'
        if boilerplate
        else ""
    )
    chrome_bottom = (
        '<aside class="sidebar"><h3>Berita Terkini</h3><p>Walikota meresmikan taman.</p></aside>'
        "<footer><p>Hak cipta Diskominfo Kota Bandung</p></footer>"
        "<script>var tracking = 'MENU_NAVIGASI';</script>"
        if boilerplate
        else ""
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title} | Portal Pemkot</title><style>body{{color:#333}}</style></head>"
        f"<body>{chrome_top}<main>{body}</main>{chrome_bottom}</body></html>"
    )


def make_zip_bomb_docx(uncompressed_mb: int = 400) -> bytes:
    """A zip named like a DOCX whose document.xml expands to ``uncompressed_mb`` megabytes.

    Written member by member with a streaming compressor, so building it costs little memory.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        block = b"\x00" * (1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(uncompressed_mb):
                member.write(block)
    return out.getvalue()


def make_many_members_zip(members: int = 6000) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for index in range(members):
            archive.writestr(f"word/media/{index}.bin", b"")
    return out.getvalue()


def make_nested_html(depth: int = 5000) -> str:
    return (
        "<html><body><main><h1>Sangat Bersarang</h1>"
        + "<div>" * depth
        + "<p>Teks terdalam tentang Gampil.</p>"
        + "</div>" * depth
        + "</main></body></html>"
    )


# ---- ready-made samples of each format ------------------------------------------------------

GAMPIL_STEPS = [
    "Buka situs gampil.bandung.go.id dan pilih menu Daftar.",
    "Isi NIK, nama lengkap, nomor telepon dan alamat email yang aktif.",
    "Unggah pindaian KTP dan NPWP dalam format PDF atau JPG.",
    "Pilih jenis izin yang diajukan, misalnya Izin Usaha Mikro Kecil.",
    "Periksa kembali data, lalu tekan tombol Kirim Permohonan.",
]

MARKDOWN_MANUAL = """---
title: Panduan Gampil untuk Pemohon
app: gampil
doc_type: manual
version: 2.1
---

# Panduan Gampil untuk Pemohon

Gampil adalah layanan perizinan daring Kota Bandung. Pemohon tidak perlu datang ke kantor
untuk mengajukan izin usaha.

## Pendaftaran akun

Langkah-langkah pendaftaran:

1. Buka situs gampil.bandung.go.id dan pilih menu Daftar.
2. Isi NIK, nama lengkap, nomor telepon dan alamat email yang aktif.
3. Unggah pindaian KTP dan NPWP dalam format PDF atau JPG.
4. Pilih jenis izin yang diajukan, misalnya Izin Usaha Mikro Kecil.
5. Periksa kembali data, lalu tekan tombol Kirim Permohonan.

## Biaya dan waktu layanan

| Jenis izin | Biaya | Waktu |
|---|---|---|
| Izin usaha mikro | Gratis | 1 hari kerja |
| Izin reklame | Sesuai perda | 3 hari kerja |

### Pengaduan

Jika permohonan belum diproses setelah **tiga hari kerja**, hubungi *call center* 112.
"""


def sample_pdf() -> bytes:
    return make_pdf(
        [
            [
                "PANDUAN E-RK",
                "Aplikasi e-RK mencatat rencana kerja harian pegawai.",
                "Setiap pegawai wajib mengisi laporan sebelum pukul 16.00.",
                "2.1 Mengisi laporan harian",
                "1. Masuk dengan NIP dan kata sandi.",
                "2. Pilih menu Laporan Harian.",
                "3. Isi uraian kegiatan dan unggah bukti.",
            ],
            [
                "2.2 Persetujuan atasan",
                "Atasan langsung memeriksa laporan paling lambat tanggal 5 bulan berikutnya.",
                "Tunjangan kinerja dihitung dari laporan yang sudah disetujui.",
            ],
        ],
        title="Panduan e-RK Pegawai",
    )


def sample_docx() -> bytes:
    return make_docx(
        "SOP Hibah Sabilulungan",
        [
            (
                "Tujuan",
                [
                    "SOP ini mengatur penyaluran hibah dan bantuan sosial secara transparan "
                    "melalui aplikasi Sabilulungan."
                ],
            ),
            ("Langkah pengajuan", ["Ajukan proposal lewat aplikasi:", list(GAMPIL_STEPS[:3])]),
            ("Syarat", [("Akta pendirian lembaga", "Rekening atas nama lembaga")]),
        ],
        table=[["Tahap", "Waktu"], ["Verifikasi", "14 hari"], ["Pencairan", "7 hari"]],
    )


def sample_html() -> str:
    return make_html(
        "Hayu.Bdg",
        "<h1>Layanan Hayu.Bdg</h1><p>Hayu.Bdg menghubungkan warga dengan layanan kota.</p>"
        "<h2>Cara melapor</h2><ol><li>Buka aplikasi Hayu.Bdg.</li><li>Pilih kategori laporan."
        "</li><li>Kirim foto dan lokasi.</li></ol>"
        "<table><tr><th>Kanal</th><th>Jam</th></tr><tr><td>Aplikasi</td><td>24 jam</td></tr>"
        "</table>",
    )


INDONESIAN_CP1252 = (
    "Prosedur replikasi aplikasi — naskah serah terima kode sumber.\n\n"
    "Pemerintah daerah penerima wajib menyiapkan server sebelum pelatihan “tahap satu”.\n"
).encode("cp1252")

BINARY_AS_TEXT = bytes(range(256)) * 64


def make_pdf_with_outline(
    pages: Sequence[Sequence[str]], outline: Sequence[tuple[str, int, int]]
) -> bytes:
    """A text PDF with bookmarks: ``(title, page index, level)``, level 1 at the top."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(pages)))
    parents: dict[int, object] = {}
    for title, page, level in outline:
        parent = parents.get(level - 1)
        parents[level] = writer.add_outline_item(title=title, page_number=page, parent=parent)  # type: ignore[arg-type]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
