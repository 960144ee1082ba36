"""End to end: coordinators report progress on their agreements; /laporan sends charts."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from mou_tracker.schemas import (
    AgreementDetail,
    MilestoneView,
    NewAgreement,
    NewMilestone,
    NewParty,
)
from services import Services
from services.access import Operator
from tests.e2e.conftest import BANDUNG, KERINCI
from tests.e2e.harness import ADMIN, COORDINATOR, OFFICIAL, STRANGER, BotHarness
from tests.fakes.tracker import OPERATOR

MEMPAWAH = "61.02"
PNG = b"\x89PNG\r\n\x1a\n"


def seed(services: Services) -> tuple[AgreementDetail, AgreementDetail]:
    tracker = services.tracker
    kerinci = tracker.add_agreement(
        Operator("test"),
        NewAgreement(
            kind="pks",
            title="Replikasi Hayu.Bdg di Kabupaten Kerinci",
            parties=(
                NewParty(BANDUNG, document_number="PKS/12/2026"),
                NewParty(KERINCI, document_number="PKS/05/KRC/2026"),
            ),
            signed_on=date(2026, 1, 5),
            ends_on=date(2028, 1, 5),
            apps=("Hayu.Bdg",),
            milestones=(
                NewMilestone("Pelatihan admin", due_on=date(2026, 2, 15)),
                NewMilestone("Server siap", due_on=date(2026, 3, 20)),
                NewMilestone("Peluncuran", due_on=date(2026, 6, 1)),
            ),
        ),
    )
    mempawah = tracker.add_agreement(
        Operator("test"),
        NewAgreement(
            kind="pks",
            title="Replikasi Gampil di Kabupaten Mempawah",
            parties=(NewParty(BANDUNG), NewParty(MEMPAWAH)),
            signed_on=date(2026, 1, 10),
            apps=("Gampil",),
            milestones=(NewMilestone("Pelatihan", due_on=date(2026, 4, 1)),),
        ),
    )
    return kerinci, mempawah


def stored_milestone(bot: BotHarness, agreement_id: int, *, title: str) -> MilestoneView:
    """The milestone of that title as the tracker holds it now."""
    milestones = bot.services.tracker.get_agreement(OPERATOR, agreement_id).milestones
    return next(m for m in milestones if m.title == title)


@pytest.fixture
def agreements(bot_services: Services) -> tuple[AgreementDetail, AgreementDetail]:
    return seed(bot_services)


async def test_coordinator_marks_a_milestone_done_with_a_photo(
    bot: BotHarness, agreements: tuple[AgreementDetail, AgreementDetail]
) -> None:
    kerinci, _ = agreements
    listing = (await bot.say(COORDINATOR, "/mou")).one(COORDINATOR.id)
    assert "Kerinci" in (listing.text or "")
    assert "Mempawah" not in (listing.text or "")
    assert len(listing.buttons()) == 1

    await bot.press(COORDINATOR, listing, data=listing.buttons()[0]["callback_data"])
    assert "Pelatihan admin" in (listing.text or "")  # the list became the agreement
    await bot.press(COORDINATOR, listing, "Pelatihan admin")
    actions = listing.buttons()
    assert len(actions) >= 4  # in progress, done, blocked, back

    done = next(b for b in actions if b is actions[1])
    asked = await bot.press(COORDINATOR, listing, data=done["callback_data"])
    assert asked.to(COORDINATOR.id), "the bot asks for evidence"

    evidence = await bot.photo(COORDINATOR, PNG + b"foto", caption="Foto pelatihan 14 Feb")
    assert evidence.to(COORDINATOR.id) or listing.edits > 3
    milestone = stored_milestone(bot, kerinci.id, title="Pelatihan admin")
    assert milestone.status == "done"
    assert milestone.evidence_note == "Foto pelatihan 14 Feb"
    assert milestone.updated_by == f"tg:{COORDINATOR.id}"
    assert milestone.completed_on == date(2026, 3, 2)
    audit = bot.services.tracker.audit(OPERATOR, kerinci.id)
    assert any(e.actor == f"tg:{COORDINATOR.id}" and e.milestone_id == milestone.id for e in audit)

    # the photo itself is downloaded and kept under the data dir, named by its content hash
    digest = hashlib.sha256(PNG + b"foto").hexdigest()
    assert milestone.evidence_file == f"evidence/{digest[:2]}/{digest}.png"
    assert (bot.settings.data_dir / milestone.evidence_file).read_bytes() == PNG + b"foto"
    [kept] = bot.services.evidence.list_files(OPERATOR, kerinci.id)
    assert (kept.role, kept.milestone_id, kept.sha256) == ("evidence", milestone.id, digest)
    assert any(e.action == "file.evidence" and e.details["sha256"] == digest for e in audit)

    # and shown: the milestone lists it, and its button sends the photo back
    view = evidence.to(COORDINATOR.id)[-1]
    assert "bukti-" in (view.text or "") and "✅" in (view.text or "")
    show = next(b for b in view.buttons() if "📎" in b["text"])
    shown = await bot.press(COORDINATOR, view, data=show["callback_data"])
    [photo] = [m for m in shown.to(COORDINATOR.id) if m.kind == "photo"]
    assert photo.data == PNG + b"foto"


async def test_blocked_needs_a_reason_and_in_progress_is_one_press(
    bot: BotHarness, agreements: tuple[AgreementDetail, AgreementDetail]
) -> None:
    kerinci, _ = agreements
    server = next(m for m in kerinci.milestones if m.title == "Server siap")
    view = (await bot.say(COORDINATOR, f"/mou {kerinci.id}")).one(COORDINATOR.id)
    await bot.press(COORDINATOR, view, "Server siap")
    progress = view.buttons()[0]
    await bot.press(COORDINATOR, view, data=progress["callback_data"])
    assert (
        bot.services.tracker.get_agreement(OPERATOR, kerinci.id).milestones[1].status
        == "in_progress"
    )
    # The message now shows it in progress, with buttons made for that state.
    blocked = view.buttons()[2]
    await bot.press(COORDINATOR, view, data=blocked["callback_data"])
    await bot.say(COORDINATOR, "Anggaran server belum turun")
    after = next(
        m
        for m in bot.services.tracker.get_agreement(OPERATOR, kerinci.id).milestones
        if m.id == server.id
    )
    assert after.status == "blocked"
    assert after.blocked_reason == "Anggaran server belum turun"


async def test_other_regions_agreements_stay_hidden(
    bot: BotHarness, agreements: tuple[AgreementDetail, AgreementDetail]
) -> None:
    _, mempawah = agreements
    for user in (COORDINATOR, OFFICIAL, STRANGER):
        exchange = await bot.say(user, f"/mou {mempawah.id}")
        texts = " ".join(exchange.texts)
        assert "Mempawah" not in texts and "Gampil" not in texts
    assert (
        bot.services.tracker.get_agreement(OPERATOR, mempawah.id).milestones[0].status == "planned"
    )
    # the admin sees everything
    listing = (await bot.say(ADMIN, "/mou")).one(ADMIN.id)
    assert "Mempawah" in (listing.text or "") and "Kerinci" in (listing.text or "")


async def test_laporan_sends_the_timeline_chart(
    bot: BotHarness, agreements: tuple[AgreementDetail, AgreementDetail]
) -> None:
    exchange = await bot.say(COORDINATOR, "/laporan")
    photos = [m for m in exchange.to(COORDINATOR.id) if m.kind == "photo"]
    assert len(photos) == 1
    assert (photos[0].data or b"").startswith(PNG)
    assert "Kerinci" in (photos[0].text or "")
    assert bot.server.calls("sendPhoto", ok=True)[0].files["photo"].data.startswith(PNG)


async def test_laporan_for_an_admin_adds_the_portfolio(
    bot: BotHarness, agreements: tuple[AgreementDetail, AgreementDetail]
) -> None:
    exchange = await bot.say(ADMIN, "/laporan")
    photos = [m for m in exchange.to(ADMIN.id) if m.kind == "photo"]
    assert len(photos) == 1  # the portfolio
    choose = [m for m in exchange.to(ADMIN.id) if m.kind == "text"]
    assert choose and len(choose[-1].buttons()) == 2  # one timeline per agreement
    timeline = await bot.press(ADMIN, choose[-1], data=choose[-1].buttons()[0]["callback_data"])
    assert [m.kind for m in timeline.to(ADMIN.id)] == ["photo"]


@pytest.mark.parametrize("sent", ["note", "photo"])
async def test_evidence_sent_after_someone_else_recorded_the_milestone_is_not_recorded_over_it(
    bot: BotHarness, agreements: tuple[AgreementDetail, AgreementDetail], sent: str
) -> None:
    kerinci, _ = agreements
    training = next(m for m in kerinci.milestones if m.title == "Pelatihan admin")
    view = (await bot.say(COORDINATOR, f"/mou {kerinci.id}")).one(COORDINATOR.id)
    await bot.press(COORDINATOR, view, "Pelatihan admin")
    done = view.buttons()[1]
    asked = await bot.press(COORDINATOR, view, data=done["callback_data"])
    assert asked.to(COORDINATOR.id), "the bot asks for evidence"
    # While the coordinator writes, the other party's coordinator records it as blocked.
    bot.services.tracker.update_milestone(
        OPERATOR, training.id, "blocked", reason="Menunggu jadwal pelatih dari Bandung"
    )
    if sent == "note":
        reply = await bot.say(COORDINATOR, "Pelatihan sudah selesai 14 Feb, daftar hadir ada")
    else:
        reply = await bot.photo(COORDINATOR, PNG + b"hadir", caption="Daftar hadir")
    shown = reply.to(COORDINATOR.id)[-1]
    assert "sudah dicatat orang lain" in (shown.text or "")  # said, and shown as it is now
    assert "Menunggu jadwal pelatih dari Bandung" in (shown.text or "")
    after = stored_milestone(bot, kerinci.id, title=training.title)
    assert after.status == "blocked" and after.evidence_note is None
    assert bot.services.evidence.list_files(OPERATOR, kerinci.id) == []
    assert not list(bot.settings.data_dir.glob("evidence/**/*.png"))  # nor kept on disk
    # The dialog is over: the next message is a question again, not evidence.
    again = await bot.say(COORDINATOR, "Kerinci sudah sampai mana?")
    assert "Replikasi Hayu.Bdg" in (again.to(COORDINATOR.id)[-1].text or "")
    assert bot.services.tracker.get_agreement(OPERATOR, kerinci.id).milestones[0].status == (
        "blocked"
    )
