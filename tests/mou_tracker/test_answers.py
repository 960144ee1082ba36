"""The tracker's answers, as pure rules over the views the asker sees."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from mou_tracker.answers import answer, narrow_regions
from mou_tracker.questions import read_question
from mou_tracker.regions import RegionDirectory
from mou_tracker.schemas import AgreementDetail, MilestoneView, PartyView

TODAY = date(2026, 3, 4)
BANDUNG = PartyView("32.73", "Kota Bandung", "city", "Asia/Jakarta")
KERINCI = PartyView(
    "15.01", "Kabupaten Kerinci", "regency", "Asia/Jakarta", coordinator_name="Sari",
    coordinator_contact="0812",
)  # fmt: skip
MOJOKERTO = PartyView("35.76", "Kota Mojokerto", "city", "Asia/Jakarta")
TASIK_REGENCY = PartyView("32.06", "Kabupaten Tasikmalaya", "regency", "Asia/Jakarta")
TASIK_CITY = PartyView("32.78", "Kota Tasikmalaya", "city", "Asia/Jakarta")


def milestone(
    mid: int, title: str, due: date | None, status: str = "planned", key: str = ""
) -> MilestoneView:
    overdue = status != "done" and due is not None and due < TODAY
    return MilestoneView(
        mid, 0, key or f"k{mid}", title, mid, due, status, None, None, None, None, None,
        "server mati" if status == "blocked" else None, None, None, overdue,
    )  # fmt: skip


def agreement(
    aid: int,
    partner: PartyView,
    health: str,
    *milestones: MilestoneView,
    apps: tuple[str, ...] = ("Gampil",),
    ends_on: date | None = date(2030, 1, 1),
    kind: str = "kb",
) -> AgreementDetail:
    return AgreementDetail(
        id=aid, kind=kind, number=f"{aid}/2026", title=f"Perjanjian {aid}",
        parties=(BANDUNG, partner), signed_on=date(2025, 1, 1), ends_on=ends_on, status="active",
        health=health, renewal_due=False, apps=apps, owner_region_code="32.73",
        milestones=tuple(milestones),
    )  # fmt: skip


SEEN = [
    agreement(1, KERINCI, "overdue", milestone(11, "Pelatihan", date(2026, 2, 1)),
              milestone(12, "Go-live", date(2026, 6, 1), key="go_live")),
    agreement(2, KERINCI, "expired", milestone(21, "Server siap", date(2019, 1, 1)),
              ends_on=date(2023, 10, 30), apps=("Hayu.Bdg",)),
    agreement(3, MOJOKERTO, "at_risk", milestone(31, "Server siap", date(2026, 3, 6)),
              milestone(32, "Go-live", date(2025, 1, 1), "done", key="go_live"), apps=("e-RK",),
              ends_on=date(2027, 1, 5)),
    agreement(4, TASIK_REGENCY, "on_track",
              milestone(41, "Instalasi", date(2026, 5, 1), "blocked")),
    agreement(5, TASIK_CITY, "on_track", milestone(51, "Instalasi", date(2026, 7, 1))),
]  # fmt: skip


@pytest.fixture(scope="module")
def directory() -> RegionDirectory:
    return RegionDirectory.load()


def ask(text: str, directory: RegionDirectory, seen: Sequence[AgreementDetail] = SEEN):  # type: ignore[no-untyped-def]
    question = read_question(
        text, regions=directory, apps=("Gampil", "e-RK", "Hayu.Bdg"), today=TODAY,
        home_regions=("32.73",),
    )  # fmt: skip
    by_id = {a.id: a for a in seen}
    return answer(
        question, seen, lambda ids: [by_id[i] for i in ids if i in by_id], today=TODAY,
        home_regions=("32.73",), contacts_of=lambda code: ("Rudi",) if code == "15.01" else (),
    )  # fmt: skip


def test_a_name_of_two_regions_is_a_choice_when_both_have_agreements(
    directory: RegionDirectory,
) -> None:
    found = ask("tasik gimana?", directory)
    [choice] = found.choices
    assert [code for code, _ in choice.candidates] == ["32.06", "32.78"] and found.items == ()
    # only one of them seen: settled by the agreements, and said so
    settled = ask("tasik gimana?", directory, SEEN[:4])
    assert settled.settled == (("tasik", "Kabupaten Tasikmalaya"),)
    assert settled.agreement_ids == (4,)


def test_nothing_seen_for_a_region(directory: RegionDirectory) -> None:
    reading = narrow_regions(
        read_question("status Kab. Garut", regions=directory, apps=(), today=TODAY), SEEN
    )
    assert reading.nothing_for == ("Kabupaten Garut",)


def test_status_lists_worst_first_with_the_next_milestone(directory: RegionDirectory) -> None:
    found = ask("Perjanjian dengan Kerinci sudah sampai mana?", directory)
    assert found.agreement_ids == (1, 2)  # overdue before expired
    first = found.items[0]
    assert first.next_milestone is not None and first.next_milestone.title == "Pelatihan"
    assert first.must_act == ("Kota Bandung", "Kabupaten Kerinci")


def test_overdue_leaves_out_agreements_that_ended(directory: RegionDirectory) -> None:
    found = ask("Apa saja yang terlambat di Kerinci?", directory)
    assert found.agreement_ids == (1,) and found.milestone_total == 1


def test_due_this_week_and_blocked(directory: RegionDirectory) -> None:
    due = ask("Tonggak apa yang jatuh tempo minggu ini?", directory)
    assert [m.title for i in due.items for m in i.milestones] == ["Server siap"]
    assert due.window is not None and due.window.name == "this_week"
    blocked = ask("Tonggak mana yang terhambat?", directory)
    assert [m.blocked_reason for i in blocked.items for m in i.milestones] == ["server mati"]


def test_asked_what_is_stuck_when_nothing_is_marked_blocked_the_late_ones_answer(
    directory: RegionDirectory,
) -> None:
    # "No milestone blocked" alone read as "nothing is stuck" while Kerinci's training was a
    # month late.
    stuck = ask("perjanjian mana yang macet?", directory, SEEN[:3])
    assert (stuck.intent, stuck.none_blocked) == ("overdue", True)
    assert stuck.agreement_ids == (1,) and stuck.milestone_total == 1
    # Something marked blocked is the answer as before, and nothing late: nothing at all.
    assert ask("perjanjian mana yang macet?", directory).none_blocked is False
    calm = ask("yang macet apa?", directory, SEEN[2:3])
    assert (calm.intent, calm.none_blocked, calm.items) == ("blocked", False, ())


def test_ending_within_a_window_and_counted(directory: RegionDirectory) -> None:
    found = ask("How many agreements expire next year?", directory)
    assert found.counting and found.agreement_ids == (3,) and found.total == 1


def test_which_regions_reached_a_stage(directory: RegionDirectory) -> None:
    found = ask("Daerah mana saja yang sudah go-live e-RK?", directory)
    assert found.stage_done == ("Kota Mojokerto",) and found.agreement_ids == (3,)


def test_who_coordinates(directory: RegionDirectory) -> None:
    found = ask("Siapa koordinator Kerinci?", directory)
    contacts = [c for i in found.items for c in i.contacts]
    assert {(c.region, c.name, c.contact, c.users) for c in contacts} == {
        ("Kabupaten Kerinci", "Sari", "0812", ("Rudi",))
    }


def test_an_app_no_agreement_covers_shows_the_regions_others(directory: RegionDirectory) -> None:
    found = ask("Bagaimana status e-RK di Kerinci?", directory)
    assert found.relaxed and found.agreement_ids == (1, 2)
    precise = ask("Bagaimana status Gampil di Kerinci?", directory)
    assert not precise.relaxed and precise.agreement_ids == (1,)


def test_the_pks_of_a_kesepakatan_bersama_is_its_milestone(directory: RegionDirectory) -> None:
    seen = [
        agreement(6, KERINCI, "on_track",
                  milestone(61, "Rencana kerja", date(2026, 3, 1), "done", key="work_plan"),
                  milestone(62, "PKS ditandatangani", date(2026, 4, 1), key="pks_signed")),
        agreement(7, MOJOKERTO, "on_track",
                  milestone(71, "Penandatanganan PKS", date(2026, 5, 1), "done")),
    ]  # fmt: skip
    # No PKS with Kerinci is recorded: the KB's "PKS signed" milestone answers, not "no
    # agreement signed with Kerinci".
    for text in ("Kapan PKS dengan Kerinci ditandatangani?", "sudah ada PKS dengan Kerinci?"):
        found = ask(text, directory, seen)
        assert found.intent == "stage" and found.stage == "pks_signed", text
        assert [m.title for i in found.items for m in i.milestones] == ["PKS ditandatangani"]
    # a custom step that names the PKS is no signing of it where the template's milestone is
    drafted = agreement(
        9,
        TASIK_CITY,
        "on_track",
        milestone(91, "Penyusunan draf PKS", date(2026, 3, 20), "done"),
        milestone(92, "PKS ditandatangani", date(2026, 4, 1), key="pks_signed"),
    )
    found = ask("Kapan PKS dengan Kota Tasikmalaya ditandatangani?", directory, [*seen, drafted])
    assert [m.title for i in found.items for m in i.milestones] == ["PKS ditandatangani"]
    # a milestone of another template is found by its title
    mojokerto = ask("PKS dengan Mojokerto sudah ditandatangani?", directory, seen)
    assert [m.title for i in mojokerto.items for m in i.milestones] == ["Penandatanganan PKS"]
    # a PKS on record is the agreement asked about
    pks = agreement(8, KERINCI, "on_track", kind="pks")
    found = ask("Kapan PKS dengan Kerinci ditandatangani?", directory, [*seen, pks])
    assert found.intent == "signed" and found.agreement_ids == (8,)
    # a window or a stage asks something else: no fallback
    windowed = ask("PKS apa yang ditandatangani tahun 2025?", directory, seen)
    assert windowed.intent == "signed" and windowed.items == ()


def test_a_kind_no_agreement_has_shows_the_regions_others(directory: RegionDirectory) -> None:
    seen = [agreement(8, KERINCI, "on_track", kind="pks")]
    found = ask("status KB dengan Kerinci", directory, seen)
    assert found.relaxed and found.agreement_ids == (8,) and found.apps == ()


def test_agreements_keep_the_answers_order_whatever_order_they_load_in(
    directory: RegionDirectory,
) -> None:
    seen = [
        agreement(1, KERINCI, "expired", milestone(11, "Go-live", date(2019, 1, 1), key="go_live"),
                  ends_on=date(2023, 10, 30)),
        agreement(2, KERINCI, "overdue", milestone(21, "Go-live", date(2026, 1, 1), key="go_live")),
    ]  # fmt: skip
    by_id = {a.id: a for a in seen}

    def by_id_order(ids: Sequence[int]) -> list[AgreementDetail]:  # as the database returns
        return [by_id[i] for i in sorted(ids) if i in by_id]

    asked = (
        "Siapa koordinator Kerinci?",
        "Kapan go-live di Kerinci?",
        "Daerah mana saja yang sudah go-live Gampil?",
        "Kerinci sampai mana?",
    )
    for text in asked:
        question = read_question(
            text, regions=directory, apps=("Gampil",), today=TODAY, home_regions=("32.73",)
        )
        found = answer(question, seen, by_id_order, today=TODAY, home_regions=("32.73",))
        assert found.agreement_ids == (2, 1), text  # the late one before the one that ended


def test_an_acronym_written_with_dots_is_the_acronym(directory: RegionDirectory) -> None:
    """ "P.K.S" was read as three one-letter words: no kind, and the KB's own signing date
    answered a question about its PKS."""
    seen = [
        agreement(6, KERINCI, "on_track",
                  milestone(62, "PKS ditandatangani", date(2026, 4, 1), key="pks_signed")),
    ]  # fmt: skip
    for text in (
        "Kapan P.K.S dengan Kerinci ditandatangani?",
        "p.k.s. Kerinci sudah ditandatangani?",
    ):
        found = ask(text, directory, seen)
        assert found.intent == "stage" and found.stage == "pks_signed", text
        assert [m.title for i in found.items for m in i.milestones] == ["PKS ditandatangani"]
    pks = agreement(8, KERINCI, "on_track", kind="pks")
    dotted = ask("Kapan P.K.S dengan Kerinci ditandatangani?", directory, [*seen, pks])
    assert dotted.agreement_ids == (8,)
    # one letter and a word, or a version number, stay as written
    question = read_question(
        "status S.Kom v1.2.3", regions=directory, apps=(), today=TODAY, home_regions=()
    )
    assert question.kind is None
