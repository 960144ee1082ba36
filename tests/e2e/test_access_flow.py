"""End to end: who gets in, who learns nothing, and buttons that cannot be forged."""

from __future__ import annotations

from tests.e2e.harness import ADMIN, OFFICIAL, STRANGER, TRAINER, BotHarness
from tests.fakes.botapi import FakeUser


async def test_start_publishes_the_command_menu(bot: BotHarness) -> None:
    commands = {c["command"] for c in bot.server.commands}
    assert {"bantuan", "mou", "laporan", "sumber"} <= commands
    english = {c["command"] for c in bot.server.commands_for(language_code="en")}
    assert {"help", "mou", "laporan", "sumber"} <= english and "bantuan" not in english
    set_calls = bot.server.calls("setMyCommands", ok=True)
    assert {c.params.get("language_code") for c in set_calls} >= {None, "en"}


async def test_a_new_user_asks_and_an_admin_approves(bot: BotHarness) -> None:
    newcomer = FakeUser(id=2001, first_name="Yuni", username="yuni_mojokerto")
    asked = await bot.say(newcomer, "/start")
    assert asked.to(newcomer.id), "the newcomer is told the request is pending"
    request = asked.one(ADMIN.id)
    assert "Yuni" in (request.text or "")
    assert len(request.buttons()) >= 2
    assert bot.user(newcomer.id).status == "pending"

    # before approval the newcomer learns nothing
    before = await bot.say(newcomer, "Bagaimana cara daftar Hayu.Bdg?")
    assert bot.user(newcomer.id).status == "pending"
    assert all("Hayu" not in t for t in before.texts)
    assert bot.server.calls("sendChatAction") == []

    approve = next(b for b in request.buttons() if b is not request.buttons()[-1])
    approved = await bot.press(ADMIN, request, data=approve["callback_data"])
    assert bot.user(newcomer.id).status == "active"
    assert approved.to(newcomer.id), "the newcomer is told they are in"
    assert request.edits == 1 and request.reply_markup is None
    # pressing again does not approve twice
    again = await bot.press(ADMIN, request, data=approve["callback_data"])
    assert bot.user(newcomer.id).status == "active"
    assert not again.to(newcomer.id)


async def test_an_admin_rejects(bot: BotHarness) -> None:
    newcomer = FakeUser(id=2002, first_name="Eko")
    asked = await bot.say(newcomer, "/start")
    request = asked.one(ADMIN.id)
    rejected = await bot.press(ADMIN, request, data=request.buttons()[-1]["callback_data"])
    assert bot.user(newcomer.id).status == "rejected"
    assert rejected.to(newcomer.id)


async def test_an_unknown_user_learns_nothing(bot: BotHarness) -> None:
    for text in ("/mou", "/laporan", "/sumber", "/celah", "/hapus", "Apa isi PKS Kerinci?"):
        exchange = await bot.say(STRANGER, text)
        [reply] = exchange.to(STRANGER.id)
        body = (reply.text or "").lower()
        for secret in ("kerinci", "pks", "hayu", "gampil", "dokumen:"):
            assert secret not in body or secret in text.lower(), (text, reply.text)
        assert reply.buttons() == []
        assert exchange.to(ADMIN.id) == []
    assert bot.server.calls("sendChatAction") == []
    assert bot.server.calls("sendPhoto") == []
    assert bot.services.access.get_user(STRANGER.id) is None


async def test_a_stranger_cannot_press_an_admins_button(bot: BotHarness) -> None:
    newcomer = FakeUser(id=2003, first_name="Wati")
    request = (await bot.say(newcomer, "/start")).one(ADMIN.id)
    approve = request.buttons()[0]["callback_data"]
    # the keyboard forwarded to (or replayed by) someone else
    for user in (STRANGER, TRAINER, newcomer):
        query = bot.server.press(user, request, approve)
        await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
        [answer] = bot.callback_answers(query)
        assert answer.get("show_alert") is True
    assert bot.user(newcomer.id).status == "pending"
    # crafted data never reaches a handler either
    for data in ("apr|2003,admin|AAAAAAAAAAAA", "apr|2003,admin", "garbage", "x" * 64):
        query = bot.server.press(STRANGER, request, data)
        await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
        assert bot.callback_answers(query), f"callback {data!r} left unanswered"
    assert bot.user(newcomer.id).status == "pending"
    assert bot.user(newcomer.id).role == "official"


async def test_help_speaks_the_users_language(bot: BotHarness) -> None:
    english = (await bot.say(OFFICIAL, "/bantuan")).one(OFFICIAL.id)
    indonesian = (await bot.say(TRAINER, "/bantuan")).one(TRAINER.id)
    assert english.text != indonesian.text
    guest = (await bot.say(STRANGER, "/bantuan")).one(STRANGER.id)
    assert "/mou" not in (guest.text or "")
