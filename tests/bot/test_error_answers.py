"""A domain error on a button: one answer per press, whoever answered first.

Telegram refuses a second answer to the same press (the fake answers 400 and records
"answered twice"). A button answered before its handler failed gets the error in the chat; one
that was not answered yet gets it as an alert, and nothing else.
"""

from __future__ import annotations

from bot import callbacks
from services.messages import catalog
from tests.bot.conftest import ADMIN, BotHarness
from tests.fakes.botapi import parse_html

MISSING = 424242


def signer(harness: BotHarness) -> callbacks.CallbackSigner:
    found = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    assert isinstance(found, callbacks.CallbackSigner)
    return found


async def test_an_error_after_the_button_was_answered_goes_to_the_chat_once(
    harness: BotHarness,
) -> None:
    assert callbacks.AGREEMENT_OPEN.acknowledge  # answered before the handler runs
    data = signer(harness).pack(ADMIN, callbacks.AGREEMENT_OPEN, MISSING)
    harness.api.clear()
    await harness.updates.press(ADMIN, data)
    answers = harness.api.of("answerCallbackQuery")
    assert len(answers) == 1 and "text" not in answers[0].params  # the plain acknowledgement
    assert harness.api.problems() == []  # no second answer was tried
    (message,) = harness.api.of("sendMessage")
    assert message.chat_id == ADMIN
    expected = catalog().t("error.agreement.not_found", "id", agreement_id=MISSING)
    assert parse_html(message.text).plain == expected


async def test_an_error_before_the_button_was_answered_is_its_alert(
    harness: BotHarness,
) -> None:
    assert not callbacks.MILESTONE_IN_PROGRESS.acknowledge  # the handler answers it
    data = signer(harness).pack(ADMIN, callbacks.MILESTONE_IN_PROGRESS, MISSING, MISSING, "planned")
    harness.api.clear()
    await harness.updates.press(ADMIN, data)
    (answer,) = harness.api.of("answerCallbackQuery")
    assert answer.params["show_alert"] in (True, "true", "True")
    assert str(MISSING) in answer.params["text"]
    assert harness.api.of("sendMessage") == []
    assert harness.api.problems() == []


def test_every_button_is_answered_through_the_one_place_that_remembers_it() -> None:
    """A handler calling ``query.answer`` itself would make the error path answer twice."""
    import re
    from pathlib import Path

    import bot

    root = Path(bot.__file__).parent
    direct = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if path.name != "state.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"(query|callback_query)\.answer\(", line)
    ]
    assert direct == []
