"""The local Bot API server and its validator: they must accept what Telegram accepts, refuse
what Telegram refuses, and record every refusal so end-to-end tests fail on it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.botapi import BotApiServer, BotApiSpec, FakeChat, FakeUser, parse_html

ANI = FakeUser(id=501, first_name="Ani", username="ani_kerinci")


# --- the HTML parse mode --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "plain text",
        "<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins>",
        "<s>s</s> <strike>s</strike> <del>d</del> <tg-spoiler>x</tg-spoiler>",
        '<span class="tg-spoiler">hidden</span>',
        '<a href="https://bandung.go.id/?a=1&amp;b=2">link</a>',
        "<code>x &lt; y</code>",
        '<pre><code class="language-python">print(1)</code></pre>',
        "<blockquote>quote</blockquote> <blockquote expandable>long</blockquote>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "<b>bold <i>and italic</i></b>",
        "&lt;tag&gt; &amp; &quot;quoted&quot; &#38; &#x26;",
        "a > b",
    ],
)
def test_html_that_telegram_accepts(text: str) -> None:
    parsed = parse_html(text)
    assert parsed.problems == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<div>x</div>", "unsupported tag"),
        ("line<br>break", "unsupported tag"),
        ("<p>para</p>", "unsupported tag"),
        ("<b><i>x</b></i>", "not properly nested"),
        ("<b>never closed", "never closed"),
        ("closed</b>", "without an opening tag"),
        ("1 < 2", "unescaped '<'"),
        ("Tom & Jerry", "unescaped '&'"),
        ("a&nbsp;b", "unsupported named entity"),
        ("<span>x</span>", "tg-spoiler"),
        ('<span class="red">x</span>', "tg-spoiler"),
        ("<a>no href</a>", "without href"),
        ('<b class="x">x</b>', "not allowed"),
        ("<pre><b>x</b></pre>", "inside <pre>"),
        ("<code><i>x</i></code>", "inside <code>"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "nested <blockquote>"),
        ('<code class="language-py">x</code>', "directly inside <pre>"),
        ("<b/>", "self-closing"),
    ],
)
def test_html_that_telegram_refuses(text: str, problem: str) -> None:
    parsed = parse_html(text)
    assert parsed.problems, text
    assert any(problem in p for p in parsed.problems), parsed.problems


def test_html_plain_text_is_what_the_user_sees() -> None:
    parsed = parse_html('<b>Gampil</b> &amp; <a href="https://x.id">e-RK</a> &lt;3 &#128077;')
    assert parsed.plain == "Gampil & e-RK <3 👍"
    assert parsed.tags == ["b", "a"]


# --- the specification checks -------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> BotApiSpec:
    return BotApiSpec.load()


def _keyboard(*data: str) -> str:
    rows = [[{"text": f"b{i}", "callback_data": d}] for i, d in enumerate(data)]
    return json.dumps({"inline_keyboard": rows})


def test_valid_send_message_passes(spec: BotApiSpec) -> None:
    call = spec.check(
        "sendMessage",
        {
            "chat_id": "501",
            "text": "<b>Hayu.Bdg</b>",
            "parse_mode": "HTML",
            "reply_markup": _keyboard("fb:1:up"),
            "link_preview_options": json.dumps({"is_disabled": True}),
            "reply_parameters": json.dumps({"message_id": 3}),
        },
        {},
    )
    assert call.problems == []
    assert call.params["chat_id"] == 501
    assert call.plain["text"] == "Hayu.Bdg"


@pytest.mark.parametrize(
    ("method", "fields", "problem"),
    [
        ("sendMesage", {"chat_id": "1", "text": "x"}, "unknown method"),
        ("sendMessage", {"chat_id": "1"}, "required field 'text'"),
        ("sendMessage", {"text": "x"}, "required field 'chat_id'"),
        ("sendMessage", {"chat_id": "1", "text": "x", "colour": "red"}, "unknown field"),
        ("sendMessage", {"chat_id": "1", "text": "x", "message_thread_id": "abc"}, "Integer"),
        ("sendMessage", {"chat_id": "1", "text": "x", "disable_notification": "1"}, "Boolean"),
        ("sendMessage", {"chat_id": "1", "text": "x", "parse_mode": "html"}, "parse_mode"),
        ("sendMessage", {"chat_id": "1", "text": "   "}, "empty"),
        ("sendMessage", {"chat_id": "1", "text": "<p>x</p>", "parse_mode": "HTML"}, "tag"),
        (
            "sendMessage",
            {"chat_id": "1", "text": "x", "reply_markup": '{"inline_keyboard": [[{"text": "a"}]]}'},
            "exactly one action",
        ),
        (
            "sendMessage",
            {
                "chat_id": "1",
                "text": "x",
                "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback_data": "x", '
                '"colour": 1}]]}',
            },
            "no field 'colour'",
        ),
        ("sendMessage", {"chat_id": "1", "text": "x", "reply_markup": "not json"}, "JSON"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}, "over 200"),
        ("setMyCommands", {"commands": '[{"command": "Tanya", "description": "x"}]'}, "a-z"),
        ("setMyCommands", {"commands": '[{"command": "tanya", "description": ""}]'}, "1-256"),
        ("setMyCommands", {"commands": '[{"command": "tanya"}]'}, "needs 'description'"),
        ("getFile", {}, "required field 'file_id'"),
    ],
)
def test_invalid_requests_are_refused(
    spec: BotApiSpec, method: str, fields: dict[str, str], problem: str
) -> None:
    call = spec.check(method, fields, {})
    assert any(problem in p for p in call.problems), call.problems


def test_callback_data_is_limited_to_64_bytes(spec: BotApiSpec) -> None:
    ok = spec.check(
        "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": _keyboard("a" * 64)}, {}
    )
    assert ok.problems == []
    # 22 characters, 66 bytes: the limit is in bytes, not characters
    wide = spec.check(
        "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": _keyboard("é" * 33)}, {}
    )
    assert any("66 bytes" in p for p in wide.problems)
    empty = spec.check(
        "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": _keyboard("")}, {}
    )
    assert empty.problems


def test_text_limit_counts_after_entity_parsing(spec: BotApiSpec) -> None:
    tagged = "<b>" + "a" * 4000 + "</b>" + "&amp;" * 96  # 4096 visible, longer raw
    assert (
        spec.check(
            "sendMessage", {"chat_id": "1", "text": tagged, "parse_mode": "HTML"}, {}
        ).problems
        == []
    )
    too_long = spec.check("sendMessage", {"chat_id": "1", "text": "a" * 4097}, {})
    assert any("4097 characters" in p for p in too_long.problems)
    caption = spec.check("sendPhoto", {"chat_id": "1", "photo": "x", "caption": "c" * 1025}, {})
    assert any("over the limit of 1024" in p for p in caption.problems)
    assert (
        spec.check("sendPhoto", {"chat_id": "1", "photo": "x", "caption": "c" * 1024}, {}).problems
        == []
    )


def test_nested_objects_and_subtypes_are_checked(spec: BotApiSpec) -> None:
    good = spec.check(
        "setMyCommands",
        {
            "commands": '[{"command": "mou", "description": "Kesepakatan"}]',
            "scope": '{"type": "chat", "chat_id": 5}',
        },
        {},
    )
    assert good.problems == []
    bad = spec.check(
        "setMyCommands",
        {"commands": '[{"command": "mou", "description": "x"}]', "scope": '{"type": 5}'},
        {},
    )
    assert any("BotCommandScope" in p for p in bad.problems)


# --- the server, driven by a real PTB Bot -----------------------------------------------------


@pytest.fixture
def server() -> Iterator[BotApiServer]:
    with BotApiServer() as srv:
        yield srv


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


async def test_get_me_and_valid_messages(server: BotApiServer, bot: Bot) -> None:
    assert bot.username == "sinergi_test_bot"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="fb:1:1")]])
    sent = await bot.send_message(
        ANI.id, "<b>Jawaban</b> &amp; sumber", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert sent.text == "Jawaban & sumber"
    assert sent.reply_markup == keyboard
    [message] = server.sent(ANI.id)
    assert message.text == "Jawaban & sumber"
    assert message.button("👍")["callback_data"] == "fb:1:1"
    await bot.send_chat_action(ANI.id, "typing")
    await bot.set_my_commands([("mou", "Kesepakatan saya"), ("bantuan", "Bantuan")])
    await bot.delete_webhook()
    assert [c["command"] for c in server.commands] == ["mou", "bantuan"]
    server.assert_clean()


async def test_invalid_html_is_refused_and_recorded(server: BotApiServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="unsupported tag"):
        await bot.send_message(ANI.id, "<p>paragraf</p>", parse_mode=ParseMode.HTML)
    assert server.sent(ANI.id) == []
    with pytest.raises(AssertionError, match="unsupported tag <p>"):
        server.assert_clean()


async def test_over_long_message_and_callback_data_are_refused(
    server: BotApiServer, bot: Bot
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(ANI.id, "x" * 4097)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="d" * 65)]])
    with pytest.raises(BadRequest):
        await bot.send_message(ANI.id, "x", reply_markup=keyboard)
    assert len(server.violations) == 2
    assert [c.status for c in server.calls("sendMessage")] == [400, 400]


async def test_updates_are_delivered_and_confirmed(server: BotApiServer, bot: Bot) -> None:
    server.send_text(ANI, "/start kode123")
    server.send_text(ANI, "Bagaimana cara daftar Hayu.Bdg?")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == [
        "/start kode123",
        "Bagaimana cara daftar Hayu.Bdg?",
    ]
    assert updates[0].message.entities[0].type == "bot_command"
    assert server.pending_updates() == 2
    again = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert again == ()
    assert server.pending_updates() == 0


async def test_long_poll_returns_when_an_update_arrives(server: BotApiServer, bot: Bot) -> None:
    import asyncio

    poll = asyncio.create_task(bot.get_updates(timeout=5, read_timeout=10))
    await asyncio.sleep(0)  # let the request start
    server.send_text(ANI, "halo")
    updates = await asyncio.wait_for(poll, timeout=8)
    assert updates[0].message.text == "halo"


async def test_callback_queries_and_edits(server: BotApiServer, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Selesai", callback_data="ms:7:done")]])
    sent = await bot.send_message(ANI.id, "Milestone", reply_markup=keyboard)
    message = server.message(ANI.id, sent.message_id)
    server.press(ANI, message, button="selesai")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "ms:7:done"
    assert update.callback_query.message.message_id == sent.message_id
    await bot.answer_callback_query(update.callback_query.id, "Tercatat")
    await bot.edit_message_text("Milestone: selesai", chat_id=ANI.id, message_id=sent.message_id)
    assert message.text == "Milestone: selesai"
    assert message.reply_markup is None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "Milestone: selesai", chat_id=ANI.id, message_id=sent.message_id
        )
    await bot.edit_message_reply_markup(ANI.id, sent.message_id, reply_markup=keyboard)
    assert message.buttons()[0]["text"] == "Selesai"
    # "not modified" is Telegram's answer, not an invalid request
    server.assert_clean()


async def test_forged_callback_data_can_be_sent(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(ANI.id, "x")
    server.press(ANI, server.message(ANI.id, sent.message_id), "ms:999:done")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "ms:999:done"


async def test_documents_photos_and_file_download(server: BotApiServer, bot: Bot) -> None:
    server.send_document(
        ANI, "panduan.pdf", b"%PDF-1.4 test", mime_type="application/pdf", caption="app=gampil"
    )
    [update] = await bot.get_updates(timeout=0)
    document = update.message.document
    assert (document.file_name, document.file_size) == ("panduan.pdf", 13)
    assert update.message.caption == "app=gampil"
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 test"
    assert server.file_downloads(document.file_id) == 1

    big = server.add_file(b"x", file_size=25 * 1024 * 1024)
    with pytest.raises(BadRequest, match="too big"):
        await bot.get_file(big.file_id)

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    sent = await bot.send_photo(ANI.id, png, caption="<b>Linimasa</b>", parse_mode="HTML")
    assert sent.caption == "Linimasa"
    [photo] = server.sent(ANI.id, kind="photo")
    assert photo.data == png
    await bot.send_document(ANI.id, b"a,b\n", filename="laporan.csv")
    [doc] = server.sent(ANI.id, kind="document")
    assert doc.data == b"a,b\n"
    server.send_photo(ANI, png, caption="bukti")
    [update] = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert update.message.photo[-1].file_size == len(png)
    server.assert_clean()


async def test_forward_copy_delete_leave(server: BotApiServer, bot: Bot) -> None:
    trainers = FakeChat(id=-1001, type="supergroup", title="Pelatih")
    question = server.send_text(ANI, "Pertanyaan sulit")
    forwarded = await bot.forward_message(trainers.id, ANI.id, question["message_id"])
    assert forwarded.text == "Pertanyaan sulit"
    copied = await bot.copy_message(trainers.id, ANI.id, question["message_id"])
    assert copied.message_id > forwarded.message_id
    assert await bot.delete_message(trainers.id, forwarded.message_id)
    assert [m.kind for m in server.sent(trainers.id)] == ["copy"]
    assert await bot.leave_chat(trainers.id)
    server.chat_member_update(ANI, trainers, old="left", new="member")
    server.chat_member_update(ANI, trainers, old="member", new="administrator")
    server.chat_member_update(ANI, ANI.chat, old="member", new="kicked")  # blocked the bot
    updates = await bot.get_updates(timeout=0)
    changes = [u.my_chat_member for u in updates if u.my_chat_member]
    assert [c.new_chat_member.status for c in changes] == ["member", "administrator", "kicked"]
    assert changes[1].new_chat_member.can_delete_messages is True
    server.assert_clean()


async def test_injected_faults(server: BotApiServer, bot: Bot) -> None:
    server.fail("sendMessage", "429", retry_after=3)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(ANI.id, "x")
    server.fail("sendMessage", "500", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(ANI.id, "x")
    await bot.send_message(ANI.id, "now it works")
    server.fail("sendMessage", "403", chat_id=777)
    await bot.send_message(ANI.id, "other chats are not affected")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(777, "x")
    server.block(ANI.id)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(ANI.id, "x")
    assert [m.text for m in server.sent(ANI.id)] == ["now it works", "other chats are not affected"]
    server.assert_clean()  # faults are Telegram's doing, not the bot's


async def test_wrong_token_and_unknown_method(server: BotApiServer) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{server.base_url}0:wrong/getMe")
        assert wrong.status_code == 401
        unknown = await client.post(f"{server.base_url}{server.token}/sendTelepathy", data={})
        assert unknown.status_code == 404
        as_json = await client.post(
            f"{server.base_url}{server.token}/sendMessage", json={"chat_id": 5, "text": "x"}
        )
        assert as_json.json()["ok"] is True
    assert server.violations == ["unknown method 'sendTelepathy'"]


async def test_a_polling_application_answers(server: BotApiServer) -> None:
    """The harness used by the end-to-end tests: a real Application polling the fake."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
        await update.effective_message.reply_text("Selamat datang", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Terima kasih")

    app = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            server.send_text(ANI, "/start")
            [welcome] = await server.reply_to(ANI.id)
            assert welcome.text == "Selamat datang"
            server.press(ANI, welcome, button="OK")
            await server.until(lambda: welcome.text == "Terima kasih", what="the edit")
            await server.until(lambda: server.calls("answerCallbackQuery"), what="the answer")
        finally:
            await app.updater.stop()
            await app.stop()
    server.assert_clean()


def test_wait_for_times_out_with_a_clear_message(server: BotApiServer) -> None:
    with pytest.raises(TimeoutError, match="nothing"):
        server.wait_for(lambda: False, timeout=0.1, what="nothing")


async def test_strict_chats_answer_chat_not_found(server: BotApiServer, bot: Bot) -> None:
    server.strict_chats = True
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(ANI.id, "Pengingat")
    server.send_text(ANI, "/start")  # a chat the user opened
    await bot.send_message(ANI.id, "Selamat datang")
    server.introduce(4242)
    await bot.send_message(4242, "Halo")
    assert [m.chat_id for m in server.sent()] == [ANI.id, 4242]
    server.assert_clean()  # Telegram's refusal, not an invalid request


async def test_a_callback_query_is_answered_once(server: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_message(ANI.id, "x")
    query = server.press(ANI, server.message(ANI.id, sent.message_id), "a")
    await bot.answer_callback_query(query)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("never-sent")
    assert len(server.violations) == 2


async def test_photo_dimensions_are_checked(server: BotApiServer, bot: Bot) -> None:
    def png(width: int, height: int) -> bytes:
        ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x06\x00\x00\x00"
        return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + ihdr + b"\x00" * 20

    await bot.send_photo(ANI.id, png(1200, 800))
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(ANI.id, png(9000, 2000))
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(ANI.id, png(100, 2500))
    assert len(server.violations) == 2


async def test_webhook_delivery_with_the_secret(server: BotApiServer, bot: Bot) -> None:
    """After setWebhook, updates are POSTed with the secret header; getUpdates is refused."""
    from aiohttp import web

    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/tg", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/tg", secret_token="rahasia-123")
        assert server.webhook == (f"http://127.0.0.1:{port}/tg", "rahasia-123")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        server.send_text(ANI, "halo lewat webhook")
        await server.until(lambda: received, what="the webhook delivery")
        secret, update = received[0]
        assert secret == "rahasia-123"
        assert update["message"]["text"] == "halo lewat webhook"  # type: ignore[index]
        await server.until(lambda: server.pending_updates() == 0, what="confirmation")
        await bot.delete_webhook()
        server.send_text(ANI, "kembali ke polling")
        [polled] = await bot.get_updates(timeout=0)
        assert polled.message is not None and polled.message.text == "kembali ke polling"
    finally:
        await runner.cleanup()
