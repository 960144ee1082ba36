"""IngestService against an in-memory index that keeps the index's contract.

The contract (see ``knowledge_base.index.KnowledgeIndex``): ``replace_document`` embeds only
chunk texts the previous version did not have, and on an error the previous version stays.
A test at the end runs the same flow on the real index when it is available.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from ingestion.errors import FileTooLarge, InvalidDocType, UnsupportedFileType
from services.ingest import IngestProgress, IngestService
from tests.fakes import documents as docs
from tests.fakes.memory_index import MemoryIndex


@pytest.fixture
def index() -> MemoryIndex:
    return MemoryIndex()


@pytest.fixture
def service(settings: Settings, index: MemoryIndex) -> IngestService:
    return IngestService(settings, index=lambda: index)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "dokumen"
    (folder / "sub").mkdir(parents=True)
    (folder / "panduan-gampil.md").write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    (folder / "panduan-erk.pdf").write_bytes(docs.sample_pdf())
    (folder / "sub" / "sop-sabilulungan.docx").write_bytes(docs.sample_docx())
    (folder / "hayu.html").write_text(docs.sample_html(), encoding="utf-8")
    (folder / ".tersembunyi.md").write_text("# Rahasia\n\nJangan dibaca.", encoding="utf-8")
    (folder / "foto.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    return folder


def test_folder_is_ingested_with_metadata_and_originals(
    service: IngestService, index: MemoryIndex, corpus: Path, settings: Settings
) -> None:
    events: list[IngestProgress] = []
    report = service.ingest_paths([corpus], uploader="cli", progress=events.append)
    assert report.failed == ()
    assert (report.added, report.updated, report.unchanged) == (4, 0, 0)
    assert set(report.documents) == {"panduan-gampil", "panduan-erk", "sop-sabilulungan", "hayu"}
    assert report.chunks_embedded == len(index.embedded_texts) > 4
    gampil = index.docs["panduan-gampil"]
    assert (gampil.app, gampil.doc_type, gampil.language, gampil.uploader) == (
        "Gampil",
        "manual",
        "id",
        "cli",
    )
    digest = hashlib.sha256(docs.MARKDOWN_MANUAL.encode()).hexdigest()
    assert gampil.source_hash == digest
    assert gampil.original_path == f"originals/{digest[:2]}/{digest}.md"
    assert (settings.data_dir / gampil.original_path).read_bytes() == docs.MARKDOWN_MANUAL.encode()
    assert index.docs["panduan-erk"].media_type == "application/pdf"
    assert next(e.stage for e in events if e.file.endswith("hayu.html")) == "start"
    assert [e.outcome for e in events if e.stage == "done"] == ["added"] * 4
    assert any(e.stage == "embed" and e.chunks_done == e.chunks_total for e in events)


def test_reingest_unchanged_costs_no_parsing_and_no_embedding(
    service: IngestService, index: MemoryIndex, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.ingest_paths([corpus])
    embedded_before = len(index.embedded_texts)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr("services.ingest.prepare", no_parsing)
    report = service.ingest_paths([corpus])
    assert (report.added, report.updated, report.unchanged, report.chunks_embedded) == (0, 0, 4, 0)
    assert len(index.embedded_texts) == embedded_before


def test_changed_document_replaces_old_version_embedding_only_new_text(
    service: IngestService, index: MemoryIndex, tmp_path: Path
) -> None:
    path = tmp_path / "panduan-gampil.md"
    path.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    first = service.ingest_paths([path])
    changed = docs.MARKDOWN_MANUAL.replace("hubungi *call center* 112", "hubungi WhatsApp 0811")
    path.write_text(changed, encoding="utf-8")
    second = service.ingest_paths([path])
    assert (second.added, second.updated) == (0, 1)
    assert second.chunks_embedded == 1  # only the changed section
    assert first.chunks_embedded > 1
    text = index.text_of("panduan-gampil")
    assert "WhatsApp 0811" in text
    assert "112" not in text  # no stale chunk answers


def test_new_metadata_for_same_bytes_updates_without_embedding(
    service: IngestService, index: MemoryIndex, tmp_path: Path
) -> None:
    path = tmp_path / "catatan.txt"
    path.write_text("Catatan rapat koordinasi tentang server.", encoding="utf-8")
    service.ingest_paths([path])
    report = service.ingest_paths([path], app="Hayu.Bdg", doc_type="faq")
    assert (report.updated, report.chunks_embedded) == (1, 0)
    assert (index.docs["catatan"].app, index.docs["catatan"].doc_type) == ("Hayu.Bdg", "faq")


def test_failed_embedding_of_new_version_keeps_previous_version(
    service: IngestService, index: MemoryIndex, tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "panduan-gampil.md"
    path.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    service.ingest_paths([path])
    old_text = index.text_of("panduan-gampil")
    old_doc = index.docs["panduan-gampil"]
    new_version = docs.MARKDOWN_MANUAL.replace("Gampil adalah", "Gampil versi baru adalah").replace(
        "tiga hari kerja", "lima hari kerja"
    )
    path.write_text(new_version, encoding="utf-8")
    index.fail_after = 1  # the model dies in the middle of the new version
    report = service.ingest_paths([path], lang="en")
    assert report.chunks_embedded == 0
    assert [(f.file, f.code) for f in report.failed] == [(str(path), "app.unavailable")]
    assert index.text_of("panduan-gampil") == old_text
    assert index.docs["panduan-gampil"] == old_doc
    # The new version's original was not left behind; the old one still is.
    originals = {p.name for p in (settings.data_dir / "originals").rglob("*") if p.is_file()}
    assert originals == {Path(old_doc.original_path or "").name}
    index.fail_after = None
    retry = service.ingest_paths([path])
    assert retry.updated == 1
    assert "lima hari kerja" in index.text_of("panduan-gampil")


def test_hostile_corpus_fails_per_file_and_harms_nothing(
    service: IngestService, index: MemoryIndex, tmp_path: Path
) -> None:
    good = tmp_path / "panduan-gampil.md"
    good.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    service.ingest_paths([good])
    before = (dict(index.docs), dict(index.chunks))

    bad = tmp_path / "buruk"
    bad.mkdir()
    files = {
        "kosong.txt": b"",
        "rahasia.pdf": docs.make_encrypted_pdf(),
        "rusak.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 10,
        "pindaian.pdf": docs.make_image_only_pdf(),
        "bom.docx": docs.make_zip_bomb_docx(uncompressed_mb=40),
        "program.txt": docs.BINARY_AS_TEXT,
        "gambar.html": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    }
    for name, data in files.items():
        (bad / name).write_bytes(data)
    (bad / "catatan-cp1252.txt").write_bytes(docs.INDONESIAN_CP1252)  # fine: decoded
    report = service.ingest_paths([bad, tmp_path / "tidak-ada.pdf"], lang="id")
    codes = {Path(f.file).name: f.code for f in report.failed}
    assert codes == {
        "kosong.txt": "ingest.empty",
        "rahasia.pdf": "ingest.encrypted_pdf",
        "rusak.pdf": codes["rusak.pdf"],
        # This service has no OCR: scans and images say what to install.
        "pindaian.pdf": "ingest.ocr_unavailable",
        "bom.docx": "ingest.zip_bomb",
        "program.txt": "ingest.binary_text",
        "gambar.html": "ingest.ocr_unavailable",
        "tidak-ada.pdf": "ingest.not_found",
    }
    assert codes["rusak.pdf"] in {"ingest.corrupt", "ingest.no_text"}
    assert report.added == 1 and report.documents == ("catatan-cp1252",)
    for failure in report.failed:
        assert Path(failure.file).name in failure.message  # names the file, in Indonesian
        assert not failure.message.startswith("error.")
    assert "kata sandi" in next(f.message for f in report.failed if f.code.endswith("pdf"))
    assert index.docs["panduan-gampil"] == before[0]["panduan-gampil"]
    assert index.chunks["panduan-gampil"] == before[1]["panduan-gampil"]


def test_too_large_file_is_refused_before_reading(tmp_path: Path, index: MemoryIndex) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "d", max_upload_mb=0.001)  # type: ignore[call-arg]
    service = IngestService(settings, index=lambda: index)
    big = tmp_path / "besar.txt"
    big.write_text("kata " * 1000, encoding="utf-8")
    report = service.ingest_paths([big], lang="en")
    assert [f.code for f in report.failed] == ["ingest.too_large"]
    assert "too large" in report.failed[0].message
    upload = service.ingest_upload("besar.txt", b"kata " * 1000)
    assert [f.code for f in upload.failed] == ["ingest.too_large"]


def test_check_upload_refuses_before_download_without_building_the_index(
    settings: Settings,
) -> None:
    def no_index() -> MemoryIndex:
        raise AssertionError("check_upload must not build the index")

    service = IngestService(settings, index=no_index)
    service.check_upload("panduan.pdf", 1024)
    service.check_upload("tanpa-ekstensi", 1024)
    with pytest.raises(FileTooLarge) as too_large:
        service.check_upload("panduan.pdf", 21 * 1024 * 1024)
    assert too_large.value.params == {"file": "panduan.pdf", "size_mb": 21.0, "limit_mb": 20.0}
    with pytest.raises(UnsupportedFileType):
        service.check_upload("anggaran.xlsx", 1024)
    # A transport's lower limit (Telegram's cloud Bot API) wins over the settings.
    with pytest.raises(FileTooLarge) as transport:
        service.check_upload("panduan.pdf", 6 * 1024 * 1024, limit_bytes=5 * 1024 * 1024)
    assert transport.value.params["limit_mb"] == 5.0
    service.check_upload("panduan.pdf", 19 * 1024 * 1024, limit_bytes=50 * 1024 * 1024)
    with pytest.raises(FileTooLarge):  # nor can it raise the settings' limit
        service.check_upload("panduan.pdf", 21 * 1024 * 1024, limit_bytes=50 * 1024 * 1024)


def test_upload_is_ingested_under_its_bare_name(service: IngestService, index: MemoryIndex) -> None:
    report = service.ingest_upload(
        "../../etc/Panduan e-RK.pdf", docs.sample_pdf(), uploader="tg:42", doc_type="manual"
    )
    assert report.added == 1 and report.documents == ("panduan-e-rk",)
    doc = index.docs["panduan-e-rk"]
    assert (doc.source_name, doc.uploader, doc.app) == ("Panduan e-RK.pdf", "tg:42", "e-RK")
    again = service.ingest_upload("Panduan e-RK.pdf", docs.sample_pdf())
    assert again.unchanged == 1


def test_two_files_with_the_same_id_in_one_batch(service: IngestService, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "panduan.md").write_text("# A\n\nSatu.", encoding="utf-8")
    (tmp_path / "panduan.txt").write_text("Dua.", encoding="utf-8")
    report = service.ingest_paths([tmp_path / "a", tmp_path / "panduan.txt"])
    assert report.added == 1
    assert [f.code for f in report.failed] == ["ingest.duplicate_name"]


def test_unknown_doc_type_is_refused_up_front(service: IngestService, corpus: Path) -> None:
    with pytest.raises(InvalidDocType):
        service.ingest_paths([corpus], doc_type="novel")


def test_reindex_rebuilds_from_kept_originals(
    service: IngestService, index: MemoryIndex, corpus: Path
) -> None:
    service.ingest_paths([corpus], app="Gampil")
    before = {doc_id: index.text_of(doc_id) for doc_id in index.docs}
    index.chunks.clear()  # e.g. a lost vector store
    report = service.reindex()
    assert report.failed == ()
    assert report.updated == len(before)
    assert {doc_id: index.text_of(doc_id) for doc_id in index.docs} == before
    assert {d.app for d in index.docs.values()} == {"Gampil"}


def test_services_container_builds_the_ingest_service(settings: Settings) -> None:
    from services import Services

    services = Services(settings)
    assert isinstance(services.ingest, IngestService)
    services.ingest.check_upload("a.md", 10)  # no index, no database needed


def test_replaced_and_removed_versions_do_not_leave_originals_behind(
    service: IngestService, index: MemoryIndex, tmp_path: Path, settings: Settings
) -> None:
    def originals() -> set[str]:
        root = settings.data_dir / "originals"
        return {p.relative_to(settings.data_dir).as_posix() for p in root.rglob("*.md")}

    path = tmp_path / "panduan-gampil.md"
    path.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    copy = tmp_path / "salinan.md"
    copy.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")  # same bytes, another document
    service.ingest_paths([path, copy])
    first = index.docs["panduan-gampil"].original_path
    assert originals() == {first}
    path.write_text(docs.MARKDOWN_MANUAL + "\nTambahan.\n", encoding="utf-8")
    service.ingest_paths([path])
    second = index.docs["panduan-gampil"].original_path
    assert originals() == {first, second}  # the first is still the copy's original
    copy.write_text("# Salinan\n\nIsi baru.", encoding="utf-8")
    service.ingest_paths([copy])
    assert first not in originals()  # no document refers to it any more
    index.remove_document("salinan")
    # Just written: spared, an ingest may be about to refer to it.
    report = service.prune_originals()
    assert (report.deleted, report.kept_recent, report.referenced) == (0, 1, 1)
    assert len(originals()) == 2
    report = service.prune_originals(now=time.time() + 3601)
    assert report.deleted == 1 and report.bytes_freed > 0
    assert originals() == {second}


def test_an_ingest_refreshes_an_unreferenced_original_it_reuses(
    service: IngestService, index: MemoryIndex, tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "panduan-gampil.md"
    path.write_text(docs.MARKDOWN_MANUAL, encoding="utf-8")
    service.ingest_paths([path])
    kept = settings.data_dir / index.docs["panduan-gampil"].original_path
    index.remove_document("panduan-gampil")
    os.utime(kept, (time.time() - 7200, time.time() - 7200))  # an old orphan...
    real_replace = index.replace_document
    pruned: list[int] = []

    def prune_then_replace(*args: Any, **kwargs: Any) -> int:
        # A prune running after the original is stored, before the document refers to it.
        pruned.append(service.prune_originals().deleted)
        return real_replace(*args, **kwargs)

    index.replace_document = prune_then_replace  # type: ignore[method-assign]
    report = service.ingest_paths([path])  # ...that a new ingest of the same bytes uses again
    assert report.added == 1 and pruned == [0]
    assert kept.is_file()


def test_reindex_reports_a_missing_original(
    service: IngestService, index: MemoryIndex, corpus: Path, settings: Settings
) -> None:
    service.ingest_paths([corpus / "panduan-gampil.md"])
    original = settings.data_dir / (index.docs["panduan-gampil"].original_path or "")
    original.unlink()
    report = service.reindex(["panduan-gampil"], lang="en")
    assert [f.code for f in report.failed] == ["ingest.original_missing"]
    assert "panduan-gampil" in report.failed[0].message
    # Ingesting the file again restores it (an unchanged hash alone is not enough).
    assert service.ingest_paths([corpus / "panduan-gampil.md"]).updated == 1
    assert original.is_file()


@pytest.mark.parametrize("how", ["overwritten", "linked"])
def test_reindex_refuses_an_original_changed_on_disk(
    service: IngestService,
    index: MemoryIndex,
    corpus: Path,
    settings: Settings,
    tmp_path: Path,
    how: str,
) -> None:
    # The kept original replaced (or swapped for a link to another file) behind Sinergi's
    # back: reindexing it would put text nobody uploaded under the old upload's record.
    service.ingest_paths([corpus / "panduan-gampil.md"])
    before = index.text_of("panduan-gampil")
    original = settings.data_dir / (index.docs["panduan-gampil"].original_path or "")
    forged = "# Panduan Gampil\n\nBiaya izin reklame Rp 5.000.000, bayar ke rekening pribadi.\n"
    if how == "overwritten":
        original.write_text(forged, encoding="utf-8")
    else:
        elsewhere = tmp_path / "lain.md"
        elsewhere.write_text(forged, encoding="utf-8")
        original.unlink()
        original.symlink_to(elsewhere)
    for lang, words in (("id", "sudah berubah"), ("en", "has changed")):
        report = service.reindex(["panduan-gampil"], lang=lang)
        assert [f.code for f in report.failed] == ["ingest.original_changed"]
        assert words in report.failed[0].message and "panduan-gampil" in report.failed[0].message
        assert report.updated == 0
    assert index.text_of("panduan-gampil") == before  # nothing re-chunked
    # Uploaded again, the document reindexes from its new kept original.
    original.unlink()
    assert service.ingest_paths([corpus / "panduan-gampil.md"]).updated == 1
    assert service.reindex(["panduan-gampil"]).updated == 1


def test_reindex_never_reads_an_original_over_the_upload_limit_into_memory(
    settings: Settings, index: MemoryIndex, corpus: Path
) -> None:
    # A kept original swapped for a huge file (5 GB stopped the whole reindex with a
    # MemoryError) is hashed a block at a time: another file reads as changed, the upload
    # itself over a limit lowered since as too large. Neither is re-chunked.
    IngestService(settings, index=lambda: index).ingest_paths([corpus / "panduan-gampil.md"])
    before = index.text_of("panduan-gampil")
    original = settings.data_dir / (index.docs["panduan-gampil"].original_path or "")
    kept = original.read_bytes()
    limit_mb = 0.0005  # about 500 bytes: the sample manual is over it
    assert len(kept) > limit_mb * 2**20
    lowered = IngestService(
        settings.model_copy(update={"max_upload_mb": limit_mb}), index=lambda: index
    )
    report = lowered.reindex(["panduan-gampil"], lang="en")
    assert [f.code for f in report.failed] == ["ingest.too_large"]
    assert "too large" in report.failed[0].message
    with original.open("r+b") as handle:
        handle.truncate(32 * 2**20)  # another file of 32 MB (sparse: no disk spent)
    tracemalloc.start()
    try:
        report = lowered.reindex(["panduan-gampil"], lang="en")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [f.code for f in report.failed] == ["ingest.original_changed"]
    assert peak < 8 * 2**20  # read a block at a time, never whole
    assert report.updated == 0 and index.text_of("panduan-gampil") == before


def test_reindex_does_not_wait_on_a_fifo_swapped_in_for_the_original(
    service: IngestService, index: MemoryIndex, corpus: Path, settings: Settings
) -> None:
    # Swapped after the check that the original is a file: opening a FIFO to read waited for
    # a writer (for ever). A writer comes after a while here so that a wait ends, and fails.
    service.ingest_paths([corpus / "panduan-gampil.md"])
    original = settings.data_dir / (index.docs["panduan-gampil"].original_path or "")
    fifo = original.with_name("fifo")
    os.mkfifo(fifo)
    service.original_file = lambda document: fifo  # type: ignore[method-assign]

    came = threading.Event()

    def writer() -> None:
        came.set()
        with contextlib.suppress(OSError):  # nobody reading: the reindex did not wait
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    late = threading.Timer(5.0, writer)
    late.start()
    try:
        report = service.reindex(["panduan-gampil"], lang="en")
        waited = came.is_set()  # the reindex ended only once the writer came
    finally:
        late.cancel()
    assert [f.code for f in report.failed] == ["ingest.original_missing"]
    assert not waited


def test_a_mixed_pdf_without_ocr_tells_the_uploader_which_scanned_pages_are_missing(
    settings: Settings, index: MemoryIndex
) -> None:
    from ingestion.ocr import TesseractOcr
    from tests.fakes.scans import merged_pdf, render_page, scanned_pdf

    typed = docs.make_pdf([["PANDUAN GAMPIL", "", "Pemohon memilih menu Daftar di laman Gampil."]])
    scan = scanned_pdf([render_page(["PENERBITAN IZIN"]), render_page(["RIWAYAT"])])
    mixed = merged_pdf(typed, scan)
    for ocr in (None, TesseractOcr(command="tidak-ada-tesseract")):
        service = IngestService(settings, index=lambda: MemoryIndex(), ocr=ocr)
        report = service.ingest_upload("campuran.pdf", mixed, lang="en")
        assert report.added == 1 and not report.failed
        [note] = report.notes
        assert note.code == "ingest.note.unread_pages"
        assert note.params == {"file": "campuran.pdf", "pages": "2, 3", "count": 2}
        assert "Tesseract" in note.message and "page 2, 3" in note.message
    indonesian = IngestService(settings, index=lambda: index).ingest_upload("c.pdf", mixed)
    assert "halaman 2, 3" in indonesian.notes[0].message


def test_a_text_pdf_gets_no_unread_pages_note(service: IngestService) -> None:
    report = service.ingest_upload("panduan.pdf", docs.sample_pdf())
    assert report.added == 1 and report.notes == ()


AGREEMENT = [
    "KESEPAKATAN BERSAMA",
    "ANTARA PEMERINTAH KOTA BANDUNG DAN PEMERINTAH KABUPATEN KERINCI",
    "NOMOR: 119/KB.12-DISKOMINFO/2025",
    "TENTANG REPLIKASI APLIKASI GAMPIL",
    "",
    "Pada hari ini Senin tanggal dua bulan Juni tahun dua ribu dua puluh lima, kami yang",
    "bertanda tangan di bawah ini: Wali Kota Bandung, selanjutnya disebut PIHAK PERTAMA;",
    "dan Bupati Kerinci, selanjutnya disebut PIHAK KEDUA.",
    "Pasal 1 Ruang lingkup kesepakatan ini adalah replikasi aplikasi Gampil.",
]


def test_an_upload_that_reads_as_a_signed_agreement_says_how_to_record_it(
    service: IngestService,
) -> None:
    report = service.ingest_upload("kb-kerinci.pdf", docs.make_pdf([AGREEMENT]), lang="id")
    assert report.added == 1
    [note] = report.notes
    assert note.code == "ingest.note.agreement" and note.params["kind"] == "KB"
    assert "/mou baru" in note.message
    # The intake files its own source: no offer to record what is being recorded.
    again = service.ingest_upload(
        "kb-kerinci-2.pdf", docs.make_pdf([AGREEMENT]), offer_intake=False
    )
    assert again.notes == ()


def test_a_guide_that_mentions_an_mou_is_not_taken_for_one(service: IngestService) -> None:
    guide = [
        "PANDUAN REPLIKASI GAMPIL SETELAH MOU",
        "",
        "Setelah MoU ditandatangani, daerah mitra menyiapkan server dan domain.",
        "Langkah berikutnya adalah pelatihan admin selama dua hari.",
    ]
    assert service.ingest_upload("panduan-mou.pdf", docs.make_pdf([guide])).notes == ()


def test_signed_agreements_of_the_dev_set_are_offered_to_the_tracker(
    service: IngestService,
) -> None:
    """Agreements name their first party "PIHAK KESATU" as often as "PIHAK PERTAMA"."""
    folder = Path(__file__).resolve().parents[1] / "data" / "agreements"
    for name in ("kb-01-kerinci.pdf", "kb-17-sumedang-docx.docx"):
        report = service.ingest_upload(name, (folder / name).read_bytes(), lang="id")
        assert [n.code for n in report.notes] == ["ingest.note.agreement"], name
