"""The assistant on Telegram: tracker answers with their buttons, region choices, trainers'
replies kept as curated answers, /kurasi, /celah with owners and statuses, /batal outside a
dialog, and a coordinator's region confirmed when it was read through a typo."""

from __future__ import annotations

from datetime import date

import pytest

from services.tracker import NewMilestone
from tests.bot.conftest import (
    ADMIN,
    COORDINATOR,
    OFFICIAL,
    STRANGER,
    TRAINER,
    TRAINERS_CHAT,
    BotHarness,
)
from tests.bot.fakes import BOT_ID
from tests.fakes.tracker import BANDUNG, KERINCI, MOJOKERTO_CITY, OPERATOR, new_agreement


@pytest.fixture
def agreements(harness: BotHarness) -> dict[str, int]:
    """Kerinci (late training) and Mojokerto; Eka coordinates Kerinci."""
    harness.services.access.add_user(COORDINATOR, "coordinator", region_code=KERINCI, name="Eka")
    tracker = harness.services.tracker
    kerinci = tracker.add_agreement(
        OPERATOR,
        new_agreement(
            title="PKS Gampil Kerinci",
            parties=(BANDUNG, KERINCI),
            signed_on=date(2026, 1, 5),
            apps=("Gampil",),
            template=None,
            milestones=(
                NewMilestone("Pelatihan petugas", due_on=date(2026, 2, 15)),
                NewMilestone("Go-live", due_on=date(2026, 6, 1)),
            ),
        ),
    )
    mojokerto = tracker.add_agreement(
        OPERATOR,
        new_agreement(
            title="KB e-RK Mojokerto",
            parties=(BANDUNG, MOJOKERTO_CITY),
            apps=("e-RK",),
            template=None,
            milestones=(NewMilestone("Server siap", due_on=date(2026, 2, 20)),),
        ),
    )
    return {"kerinci": kerinci.id, "mojokerto": mojokerto.id}


async def test_a_coordinator_asks_and_acts_from_the_answer(
    harness: BotHarness, agreements: dict[str, int]
) -> None:
    await harness.updates.send(COORDINATOR, "Apa saja yang terlambat di Kerinci?")
    reply = harness.api.last(COORDINATOR)
    assert "Pelatihan petugas" in reply.text and "terlambat" in reply.text
    assert "15 Feb 2026" in reply.text  # one date format
    labels = [b["text"] for b in reply.buttons()]
    assert f"📄 /mou {agreements['kerinci']}" in labels and "📊 Linimasa" in labels
    # the milestone's own button opens it with the update actions
    await harness.updates.press(COORDINATOR, reply.button("✏️")["callback_data"])
    detail = harness.api.last(COORDINATOR)
    assert "Pelatihan petugas" in detail.text and detail.button("Selesai")
    await harness.updates.press(COORDINATOR, reply.button("Linimasa")["callback_data"])
    [photo] = harness.api.of("sendPhoto")
    assert "Terlambat: Pelatihan petugas" in photo.params["caption"]  # the chart's text version
    assert harness.api.problems() == []


async def test_another_regions_agreement_is_not_revealed(
    harness: BotHarness, agreements: dict[str, int]
) -> None:
    await harness.updates.send(COORDINATOR, "Apa saja yang terlambat di Kota Mojokerto?")
    reply = harness.api.last(COORDINATOR)
    assert "Server siap" not in reply.text
    assert "Belum ada perjanjian dengan Kota Mojokerto yang dapat Anda lihat." in reply.text
    assert not any("/mou" in b["text"] for b in reply.buttons())


async def test_an_official_is_told_agreements_are_not_for_their_role(
    harness: BotHarness, agreements: dict[str, int]
) -> None:
    await harness.updates.send(OFFICIAL, "Perjanjian dengan Kerinci sudah sampai mana?")
    reply = harness.api.last(OFFICIAL)
    assert "koordinator dan admin" in reply.text and "Pelatihan" not in reply.text


async def test_a_name_of_two_regions_is_answered_with_a_choice(harness: BotHarness) -> None:
    for code, title in (("32.06", "KB Kabupaten Tasik"), ("32.78", "KB Kota Tasik")):
        harness.services.tracker.add_agreement(
            OPERATOR, new_agreement(title=title, parties=(BANDUNG, code), template=None)
        )
    await harness.updates.send(ADMIN, "tasik gimana progresnya?")
    reply = harness.api.last(ADMIN)
    assert "Kabupaten Tasikmalaya, Kota Tasikmalaya" in reply.text
    await harness.updates.press(ADMIN, reply.button("Kota Tasikmalaya")["callback_data"])
    chosen = harness.api.last(ADMIN)
    assert "KB Kota Tasik" in chosen.text and "KB Kabupaten Tasik" not in chosen.text


async def test_off_topic_offers_the_documents_anyway(harness: BotHarness) -> None:
    await harness.updates.send(OFFICIAL, "resep rendang yang enak")
    reply = harness.api.last(OFFICIAL)
    assert "di luar" in reply.text
    await harness.updates.press(OFFICIAL, reply.button("Cari di dokumen")["callback_data"])
    assert "belum ada di basis pengetahuan" in harness.api.last(OFFICIAL).text


async def test_how_are_you_and_chat_get_a_short_reply_in_the_askers_language(
    harness: BotHarness,
) -> None:
    await harness.updates.send(OFFICIAL, "selamat pagi, apa kabar?")
    assert harness.api.last(OFFICIAL).text.startswith("Kabar baik")
    await harness.updates.send(OFFICIAL, "Jam berapa sekarang?")
    assert "tidak tahu cuaca atau jam" in harness.api.last(OFFICIAL).text
    await harness.updates.send(OFFICIAL, "Can you tell me a joke?")
    reply = harness.api.last(OFFICIAL)
    assert "I can't help with that" in reply.text
    assert reply.buttons() == []  # chat, not a question the documents might hold


async def test_a_trainers_reply_answers_the_next_officials_paraphrase(
    harness: BotHarness,
) -> None:
    question = "Bagaimana cara mengajukan izin lewat Gampil?"
    await harness.updates.send(OFFICIAL, question)
    await harness.updates.press(
        OFFICIAL, harness.api.last(OFFICIAL).button("pelatih")["callback_data"]
    )
    forwarded = harness.api.last(TRAINERS_CHAT)
    bot_message = {
        "message_id": int(forwarded.result["message_id"]),
        "date": 0,
        "chat": {"id": TRAINERS_CHAT, "type": "supergroup", "title": "Pelatih"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sinergi"},
        "text": "❓",
    }
    await harness.updates.send(
        TRAINER, "Buka menu Perizinan lalu Ajukan.", chat_id=TRAINERS_CHAT, reply_to=bot_message
    )
    saved = harness.api.last(TRAINERS_CHAT)
    assert "jawaban kurasi #1" in saved.text and saved.button("Ubah")
    await harness.updates.send(ADMIN, "gimana cara ngajuin izin di gampil?")
    later = harness.api.last(ADMIN)
    assert "📌 <b>Jawaban pelatih</b> — Pelatih Rina, 2 Mar 2026" in later.text
    assert "Buka menu Perizinan lalu Ajukan." in later.text
    [gap] = harness.services.gaps.gaps()
    assert (gap.status, gap.curated_id) == ("answered", 1)


async def test_trainers_edit_and_retire_curated_answers(harness: BotHarness) -> None:
    trainer = harness.services.access.get_user(TRAINER)
    assert trainer is not None
    harness.services.curated.add_from_reply(
        trainer, question="Berapa lama OTP berlaku?", answer="Lima menit."
    )
    await harness.updates.send(TRAINER, "/kurasi")
    listing = harness.api.last(TRAINER)
    assert "Berapa lama OTP berlaku?" in listing.text
    await harness.updates.press(TRAINER, listing.button("#1")["callback_data"])
    detail = harness.api.last(TRAINER)
    assert "Lima menit." in detail.text and "versi 1" in detail.text
    await harness.updates.press(TRAINER, detail.button("Ubah")["callback_data"])
    assert "Kirim jawaban baru" in harness.api.last(TRAINER).text
    await harness.updates.send(TRAINER, "Sepuluh menit sejak dikirim.")
    assert "versi 2" in harness.api.last(TRAINER).text
    assert harness.services.curated.get(trainer, 1).answer == "Sepuluh menit sejak dikirim."
    await harness.updates.press(TRAINER, detail.button("Tarik")["callback_data"])
    await harness.updates.press(TRAINER, harness.api.last(TRAINER).button("Ya")["callback_data"])
    assert harness.services.curated.get(trainer, 1).status == "retired"
    await harness.updates.send(OFFICIAL, "/kurasi")  # not for officials
    assert "Lima menit" not in harness.api.last(OFFICIAL).text


async def test_gaps_are_taken_and_closed_from_celah(harness: BotHarness) -> None:
    harness.services.knowledge.ask("Berapa tarif retribusi pasar?", asked_by="tg:4004")
    await harness.updates.send(TRAINER, "/celah")
    listing = harness.api.last(TRAINER)
    assert "Terjawab per bulan" in listing.text and "retribusi" in listing.text
    await harness.updates.press(TRAINER, listing.button("#1")["callback_data"])
    detail = harness.api.last(TRAINER)
    await harness.updates.press(TRAINER, detail.button("Saya tangani")["callback_data"])
    assert "ditangani Pelatih Rina" in harness.api.last(TRAINER).text
    await harness.updates.press(TRAINER, detail.button("didokumentasikan")["callback_data"])
    [gap] = harness.services.gaps.gaps()
    assert (gap.status, gap.owner) == ("documented", f"tg:{TRAINER}")


async def test_cancel_outside_a_dialog_answers_kindly(harness: BotHarness) -> None:
    await harness.updates.send(OFFICIAL, "/batal")
    assert "tidak ada yang perlu dibatalkan" in harness.api.last(OFFICIAL).text
    assert "tidak dikenal" not in harness.api.last(OFFICIAL).text


async def test_a_region_read_through_a_typo_is_confirmed_before_saving(
    harness: BotHarness,
) -> None:
    await harness.updates.send(STRANGER, "/start")
    await harness.updates.press(
        ADMIN, harness.api.last(ADMIN).button("Koordinator")["callback_data"]
    )
    await harness.updates.send(ADMIN, "Kerincii")
    prompt = harness.api.last(ADMIN)
    assert "<b>Kabupaten Kerinci</b> (<code>15.01</code>)" in prompt.text
    assert harness.services.access.get_user(STRANGER).status == "pending"  # type: ignore[union-attr]
    await harness.updates.press(ADMIN, prompt.button("Kabupaten Kerinci")["callback_data"])
    user = harness.services.access.get_user(STRANGER)
    assert user is not None and (user.role, user.region_code) == ("coordinator", "15.01")
    assert "Kabupaten Kerinci (15.01)" in harness.api.last(ADMIN).text
