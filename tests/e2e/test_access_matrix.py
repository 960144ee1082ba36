"""End to end: every command and the agreement buttons for every role, and for no role.

The expected matrix is written out here from the product's rules (issue: officials ask;
trainers teach; coordinators report; admins do everything), not computed from the code under
test. A refusal must be the refusal for *who* asks (unknown, pending, blocked, wrong role) and
nothing else: no chat action, no picture, no buttons, no data.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.callbacks import CallbackSigner, action
from bot.i18n import t_html
from mou_tracker.schemas import AgreementDetail, NewAgreement, NewMilestone, NewParty
from services import Services
from services.access import Operator
from tests.e2e.conftest import BANDUNG, KERINCI
from tests.e2e.harness import (
    ADMIN,
    COORDINATOR,
    OFFICIAL,
    STRANGER,
    TRAINER,
    BotHarness,
)
from tests.fakes.botapi import FakeUser
from tests.fakes.tracker import OPERATOR

PENDING = FakeUser(id=1901, first_name="Menunggu", language_code="id")
BLOCKED = FakeUser(id=1902, first_name="Diblokir", language_code="id")

IDENTITIES = {
    "admin": ADMIN,
    "trainer": TRAINER,
    "coordinator": COORDINATOR,
    "official": OFFICIAL,
    "pending": PENDING,
    "blocked": BLOCKED,
    "stranger": STRANGER,
}
ACTIVE = ("admin", "trainer", "coordinator", "official")
#: what each identity gets when refused
REFUSAL = {
    "admin": "auth.role",
    "trainer": "auth.role",
    "coordinator": "auth.role",
    "official": "auth.role",
    "pending": "auth.pending",
    "blocked": "auth.blocked",
    "stranger": "auth.unknown",
}
#: command -> the identities allowed to use it
COMMANDS = {
    "Bagaimana cara mendaftar Hayu.Bdg?": set(ACTIVE),
    "/sumber": set(ACTIVE),
    "/celah": {"admin", "trainer"},
    "/hapus": {"admin", "trainer"},
    "/mou": {"admin", "coordinator"},
    "/laporan": {"admin", "coordinator"},
    "/status": {"admin"},
    "/undang": {"admin"},
}
LANGUAGE = {"official": "en"}


def refusal_text(identity: str) -> str:
    """The refusal as the user sees it (HTML entities decoded, tags gone)."""
    from tests.fakes.botapi import parse_html

    return parse_html(t_html(REFUSAL[identity], LANGUAGE.get(identity, "id"))).plain


@pytest.fixture
def kerinci(bot_services: Services) -> AgreementDetail:
    bot_services.access.request_access(PENDING.id, "Menunggu")
    bot_services.access.add_user(BLOCKED.id, "coordinator", KERINCI, name="Diblokir")
    bot_services.access.block(BLOCKED.id, by=Operator("test"))
    return bot_services.tracker.add_agreement(
        Operator("test"),
        NewAgreement(
            kind="pks",
            title="Replikasi e-RK di Kabupaten Kerinci",
            parties=(NewParty(BANDUNG), NewParty(KERINCI)),
            signed_on=date(2026, 1, 5),
            apps=("e-RK",),
            milestones=(NewMilestone("Pelatihan", due_on=date(2026, 4, 1)),),
        ),
    )


async def test_every_command_for_every_role(bot: BotHarness, kerinci: AgreementDetail) -> None:
    mismatches: list[str] = []
    for command, allowed in COMMANDS.items():
        for identity, user in IDENTITIES.items():
            before_actions = len(bot.server.calls("sendChatAction"))
            exchange = await bot.say(user, command)
            replies = exchange.to(user.id)
            refused = [m for m in replies if m.text == refusal_text(identity)]
            if identity in allowed:
                if refused or not replies:
                    mismatches.append(f"{identity} {command}: refused or silent")
                continue
            if len(replies) != 1 or not refused:
                mismatches.append(f"{identity} {command}: expected only the refusal, got {replies}")
            if any(m.buttons() or m.kind != "text" for m in replies):
                mismatches.append(f"{identity} {command}: a refusal with buttons or media")
            if len(bot.server.calls("sendChatAction")) != before_actions:
                mismatches.append(f"{identity} {command}: 'typing' shown to a refused user")
            if any(m.chat_id != user.id for m in exchange.messages):
                mismatches.append(f"{identity} {command}: someone else was messaged")
    assert not mismatches, "\n".join(mismatches)


async def test_agreement_buttons_for_every_role(bot: BotHarness, kerinci: AgreementDetail) -> None:
    """Buttons signed for the user pressing them (as if the bot had offered them): the role
    still decides. Only the admin and Kerinci's coordinator may act on Kerinci's milestone."""
    signer = CallbackSigner.from_token(bot.server.token)
    milestone = kerinci.milestones[0]
    mismatches: list[str] = []
    for identity in ("official", "trainer", "pending", "blocked", "stranger"):
        user = IDENTITIES[identity]
        host = (await bot.say(user, "/bantuan")).one(user.id)  # a message in the user's chat
        for code, args in (
            ("ag", (kerinci.id,)),
            ("ms", (kerinci.id, milestone.id)),
            ("mpv", (kerinci.id, milestone.id, "planned")),
            ("lap", (kerinci.id,)),
            ("apr", (PENDING.id, "trainer")),
        ):
            query = bot.server.press(user, host, signer.pack(user.id, action(code), *args))
            exchange = await bot.handled(
                bot.server.last_update_id, mark=bot.server.last_message_id()
            )
            answers = bot.callback_answers(query)
            if not answers or not answers[0].get("show_alert"):
                mismatches.append(f"{identity} {code}: not refused with an alert ({answers})")
            if exchange.messages:
                mismatches.append(f"{identity} {code}: sent {[m.text for m in exchange.messages]}")
    assert not mismatches, "\n".join(mismatches)
    assert (
        bot.services.tracker.get_agreement(OPERATOR, kerinci.id).milestones[0].status == "planned"
    )
    assert bot.user(PENDING.id).status == "pending"
    assert bot.server.calls("sendPhoto") == []

    # the coordinator's own, properly signed button works
    host = (await bot.say(COORDINATOR, "/bantuan")).one(COORDINATOR.id)
    query = bot.server.press(
        COORDINATOR,
        host,
        signer.pack(COORDINATOR.id, action("mpv"), kerinci.id, milestone.id, "planned"),
    )
    await bot.handled(bot.server.last_update_id, mark=bot.server.last_message_id())
    assert not bot.callback_answers(query)[0].get("show_alert")
    assert (
        bot.services.tracker.get_agreement(OPERATOR, kerinci.id).milestones[0].status
        == "in_progress"
    )
