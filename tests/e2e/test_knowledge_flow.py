"""End to end: trainers teach the knowledge base, officials ask and get cited answers."""

from __future__ import annotations

import pytest

from bot.i18n import t_html
from tests.e2e.harness import (
    ADMIN,
    COORDINATOR,
    OFFICIAL,
    STRANGER,
    TRAINER,
    BotHarness,
)
from tests.fakes.botapi import parse_html
from tests.fakes.botapi.server import BotMessage
from tests.fakes.tracker import OPERATOR

GUIDE = """# Panduan Hayu.Bdg

## Pendaftaran akun

Untuk mendaftar akun Hayu.Bdg, warga membuka aplikasi lalu memilih menu Daftar.
Warga mengisi Nomor Induk Kependudukan (NIK), nama lengkap, dan nomor telepon aktif.
Kode verifikasi dikirim melalui SMS dan harus dimasukkan dalam lima menit.

## Pengaduan warga

Pengaduan dikirim melalui menu Lapor dengan foto dan lokasi kejadian.
Setiap pengaduan diteruskan ke perangkat daerah yang berwenang dalam satu hari kerja.

## Replikasi ke daerah mitra

Daerah mitra menyiapkan server, domain, dan tim admin sebelum pelatihan teknis.
Dinas Komunikasi dan Informatika daerah mitra menjadi penanggung jawab operasional.
"""


async def upload_guide(bot: BotHarness) -> None:
    exchange = await bot.upload(
        TRAINER,
        "panduan-hayu-bdg.md",
        GUIDE.encode(),
        mime_type="text/markdown",
        caption="app=Hayu.Bdg type=panduan",
    )
    [progress] = exchange.to(TRAINER.id)
    # the progress message ends as the ingest report
    assert progress.edits >= 2
    assert "1" in (progress.text or "")
    documents = bot.services.knowledge.list_documents()
    assert [d.app for d in documents] == ["Hayu.Bdg"]


async def test_trainer_uploads_and_official_gets_a_cited_answer(bot: BotHarness) -> None:
    await upload_guide(bot)
    [download] = [c for c in bot.server.calls("getFile", ok=True)]
    assert download.params["file_id"]

    asked = await bot.say(OFFICIAL, "Bagaimana cara mendaftar akun Hayu.Bdg?")
    replies = asked.to(OFFICIAL.id)
    assert replies, "an answer"
    answer = replies[-1]
    text = "".join(m.text or "" for m in replies)
    assert "mendaftar" in text and "Daftar" in text
    assert "[1]" in text and "Panduan Hayu.Bdg" in text  # the numbered citation
    labels = [b["text"] for b in answer.buttons()]
    assert "👍" in labels and "👎" in labels
    assert len(labels) >= 4  # 👍, 👎, ask a trainer, at least one source
    typing = bot.server.calls("sendChatAction", chat_id=OFFICIAL.id)
    assert typing and typing[0].seq < bot.server.calls("sendMessage", chat_id=OFFICIAL.id)[-1].seq

    # 👍 is acknowledged, 👎 (the same user changing their mind) makes the question a gap
    query = bot.server.press(OFFICIAL, answer, button="👍")
    await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
    assert bot.callback_answers(query)
    query = bot.server.press(OFFICIAL, answer, button="👎")
    await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
    assert bot.callback_answers(query)
    gaps = bot.services.knowledge.gaps()
    assert any("Hayu.Bdg" in gap.question for gap in gaps)

    # "show source" sends the cited passage
    source_button = next(b for b in answer.buttons() if "1" in b["text"] and b["text"] != "👍")
    shown = await bot.press(OFFICIAL, answer, data=source_button["callback_data"])
    [passage] = shown.to(OFFICIAL.id)
    assert "NIK" in (passage.text or "") or "Daftar" in (passage.text or "")
    assert (
        bot.server.calls("sendMessage", chat_id=OFFICIAL.id)[-1]
        .params["text"]
        .count("<blockquote>")
        == 1
    )


async def test_ask_a_trainer_and_the_reply_comes_back(bot: BotHarness) -> None:
    await upload_guide(bot)
    asked = await bot.say(OFFICIAL, "Berapa biaya lisensi Hayu.Bdg untuk daerah mitra?")
    answer = asked.to(OFFICIAL.id)[-1]
    trainer_button = next(
        b for b in answer.buttons() if b["text"] not in ("👍", "👎") and "1" not in b["text"]
    )
    forwarded = await bot.press(OFFICIAL, answer, data=trainer_button["callback_data"])
    question_for_trainer = forwarded.one(TRAINER.id)
    assert "biaya lisensi" in (question_for_trainer.text or "")
    assert forwarded.to(OFFICIAL.id), "the official is told the question went to a trainer"

    reply = await bot.say(
        TRAINER, "Tidak ada biaya lisensi; daerah menanggung server.", reply_to=question_for_trainer
    )
    [relayed] = reply.to(OFFICIAL.id)
    assert "Tidak ada biaya lisensi" in (relayed.text or "")
    assert reply.to(TRAINER.id), "the trainer is told the answer was delivered"


async def forwarded_to_trainer(bot: BotHarness, question: str) -> BotMessage:
    asked = await bot.say(OFFICIAL, question)
    answer = asked.to(OFFICIAL.id)[-1]
    button = next(b for b in answer.buttons() if "pelatih" in b["text"].lower())
    forwarded = await bot.press(OFFICIAL, answer, data=button["callback_data"])
    return forwarded.one(TRAINER.id)


async def test_a_trainers_reply_outlives_the_official_who_asked(bot: BotHarness) -> None:
    await upload_guide(bot)
    name = bot.user(OFFICIAL.id).name
    assert name
    waiting = await forwarded_to_trainer(bot, f"Saya {name}: berapa biaya lisensi Hayu.Bdg?")
    # The official is forgotten while the question waits for the trainer.
    bot.services.privacy.forget_person(OPERATOR, OFFICIAL.id)
    reply = await bot.say(
        TRAINER, "Tidak ada biaya lisensi; daerah menanggung server.", reply_to=waiting
    )
    assert reply.to(OFFICIAL.id) == []  # reaches nobody
    [told] = reply.to(TRAINER.id)
    assert t_html("trainer.undelivered", "id") in (told.text or "")
    assert "jawaban kurasi" in (told.text or "")  # and was not answered as a question
    # The trainer's side stays: the curated answer, from a question without the official.
    [curated] = bot.services.curated.answers(OPERATOR)
    assert curated.answer == "Tidak ada biaya lisensi; daerah menanggung server."
    assert name not in curated.question and "biaya lisensi" in curated.question
    bot.assert_healthy()


@pytest.mark.parametrize("gone", ["blocked the bot", "deleted the account"])
async def test_a_trainers_reply_to_an_official_who_blocked_the_bot_is_kept(
    bot: BotHarness, gone: str
) -> None:
    await upload_guide(bot)
    waiting = await forwarded_to_trainer(bot, "Berapa biaya lisensi Hayu.Bdg untuk daerah mitra?")
    if gone == "blocked the bot":
        bot.server.block(OFFICIAL.id)  # 403
    else:
        bot.server.fail("sendMessage", "400", chat_id=OFFICIAL.id)  # "chat not found"
    reply = await bot.say(TRAINER, "Tidak ada biaya lisensi.", reply_to=waiting)
    [told] = reply.to(TRAINER.id)
    assert t_html("trainer.undelivered", "id") in (told.text or "")
    assert [c.answer for c in bot.services.curated.answers(OPERATOR)] == [
        "Tidak ada biaya lisensi."
    ]


async def test_oversize_and_unsupported_files_are_refused_before_download(bot: BotHarness) -> None:
    big = await bot.upload(
        TRAINER, "rekaman-pelatihan.pdf", b"%PDF-1.4", file_size=25 * 1024 * 1024,
        mime_type="application/pdf",
    )  # fmt: skip
    [refusal] = big.to(TRAINER.id)
    assert "20" in (refusal.text or "")
    wrong = await bot.upload(
        TRAINER, "setup.exe", b"MZ\x90\x00", mime_type="application/x-msdownload"
    )
    assert wrong.to(TRAINER.id)
    assert bot.server.calls("getFile") == []
    assert bot.services.knowledge.list_documents() == []


async def test_only_trainers_and_admins_teach(bot: BotHarness) -> None:
    for user in (OFFICIAL, COORDINATOR, STRANGER):
        exchange = await bot.upload(user, "catatan.txt", b"Catatan rapat replikasi Gampil.")
        assert exchange.to(user.id), "a refusal"
    assert bot.server.calls("getFile") == []
    assert bot.services.knowledge.list_documents() == []


async def test_sources_and_removal(bot: BotHarness) -> None:
    await upload_guide(bot)
    listed = (await bot.say(OFFICIAL, "/sumber")).one(OFFICIAL.id)
    assert "Panduan Hayu.Bdg" in (listed.text or "") or "panduan-hayu-bdg" in (listed.text or "")
    denied = (await bot.say(OFFICIAL, "/hapus")).one(OFFICIAL.id)
    assert denied.buttons() == []
    menu = (await bot.say(ADMIN, "/hapus")).one(ADMIN.id)
    chosen = await bot.press(ADMIN, menu, data=menu.buttons()[0]["callback_data"])
    confirm = chosen.to(ADMIN.id)[-1] if chosen.to(ADMIN.id) else menu
    yes = confirm.buttons()[0]["callback_data"]
    # someone else pressing the admin's confirmation button removes nothing
    await bot.press(TRAINER, confirm, data=yes)
    assert len(bot.services.knowledge.list_documents()) == 1
    await bot.press(ADMIN, confirm, data=yes)
    assert bot.services.knowledge.list_documents() == []


async def test_a_new_version_replaces_the_document(bot: BotHarness) -> None:
    await upload_guide(bot)
    revised = GUIDE.replace("lima menit", "sepuluh menit")
    again = await bot.upload(
        TRAINER, "panduan-hayu-bdg.md", revised.encode(), mime_type="text/markdown",
        caption="app=Hayu.Bdg type=panduan",
    )  # fmt: skip
    assert again.to(TRAINER.id)
    documents = bot.services.knowledge.list_documents()
    assert len(documents) == 1
    asked = await bot.say(OFFICIAL, "Berapa menit kode verifikasi SMS Hayu.Bdg harus dimasukkan?")
    text = " ".join(m.text or "" for m in asked.to(OFFICIAL.id))
    assert "sepuluh menit" in text and "lima menit" not in text


async def test_language_switch(bot: BotHarness) -> None:
    before = (await bot.say(OFFICIAL, "/bantuan")).one(OFFICIAL.id).text
    menu = (await bot.say(OFFICIAL, "/bahasa")).one(OFFICIAL.id)
    indonesian = next(b for b in menu.buttons() if "Indonesia" in str(b["text"]))
    await bot.press(OFFICIAL, menu, data=str(indonesian["callback_data"]))
    assert bot.user(OFFICIAL.id).language == "id"
    after = (await bot.say(OFFICIAL, "/bantuan")).one(OFFICIAL.id).text
    assert after != before
    assert before == parse_html(t_html("help.official", "en")).plain
    assert after == parse_html(t_html("help.official", "id")).plain
