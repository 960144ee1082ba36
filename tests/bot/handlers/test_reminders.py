"""The buttons of a reminder: open a collapsed one's milestone, snooze, mark done."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.conftest import ADMIN, COORDINATOR, TUESDAY_0900_WIB, BotHarness, deliver
from tests.fakes.tracker import OPERATOR


async def test_collapsed_reminder_buttons_snooze_and_done(reminded: BotHarness) -> None:
    h = reminded
    await deliver(h, TUESDAY_0900_WIB)
    [message] = [c for c in h.api.sent(COORDINATOR) if "Pelatihan staf" in c.text]
    assert "2 pengingat" in message.text  # both milestones in one message
    open_button = message.button("Pelatihan")
    assert len(open_button["callback_data"].encode()) <= 64
    await h.updates.press(COORDINATOR, open_button["callback_data"])
    menu = h.api.last(COORDINATOR)
    labels = [b["text"] for b in menu.buttons()]
    assert len(labels) == 4

    await h.updates.press(COORDINATOR, menu.button("Ingatkan")["callback_data"])
    assert "ingatkan lagi" in h.api.last(COORDINATOR).text
    assert "5 Mar 2026" in h.api.last(COORDINATOR).text  # the bot clock: Monday + 3 days

    await h.updates.press(COORDINATOR, menu.button("Selesai")["callback_data"])
    assert "bukti" in h.api.last(COORDINATOR).text
    await h.updates.send(COORDINATOR, "Daftar hadir pelatihan 3 Maret terlampir.")
    detail = h.services.tracker.get_agreement(OPERATOR, 1)
    done = next(m for m in detail.milestones if m.id == 10)
    assert done.status == "done" and done.updated_by == f"tg:{COORDINATOR}"
    assert h.api.problems() == []

    # Thursday: "Uji coba" is overdue; the finished milestone is not reminded again.
    before = len(h.api.sent(COORDINATOR))
    await deliver(h, TUESDAY_0900_WIB + timedelta(days=2))
    new = h.api.sent(COORDINATOR)[before:]
    assert len(new) == 1
    assert "Uji coba" in new[0].text and "Pelatihan staf" not in new[0].text


async def test_buttons_are_bound_to_their_recipient(reminded: BotHarness) -> None:
    h = reminded
    await deliver(h, TUESDAY_0900_WIB)
    [message] = [c for c in h.api.sent(COORDINATOR) if "Pelatihan staf" in c.text]
    await h.updates.press(ADMIN, message.button("Pelatihan")["callback_data"])
    assert h.api.of("answerCallbackQuery")[-1].params.get("show_alert") in (True, "true", "True")
    assert h.services.reminders.log(status="sent")


async def test_a_reminders_status_buttons_after_the_milestone_was_finished_show_it_now(
    reminded: BotHarness,
) -> None:
    h = reminded
    await deliver(h, TUESDAY_0900_WIB)
    [message] = [c for c in h.api.sent(COORDINATOR) if "Pelatihan staf" in c.text]
    await h.updates.press(COORDINATOR, message.button("Pelatihan")["callback_data"])
    menu = h.api.last(COORDINATOR)
    # An admin records it done from the server while the reminder sits in the chat.
    h.services.tracker.update_milestone(OPERATOR, 10, "done", agreement_id=1, note="BA no. 3")
    await h.updates.press(COORDINATOR, menu.button("Selesai")["callback_data"])
    assert "sudah berubah" in h.api.last(COORDINATOR).text
    await h.updates.press(COORDINATOR, menu.button("berjalan")["callback_data"])
    detail = h.services.tracker.get_agreement(OPERATOR, 1)
    done = next(m for m in detail.milestones if m.id == 10)
    assert done.status == "done" and done.evidence_note == "BA no. 3"
    assert h.api.problems() == []
