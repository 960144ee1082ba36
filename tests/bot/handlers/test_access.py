from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.bot.conftest import ADMIN, OFFICIAL, STRANGER, TRAINER, BotHarness
from tests.bot.service_fakes import FakeKnowledge
from tests.fakes.tracker import OPERATOR


async def test_start_creates_request_and_admin_approves(
    fake_kb: FakeKnowledge, harness: BotHarness
) -> None:
    await harness.updates.send(STRANGER, "/start")
    assert "dikirim ke admin" in harness.api.last(STRANGER).text
    request = harness.api.last(ADMIN)
    assert str(STRANGER) in request.text
    assert harness.services.access.get_user(STRANGER).status == "pending"  # type: ignore[union-attr]
    # While pending, questions are refused without a word about the knowledge base.
    await harness.updates.send(STRANGER, "Apa isi panduan?")
    assert "menunggu persetujuan" in harness.api.last(STRANGER).text
    assert harness.knowledge.asked == []

    await harness.updates.press(ADMIN, request.button("Pelatih")["callback_data"])
    user = harness.services.access.get_user(STRANGER)
    assert user is not None and (user.status, user.role) == ("active", "trainer")
    assert "Pelatih" in harness.api.last(STRANGER).text  # welcomed with their role's help
    assert "disetujui" in harness.api.last(ADMIN).text
    # A second press (another admin, a double tap) changes nothing.
    await harness.updates.press(ADMIN, request.button("Tolak")["callback_data"])
    assert harness.services.access.get_user(STRANGER).status == "active"  # type: ignore[union-attr]


async def test_admin_rejects(harness: BotHarness) -> None:
    await harness.updates.send(STRANGER, "/start")
    request = harness.api.last(ADMIN)
    await harness.updates.press(ADMIN, request.button("Tolak")["callback_data"])
    assert harness.services.access.get_user(STRANGER).status == "rejected"  # type: ignore[union-attr]
    assert "ditolak" in harness.api.last(STRANGER).text
    harness.api.clear()
    await harness.updates.send(STRANGER, "/start")  # no new request to the admins
    assert harness.api.sent(ADMIN) == []


async def test_only_admins_may_approve(harness: BotHarness) -> None:
    await harness.updates.send(STRANGER, "/start")
    data = harness.api.last(ADMIN).button("Pejabat")["callback_data"]
    await harness.updates.press(TRAINER, data)
    assert harness.services.access.get_user(STRANGER).status == "pending"  # type: ignore[union-attr]


async def test_invite_deep_link_lets_user_in(harness: BotHarness) -> None:
    code = harness.services.access.create_invite("coordinator", "15.01", by=OPERATOR).code
    await harness.updates.send(STRANGER, f"/start {code}")
    user = harness.services.access.get_user(STRANGER)
    assert user is not None and (user.role, user.region_code) == ("coordinator", "15.01")
    assert "/mou" in harness.api.last(STRANGER).text
    await harness.updates.send(STRANGER + 1, f"/start {code}")  # used already
    assert "tidak berlaku" in harness.api.last(STRANGER + 1).text
    assert harness.services.access.get_user(STRANGER + 1) is None


async def test_first_user_without_admins_learns_how_to_bootstrap(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness.services.access, "admins", lambda: [])
    await harness.updates.send(STRANGER, "/start")
    text = harness.api.last(STRANGER).text
    assert f"sinergi users add {STRANGER} --role admin" in text


async def test_help_depends_on_role(harness: BotHarness) -> None:
    await harness.updates.send(OFFICIAL, "/bantuan")
    official_help = harness.api.last(OFFICIAL).text
    await harness.updates.send(TRAINER, "/bantuan")
    trainer_help = harness.api.last(TRAINER).text
    await harness.updates.send(STRANGER, "/bantuan")
    guest_help = harness.api.last(STRANGER).text
    assert "/hapus" in trainer_help and "/hapus" not in official_help
    assert "/start" in guest_help and "/sumber" not in guest_help


async def test_language_switch(harness: BotHarness) -> None:
    await harness.updates.send(OFFICIAL, "/bahasa")
    choose = harness.api.last(OFFICIAL)
    await harness.updates.press(OFFICIAL, choose.button("English")["callback_data"])
    assert harness.services.access.get_user(OFFICIAL).language == "en"  # type: ignore[union-attr]
    await harness.updates.send(OFFICIAL, "/bantuan")
    assert "Your commands" in harness.api.last(OFFICIAL).text
    await harness.updates.send(OFFICIAL, "/bahasa id")
    assert harness.services.access.get_user(OFFICIAL).language == "id"  # type: ignore[union-attr]
    await harness.updates.send(OFFICIAL, "/bahasa fr")
    assert "tidak didukung" in harness.api.last(OFFICIAL).text


async def test_bot_leaves_groups_added_by_non_admins(harness: BotHarness) -> None:
    await harness.updates.member_change(OFFICIAL, -100123, "left", "member")
    assert [c.params["chat_id"] for c in harness.api.of("leaveChat")] == [-100123]
    harness.api.clear()
    await harness.updates.member_change(ADMIN, -100124, "left", "member")
    assert harness.api.of("leaveChat") == []


async def test_status_is_for_admins(harness: BotHarness) -> None:
    await harness.updates.send(ADMIN, "/status")
    text = harness.api.last(ADMIN).text
    assert "basis data: pengguna: 3" in text and "✅" in text
    assert "pengingat" in text and "❌" not in text
    # every figure and the uptime in the admin's language (they were in English)
    assert "aktif 0 hari 0 jam 0 menit" in text
    assert " users" not in text and "vectors" not in text and "days" not in text
    harness.services.access.set_language(ADMIN, "en")
    await harness.updates.send(ADMIN, "/status")
    text = harness.api.last(ADMIN).text
    assert "database: users: 3" in text and "up 0 d 0 h 0 min" in text
    await harness.updates.send(OFFICIAL, "/status")
    assert "database" not in harness.api.last(OFFICIAL).text


async def test_unexpected_error_apologises_and_reports_to_admins(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("index exploded")

    monkeypatch.setattr(harness.knowledge, "ask", broken)
    await harness.updates.send(OFFICIAL, "Bagaimana cara mendaftar akun?")
    assert "Maaf, terjadi kesalahan" in harness.api.last(OFFICIAL).text
    report = harness.api.last(ADMIN)
    assert "index exploded" in report.text and "<pre>" in report.text
    assert "index exploded" not in harness.api.last(OFFICIAL).text
    # The same failure again: the user is told, the admins are not flooded.
    reports = len(harness.api.sent(ADMIN))
    await harness.updates.send(OFFICIAL, "Bagaimana cara mendaftar akun?")
    assert "Maaf, terjadi kesalahan" in harness.api.last(OFFICIAL).text
    assert len(harness.api.sent(ADMIN)) == reports
    # The bot keeps working.
    monkeypatch.undo()
    await harness.updates.send(OFFICIAL, "Pertanyaan lagi?")
    assert "kesalahan" not in harness.api.last(OFFICIAL).text
    assert harness.api.problems() == []


async def test_menu_commands_are_published(harness: BotHarness) -> None:
    await harness.app.post_init(harness.app)  # type: ignore[attr-defined]
    calls = harness.api.of("setMyCommands")
    assert len(calls) == 2
    by_language = {c.params.get("language_code"): c.params["commands"] for c in calls}
    indonesian = [c["command"] for c in by_language[None]]
    english = [c["command"] for c in by_language["en"]]
    assert {"bantuan", "bahasa", "batal", "mou"} <= set(indonesian)
    assert not {"help", "language", "cancel"} & set(indonesian)
    # English clients see the English names the English texts give (both names work).
    assert {"help", "language", "cancel", "mou"} <= set(english)
    assert not {"bantuan", "bahasa", "batal"} & set(english)
    assert harness.api.problems() == []


async def test_admin_approves_a_coordinator_by_naming_the_region(harness: BotHarness) -> None:
    await harness.updates.send(STRANGER, "/start")
    request = harness.api.last(ADMIN)
    await harness.updates.press(ADMIN, request.button("Koordinator")["callback_data"])
    assert "Daerah mana" in harness.api.last(ADMIN).text
    await harness.updates.send(ADMIN, "Kabupaten Antah Berantah")  # unknown: asked again
    assert harness.services.access.get_user(STRANGER).status == "pending"  # type: ignore[union-attr]
    await harness.updates.send(ADMIN, "Kabupaten Kerinci")
    user = harness.services.access.get_user(STRANGER)
    assert user is not None and (user.role, user.region_code) == ("coordinator", "15.01")
    assert "15.01" in harness.api.last(ADMIN).text
    assert "/mou" in harness.api.last(STRANGER).text


async def test_admin_creates_invite_links_in_the_bot(harness: BotHarness) -> None:
    await harness.updates.send(ADMIN, "/undang coordinator 15.01")
    text = harness.api.last(ADMIN).text
    link = next(w for w in text.split() if w.startswith("https://t.me/"))
    code = link.split("start=", 1)[1]
    await harness.updates.send(STRANGER, f"/start {code}")
    assert harness.services.access.get_user(STRANGER).region_code == "15.01"  # type: ignore[union-attr]
    await harness.updates.send(OFFICIAL, "/undang admin")
    assert "https://t.me/" not in harness.api.last(OFFICIAL).text
    await harness.updates.send(ADMIN, "/undang coordinator")  # coordinators need a region
    assert "daerah" in harness.api.last(ADMIN).text.lower()


async def test_an_invite_names_the_role_and_the_region_it_was_read_as(
    harness: BotHarness,
) -> None:
    await harness.updates.send(ADMIN, "/undang coordinator Kerincii")  # a typo, read as Kerinci
    text = harness.api.last(ADMIN).text
    assert "Koordinator" in text and "Kabupaten Kerinci (15.01)" in text
    await harness.updates.send(ADMIN, "/undang trainer")
    text = harness.api.last(ADMIN).text
    assert "Pelatih" in text and "https://t.me/" in text


async def test_each_user_gets_their_roles_menu(harness: BotHarness) -> None:
    import json

    await harness.updates.send(STRANGER, "/start")
    await harness.updates.press(ADMIN, harness.api.last(ADMIN).button("Pelatih")["callback_data"])
    menus = harness.api.of("setMyCommands")
    assert len(menus) == 1
    params = menus[0].params
    scope = params["scope"] if isinstance(params["scope"], dict) else json.loads(params["scope"])
    assert scope == {"type": "chat", "chat_id": STRANGER}
    names = [c["command"] for c in params["commands"]]
    assert "hapus" in names and "mou" not in names and "status" not in names
    assert harness.api.problems() == []


async def test_a_name_with_a_direction_override_reaches_the_admins_without_it(
    harness: BotHarness,
) -> None:
    # U+202E turns the rest of a line around in the admin's chat ("Budi" + override + "nimdA"
    # reads "Budi Admin"); markup is only ever text.
    message = harness.updates.message(STRANGER, "/start")
    message["from"]["first_name"] = "Budi\u202e nimdA <b>x</b>"
    await harness.updates.feed({"update_id": 90_001, "message": message})
    request = harness.api.last(ADMIN)
    assert "\u202e" not in request.text
    assert "Nama: Budi nimdA &lt;b&gt;x&lt;/b&gt;\n" in request.params["text"]
    user = harness.services.access.get_user(STRANGER)
    assert user is not None and "\u202e" not in user.name and user.name.startswith("Budi")
    assert harness.api.problems() == []


async def test_english_users_are_pointed_to_the_english_commands(harness: BotHarness) -> None:
    await harness.updates.send(OFFICIAL, "/bahasa en")
    indonesian_commands = ("/bantuan", "/bahasa", "/batal", "/lewati")
    shown = []
    for command in ("/mou", "/tidakada", "/help"):  # not for officials, unknown, the help
        await harness.updates.send(OFFICIAL, command)
        shown.append(harness.api.last(OFFICIAL).text)
    assert "/help" in shown[0] and "/help" in shown[1] and "/language" in shown[2]
    for text in shown:
        assert not any(c in text for c in indonesian_commands), text
    # Each English command named works: /help was answered above; /language too.
    await harness.updates.send(OFFICIAL, "/language id")
    assert harness.services.access.get_user(OFFICIAL).language == "id"  # type: ignore[union-attr]
    await harness.updates.send(OFFICIAL, "/mou")
    assert "/bantuan" in harness.api.last(OFFICIAL).text  # Indonesian users keep theirs


def test_the_english_catalog_names_no_indonesian_command() -> None:
    root = Path(__file__).resolve().parents[3] / "bot" / "locales"
    for path in root.glob("*en.json"):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            found = re.findall(r"/(bantuan|bahasa|batal|lewati|keluar)\b", text)
            assert not found, (path.name, key, found)
