from __future__ import annotations

from datetime import timedelta

from bot.app import build_application
from core.clock import FixedClock
from core.config import Settings
from tests.bot.conftest import ADMIN, OFFICIAL, STRANGER, TRAINER, TRAINERS_CHAT, BotHarness
from tests.bot.fakes import BOT_ID, BOT_USERNAME, FakeBotApi, Updates
from tests.bot.service_fakes import FakeKnowledge


async def test_question_gets_cited_answer_with_buttons(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    await harness.updates.send(OFFICIAL, "Bagaimana cara mendaftar di Hayu.Bdg?")
    assert harness.api.of("sendChatAction")
    reply = harness.api.last(OFFICIAL)
    assert "Daftar melalui menu Registrasi" in reply.text
    assert "[1] <b>Panduan Hayu.Bdg</b> — Registrasi &lt;akun&gt;, hlm. 3" in reply.text
    labels = [b["text"] for b in reply.buttons()]
    assert labels[:2] == ["👍", "👎"] and any("pelatih" in x.lower() for x in labels)
    assert harness.knowledge.asked[0]["asked_by"] == f"tg:{OFFICIAL}"
    assert harness.api.problems() == []


async def test_follow_up_carries_history(harness: BotHarness, fake_kb: FakeKnowledge) -> None:
    await harness.updates.send(OFFICIAL, "Apa itu Hayu.Bdg?")
    await harness.updates.send(OFFICIAL, "Bagaimana mendaftarnya?")
    history = harness.knowledge.asked[1]["history"]
    assert history and history[0].question == "Apa itu Hayu.Bdg?"


async def test_feedback_and_source_buttons(harness: BotHarness, fake_kb: FakeKnowledge) -> None:
    await harness.updates.send(OFFICIAL, "Bagaimana cara mendaftar?")
    reply = harness.api.last(OFFICIAL)
    await harness.updates.press(OFFICIAL, reply.button("👍")["callback_data"])
    assert harness.knowledge.feedbacks == [(1, True, f"tg:{OFFICIAL}")]
    await harness.updates.press(OFFICIAL, reply.button("[1]")["callback_data"])
    source = harness.api.last(OFFICIAL)
    # The passage, escaped, with the sentence the answer quoted underlined.
    assert (
        "<blockquote>Buka menu &lt;Registrasi&gt; &amp; <u>isi NIK.</u></blockquote>" in source.text
    )
    assert harness.api.problems() == []


async def test_forged_callback_from_another_user_is_refused(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    await harness.updates.send(OFFICIAL, "Bagaimana cara mendaftar?")
    data = harness.api.last(OFFICIAL).button("👍")["callback_data"]
    harness.api.clear()
    await harness.updates.press(TRAINER, data)  # someone else's keyboard
    await harness.updates.press(OFFICIAL, data[:-3] + "xyz")  # tampered signature
    await harness.updates.press(OFFICIAL, "fb|1,1|AAAAAAAAAAAA")  # crafted by a client
    assert harness.knowledge.feedbacks == []
    answers = harness.api.of("answerCallbackQuery")
    assert len(answers) == 3
    assert all("bukan untuk Anda" in a.params["text"] for a in answers)


async def test_ask_a_trainer_and_the_reply_comes_back(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    await harness.updates.send(OFFICIAL, "Siapa admin Hayu.Bdg di Kerinci?")
    reply = harness.api.last(OFFICIAL)
    await harness.updates.press(OFFICIAL, reply.button("pelatih")["callback_data"])
    forwarded = harness.api.last(TRAINERS_CHAT)
    assert "Siapa admin Hayu.Bdg di Kerinci?" in forwarded.text
    assert "Pak Budi" in forwarded.text
    assert "daerah -" not in forwarded.text  # an official without a region: none is named
    forwarded_id = int(forwarded.result["message_id"])
    harness.api.clear()
    bot_message = {
        "message_id": forwarded_id,
        "date": 0,
        "chat": {"id": TRAINERS_CHAT, "type": "supergroup", "title": "Pelatih"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sinergi"},
        "text": "❓",
    }
    await harness.updates.send(
        TRAINER, "Pak Andi, Diskominfo Kerinci.", chat_id=TRAINERS_CHAT, reply_to=bot_message
    )
    to_official = harness.api.last(OFFICIAL)
    assert "Pak Andi, Diskominfo Kerinci." in to_official.text
    assert "Pelatih Rina" in to_official.text
    # The trainer's reply was relayed, not answered as a question.
    assert len(harness.knowledge.asked) == 1


async def test_rate_limit_per_user(
    harness: BotHarness, fake_kb: FakeKnowledge, clock: FixedClock
) -> None:
    for i in range(4):
        await harness.updates.send(OFFICIAL, f"Pertanyaan {i}?")
    assert len(harness.knowledge.asked) == 3
    assert "maksimal 3 per menit" in harness.api.last(OFFICIAL).text
    told = len(harness.api.sent(OFFICIAL))
    for i in range(3):  # still typing within the minute: no answer, and no second warning
        await harness.updates.send(OFFICIAL, f"Pertanyaan lagi {i}?")
    assert len(harness.api.sent(OFFICIAL)) == told
    assert len(harness.knowledge.asked) == 3
    await harness.updates.send(ADMIN, "Pertanyaan admin?")  # others are not affected
    assert len(harness.knowledge.asked) == 4
    clock.advance(timedelta(seconds=61))
    await harness.updates.send(OFFICIAL, "Pertanyaan sesudah semenit?")
    assert len(harness.knowledge.asked) == 5


async def test_unknown_user_learns_nothing(harness: BotHarness, fake_kb: FakeKnowledge) -> None:
    await harness.updates.send(STRANGER, "Apa isi MoU Bandung-Kerinci?")
    await harness.updates.send(STRANGER, "/sumber")
    await harness.updates.send(STRANGER, "/mou")
    assert harness.knowledge.asked == []
    texts = [c.text for c in harness.api.sent(STRANGER)]
    assert len(texts) == 3 and all("/start" in t for t in texts)


async def test_answer_over_4096_chars_is_split(harness: BotHarness, fake_kb: FakeKnowledge) -> None:
    paragraph = "Langkah pendaftaran <penting> & wajib dibaca. " * 40
    harness.knowledge.answer_text = "\n\n".join([paragraph.strip()] * 8)
    await harness.updates.send(OFFICIAL, "Jelaskan semuanya")
    parts = harness.api.sent(OFFICIAL)
    assert len(parts) >= 3
    assert all(len(p.text) <= 4096 for p in parts)
    assert not parts[0].buttons() and parts[-1].buttons()  # buttons on the last part only
    assert "Sumber" in parts[-1].text
    assert harness.api.problems() == []


async def test_group_answers_only_when_addressed(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    group = -100777
    await harness.updates.send(OFFICIAL, "obrolan biasa", chat_id=group)
    assert harness.knowledge.asked == []
    await harness.updates.send(OFFICIAL, f"@{BOT_USERNAME} cara daftar?", chat_id=group)
    assert harness.knowledge.asked[0]["question"] == "cara daftar?"
    reply = harness.api.last(group)
    assert reply.params.get("reply_parameters")  # quotes the asker in a group


async def test_sources_lists_documents(harness: BotHarness, fake_kb: FakeKnowledge) -> None:
    from tests.bot.service_fakes import document

    harness.knowledge.documents = [
        document("panduan-hayu", "Panduan <Hayu>"),
        # A title taken from a file, with a right-to-left override: it would turn the rest of
        # the line (the document id) around in the reader's chat.
        document("panduan-gampil", "Panduan \u202eGampil\u2066 v2"),
    ]
    await harness.updates.send(OFFICIAL, "/sumber")
    text = harness.api.last(OFFICIAL).text
    assert "Panduan &lt;Hayu&gt;" in text and "panduan-hayu" in text
    assert "Panduan Gampil v2" in text and "\u202e" not in text and "\u2066" not in text


async def test_sources_name_each_document_type_in_the_readers_language(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    from dataclasses import replace

    from tests.bot.service_fakes import document

    harness.knowledge.documents = [
        replace(document("pp-28-2018", "PP 28/2018"), doc_type="regulation"),
        replace(document("praktik-baik", "Praktik baik"), doc_type="best_practice"),
    ]
    await harness.updates.send(OFFICIAL, "/sumber")
    text = harness.api.last(OFFICIAL).text
    assert "(Hayu.Bdg, peraturan)" in text and "(Hayu.Bdg, praktik baik)" in text
    assert "regulation" not in text and "best_practice" not in text
    harness.services.access.set_language(OFFICIAL, "en")
    await harness.updates.send(OFFICIAL, "/sumber")
    text = harness.api.last(OFFICIAL).text
    assert "(Hayu.Bdg, regulation)" in text and "(Hayu.Bdg, best practice)" in text


async def test_a_forwarded_question_names_the_askers_region(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    harness.services.access.add_user(OFFICIAL, "coordinator", "15.01", name="Pak Budi")
    await harness.updates.send(OFFICIAL, "Siapa admin Hayu.Bdg di Kerinci?")
    reply = harness.api.last(OFFICIAL)
    await harness.updates.press(OFFICIAL, reply.button("pelatih")["callback_data"])
    assert "Pak Budi (Kabupaten Kerinci)" in harness.api.last(TRAINERS_CHAT).text


async def test_unclaimed_callback_data_is_answered(harness: BotHarness) -> None:
    await harness.updates.press(OFFICIAL, "garbage")
    await harness.updates.press(OFFICIAL, "zz|1|AAAAAAAAAAAA")
    answers = harness.api.of("answerCallbackQuery")
    assert len(answers) == 2 and all(a.params["show_alert"] for a in answers)


async def test_edited_question_is_not_answered_again(
    harness: BotHarness, fake_kb: FakeKnowledge
) -> None:
    message = await harness.updates.send(OFFICIAL, "Apa itu Gampil?")
    edited = {**message, "text": "Apa itu Gampil di Mojokerto?", "edit_date": 1767578500}
    await harness.updates.feed({"update_id": 999, "edited_message": edited})
    assert len(fake_kb.asked) == 1


async def test_trainer_threads_survive_a_restart(
    harness: BotHarness, fake_kb: FakeKnowledge, bot_settings: Settings
) -> None:
    await harness.updates.send(OFFICIAL, "Berapa lama OTP berlaku?")
    await harness.updates.press(
        OFFICIAL, harness.api.last(OFFICIAL).button("pelatih")["callback_data"]
    )
    forwarded_id = int(harness.api.last(TRAINERS_CHAT).result["message_id"])
    await harness.app.stop()  # type: ignore[attr-defined]
    await harness.app.shutdown()  # type: ignore[attr-defined]  # flushes the persistence

    api = FakeBotApi()
    app = build_application(harness.services, bot_settings, request=api, rate_limit=False)
    await app.initialize()
    try:
        bot_message = {
            "message_id": forwarded_id,
            "date": 0,
            "chat": {"id": TRAINERS_CHAT, "type": "supergroup", "title": "Pelatih"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Sinergi"},
            "text": "❓",
        }
        updates = Updates(app, first_id=1000)  # a new process; Telegram's update ids go on
        await updates.send(TRAINER, "Lima menit.", chat_id=TRAINERS_CHAT, reply_to=bot_message)
        assert "Lima menit." in api.last(OFFICIAL).text
    finally:
        await app.shutdown()
        await harness.app.initialize()  # type: ignore[attr-defined]  # for the fixture's teardown


async def test_follow_up_context_expires_and_is_per_chat(
    harness: BotHarness, fake_kb: FakeKnowledge, clock: FixedClock
) -> None:
    await harness.updates.send(OFFICIAL, "Apa itu Hayu.Bdg?")
    await harness.updates.send(OFFICIAL, f"@{BOT_USERNAME} dan e-RK?", chat_id=-100777)
    assert fake_kb.asked[1]["history"] == ()  # another chat
    clock.advance(timedelta(hours=2))
    await harness.updates.send(OFFICIAL, "Bagaimana mendaftarnya?")
    assert fake_kb.asked[2]["history"] == ()  # too long ago
