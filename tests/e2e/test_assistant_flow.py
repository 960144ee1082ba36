"""End to end: one assistant. Officials and coordinators ask about agreements in plain words,
mixed questions get the manual and the agreement, a coordinator asking about another region
learns nothing of it, and a trainer's reply answers the next official's paraphrase."""

from __future__ import annotations

from datetime import date

import pytest

from services import Services
from services.access import Operator
from services.tracker import AgreementDetail, NewAgreement, NewMilestone, NewParty
from tests.e2e.conftest import BANDUNG, KERINCI
from tests.e2e.harness import ADMIN, COORDINATOR, OFFICIAL, TRAINER, BotHarness

MOJOKERTO = "35.76"
SAROLANGUN = "15.03"
MEMPAWAH = "61.02"
SEED = Operator("test")

GAMPIL_GUIDE = """# Panduan Replikasi Gampil

## Memulai Gampil di daerah mitra

Daerah mitra yang ingin mulai memakai Gampil menyiapkan server dan domain, lalu memasang
aplikasi Gampil dari kode sumber yang diserahkan Kota Bandung. Setelah itu petugas perizinan
mengikuti pelatihan dua hari sebelum uji coba.
"""

HAYU_GUIDE = """# Panduan Hayu.Bdg

## Pendaftaran

Warga mendaftar di Hayu.Bdg dengan NIK dan nomor telepon; kode verifikasi dikirim lewat SMS.
"""


def agreement(
    services: Services,
    title: str,
    partner: str,
    *,
    apps: tuple[str, ...],
    signed_on: date | None,
    ends_on: date | None,
    milestones: tuple[NewMilestone, ...],
    coordinator: str | None = None,
    number: str | None = None,
) -> AgreementDetail:
    return services.tracker.add_agreement(
        SEED,
        NewAgreement(
            kind="kb",
            title=title,
            parties=(
                NewParty(BANDUNG, document_number=number),
                NewParty(partner, coordinator_name=coordinator, coordinator_contact="0812-1"),
            ),
            signed_on=signed_on,
            ends_on=ends_on,
            apps=apps,
            milestones=milestones,
        ),
    )


@pytest.fixture
def portfolio(bot_services: Services) -> dict[str, AgreementDetail]:
    """The issue's cast on Monday 2 March 2026: two Kerinci agreements, Mojokerto with late
    work, Sarolangun ending in 2027, Mempawah with a coordinator, a paper-only one."""
    s = bot_services
    return {
        "kerinci": agreement(
            s, "KB Replikasi Gampil Kerinci", KERINCI, apps=("Gampil",),
            signed_on=date(2026, 1, 5), ends_on=date(2031, 1, 5), number="119/KRC/2026",
            milestones=(
                NewMilestone("Server dan infrastruktur siap", due_on=date(2026, 3, 4)),
                NewMilestone("Go-live (operasional penuh)", due_on=date(2026, 8, 1), key="go_live"),
            ),
        ),
        "kerinci_old": agreement(
            s, "KB Hayu.Bdg Kerinci 2018", KERINCI, apps=("Hayu.Bdg",),
            signed_on=date(2018, 10, 30), ends_on=date(2023, 10, 30),
            milestones=(NewMilestone("Pelatihan pegawai", due_on=date(2019, 3, 1)),),
        ),
        "mojokerto": agreement(
            s, "KB e-RK Mojokerto", MOJOKERTO, apps=("e-RK",),
            signed_on=date(2025, 6, 1), ends_on=date(2030, 6, 1),
            milestones=(
                NewMilestone("Go-live (operasional penuh)", due_on=date(2025, 12, 1), key="go_live",
                             status="done", completed_on=date(2025, 11, 20)),
                NewMilestone("Laporan evaluasi", due_on=date(2026, 2, 1)),
            ),
        ),
        "sarolangun": agreement(
            s, "KB Sabilulungan Sarolangun", SAROLANGUN, apps=("Sabilulungan",),
            signed_on=date(2025, 3, 3), ends_on=date(2027, 3, 3),
            milestones=(NewMilestone("Penunjukan koordinator", due_on=date(2025, 3, 17)),),
        ),
        "mempawah": agreement(
            s, "KB Sabilulungan Mempawah", MEMPAWAH, apps=("Sabilulungan",),
            signed_on=date(2026, 2, 1), ends_on=date(2031, 2, 1), coordinator="Bu Yanti",
            milestones=(
                NewMilestone("Rencana kerja", due_on=date(2026, 3, 20)),
                NewMilestone("PKS ditandatangani", due_on=date(2026, 4, 1), key="pks_signed"),
            ),
        ),
    }  # fmt: skip


def text_of(exchange_messages: list[object]) -> str:
    return "\n".join(getattr(m, "text", "") or "" for m in exchange_messages)


ISSUE_QUESTIONS = [
    (
        "Perjanjian dengan Kerinci sudah sampai mana?",
        ["KB Replikasi Gampil Kerinci", "KB Hayu.Bdg Kerinci 2018",
         "Server dan infrastruktur siap", "harus bertindak"],
    ),
    ("Apa saja yang terlambat di Mojokerto?", ["Laporan evaluasi", "1 Feb 2026"]),
    ("Kapan kesepakatan dengan Sarolangun berakhir?", ["3 Mar 2027"]),
    ("Daerah mana saja yang sudah go-live e-RK?", ["Kota Mojokerto"]),
    ("Siapa koordinator Mempawah?", ["Bu Yanti", "0812-1"]),
    ("Tonggak apa yang jatuh tempo minggu ini?", ["Server dan infrastruktur siap", "4 Mar 2026"]),
    ("MoU mana yang hanya di atas kertas?", ["KB Sabilulungan Sarolangun"]),
    ("How many agreements expire next year?",
     ["Agreements ending", ": 1", "KB Sabilulungan Sarolangun"]),
]  # fmt: skip


@pytest.mark.parametrize(("question", "expected"), ISSUE_QUESTIONS)
async def test_the_issues_tracker_questions(
    bot: BotHarness, portfolio: dict[str, AgreementDetail], question: str, expected: list[str]
) -> None:
    asked = await bot.say(ADMIN, question)
    [reply] = asked.to(ADMIN.id)
    for part in expected:
        assert part in (reply.text or ""), (question, part, reply.text)
    labels = [b["text"] for b in reply.buttons()]
    assert any(label.startswith("📄 /mou") for label in labels)
    assert "📊 Linimasa" in labels or "📊 Timeline" in labels  # in the question's language


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("PKS dengan Mempawah sudah ditandatangani?", "Tahap PKS ditandatangani"),
        ("When will the PKS with Mempawah be signed?", "PKS signed"),
    ],
)
async def test_the_pks_of_a_kesepakatan_bersama_is_answered_by_its_milestone(
    bot: BotHarness, portfolio: dict[str, AgreementDetail], question: str, expected: str
) -> None:
    # No PKS with Mempawah is on record; its KB's "PKS signed" milestone is what is asked.
    asked = await bot.say(ADMIN, question)
    text = text_of(asked.to(ADMIN.id))
    assert expected in text and "KB Sabilulungan Mempawah" in text, text
    assert "PKS ditandatangani: " in text and "1 Apr 2026" in text


async def test_a_region_no_one_knows_is_said_back_in_the_askers_language(
    bot: BotHarness, portfolio: dict[str, AgreementDetail]
) -> None:
    # Before: no region was read, and every PKS of the portfolio was listed as the answer.
    asked = await bot.say(ADMIN, "Kapan PKS dengan Kabupaten Atlantis ditandatangani?")
    text = text_of(asked.to(ADMIN.id))
    assert "Daerah “Kabupaten Atlantis” tidak ada dalam daftar" in text, text
    assert "KB " not in text and "PKS " not in text, text
    # Named alone, as "kerinci gimana?" is: before, the knowledge base said it had nothing.
    asked = await bot.say(ADMIN, "Kabupaten Atlantis gimana?")
    text = text_of(asked.to(ADMIN.id))
    assert "Daerah “Kabupaten Atlantis” tidak ada dalam daftar" in text, text


async def test_the_answer_opens_the_agreement_and_its_next_milestone(
    bot: BotHarness, portfolio: dict[str, AgreementDetail]
) -> None:
    kerinci = portfolio["kerinci"]
    asked = await bot.say(COORDINATOR, "kerinci udah sampe mana ya?")
    [reply] = asked.to(COORDINATOR.id)
    assert "KB Replikasi Gampil Kerinci" in (reply.text or "")
    buttons = {b["text"]: b["callback_data"] for b in reply.buttons()}
    update = next(data for label, data in buttons.items() if label.startswith("✏️"))
    # the agreement (/mou ID) replaces the answer in place
    await bot.press(COORDINATOR, reply, data=buttons[f"📄 /mou {kerinci.id}"])
    assert "Tonggak" in (reply.text or "") and "Go-live" in (reply.text or "")
    # its next milestone, with the update dialog's actions (the coordinator's region is party)
    await bot.press(COORDINATOR, reply, data=update)
    assert "Server dan infrastruktur siap" in (reply.text or "")
    assert any("Selesai" in b["text"] for b in reply.buttons())


async def test_a_mixed_question_gets_the_manual_and_the_agreement(
    bot: BotHarness, portfolio: dict[str, AgreementDetail]
) -> None:
    await bot.upload(
        TRAINER, "panduan-gampil.md", GAMPIL_GUIDE.encode(), mime_type="text/markdown",
        caption="app=Gampil type=panduan",
    )  # fmt: skip
    asked = await bot.say(ADMIN, "Bagaimana Kerinci bisa mulai memakai Gampil?")
    text = text_of(asked.to(ADMIN.id))
    assert "[1]" in text and "Panduan Replikasi Gampil" in text  # the manual, cited
    assert "KB Replikasi Gampil Kerinci" in text  # the agreement that covers Gampil
    assert "Berikutnya: Server dan infrastruktur siap" in text
    assert "KB Hayu.Bdg Kerinci 2018" not in text  # not about Gampil


async def test_a_coordinator_asking_about_another_region_learns_nothing(
    bot: BotHarness, portfolio: dict[str, AgreementDetail]
) -> None:
    asked = await bot.say(COORDINATOR, "Apa saja yang terlambat di Kota Mojokerto?")
    [reply] = asked.to(COORDINATOR.id)
    text = reply.text or ""
    assert "Laporan evaluasi" not in text and "KB e-RK Mojokerto" not in text
    assert "Belum ada perjanjian dengan Kota Mojokerto yang dapat Anda lihat." in text
    # exactly what a region without any agreement gets
    absent = await bot.say(COORDINATOR, "Apa saja yang terlambat di Kabupaten Garut?")
    assert (absent.to(COORDINATOR.id)[0].text or "").replace("Kabupaten Garut", "X") == (
        text.replace("Kota Mojokerto", "X")
    )
    # an official's role sees no agreements at all
    official = await bot.say(OFFICIAL, "Apa saja yang terlambat di Kerinci?")
    assert "Server dan infrastruktur" not in (official.to(OFFICIAL.id)[0].text or "")


async def test_a_trainers_reply_answers_the_next_officials_paraphrase(bot: BotHarness) -> None:
    await bot.upload(
        TRAINER, "panduan-hayu.md", HAYU_GUIDE.encode(), mime_type="text/markdown",
        caption="app=Hayu.Bdg type=panduan",
    )  # fmt: skip
    asked = await bot.say(OFFICIAL, "Berapa biaya lisensi Hayu.Bdg untuk daerah mitra?")
    answer = asked.to(OFFICIAL.id)[-1]
    ask_trainer = next(b for b in answer.buttons() if "pelatih" in b["text"].lower())
    forwarded = await bot.press(OFFICIAL, answer, data=ask_trainer["callback_data"])
    question_for_trainer = forwarded.one(TRAINER.id)
    reply = await bot.say(
        TRAINER, "Tidak ada biaya lisensi; daerah menanggung server.", reply_to=question_for_trainer
    )
    [saved] = reply.to(TRAINER.id)
    assert "jawaban kurasi" in (saved.text or "")
    # the next official asks the same thing in other words
    later = await bot.say(ADMIN, "biaya lisensi Hayu.Bdg utk daerah mitra berapa ya?")
    text = text_of(later.to(ADMIN.id))
    assert "Jawaban pelatih" in text and "Budi" in text and "2 Mar 2026" in text
    assert "Tidak ada biaya lisensi; daerah menanggung server." in text
    [gap] = bot.services.gaps.gaps()
    assert gap.status == "answered"
