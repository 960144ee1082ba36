"""End to end: group chats, and Telegram failing while the bot answers."""

from __future__ import annotations

from telegram.error import NetworkError

from tests.e2e.harness import ADMIN, OFFICIAL, TRAINER, BotHarness
from tests.fakes.botapi import FakeChat

GROUP = FakeChat(id=-100_2001, type="supergroup", title="Forum Replikasi Jambi")


async def test_only_an_admin_may_add_the_bot_to_a_group(bot: BotHarness) -> None:
    bot.server.chat_member_update(TRAINER, GROUP, old="left", new="member")
    await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
    await bot.until(lambda: bot.server.calls("leaveChat"), what="leaving the group")
    assert bot.server.calls("leaveChat")[0].chat_id == GROUP.id

    other = FakeChat(id=-100_2002, type="supergroup", title="Admin Diskominfo")
    bot.server.chat_member_update(ADMIN, other, old="left", new="member")
    await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
    assert [c.chat_id for c in bot.server.calls("leaveChat")] == [GROUP.id]


async def test_in_groups_the_bot_answers_only_when_addressed(bot: BotHarness) -> None:
    bot.server.chat_member_update(ADMIN, GROUP, old="left", new="member")
    await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
    chatter = await bot.say(OFFICIAL, "Selamat pagi semua", chat=GROUP)
    assert chatter.messages == []
    addressed = await bot.say(
        OFFICIAL, "@sinergi_test_bot bagaimana cara mendaftar Hayu.Bdg?", chat=GROUP
    )
    assert addressed.to(GROUP.id), "an answer in the group"
    assert addressed.to(OFFICIAL.id) == []


async def test_flood_control_is_retried_and_the_answer_arrives(bot: BotHarness) -> None:
    bot.server.fail("sendMessage", "429", retry_after=1, chat_id=OFFICIAL.id)
    exchange = await bot.say(OFFICIAL, "Apa itu Gampil?")
    assert exchange.to(OFFICIAL.id), "answered after the retry"
    statuses = [c.status for c in bot.server.calls("sendMessage", chat_id=OFFICIAL.id)]
    assert statuses[0] == 429 and statuses[-1] == 200


async def test_a_server_error_is_apologised_for_and_the_bot_keeps_serving(
    bot: BotHarness,
) -> None:
    bot.server.fail("sendMessage", "500", times=1, chat_id=OFFICIAL.id)
    first = await bot.say(OFFICIAL, "Apa itu Gampil?")
    # the failed answer is not retried blindly; the user hears something went wrong
    assert first.to(OFFICIAL.id), "an apology"
    assert first.to(ADMIN.id), "the admins get the details"
    assert [type(e) for e in bot.crashes] == [NetworkError]
    bot.crashes.clear()
    second = await bot.say(OFFICIAL, "Apa itu e-RK?")
    assert second.to(OFFICIAL.id)


async def test_a_user_who_blocked_the_bot_does_not_break_it(bot: BotHarness) -> None:
    bot.server.block(OFFICIAL.id)
    blocked = await bot.say(OFFICIAL, "Apa itu Gampil?")
    assert blocked.messages == []
    assert bot.crashes == []
    working = await bot.say(TRAINER, "/bantuan")
    assert working.to(TRAINER.id)
