from __future__ import annotations

import pytest

from ingestion import detect
from ingestion.errors import (
    BinaryText,
    CorruptFile,
    EmptyFile,
    IngestError,
    UnsupportedFileType,
    ZipBomb,
)
from tests.fakes import documents as docs


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("panduan.pdf", docs.sample_pdf(), detect.PDF),
        ("panduan.txt", docs.sample_pdf(), detect.PDF),  # wrong extension: content wins
        ("sop.docx", docs.sample_docx(), detect.DOCX),
        ("sop.pdf", docs.sample_docx(), detect.DOCX),
        ("sop", docs.sample_docx(), detect.DOCX),
        ("hayu.html", docs.sample_html().encode(), detect.HTML),
        ("hayu.txt", docs.sample_html().encode(), detect.HTML),
        ("gampil.md", docs.MARKDOWN_MANUAL.encode(), detect.MARKDOWN),
        ("gampil.txt", docs.MARKDOWN_MANUAL.encode(), detect.MARKDOWN),
        ("catatan.txt", b"Rapat koordinasi replikasi e-RK hari Senin.", detect.TEXT),
        ("catatan.md", b"Rapat koordinasi replikasi e-RK hari Senin.", detect.MARKDOWN),
    ],
)
def test_type_comes_from_content(filename: str, data: bytes, expected: str) -> None:
    assert detect.detect(filename, data).media_type == expected


def test_cp1252_indonesian_text_is_decoded_not_refused() -> None:
    found = detect.detect("replikasi.txt", docs.INDONESIAN_CP1252)
    assert found.media_type == detect.TEXT
    assert found.encoding == "cp1252"
    assert "“tahap satu”" in (found.text or "")
    assert "—" in (found.text or "")


def test_utf8_with_bom_and_utf16_are_decoded() -> None:
    text = "Sabilulungan: hibah yang transparan."
    assert detect.detect("a.txt", b"\xef\xbb\xbf" + text.encode()).text == text
    assert detect.detect("b.txt", text.encode("utf-16")).text == text


def test_html_declared_charset_is_used_for_non_utf8() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><body><p>Caf\xe9</p></body></html>'
    found = detect.detect("p.html", page.encode("latin-1"))
    assert found.media_type == detect.HTML
    assert "Café" in (found.text or "")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyFile),
        (b"   \n\t \n", EmptyFile),
        (docs.BINARY_AS_TEXT, BinaryText),
        (b"Teks\x00dengan\x00NUL" * 10, BinaryText),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, UnsupportedFileType),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, UnsupportedFileType),
        (b"\x7fELF" + b"\x00" * 100, UnsupportedFileType),
    ],
)
def test_unusable_content_is_refused_with_its_reason(data: bytes, error: type[IngestError]) -> None:
    with pytest.raises(error) as caught:
        detect.detect("dokumen.txt", data)
    assert caught.value.params["file"] == "dokumen.txt"


@pytest.mark.parametrize(("name", "kind"), [("laporan.pdf", "pdf"), ("panduan.docx", "docx")])
def test_binary_bytes_under_a_pdf_or_docx_name_are_a_damaged_file(name: str, kind: str) -> None:
    with pytest.raises(CorruptFile) as caught:
        detect.detect(name, docs.BINARY_AS_TEXT)
    assert caught.value.params["file"] == name and caught.value.params["kind"] == kind


def test_text_under_a_pdf_name_is_still_read_as_text() -> None:
    found = detect.detect("catatan.pdf", b"Panduan Gampil: izin usaha.")
    assert found.media_type == detect.TEXT


def test_other_office_zips_are_unsupported_not_corrupt() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnsupportedFileType) as caught:
        detect.detect("anggaran.docx", out.getvalue())
    assert caught.value.params["kind"] == "xlsx"


def test_a_zip_named_docx_without_a_document_is_corrupt() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(CorruptFile):
        detect.detect("laporan.docx", out.getvalue())


def test_truncated_zip_is_corrupt() -> None:
    with pytest.raises(CorruptFile):
        detect.detect("rusak.docx", docs.sample_docx()[:200])


def test_zip_bomb_disguised_as_docx_is_refused_before_extraction() -> None:
    bomb = docs.make_zip_bomb_docx(uncompressed_mb=64)
    assert len(bomb) < 1024 * 1024  # tiny on disk...
    with pytest.raises(ZipBomb) as caught:
        detect.detect("laporan.docx", bomb)
    assert caught.value.params["member"] == "word/document.xml"


def test_zip_with_thousands_of_members_is_refused() -> None:
    with pytest.raises(ZipBomb):
        detect.detect("laporan.docx", docs.make_many_members_zip(detect.MAX_ZIP_MEMBERS + 1))
