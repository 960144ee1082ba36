from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli.errors import ExitStatus
from cli.main import main
from tests.fakes import documents as docs

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "docs"


def test_ingest_samples_then_again_unchanged_json(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "ingest", str(SAMPLES), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    count = len([p for p in SAMPLES.iterdir() if p.is_file()])
    assert report["added"] == count
    assert report["failed"] == []
    assert report["chunks_embedded"] > count
    assert "gampil-panduan-perizinan" in report["documents"]
    assert main(["kb", "ingest", str(SAMPLES), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["unchanged"], again["chunks_embedded"]) == (count, 0)


def test_failures_are_listed_and_exit_non_zero_good_files_still_ingested(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "campur"
    folder.mkdir()
    shutil.copy(SAMPLES / "e-rk-tunjangan-kinerja.md", folder)
    (folder / "rahasia.pdf").write_bytes(docs.make_encrypted_pdf())
    (folder / "program.txt").write_bytes(docs.BINARY_AS_TEXT)
    status = main(["kb", "ingest", str(folder), "--app", "e-RK", "--doc-type", "sop"])
    assert status == ExitStatus.FAILED
    out = capsys.readouterr().out
    assert "Ditambahkan" in out and "Gagal" in out
    assert "rahasia.pdf" in out and "kata sandi" in out
    assert "program.txt" in out
    assert main(["kb", "ingest", str(folder / "e-rk-tunjangan-kinerja.md"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 1


def test_english_report_and_bad_doc_type(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SINERGI_LANGUAGE", "en")
    status = main(["kb", "ingest", str(SAMPLES / "replicating-bandung-apps-checklist.md")])
    assert status == 0
    out = capsys.readouterr().out
    assert "Added" in out and "Chunks embedded" in out
    status = main(["kb", "ingest", str(SAMPLES), "--doc-type", "novel"])
    assert status == ExitStatus.INVALID_INPUT
    assert "novel" in capsys.readouterr().err


def test_missing_path_is_a_failure(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ingest", "/tidak/ada.pdf", "--json"]) == ExitStatus.FAILED
    failed = json.loads(capsys.readouterr().out)["failed"]
    assert [(f["file"], f["code"]) for f in failed] == [("/tidak/ada.pdf", "ingest.not_found")]


def test_reindex_rechunks_from_kept_originals(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "ingest", str(SAMPLES / "gampil-panduan-perizinan.md"), "--json"]) == 0
    before = json.loads(capsys.readouterr().out)["chunks_embedded"]
    monkeypatch.setenv("SINERGI_CHUNK_SIZE", "300")
    assert main(["kb", "reindex", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["updated"] == 1 and report["failed"] == []
    assert 0 < report["chunks_embedded"] < before  # only the sections cut differently
    assert main(["kb", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["chunk_count"] > before  # smaller chunks, more of them
    assert main(["kb", "reindex", "tidak-ada"]) == 0
    assert "Tidak ada berkas dokumen" in capsys.readouterr().out


def test_a_mixed_pdf_without_ocr_names_the_pages_left_out(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fakes.scans import merged_pdf, render_page, scanned_pdf

    monkeypatch.setenv("SINERGI_TESSERACT_CMD", "tidak-ada-tesseract")
    typed = docs.make_pdf([["PANDUAN GAMPIL", "", "Pemohon memilih menu Daftar di laman Gampil."]])
    mixed = tmp_path / "campuran.pdf"
    mixed.write_bytes(merged_pdf(typed, scanned_pdf([render_page(["PENERBITAN IZIN"])])))
    assert main(["kb", "ingest", str(mixed)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # however the terminal wrapped it
    assert "halaman 2" in out and "Tesseract" in out
