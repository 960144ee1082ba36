from __future__ import annotations

import html
from datetime import date

import pytest

from bot import callbacks
from services.access import Operator
from services.tracker import NewMilestone
from tests.bot.conftest import ADMIN, COORDINATOR, OFFICIAL, BotHarness
from tests.bot.service_fakes import FakeKnowledge
from tests.fakes.tracker import KERINCI, OPERATOR, SAROLANGUN, new_agreement

OTHER_COORDINATOR = 3100


@pytest.fixture
def agreement_ids(harness: BotHarness) -> tuple[int, int]:
    tracker = harness.services.tracker
    mine = tracker.add_agreement(Operator("test"), new_agreement())
    other = tracker.add_agreement(
        Operator("test"), new_agreement(title="KB Replikasi e-RK", parties=("32.73", SAROLANGUN))
    )
    harness.services.access.add_user(COORDINATOR, "coordinator", region_code=KERINCI, name="Eka")
    harness.services.access.add_user(
        OTHER_COORDINATOR, "coordinator", region_code=SAROLANGUN, name="Fajar"
    )
    return mine.id, other.id


async def test_coordinator_lists_only_their_agreements(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    await harness.updates.send(COORDINATOR, "/mou")
    reply = harness.api.last(COORDINATOR)
    assert "Hayu.Bdg" in reply.text and "e-RK" not in reply.text
    assert len(reply.buttons()) == 1
    await harness.updates.send(ADMIN, "/mou")
    assert len(harness.api.last(ADMIN).buttons()) == 2


async def test_mark_in_progress_then_done_with_evidence(
    fake_kb: FakeKnowledge, harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    up = harness.updates
    await up.send(COORDINATOR, "/mou")
    await up.press(COORDINATOR, harness.api.last(COORDINATOR).buttons()[0]["callback_data"])
    detail_message = harness.api.last(COORDINATOR)
    assert detail_message.method == "editMessageText"
    first_milestone = detail_message.buttons()[0]
    await up.press(COORDINATOR, first_milestone["callback_data"])
    milestone_menu = harness.api.last(COORDINATOR)
    await up.press(COORDINATOR, milestone_menu.button("berjalan")["callback_data"])
    detail = harness.services.tracker.get_agreement(OPERATOR, mine)
    first = detail.milestones[0]
    assert first.status == "in_progress" and first.updated_by == f"tg:{COORDINATOR}"

    # The message now shows it in progress, with buttons made for that.
    milestone_menu = harness.api.last(COORDINATOR)
    await up.press(COORDINATOR, milestone_menu.button("Selesai")["callback_data"])
    assert "bukti" in harness.api.last(COORDINATOR).text
    await up.send(COORDINATOR, "Berita acara serah terima ditandatangani 2 Maret.")
    first = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    assert first.status == "done"
    assert first.evidence_note == "Berita acara serah terima ditandatangani 2 Maret."
    assert "diperbarui" in harness.api.last(COORDINATOR).text
    assert harness.api.problems() == []
    # The dialog is over: the next text is a question again.
    await up.send(COORDINATOR, "Apa itu Hayu.Bdg?")
    assert harness.knowledge.asked[-1]["question"] == "Apa itu Hayu.Bdg?"


async def test_done_with_a_photo_and_blocked_with_reason(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    detail = harness.services.tracker.get_agreement(OPERATOR, mine)
    m1, m2 = detail.milestones[0], detail.milestones[1]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    up = harness.updates
    await up.press(
        COORDINATOR, signer.pack(COORDINATOR, callbacks.MILESTONE_DONE, mine, m1.id, m1.status)
    )
    harness.api.files["foto-bukti"] = b"\xff\xd8\xff\xe0foto"
    photo = [{"file_id": "foto-bukti", "file_unique_id": "fb", "width": 800, "height": 600}]
    await up.send(COORDINATOR, None, photo=photo, caption="Foto pelatihan")
    m1_after = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    assert m1_after.status == "done"
    assert (m1_after.evidence_file or "").startswith("evidence/")  # downloaded and kept
    assert harness.api.downloads
    await up.press(
        COORDINATOR, signer.pack(COORDINATOR, callbacks.MILESTONE_BLOCKED, mine, m2.id, m2.status)
    )
    await up.send(COORDINATOR, "Anggaran belum turun")
    m2_after = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[1]
    assert m2_after.status == "blocked" and m2_after.blocked_reason == "Anggaran belum turun"


async def test_cancel_leaves_the_milestone_unchanged(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    m1 = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    await harness.updates.press(
        COORDINATOR, signer.pack(COORDINATOR, callbacks.MILESTONE_BLOCKED, mine, m1.id, m1.status)
    )
    await harness.updates.send(COORDINATOR, "/batal")
    assert harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0].status == m1.status
    assert "Dibatalkan" in harness.api.last(COORDINATOR).text


async def test_coordinator_cannot_touch_another_regions_agreement(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    _, other = agreement_ids
    m1 = harness.services.tracker.get_agreement(OPERATOR, other).milestones[0]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    # Correctly signed for this user, but the agreement is not theirs: not found, not changed.
    await harness.updates.press(
        COORDINATOR,
        signer.pack(COORDINATOR, callbacks.MILESTONE_IN_PROGRESS, other, m1.id, m1.status),
    )
    assert harness.services.tracker.get_agreement(OPERATOR, other).milestones[0].status == m1.status
    alert = harness.api.of("answerCallbackQuery")[-1]
    assert "tidak ditemukan" in alert.params["text"]
    await harness.updates.send(COORDINATOR, f"/mou {other}")
    assert "tidak ditemukan" in harness.api.last(COORDINATOR).text


async def test_officials_have_no_agreements(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    await harness.updates.send(OFFICIAL, "/mou")
    text = harness.api.last(OFFICIAL).text
    assert "peran Anda" in text and "Hayu" not in text


async def test_report_sends_charts(harness: BotHarness, agreement_ids: tuple[int, int]) -> None:
    await harness.updates.send(COORDINATOR, "/laporan")
    photos = harness.api.of("sendPhoto")
    assert len(photos) == 1 and photos[0].chat_id == COORDINATOR  # one agreement: its timeline
    harness.api.clear()
    await harness.updates.send(ADMIN, "/laporan")
    assert len(harness.api.of("sendPhoto")) == 1  # the portfolio
    choose = harness.api.last(ADMIN)
    assert len(choose.buttons()) == 2
    await harness.updates.press(ADMIN, choose.buttons()[1]["callback_data"])
    assert len(harness.api.of("sendPhoto")) == 2
    assert harness.api.problems() == []


async def test_admin_portfolio_chart_is_drawn_per_region(
    harness: BotHarness, agreement_ids: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import charts

    seen: list[object] = []
    real = charts.portfolio_png

    def recording(report: object, **kwargs: object) -> bytes:
        seen.append(kwargs.get("agreements"))
        return real(report, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "portfolio_png", recording)
    await harness.updates.send(ADMIN, "/laporan")
    assert len(seen) == 1
    agreements = seen[0]
    assert isinstance(agreements, list) and {a.id for a in agreements} == set(agreement_ids)
    assert charts.health_by_region(agreements)  # one bar per partner region, not one for all


async def test_agreements_stay_out_of_group_chats(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    group = -100900
    await harness.updates.send(COORDINATOR, "/mou", chat_id=group)
    await harness.updates.send(ADMIN, "/laporan", chat_id=group)
    texts = [c.text for c in harness.api.sent(group)]
    assert len(texts) == 2 and all("obrolan pribadi" in t for t in texts)
    assert harness.api.of("sendPhoto") == []


async def test_long_lists_are_paged_worst_first(harness: BotHarness) -> None:
    tracker = harness.services.tracker
    for i in range(12):
        tracker.add_agreement(Operator("test"), new_agreement(title=f"KB Replikasi {i:02d}"))
    await harness.updates.send(ADMIN, "/mou")
    first = harness.api.last(ADMIN)
    assert "Halaman 1/2" in first.text
    assert len(first.buttons()) == 11  # ten agreements and ➡️
    await harness.updates.press(ADMIN, first.button("➡️")["callback_data"])
    second = harness.api.last(ADMIN)
    assert second.method == "editMessageText" and "Halaman 2/2" in second.text
    assert [b["text"] for b in second.buttons()][-1] == "⬅️"
    await harness.updates.press(ADMIN, second.buttons()[0]["callback_data"])
    detail = harness.api.last(ADMIN)
    await harness.updates.press(ADMIN, detail.button("Kembali")["callback_data"])
    assert "Halaman 1/2" in harness.api.last(ADMIN).text


async def test_a_button_for_an_agreement_that_is_gone_says_so(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    # The handler acknowledges the button first, then fails: the error cannot be a second
    # answer to the same button (Telegram refuses it), so it comes as a message.
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    await harness.updates.press(
        COORDINATOR, signer.pack(COORDINATOR, callbacks.AGREEMENT_OPEN, 999_999)
    )
    assert "999999" in harness.api.last(COORDINATOR).text
    assert [c.method for c in harness.api.calls[-2:]] == ["answerCallbackQuery", "sendMessage"]


@pytest.mark.parametrize("typed", ["-1", "1e5", "<b>x</b>", "0", "²"])
async def test_mou_with_something_that_is_not_a_number_says_so_instead_of_listing(
    harness: BotHarness, agreement_ids: tuple[int, int], typed: str
) -> None:
    await harness.updates.send(COORDINATOR, f"/mou {typed}")
    reply = harness.api.last(COORDINATOR)
    assert "bukan nomor perjanjian" in reply.text
    assert "Hayu.Bdg" not in reply.text and not reply.buttons()
    assert html.escape(typed, quote=False) in reply.text  # shown as typed, never as markup


async def test_mou_takes_a_hash_before_the_number(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    await harness.updates.send(COORDINATOR, f"/mou #{mine}")
    assert "Hayu.Bdg" in harness.api.last(COORDINATOR).text


async def test_a_chart_caption_of_astral_characters_stays_within_telegrams_limit(
    harness: BotHarness,
) -> None:
    # Telegram counts UTF-16 units: a title of mathematical letters (or emoji) is twice as
    # long to it as to Python, and the chart's caption repeats the title (within the 500
    # characters a title holds, nearly 1,000 units to Telegram).
    title = ("KB " + "𝐑𝐞𝐩𝐥𝐢𝐤𝐚𝐬𝐢 " * 55)[:500]
    agreement = harness.services.tracker.add_agreement(Operator("test"), new_agreement(title=title))
    await harness.updates.send(ADMIN, f"/laporan {agreement.id}")
    photos = harness.api.of("sendPhoto")
    assert len(photos) == 2  # the portfolio, then the agreement's timeline
    assert harness.api.problems() == []
    assert photos[1].text.endswith("…") and "𝐑𝐞𝐩𝐥𝐢𝐤𝐚𝐬𝐢" in photos[1].text


@pytest.mark.parametrize(
    "filename",
    ['Berita <acara> & "serah terima".pdf', '<a href="javascript:alert(1)">klik</a>.pdf'],
)
async def test_an_evidence_file_name_with_markup_is_shown_as_typed(
    harness: BotHarness, agreement_ids: tuple[int, int], filename: str
) -> None:
    """The file's name is text, not HTML: Telegram takes the message, and no link is made."""
    mine, _ = agreement_ids
    m1 = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    up = harness.updates
    await up.press(
        COORDINATOR, signer.pack(COORDINATOR, callbacks.MILESTONE_DONE, mine, m1.id, m1.status)
    )
    harness.api.files["berkas-bukti"] = b"%PDF-1.4 bukti"
    document = {"file_id": "berkas-bukti", "file_unique_id": "bb", "file_name": filename}
    await up.send(COORDINATOR, None, document=document)
    assert harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0].status == "done"
    shown = harness.api.last(COORDINATOR)
    assert harness.api.problems() == []
    assert html.escape(filename, quote=False) in shown.text
    assert "<a href" not in shown.text


async def test_an_evidence_file_name_with_control_characters_is_shown_as_kept(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    """A NUL or a right-to-left override in the name never reaches Telegram: the notice shows
    the name as it was kept."""
    mine, _ = agreement_ids
    m1 = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    up = harness.updates
    await up.press(
        COORDINATOR, signer.pack(COORDINATOR, callbacks.MILESTONE_DONE, mine, m1.id, m1.status)
    )
    harness.api.files["berkas-aneh"] = b"%PDF-1.4 bukti"
    name = "bukti\x00serah\u202eterima.pdf"
    document = {"file_id": "berkas-aneh", "file_unique_id": "ba", "file_name": name}
    await up.send(COORDINATOR, None, document=document)
    assert harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0].status == "done"
    shown = harness.api.last(COORDINATOR)
    assert harness.api.problems() == []
    assert "\x00" not in shown.text and "\u202e" not in shown.text
    assert "bukti" in shown.text and "terima.pdf" in shown.text


async def test_the_buttons_of_a_long_agreement_come_page_by_page(harness: BotHarness) -> None:
    many = tuple(NewMilestone(f"Tahap {i}", due_on=date(2026, 3, 1)) for i in range(105))
    long = harness.services.tracker.add_agreement(
        Operator("test"), new_agreement(template=None, milestones=many)
    )
    await harness.updates.send(ADMIN, f"/mou {long.id}")
    first = harness.api.last(ADMIN)
    milestone_buttons = [b["text"] for b in first.buttons() if "Tahap" in b["text"]]
    others = [b["text"] for b in first.buttons() if "Tahap" not in b["text"]]
    # the next page, back to the list and the report: no "previous" on the first page
    assert others == ["➡️", "⬅️ Kembali", "📊 Laporan"]
    assert len(milestone_buttons) == 25  # a page of milestones, not all 105
    assert first.button("Tahap 24") and not any("Tahap 25" in t for t in milestone_buttons)
    assert "Tahap 104" in first.text  # the text still lists every milestone
    assert harness.api.problems() == []
    await harness.updates.press(ADMIN, first.button("➡️")["callback_data"])
    second = harness.api.last(ADMIN)
    assert "Tahap 25" in second.button("Tahap 25")["text"]
    with pytest.raises(AssertionError):
        second.button("Tahap 0 ")  # the first page's buttons are gone
    assert harness.api.problems() == []


# --- buttons of an earlier message --------------------------------------------------------------


async def _milestone_menu(harness: BotHarness, mine: int, user: int = COORDINATOR):  # type: ignore[no-untyped-def]
    """The first milestone's message with its status buttons, as the user opened it."""
    m1 = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    await harness.updates.press(user, signer.pack(user, callbacks.MILESTONE_OPEN, mine, m1.id))
    return m1, harness.api.last(user)


async def test_an_earlier_messages_buttons_show_the_milestone_as_it_is_now(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    m1, earlier = await _milestone_menu(harness, mine)
    # Meanwhile another coordinator of the region records it done, with evidence.
    harness.services.tracker.update_milestone(
        OPERATOR, m1.id, "done", agreement_id=mine, note="BA serah terima no. 7"
    )
    for label in ("Selesai", "berjalan", "Terhambat"):
        await harness.updates.press(COORDINATOR, earlier.button(label)["callback_data"])
        shown = harness.api.last(COORDINATOR)
        assert "sudah berubah" in shown.text and "BA serah terima no. 7" in shown.text
        assert not [b for b in shown.buttons() if "Selesai" in b["text"]]  # done: no more
    after = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    assert after.status == "done" and after.evidence_note == "BA serah terima no. 7"
    # No dialog was opened: the next text is a question again, not evidence.
    await harness.updates.send(COORDINATOR, "Apa itu Hayu.Bdg?")
    assert harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0] == after
    assert harness.api.problems() == []


async def test_evidence_sent_after_someone_else_finished_the_milestone_is_not_recorded_twice(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    m1, menu = await _milestone_menu(harness, mine)
    await harness.updates.press(COORDINATOR, menu.button("Selesai")["callback_data"])
    assert "bukti" in harness.api.last(COORDINATOR).text
    harness.services.tracker.update_milestone(
        OPERATOR, m1.id, "done", agreement_id=mine, note="BA serah terima no. 7"
    )
    await harness.updates.send(COORDINATOR, "Foto pelatihan terlampir")
    after = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    assert after.evidence_note == "BA serah terima no. 7"
    shown = harness.api.last(COORDINATOR)
    assert "dicatat orang lain" in shown.text and "tidak dicatat" in shown.text
    audit = [e for e in harness.services.tracker.audit(OPERATOR, mine) if e.milestone_id == m1.id]
    assert len(audit) == 1


async def test_evidence_with_nothing_in_it_for_a_dropped_milestone_says_it_is_gone(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    # The milestone was removed while the user was typing, and what they sent holds no
    # evidence (a control character only): the milestone's absence is what they are told.
    mine, _ = agreement_ids
    m1, menu = await _milestone_menu(harness, mine)
    await harness.updates.press(COORDINATOR, menu.button("Selesai")["callback_data"])
    harness.services.tracker.drop_milestone(OPERATOR, m1.id)
    await harness.updates.send(COORDINATOR, "\x07")
    reply = harness.api.last(COORDINATOR).text
    assert f"#{m1.id}" in reply and "tidak ditemukan" in reply and "bukti" not in reply


async def test_the_same_button_pressed_twice_acts_once(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    _, menu = await _milestone_menu(harness, mine)
    data = menu.button("Terhambat")["callback_data"]
    await harness.updates.press(COORDINATOR, data)
    await harness.updates.send(COORDINATOR, "Anggaran belum turun")
    await harness.updates.press(COORDINATOR, data)  # replayed from the old message
    assert "sudah berubah" in harness.api.last(COORDINATOR).text
    await harness.updates.send(COORDINATOR, "Alasan lain")  # no dialog: not a reason
    after = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    assert after.status == "blocked" and after.blocked_reason == "Anggaran belum turun"


async def test_a_button_from_before_buttons_carried_the_state_only_shows_the_milestone(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    m1 = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    signer = harness.app.bot_data["sinergi"].signer  # type: ignore[attr-defined]
    for old in callbacks.UNVERSIONED_MILESTONE_BUTTONS:
        await harness.updates.press(COORDINATOR, signer.pack(COORDINATOR, old, mine, m1.id))
        shown = harness.api.last(COORDINATOR)
        assert "pesan lama" in shown.text and shown.button("Selesai")
    assert harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0] == m1


async def test_a_button_pressed_after_a_change_that_kept_the_status_shows_the_milestone(
    harness: BotHarness, agreement_ids: tuple[int, int]
) -> None:
    mine, _ = agreement_ids
    m1, menu = await _milestone_menu(harness, mine)
    await harness.updates.press(COORDINATOR, menu.button("Terhambat")["callback_data"])
    await harness.updates.send(COORDINATOR, "Anggaran belum turun")
    shown_blocked = harness.api.last(COORDINATOR)
    assert "Anggaran belum turun" in shown_blocked.text
    # Meanwhile someone else records another reason: still blocked, but not as shown.
    harness.services.tracker.update_milestone(
        OPERATOR, m1.id, "blocked", agreement_id=mine, reason="Server belum siap"
    )
    changed = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    for label in ("Terhambat", "Selesai", "berjalan"):
        await harness.updates.press(COORDINATOR, shown_blocked.button(label)["callback_data"])
        shown = harness.api.last(COORDINATOR)
        assert "sudah berubah" in shown.text and "Server belum siap" in shown.text
    await harness.updates.send(COORDINATOR, "Alasan lain")  # no dialog: not a reason
    assert harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0] == changed
    # The message now shown carries the milestone as it is: its buttons act.
    await harness.updates.press(COORDINATOR, shown.button("berjalan")["callback_data"])
    after = harness.services.tracker.get_agreement(OPERATOR, mine).milestones[0]
    assert after.status == "in_progress"
