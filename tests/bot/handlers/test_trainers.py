from __future__ import annotations

from tests.bot.conftest import HAYU_GUIDE, OFFICIAL, TRAINER, BotHarness
from tests.bot.handlers_helpers import document_message


async def upload(harness: BotHarness, name: str, data: bytes, caption: str | None = None) -> None:
    harness.api.files[f"file-{name}"] = data
    await harness.updates.send(
        TRAINER, None, **document_message(f"file-{name}", name, len(data), caption)
    )


async def test_upload_then_officials_get_cited_answers(harness: BotHarness) -> None:
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE, "app=Hayu.Bdg type=panduan")
    assert harness.api.downloads == ["file-panduan-hayu.md"]
    report = harness.api.last(TRAINER)
    assert report.method == "editMessageText"
    assert "Baru: 1" in report.text
    documents = harness.services.knowledge.list_documents()
    assert [(d.app, d.doc_type) for d in documents] == [("Hayu.Bdg", "manual")]

    await harness.updates.send(OFFICIAL, "Bagaimana cara registrasi akun Hayu.Bdg dengan NIK?")
    answer = harness.api.last(OFFICIAL)
    assert "Panduan Hayu.Bdg" in answer.text and "[1]" in answer.text
    await harness.updates.press(OFFICIAL, answer.button("[1]")["callback_data"])
    assert "NIK" in harness.api.last(OFFICIAL).text
    await harness.updates.press(OFFICIAL, answer.button("👎")["callback_data"])
    assert harness.api.problems() == []


async def test_a_caption_that_is_not_read_is_named_in_the_report(harness: BotHarness) -> None:
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE, "aplikasi Hayu.Bdg, tipe panduan")
    report = harness.api.last(TRAINER).text
    assert "Baru: 1" in report  # the document is kept all the same
    assert "aplikasi Hayu.Bdg, tipe panduan" in report and "app=" in report
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE, "app=Hayu.Bdg type=panduan")
    assert "app=" not in harness.api.last(TRAINER).text  # read whole: nothing to say
    assert [d.app for d in harness.services.knowledge.list_documents()] == ["Hayu.Bdg"]


async def test_new_version_replaces_the_document(harness: BotHarness) -> None:
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE)
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE + b"\n## Bantuan\n\nHubungi 112.\n")
    assert "Diperbarui: 1" in harness.api.last(TRAINER).text
    assert len(harness.services.knowledge.list_documents()) == 1


async def test_oversize_file_is_refused_before_download(harness: BotHarness) -> None:
    size = 25 * 1024 * 1024
    await harness.updates.send(TRAINER, None, **document_message("big", "besar.pdf", size, None))
    assert harness.api.downloads == []
    assert harness.api.of("getFile") == []
    assert "20" in harness.api.last(TRAINER).text
    assert harness.services.knowledge.list_documents() == []


async def test_unsupported_type_is_refused_before_download(harness: BotHarness) -> None:
    await harness.updates.send(TRAINER, None, **document_message("x", "tabel.xlsx", 1000, None))
    assert harness.api.of("getFile") == []
    assert "xlsx" in harness.api.last(TRAINER).text


async def test_officials_cannot_upload(harness: BotHarness) -> None:
    await harness.updates.send(OFFICIAL, None, **document_message("x", "a.md", 10, None))
    assert harness.api.of("getFile") == []
    assert "peran Anda" in harness.api.last(OFFICIAL).text


async def test_remove_with_confirmation(harness: BotHarness) -> None:
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE)
    doc_id = harness.services.knowledge.list_documents()[0].doc_id
    await harness.updates.send(TRAINER, f"/hapus {doc_id}")
    confirm = harness.api.last(TRAINER)
    await harness.updates.press(TRAINER, confirm.button("Batal")["callback_data"])
    assert len(harness.services.knowledge.list_documents()) == 1
    await harness.updates.press(TRAINER, confirm.button("hapus")["callback_data"])
    assert harness.services.knowledge.list_documents() == []
    assert "dihapus" in harness.api.last(TRAINER).text
    # An official pressing the trainer's button (or sending /hapus) removes nothing.
    await upload(harness, "panduan-hayu.md", HAYU_GUIDE)
    await harness.updates.send(TRAINER, "/hapus")
    choice = harness.api.last(TRAINER).buttons()[0]["callback_data"]
    await harness.updates.press(OFFICIAL, choice)
    await harness.updates.send(OFFICIAL, f"/hapus {doc_id}")
    assert len(harness.services.knowledge.list_documents()) == 1


async def test_gaps_show_unanswered_questions(harness: BotHarness) -> None:
    await harness.updates.send(TRAINER, "/celah")
    assert "Belum ada celah" in harness.api.last(TRAINER).text
    await harness.updates.send(OFFICIAL, "Berapa anggaran lisensi Sabilulungan tahun depan?")
    await harness.updates.send(TRAINER, "/celah")
    assert "Sabilulungan" in harness.api.last(TRAINER).text
    await harness.updates.send(OFFICIAL, "/celah")
    assert "Sabilulungan" not in harness.api.last(OFFICIAL).text


async def test_documents_posted_in_groups_are_not_ingested(harness: BotHarness) -> None:
    harness.api.files["g"] = HAYU_GUIDE
    await harness.updates.send(
        TRAINER, None, chat_id=-100321, **document_message("g", "panduan.md", len(HAYU_GUIDE), None)
    )
    assert harness.api.of("getFile") == []
    assert harness.api.sent(-100321) == []


async def test_a_mixed_pdf_without_ocr_tells_the_trainer_which_pages_are_missing(
    harness: BotHarness,
) -> None:
    from ingestion.ocr import TesseractOcr
    from tests.fakes import documents as docs
    from tests.fakes.scans import merged_pdf, render_page, scanned_pdf

    harness.services.ingest.ocr = TesseractOcr(command="tidak-ada-tesseract")
    typed = docs.make_pdf([["PANDUAN GAMPIL", "", "Pemohon memilih menu Daftar di laman Gampil."]])
    mixed = merged_pdf(typed, scanned_pdf([render_page(["PENERBITAN IZIN"])]))
    await upload(harness, "campuran.pdf", mixed)
    report = harness.api.last(TRAINER).text
    assert "Baru: 1" in report
    assert "halaman 2" in report and "Tesseract" in report
