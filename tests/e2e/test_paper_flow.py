"""End to end: paper in, tracked agreement out; scanned manuals answered with page citations.

These read real scans with Tesseract (skipped, with the reason, where it is not installed;
.ci/run installs it and fails them if it is missing).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import BANDUNG, KERINCI
from tests.e2e.harness import COORDINATOR, OFFICIAL, TRAINER, BotHarness
from tests.fakes.scans import needs_tesseract, render_page, scanned_pdf
from tests.fakes.tracker import OPERATOR

DEV_SET = Path(__file__).resolve().parent.parent / "data" / "agreements"


@needs_tesseract
async def test_a_scanned_pks_sent_to_the_bot_becomes_a_tracked_agreement(bot: BotHarness) -> None:
    scan = (DEV_SET / "pks-07-kerinci-scan.pdf").read_bytes()
    read = await bot.upload(
        COORDINATOR,
        "pks-hayu-kerinci.pdf",
        scan,
        mime_type="application/pdf",
        caption="/mou baru",
        timeout=120,
    )
    [draft] = read.to(COORDINATOR.id)
    assert draft.edits >= 2  # "reading…", OCR progress, then the draft
    text = draft.text or ""
    assert "Perjanjian Kerja Sama (PKS)" in text and "Kabupaten Kerinci (15.01)" in text
    assert "027/PKS.12-Diskominfo/2025" in text and "20-05-2025" in text and "20-05-2028" in text
    assert "hlm. 1 baris" in text  # where each field was found
    assert bot.services.tracker.count_agreements(OPERATOR) == 0  # nothing saved before confirming

    # fix the title by hand: press its ✏️, reply with the new value
    await bot.press(COORDINATOR, draft, data=draft.button("✏️ 3")["callback_data"])
    edited = await bot.say(COORDINATOR, "PKS Pemanfaatan Hayu.Bdg di Kabupaten Kerinci")
    review = edited.to(COORDINATOR.id)[-1]
    assert "PKS Pemanfaatan Hayu.Bdg di Kabupaten Kerinci" in (review.text or "")
    # a date that does not exist is refused and changes nothing
    await bot.press(COORDINATOR, review, data=review.button("✏️ 4")["callback_data"])
    refused = await bot.say(COORDINATOR, "31 Februari 2025")
    assert "31 Februari 2025" in " ".join(refused.texts)
    bot.domain_errors.clear()
    fixed = await bot.say(COORDINATOR, "20 Mei 2025")
    review = fixed.to(COORDINATOR.id)[-1]

    saved = await bot.press(COORDINATOR, review, data=review.button("Simpan")["callback_data"])
    assert "11 tahapan" in " ".join(m.text or "" for m in [review, *saved.messages])
    [agreement] = bot.services.tracker.list_agreements(OPERATOR)
    assert agreement.kind == "pks"
    assert agreement.title == "PKS Pemanfaatan Hayu.Bdg di Kabupaten Kerinci"
    assert [p.code for p in agreement.parties] == [BANDUNG, KERINCI]
    assert agreement.apps == ("Hayu.Bdg",)
    detail = bot.services.tracker.get_agreement(OPERATOR, agreement.id)
    assert len(detail.milestones) == 11 and detail.milestones[0].due_on is not None
    [source] = bot.services.evidence.list_files(OPERATOR, agreement.id)
    assert source.role == "source" and source.kb_doc_id
    assert bot.services.evidence.search(OPERATOR, agreement.id, "pemasangan Hayu.Bdg")
    documents = {d.doc_id: d for d in bot.services.knowledge.list_documents()}
    assert documents[source.kb_doc_id].doc_type == "agreement"
    assert documents[source.kb_doc_id].title == agreement.title  # what a citation names

    # the coordinator sees it in /mou, and an official can ask what it says
    listing = (await bot.say(COORDINATOR, "/mou")).one(COORDINATOR.id)
    assert "PKS Pemanfaatan Hayu.Bdg" in (listing.text or "")
    answer = await bot.say(OFFICIAL, "Apa ruang lingkup perjanjian pemanfaatan aplikasi Hayu.Bdg?")
    text = " ".join(answer.texts)
    assert "[1]" in text and "pemasangan" in text.lower()


@needs_tesseract
async def test_a_scanned_manual_is_answered_with_page_citations(bot: BotHarness) -> None:
    page1 = ["PANDUAN GAMPIL", "", "Gampil melayani perizinan usaha secara daring."]
    page2 = [
        "PEMBAYARAN RETRIBUSI",
        "",
        "Retribusi izin dibayar melalui bank daerah paling lambat tujuh hari",
        "setelah tagihan terbit. Bukti bayar diunggah ke menu Tagihan.",
    ]
    scan = scanned_pdf([render_page(page1, rotate=1.0), render_page(page2, noise=0.001)])
    uploaded = await bot.upload(
        TRAINER, "panduan-gampil-pindaian.pdf", scan, mime_type="application/pdf", timeout=120
    )
    [report] = uploaded.to(TRAINER.id)
    assert report.edits >= 3  # downloading, processing, OCR page progress, the report
    ocr_edits = [
        c
        for c in bot.server.calls("editMessageText", ok=True)
        if "halaman" in str(c.params.get("text", ""))
    ]
    assert ocr_edits, "the scan's pages were reported while being read"
    [document] = bot.services.knowledge.list_documents()
    assert document.media_type == "application/pdf"
    answer = await bot.say(OFFICIAL, "Kapan retribusi izin Gampil harus dibayar?")
    text = " ".join(answer.texts)
    assert "tujuh hari" in text
    assert "p. 2" in text or "hlm. 2" in text  # the citation names the scanned page


async def test_without_tesseract_a_scan_gets_a_message_saying_what_to_install(
    bot: BotHarness,
) -> None:
    bot.services.ocr.command = "tidak-ada-tesseract"
    scan = scanned_pdf([render_page(["PANDUAN", "", "Isi panduan."])])
    uploaded = await bot.upload(TRAINER, "pindaian.pdf", scan, mime_type="application/pdf")
    [report] = uploaded.to(TRAINER.id)
    assert "tesseract-ocr-ind" in (report.text or "")
    assert bot.services.knowledge.list_documents() == []
    # everything else still works: a text document goes in
    ok = await bot.upload(TRAINER, "catatan.md", b"# Catatan\n\nGampil melayani izin usaha.\n")
    assert ok.to(TRAINER.id)
    assert [d.doc_id for d in bot.services.knowledge.list_documents()] == ["catatan"]


async def test_a_coordinator_records_only_their_regions_agreements(bot: BotHarness) -> None:
    text_pdf = (DEV_SET / "kb-02-sergai.pdf").read_bytes()  # Bandung and Serdang Bedagai
    read = await bot.upload(
        COORDINATOR, "kb-sergai.pdf", text_pdf, mime_type="application/pdf", caption="/mou baru"
    )
    [draft] = read.to(COORDINATOR.id)
    refused = await bot.press(COORDINATOR, draft, data=draft.button("Simpan")["callback_data"])
    assert "daerah Anda" in " ".join(refused.texts)
    assert bot.services.tracker.count_agreements(OPERATOR) == 0


async def test_an_admin_answers_which_tasikmalaya_before_saving(bot: BotHarness) -> None:
    from tests.e2e.harness import ADMIN

    text_pdf = (DEV_SET / "kb-19-tasik-ambiguous.pdf").read_bytes()
    read = await bot.upload(
        ADMIN, "kb-tasik.pdf", text_pdf, mime_type="application/pdf", caption="/mou baru"
    )
    [draft] = read.to(ADMIN.id)
    assert "daerah yang mana" in (draft.text or "")
    early = await bot.press(ADMIN, draft, data=draft.button("Simpan")["callback_data"])
    assert "Belum lengkap: Para pihak" in " ".join(early.texts)  # nothing saved
    assert bot.services.tracker.count_agreements(OPERATOR) == 0
    await bot.press(ADMIN, draft, data=draft.button("Kabupaten Tasikmalaya")["callback_data"])
    assert "Kabupaten Tasikmalaya (32.06)" in (draft.text or "")
    await bot.press(ADMIN, draft, data=draft.button("Simpan")["callback_data"])
    [agreement] = bot.services.tracker.list_agreements(OPERATOR)
    assert [p.code for p in agreement.parties] == [BANDUNG, "32.06"]
