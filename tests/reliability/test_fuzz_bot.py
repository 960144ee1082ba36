"""Every bot command and the free-text handler, fed hostile text through real PTB updates.

The commands are read from the running application's handlers (conversation entry points
included), so a new command is fuzzed without anyone adding it here. Each example is sent by an
admin, an official and a stranger, and asserts: no unhandled error (the error handler's bug
path), every request the bot made accepted by the Bot API spec fake (text length, entities,
parse mode, buttons), and nothing stored lost (agreements, milestones, the audit trail, users).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from bot import callbacks
from core.clock import FixedClock
from tests.bot.conftest import ADMIN, OFFICIAL, BotHarness
from tests.fakes.tracker import OPERATOR, new_agreement
from tests.reliability.conftest import running_bot
from tests.reliability.fuzz import FUZZ_SETTINGS, HOSTILE, TYPED_TEXT, VALUE
from tests.reliability.snapshot import Snapshot, lost_rows

STRANGER = 424242
KEPT = ("agreements", "agreement_parties", "milestones", "audit_log", "users")


def _commands(handlers: Any) -> set[str]:
    found: set[str] = set()
    for handler in handlers:
        found |= set(getattr(handler, "commands", ()))
        for nested in ("entry_points", "fallbacks"):
            found |= _commands(getattr(handler, nested, ()))
        for state in getattr(handler, "states", {}).values():
            found |= _commands(state)
    return found


class Bot:
    """The running bot on its own event loop, driven one update at a time."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self._context = running_bot(tmp_path, FixedClock(datetime(2026, 3, 2, 2, tzinfo=UTC)))
        self.harness: BotHarness = self.loop.run_until_complete(self._context.__aenter__())
        services = self.harness.services
        agreement = services.tracker.add_agreement(OPERATOR, new_agreement())
        self.agreement_id, self.milestone_id = agreement.id, agreement.milestones[0].id
        self.engine = services.engine
        self.meta = MetaData()
        self.meta.reflect(self.engine, only=KEPT)
        handlers = [h for group in self.harness.app.handlers.values() for h in group]  # type: ignore[attr-defined]
        self.commands = sorted(_commands(handlers))

    def kept_rows(self) -> Snapshot:
        """The rows of the tables whose rows nothing typed may lose."""
        with self.engine.connect() as conn:
            return {
                name: sorted(tuple(repr(v) for v in row) for row in conn.execute(select(table)))
                for name, table in self.meta.tables.items()
            }

    def send(self, user: int, text: str) -> None:
        self.loop.run_until_complete(self.harness.updates.send(user, text))

    def press(self, user: int, action: callbacks.CallbackAction, *args: object) -> None:
        signer = self.harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
        data = signer.pack(user, action, *args)
        self.loop.run_until_complete(self.harness.updates.press(user, data))

    def close(self) -> None:
        self.loop.run_until_complete(self._context.__aexit__(None, None, None))
        self.loop.close()


class Bugs(logging.Handler):
    """The error handler's "unhandled error" records: a bug, not a domain error."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Bot]:
    running = Bot(tmp_path)
    bugs = Bugs()
    logging.getLogger("bot").addHandler(bugs)
    running.bugs = bugs  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        logging.getLogger("bot").removeHandler(bugs)
        running.close()


def test_the_fuzz_finds_the_commands(bot: Bot) -> None:
    assert {"mou", "start", "bahasa", "laporan", "status", "undang"} <= set(bot.commands)


def _check(bot: Bot, user: int, text: str, *, press: tuple[Any, ...] = ()) -> None:
    before = bot.kept_rows()
    bot.harness.api.clear()
    bot.bugs.records.clear()  # type: ignore[attr-defined]
    if press:  # open the dialog whose text handler gets the text
        bot.press(user, *press)
        before.pop("milestones")  # the dialog's point is to change the milestone
    bot.send(user, text)
    bugs = [r.getMessage() for r in bot.bugs.records]  # type: ignore[attr-defined]
    assert bugs == [], (text, bugs, [r.exc_info for r in bot.bugs.records])  # type: ignore[attr-defined]
    assert bot.harness.api.problems() == [], (text, bot.harness.api.problems())
    lost = lost_rows(before, {k: v for k, v in bot.kept_rows().items() if k in before})
    lost.pop("users", None) if text.startswith(("/bahasa", "/language")) else None
    assert lost == {}, (text, lost)


def test_every_command_survives_hostile_arguments(bot: Bot) -> None:
    def fuzz(command: str) -> None:
        @FUZZ_SETTINGS
        @given(args=st.lists(VALUE, max_size=3))
        def run(args: list[str]) -> None:
            for user in (ADMIN, OFFICIAL, STRANGER):
                _check(bot, user, " ".join([f"/{command}", *args]))

        run()

    for command in bot.commands:
        fuzz(command)


@FUZZ_SETTINGS
@given(
    text=st.one_of(st.sampled_from(HOSTILE), TYPED_TEXT).filter(lambda t: t.strip() != ""),
    user=st.sampled_from([ADMIN, OFFICIAL, STRANGER]),
)
def test_free_text_survives_anything(bot: Bot, text: str, user: int) -> None:
    _check(bot, user, text)


@pytest.mark.parametrize("action", ["MILESTONE_DONE", "MILESTONE_BLOCKED"])
def test_the_milestone_dialogs_take_any_text(bot: Bot, action: str) -> None:
    """The evidence and the blocked reason are free text typed after pressing the button."""

    @FUZZ_SETTINGS
    @given(text=st.one_of(st.sampled_from(HOSTILE), TYPED_TEXT).filter(lambda t: t.strip() != ""))
    def run(text: str) -> None:
        # The button as a fresh message shows it (an earlier example may have changed it).
        detail = bot.harness.services.tracker.get_agreement(OPERATOR, bot.agreement_id)
        seen = next(m.status for m in detail.milestones if m.id == bot.milestone_id)
        press = (getattr(callbacks, action), bot.agreement_id, bot.milestone_id, seen)
        _check(bot, ADMIN, text, press=press)

    run()


def test_the_dialog_fuzz_reaches_the_text_handler(bot: Bot) -> None:
    _check(
        bot,
        ADMIN,
        "Berita acara ditandatangani",
        press=(callbacks.MILESTONE_DONE, bot.agreement_id, bot.milestone_id, "planned"),
    )
    detail = bot.harness.services.tracker.get_agreement(OPERATOR, bot.agreement_id)
    assert detail.milestones[0].status == "done"
