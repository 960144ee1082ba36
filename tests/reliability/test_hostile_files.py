"""Files that are odd rather than wrong, and files built to exhaust memory.

Imports: a UTF-16 CSV (Excel's "Unicode Text"), a region name with a typo (corrected, and the
report says so), an XLSX whose parts or sheet dimension would blow up if read whole.
Ingestion: a DOCX bomb of many small parts, a PDF whose lines differ only by numbers, a PDF
with an owner password only.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from ingestion import detect
from ingestion.errors import ZipBomb
from ingestion.loaders import load
from mou_tracker.importer import MAX_ROWS, MAX_XLSX_EXPANDED_BYTES
from tests.fakes import documents as docs

HEADER = ["jenis", "nomor", "judul", "para_pihak", "tanggal_ttd"]
ROW = ["KB", "119/HK/2026", "Replikasi Gampil", "Kota Bandung; Kabupaten Kerinci", "2026-01-05"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_a_utf16_csv_is_imported_with_a_note(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], delimiter: str
) -> None:
    text = "\r\n".join(delimiter.join(cells) for cells in (HEADER, ROW)) + "\r\n"
    path = tmp_path / "unicode.csv"
    path.write_bytes(text.encode("utf-16"))  # with a BOM, little-endian: what Excel writes
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == 0, err
    assert "UTF-16" in err
    status, out, _err = run(capsys, "mou", "list", "--json")
    assert [a["title"] for a in json.loads(out)] == ["Replikasi Gampil"]


def test_a_utf16_csv_without_bom_is_read_too(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "\n".join(",".join(cells) for cells in (HEADER, ROW)) + "\n"
    path = tmp_path / "tanpa-bom.csv"
    path.write_bytes(text.encode("utf-16-le"))
    status, _out, err = run(capsys, "mou", "import", str(path), "--dry-run")
    assert status == 0, err


def test_a_corrected_region_name_is_noted_in_the_report(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = [*ROW[:3], "Kota Bandung; Kabupaten Kerinchi", ROW[4]]
    path = tmp_path / "typo.csv"
    path.write_text("\n".join(",".join(c) for c in (HEADER, row)), encoding="utf-8")
    status, _out, err = run(capsys, "mou", "import", str(path), "--dry-run")
    assert status == 0
    assert '"Kabupaten Kerinchi" dibaca sebagai Kabupaten Kerinci (15.01)' in err
    assert "Baris 2" in err
    status, out, _err = run(capsys, "mou", "import", str(path), "--json")
    result = json.loads(out)
    (correction,) = result["result"]["corrections"]
    assert correction["row"] == 2 and correction["params"]["resolved"] == "Kabupaten Kerinci"
    assert any("Kerinchi" in note for note in result["notes"])


def _xlsx(sheet_xml: str, *, shared: str | None = None, pad_mb: int = 0) -> bytes:
    """A minimal XLSX; ``pad_mb`` megabytes of XML whitespace inflate the sheet part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType="appli'
            'cation/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-office'
            'document.spreadsheetml.worksheet+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
            'formats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook'
            '.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheet'
            'ml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships"><sheets><sheet name="Perjanjian" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
            'formats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
            'sheet1.xml"/></Relationships>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            head, _, tail = sheet_xml.partition("<sheetData>")
            member.write((head + "<sheetData>").encode())
            for _ in range(pad_mb):
                member.write(b" " * (1024 * 1024))
            member.write(tail.encode())
    return out.getvalue()


def _sheet(dimension: str, rows: str) -> str:
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml'
        f'/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def _row(number: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def test_an_xlsx_claiming_the_whole_sheet_is_read_no_further_than_the_row_limit(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One cell at XFD1048576: read whole, that is a billion empty cells."""
    rows = _row(1, HEADER) + _row(2, ROW) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    path = tmp_path / "bom.xlsx"
    path.write_bytes(_xlsx(_sheet("A1:XFD1048576", rows)))
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.INVALID_INPUT
    assert f"{MAX_ROWS}" in err.replace(".", "").replace(",", "")  # "too many rows" names it


def test_an_xlsx_whose_parts_expand_beyond_any_register_is_refused(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pad = MAX_XLSX_EXPANDED_BYTES // 2**20 + 1
    path = tmp_path / "bom.xlsx"
    path.write_bytes(_xlsx(_sheet("A1:E2", _row(1, HEADER) + _row(2, ROW)), pad_mb=pad))
    assert path.stat().st_size < 2 * 2**20  # small on disk
    status, _out, err = run(capsys, "mou", "import", str(path))
    assert status == ExitStatus.INVALID_INPUT
    assert "terlalu besar" in err
    assert json.loads(run(capsys, "mou", "list", "--json")[1]) == []


def test_a_docx_bomb_of_many_small_parts_is_refused_before_extraction() -> None:
    """Each part below the per-part check, together far beyond a real document."""
    out = io.BytesIO()
    block = b"<w:t>x</w:t>" * (180 * 1024 // 12)  # 180 KiB of highly repetitive XML
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for index in range(400):  # about 70 MiB in all
            archive.writestr(f"word/part{index}.xml", block)
    with pytest.raises(ZipBomb):
        detect.detect("laporan.docx", out.getvalue())


def test_a_docx_with_too_much_xml_is_refused_whatever_its_ratio() -> None:
    out = io.BytesIO()
    words = " ".join(f"kata{i % 997}x{i % 89}" for i in range(120_000)).encode()  # ratio < 10
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        for index in range(detect.MAX_ZIP_XML_BYTES // len(words) + 2):
            archive.writestr(f"word/part{index}.xml", words)
    with pytest.raises(ZipBomb):
        detect.detect("laporan.docx", out.getvalue())


def test_pdf_lines_that_differ_only_by_numbers_are_content() -> None:
    pages = [[f"Register izin nomor {n * 37 + 11} tahun {2000 + n % 25}"] for n in range(60)]
    loaded = load("register.pdf", docs.make_pdf(pages))
    text = "\n".join(b.text for b in loaded.blocks)
    assert "Register izin nomor 11 tahun 2000" in text
    assert "Register izin nomor 2194 tahun 2009" in text


def test_running_headers_with_page_numbers_are_still_removed() -> None:
    topics = ("pendaftaran", "pembayaran", "verifikasi", "penerbitan", "pengaduan")
    pages = [
        [f"Panduan Gampil - {n + 1}", f"Bab tentang {topic} izin."]
        for n, topic in enumerate(topics)
    ]
    text = "\n".join(b.text for b in load("panduan.pdf", docs.make_pdf(pages)).blocks)
    assert "Panduan Gampil -" not in text
    assert "Bab tentang verifikasi izin." in text


def test_an_owner_password_only_pdf_is_ingested(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "terbatas.pdf"
    path.write_bytes(docs.make_encrypted_pdf("pemilik", user_password=""))
    status, out, _err = run(capsys, "kb", "ingest", str(path), "--json")
    assert status == 0 and json.loads(out)["added"] == 1
