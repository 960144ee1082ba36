"""Reminder messages rendered for Telegram: texts, buttons, time zones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.views import reminders as views
from services.reminders import MilestoneContext, ReminderEntry, ReminderMessage, SnoozeView

AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB, 11:00 WIT


def entry(kind: str = "upcoming", *, tz: str = "Asia/Jakarta", **payload: object) -> ReminderEntry:
    return ReminderEntry(
        id=1,
        kind=kind,
        threshold=1,
        agreement_id=3,
        milestone_id=30,
        recipient="tg:5",
        telegram_id=5,
        region_code="91.71",
        language="en",
        due_on=date(2026, 3, 4),
        trigger_on=date(2026, 3, 3),
        payload={"agreement_title": "KB <Hayu>", "milestone_title": "Training", **payload},
        attempts=0,
        timezone=tz,
    )


def test_a_single_reminder_in_the_recipients_zone_with_its_four_buttons() -> None:
    message = views.render(ReminderMessage(5, "en", (entry(tz="Asia/Jayapura"),), AT))
    assert "KB &lt;Hayu&gt;" in message.text and "WIT" in message.text
    assert "4 Mar 2026" in message.text
    assert [b.action for row in message.buttons for b in row] == [
        "done",
        "progress",
        "blocked",
        "snooze",
    ]
    assert {(b.agreement_id, b.milestone_id) for row in message.buttons for b in row} == {(3, 30)}


def test_notices_and_digests_carry_no_buttons() -> None:
    notice = entry("undeliverable", original_kind="upcoming", reason="blocked")
    assert views.render(ReminderMessage(5, "en", (notice,), AT)).buttons == ()
    digest = entry("digest", region_name="Kota Jayapura", agreements=[])
    rendered = views.render(ReminderMessage(5, "en", (digest,), AT))
    assert rendered.buttons == () and rendered.kinds == ("digest",)


def test_an_undelivered_notice_says_how_to_send_it_again() -> None:
    notice = entry("undeliverable", original_kind="upcoming", reason="blocked", resend_id=41)
    single = views.render(ReminderMessage(5, "en", (notice,), AT)).text
    assert single.endswith("send it again: <code>/resend 41</code>")
    both = views.render(ReminderMessage(5, "en", (notice, replace(notice, id=2)), AT)).text
    assert both.count("; send again: <code>/resend 41</code>") == 2
    indonesian = views.render(ReminderMessage(5, "id", (replace(notice, language="id"),), AT))
    assert indonesian.text.endswith("kirim ulang: <code>/kirimulang 41</code>")
    # A notice recorded before the hint, or about a role nobody held, offers none.
    for bare in (entry("undeliverable", reason="blocked"), replace(notice, payload={})):
        text = views.render(ReminderMessage(5, "en", (bare,), AT)).text
        assert "/resend" not in text and "{resend}" not in text


def test_a_collapsed_reminder_offers_each_milestone_once() -> None:
    go_live = replace(entry("overdue", milestone_title="Go-live"), milestone_id=31)
    three = (entry(), entry("escalation"), go_live)
    message = views.render(ReminderMessage(5, "en", three, AT))
    assert message.kinds == ("upcoming", "escalation", "overdue")
    buttons = [b for row in message.buttons for b in row]
    assert [(b.action, b.milestone_id) for b in buttons] == [("open", 30), ("open", 31)]


def test_answers_to_the_buttons() -> None:
    snooze = SnoozeView(
        30, 3, 5, datetime(2026, 3, 6, 2, 0, tzinfo=UTC), "Training <1>", "Asia/Jayapura"
    )
    text = views.snoozed(snooze, "en")
    assert "Training &lt;1&gt;" in text and "6 Mar 2026" in text
    menu = views.milestone_menu(
        MilestoneContext(30, 3, "Training", "planned", None, "KB", ("32.73",)), 5, "id"
    )
    assert menu.telegram_id == 5 and len([b for row in menu.buttons for b in row]) == 4


def test_the_agreements_number_is_shown_only_when_it_has_one() -> None:
    numbered = views.render(ReminderMessage(5, "id", (entry(agreement_number="119/HK"),), AT))
    assert "KB &lt;Hayu&gt; (No. 119/HK)" in numbered.text
    unnumbered = views.render(ReminderMessage(5, "id", (entry(),), AT))
    assert "No." not in unnumbered.text and "KB &lt;Hayu&gt;\n" in unnumbered.text


def test_the_blocked_button_words_the_status_as_the_milestone_view_does() -> None:
    from bot.i18n import t

    for lang in ("id", "en"):
        message = views.render(ReminderMessage(5, lang, (replace(entry(), language=lang),), AT))
        labels = [b.label for row in message.buttons for b in row]
        assert t("milestone.mark_blocked", lang) in labels
