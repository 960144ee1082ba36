"""End to end: milestone reminders through the real bot's job, exactly once, under faults.

The agreements are seeded, the clock is moved, and the reminder job that
``bot.jobs.schedule`` put on the JobQueue is run; the local Bot API server records what
Telegram would have accepted. The kill test runs the pass in a separate process (the bot's job,
or ``sinergi reminders send --once`` as cron runs it) and SIGKILLs it right after Telegram
accepted a message and before the process could record it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.config import Settings
from core.db import make_engine
from mou_tracker.schemas import NewAgreement, NewMilestone, NewParty
from services import Services
from services.access import Operator
from tests.conftest import create_schema
from tests.e2e.conftest import BANDUNG, KERINCI
from tests.e2e.harness import (
    ADMIN,
    COORDINATOR,
    OFFICIAL,
    START,
    TRAINER,
    BotHarness,
    e2e_settings,
)
from tests.e2e.reminder_pass import run_once
from tests.fakes.botapi import BotApiServer, Call, FakeUser
from tests.fakes.tracker import OPERATOR

MEMPAWAH = "61.02"
MEMPAWAH_COORDINATOR = FakeUser(id=1006, first_name="Hendra", language_code="id")
ROOT = Path(__file__).resolve().parents[2]


def seed(services: Services) -> None:
    """Two agreements with milestones due around Monday 2 March 2026 (the clock's start)."""
    services.access.add_user(
        MEMPAWAH_COORDINATOR.id, "coordinator", MEMPAWAH, name="Hendra", language="id"
    )
    tracker = services.tracker
    tracker.add_agreement(
        Operator("test"),
        NewAgreement(
            kind="pks",
            title="Replikasi Hayu.Bdg di Kabupaten Kerinci",
            parties=(NewParty(BANDUNG), NewParty(KERINCI)),
            signed_on=date(2026, 1, 5),
            ends_on=date(2028, 1, 5),
            apps=("Hayu.Bdg",),
            milestones=(
                NewMilestone(
                    "Pelatihan admin", due_on=date(2026, 2, 27), responsible_region_code=KERINCI
                ),
                NewMilestone(
                    "Server siap", due_on=date(2026, 3, 9), responsible_region_code=KERINCI
                ),
                NewMilestone("Peluncuran", due_on=date(2026, 6, 1)),
            ),
        ),
    )
    tracker.add_agreement(
        Operator("test"),
        NewAgreement(
            kind="pks",
            title="Replikasi Gampil di Kabupaten Mempawah",
            parties=(NewParty(BANDUNG), NewParty(MEMPAWAH)),
            signed_on=date(2026, 1, 10),
            apps=("Gampil",),
            milestones=(
                NewMilestone(
                    "Instalasi Gampil", due_on=date(2026, 3, 3), responsible_region_code=MEMPAWAH
                ),
            ),
        ),
    )


@pytest.fixture
def seeded(bot_services: Services) -> Services:
    seed(bot_services)
    return bot_services


async def run_pass(bot: BotHarness) -> None:
    ran = await run_once(bot.app)
    assert ran, "bot.jobs.schedule put no reminder job on the JobQueue"


def delivered(server: BotApiServer, *, since: int = 0) -> list[Call]:
    return [c for c in server.calls("sendMessage", ok=True) if c.seq > since]


def assert_exactly_once(server: BotApiServer, services: Services, *, since: int = 0) -> None:
    """Every message Telegram accepted is one the outbox recorded as sent, and vice versa.

    A reminder sent twice would leave a message no outbox row accounts for (a row records the
    one message that delivered it); a lost one would stay pending, claimed or sending.
    """
    accepted = delivered(server, since=since)
    pairs = Counter((c.chat_id, c.params["text"]) for c in accepted)
    twice = [pair for pair, n in pairs.items() if n > 1]
    assert not twice, f"delivered more than once: {twice}"
    rows = services.reminders.log(limit=10_000)
    stuck = [r for r in rows if r.status in ("pending", "claimed", "sending", "failed")]
    assert not stuck, stuck
    recorded = {r.message_id for r in rows if r.status == "sent"}
    all_accepted = {c.result["result"]["message_id"] for c in delivered(server)}
    assert recorded == all_accepted


async def test_the_right_reminders_arrive_once(bot: BotHarness, seeded: Services) -> None:
    await run_pass(bot)
    kerinci = " ".join(m.text or "" for m in bot.server.sent(COORDINATOR.id))
    mempawah = " ".join(m.text or "" for m in bot.server.sent(MEMPAWAH_COORDINATOR.id))
    assert "Server siap" in kerinci and "Pelatihan admin" in kerinci
    assert "Instalasi Gampil" not in kerinci
    assert "Instalasi Gampil" in mempawah
    assert "Server siap" not in mempawah and "Pelatihan admin" not in mempawah
    assert bot.server.sent(TRAINER.id) == [] and bot.server.sent(OFFICIAL.id) == []
    assert any(m.buttons() for m in bot.server.sent(COORDINATOR.id)), "reminders carry buttons"
    first = len(delivered(bot.server))

    await run_pass(bot)  # the same instant again: nothing new
    assert len(delivered(bot.server)) == first
    assert_exactly_once(bot.server, seeded)

    bot.clock.set(START + timedelta(days=7))  # the next Monday
    mark = bot.server.calls()[-1].seq
    await run_pass(bot)
    await run_pass(bot)
    assert len(delivered(bot.server)) > first  # "Server siap" is due now, digests again
    assert_exactly_once(bot.server, seeded, since=mark)


async def test_telegram_429_and_500_are_retried(bot: BotHarness, seeded: Services) -> None:
    bot.server.fail("sendMessage", "429", retry_after=1, chat_id=COORDINATOR.id)
    bot.server.fail("sendMessage", "500", times=2, chat_id=MEMPAWAH_COORDINATOR.id)
    for step in range(6):  # passes every few minutes, as the job runs them
        bot.clock.set(START + timedelta(minutes=10 * step))
        await run_pass(bot)
    assert "Server siap" in " ".join(m.text or "" for m in bot.server.sent(COORDINATOR.id))
    assert "Instalasi Gampil" in " ".join(
        m.text or "" for m in bot.server.sent(MEMPAWAH_COORDINATOR.id)
    )
    refused = bot.server.calls("sendMessage", ok=False)
    assert {c.status for c in refused} == {429, 500}
    assert_exactly_once(bot.server, seeded)


async def test_a_user_who_blocked_the_bot_is_reported_to_the_admins(
    bot: BotHarness, seeded: Services
) -> None:
    bot.server.block(COORDINATOR.id)
    await run_pass(bot)
    attempts = len(bot.server.calls("sendMessage", chat_id=COORDINATOR.id))
    assert attempts >= 1 and bot.server.sent(COORDINATOR.id) == []
    to_admin = " ".join(m.text or "" for m in bot.server.sent(ADMIN.id))
    assert "Kerinci" in to_admin
    undeliverable = seeded.reminders.log(limit=1000, status="undeliverable")
    assert undeliverable and all(r.recipient == f"tg:{COORDINATOR.id}" for r in undeliverable)
    # not retried forever
    for hours in (1, 2, 3):
        bot.clock.set(START + timedelta(hours=hours))
        await run_pass(bot)
    assert len(bot.server.calls("sendMessage", chat_id=COORDINATOR.id)) == attempts
    assert_exactly_once(bot.server, seeded)


# --- kill -9 in the middle of a pass --------------------------------------------------------


def _seeded_data_dir(data_dir: Path, server: BotApiServer) -> Settings:
    settings = e2e_settings(data_dir, server)
    settings.ensure_dirs()
    engine = make_engine(settings.effective_database_url)
    create_schema(engine)
    services = Services(settings, clock=FixedClock(START), engine=engine)
    access = services.access
    access.add_user(ADMIN.id, "admin", name=ADMIN.first_name, language="id")
    access.add_user(COORDINATOR.id, "coordinator", KERINCI, name="Sari", language="id")
    seed(services)
    services.close()
    engine.dispose()
    return settings


def _pass_process(
    settings: Settings, server: BotApiServer, now: datetime, runner: str
) -> subprocess.Popen[str]:
    """One pass in a process of its own: the bot's reminder job, or the cron command."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if runner == "job":
        command = [
            sys.executable,
            "-m",
            "tests.e2e.reminder_pass",
            str(settings.data_dir),
            server.base_url,
            server.token,
            now.isoformat(),
        ]
        cwd = ROOT
    else:  # sinergi reminders send --once, as cron runs it
        env.update(
            SINERGI_DATA_DIR=str(settings.data_dir),
            SINERGI_TELEGRAM_TOKEN=server.token,
            SINERGI_TELEGRAM_BASE_URL=server.base_url,
            SINERGI_TELEGRAM_BASE_FILE_URL=server.base_file_url,
            SINERGI_EMBEDDING_BACKEND="fake",
        )
        sinergi = Path(sys.executable).with_name("sinergi")
        command = [str(sinergi), "reminders", "send", "--once", "--at", now.isoformat(), "--json"]
        cwd = settings.data_dir  # no .env of the developer's
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(process: subprocess.Popen[str]) -> None:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, (process.returncode, out, err[-3000:])


def _messages(server: BotApiServer) -> Counter[tuple[int | str | None, str]]:
    return Counter((c.chat_id, str(c.params["text"])) for c in delivered(server))


@pytest.mark.slow
@pytest.mark.parametrize("runner", ["job", "cli"])
def test_a_pass_killed_between_send_and_mark_loses_and_repeats_nothing(
    tmp_path: Path, runner: str
) -> None:
    later = START + timedelta(minutes=15)  # past the claim's lease
    # What an undisturbed deployment delivers, pass at START then at START + 15 min.
    with BotApiServer() as control:
        settings = _seeded_data_dir(tmp_path / "control", control)
        for now in (START, later):
            _finish(_pass_process(settings, control, now, runner))
        expected = _messages(control)
    assert len(expected) >= 3, expected

    with BotApiServer() as server:
        settings = _seeded_data_dir(tmp_path / "killed", server)
        victim: dict[str, subprocess.Popen[str]] = {}
        accepted: list[Call] = []

        def kill_after_second_message(call: Call) -> None:
            if call.method == "sendMessage" and call.ok:
                accepted.append(call)
                if len(accepted) == 2:
                    # Telegram accepted it; the process never learns that it did.
                    os.kill(victim["process"].pid, signal.SIGKILL)

        server.after_call = kill_after_second_message
        victim["process"] = _pass_process(settings, server, START, runner)
        victim["process"].communicate(timeout=120)
        assert victim["process"].returncode == -signal.SIGKILL
        server.after_call = None

        # Restarted (the same instant, then after the lease): the rest arrives, once.
        for now in (START, later):
            _finish(_pass_process(settings, server, now, runner))
        got = _messages(server)
        assert got == expected, {
            "missing": expected - got,
            "extra": got - expected,
        }
        server.assert_clean()


# --- acting on a reminder ---------------------------------------------------------------------


def _button(bot: BotHarness, chat_id: int, action: str) -> tuple[object, dict[str, object]]:
    """The first message to ``chat_id`` with a button of ``action`` (callback prefix)."""
    for message in bot.server.sent(chat_id):
        for button in message.buttons():
            if str(button.get("callback_data", "")).startswith(action + "|"):
                return message, button
    raise LookupError(f"no {action!r} button sent to {chat_id}")


async def test_reminder_buttons_act_on_the_milestone(bot: BotHarness, seeded: Services) -> None:
    await run_pass(bot)
    assert_exactly_once(bot.server, seeded)
    # the collapsed reminder lists its milestones; opening one shows its actions
    message, opener = _button(bot, COORDINATOR.id, "rmo")
    opened = await bot.press(COORDINATOR, message, data=str(opener["callback_data"]))  # type: ignore[arg-type]
    [actions] = opened.to(COORDINATOR.id)
    offered = {
        str(b["callback_data"]).split("|")[0]: str(b["callback_data"]) for b in actions.buttons()
    }
    assert {"mdv", "mpv", "mbv", "rsz"} <= set(offered)
    milestone_id = int(offered["mpv"].split("|")[1].split(",")[1])

    # someone else pressing them changes nothing
    await bot.press(MEMPAWAH_COORDINATOR, actions, data=offered["mpv"])
    await bot.press(OFFICIAL, actions, data=offered["mpv"])

    def status() -> str:
        return next(
            m.status
            for a in seeded.tracker.list_agreements(OPERATOR)
            for m in seeded.tracker.get_agreement(OPERATOR, a.id).milestones
            if m.id == milestone_id
        )

    assert status() == "planned"
    await bot.press(COORDINATOR, actions, data=offered["mpv"])
    assert status() == "in_progress"

    snoozed = await bot.press(COORDINATOR, actions, data=offered["rsz"])
    assert snoozed.to(COORDINATOR.id), "the snooze is confirmed"

    await bot.press(COORDINATOR, actions, data=offered["mdv"])
    await bot.say(COORDINATOR, "Notulen pelatihan: https://kerincikab.go.id/notulen")
    assert status() == "done"


async def test_a_coordinator_who_never_opened_the_bot_is_reported(
    bot: BotHarness, seeded: Services
) -> None:
    """Added by an admin from the CLI, Mempawah's coordinator never sent /start: Telegram
    answers "chat not found", the reminder is undeliverable and the admins hear of it."""
    bot.server.strict_chats = True
    bot.server.introduce(ADMIN.id, COORDINATOR.id)
    await run_pass(bot)
    assert bot.server.sent(MEMPAWAH_COORDINATOR.id) == []
    to_admin = " ".join(m.text or "" for m in bot.server.sent(ADMIN.id))
    assert "Mempawah" in to_admin
    rows = seeded.reminders.log(limit=1000, recipient=f"tg:{MEMPAWAH_COORDINATOR.id}")
    assert rows and {r.status for r in rows} == {"undeliverable"}
    assert "Server siap" in " ".join(m.text or "" for m in bot.server.sent(COORDINATOR.id))
    assert_exactly_once(bot.server, seeded)


async def test_after_downtime_missed_reminders_arrive_once_collapsed(
    bot: BotHarness, seeded: Services
) -> None:
    """The bot was down from Monday morning to Thursday: what fell due meanwhile arrives in one
    message per recipient, once."""
    bot.clock.set(START + timedelta(days=3))  # Thursday 5 March, 09:00 WIB
    await run_pass(bot)
    kerinci = [m for m in bot.server.sent(COORDINATOR.id) if "Ringkasan" not in (m.text or "")]
    assert len(kerinci) == 1
    assert "Pelatihan admin" in (kerinci[0].text or "") and "Server siap" in (kerinci[0].text or "")
    mempawah = bot.server.sent(MEMPAWAH_COORDINATOR.id)
    assert len(mempawah) == 1
    # a single reminder names the agreement, the partner, the milestone and the due date
    for part in ("Replikasi Gampil di Kabupaten Mempawah", "Kota Bandung", "Instalasi Gampil"):
        assert part in (mempawah[0].text or "")
    assert "3 Mar 2026" in (mempawah[0].text or "")
    assert len(mempawah[0].buttons()) == 4  # done, in progress, blocked, remind me later
    before = len(delivered(bot.server))
    await run_pass(bot)
    assert len(delivered(bot.server)) == before
    assert_exactly_once(bot.server, seeded)


# --- an admin sends a reminder again ----------------------------------------------------------


async def test_an_admin_resends_undeliverable_reminders_from_telegram(
    bot: BotHarness, seeded: Services
) -> None:
    bot.server.block(COORDINATOR.id)
    await run_pass(bot)
    assert bot.server.sent(COORDINATOR.id) == []
    rows = [
        r
        for r in seeded.reminders.log(limit=1000, status="undeliverable")
        if r.recipient == f"tg:{COORDINATOR.id}"
    ]
    assert rows
    ids = sorted(r.id for r in rows)
    bot.server.unblock(COORDINATOR.id)

    # The admin sees what can be sent again, with the ids to name.
    listed = (await bot.say(ADMIN, "/kirimulang")).one(ADMIN.id).text or ""
    assert all(f"#{i}" in listed for i in ids) and "/kirimulang ID" in listed

    # Nobody else may send one again.
    for user, refusal in (
        (COORDINATOR, "tidak tersedia untuk peran Anda"),
        (TRAINER, "tidak tersedia untuk peran Anda"),
        (OFFICIAL, "not available for your role"),
    ):
        refused = (await bot.say(user, f"/kirimulang {ids[0]}")).one(user.id).text or ""
        assert refusal in refused
    assert {r.status for r in seeded.reminders.log(limit=1000) if r.id in ids} == {"undeliverable"}

    # Not a number: said so, nothing resent.
    bad = (await bot.say(ADMIN, "/kirimulang besok")).one(ADMIN.id).text or ""
    assert "besok" in bad and "harus berupa angka" in bad

    answer = await bot.say(ADMIN, "/kirimulang " + " ".join(f"#{i}" for i in ids))
    text = answer.one(ADMIN.id).text or ""
    assert all(f"Pengingat #{i} akan dikirim ulang" in text for i in ids)
    mark = bot.server.calls()[-1].seq
    await run_pass(bot)
    arrived = " ".join(m.text or "" for m in bot.server.sent(COORDINATOR.id))
    assert "Server siap" in arrived and "Pelatihan admin" in arrived
    resent = [r for r in seeded.reminders.log(limit=1000) if r.id in ids]
    assert {(r.status, r.resends, r.resent_by) for r in resent} == {("sent", 1, f"tg:{ADMIN.id}")}
    # Each arrived once, recorded by the rows resent (the admin's chat has the bot's replies).
    to_coordinator = [c for c in delivered(bot.server, since=mark) if c.chat_id == COORDINATOR.id]
    assert len({c.params["text"] for c in to_coordinator}) == len(to_coordinator)
    accepted = {c.result["result"]["message_id"] for c in to_coordinator}
    assert {r.message_id for r in resent} == accepted

    # Sent now: refused with the reason, in the admin's language.
    again = (await bot.say(ADMIN, f"/kirimulang {ids[0]} 999999")).one(ADMIN.id).text or ""
    assert "hanya pengingat yang belum terkonfirmasi" in again
    assert "#999999 tidak ditemukan" in again
    before = len(delivered(bot.server))
    await run_pass(bot)
    assert len(delivered(bot.server)) == before
