"""The tracker's answer as the bot shows it: the first lines say what was asked and found."""

from __future__ import annotations

from datetime import date

import pytest

from bot.views.assistant import tracker_view
from mou_tracker.regions import RegionDirectory
from tests.mou_tracker.test_answers import KERINCI, agreement, ask, milestone


@pytest.fixture(scope="module")
def directory() -> RegionDirectory:
    return RegionDirectory.load()


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("Kapan PKS dengan Kerinci ditandatangani?", "id",
         "🔎 <b>Tahap PKS ditandatangani</b> dengan Kabupaten Kerinci:"),
        ("Has the PKS with Kerinci been signed?", "en", "PKS signed"),
    ],
)  # fmt: skip
def test_the_pks_asked_of_a_kb_is_shown_as_its_milestone(
    directory: RegionDirectory, question: str, lang: str, expected: str
) -> None:
    seen = [
        agreement(6, KERINCI, "on_track",
                  milestone(62, "PKS ditandatangani", date(2026, 4, 1), key="pks_signed"))
    ]  # fmt: skip
    text, _ = tracker_view(ask(question, directory, seen), lang)
    assert expected in text
    assert "PKS ditandatangani: " in text  # the milestone's own line
    assert "ditandatangani dengan Kabupaten Kerinci." not in text  # not "none signed"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "Tidak ada perjanjian dengan Kabupaten Kerinci yang cocok persis"),
        ("en", "No agreement with Kabupaten Kerinci matches that question exactly"),
    ],
)
def test_a_kind_no_agreement_has_is_said_without_a_blank_app(
    directory: RegionDirectory, lang: str, expected: str
) -> None:
    seen = [agreement(8, KERINCI, "on_track", kind="pks")]
    text, _ = tracker_view(ask("status KB dengan Kerinci", directory, seen), lang)
    assert expected in text and " -." not in text and "Perjanjian 8" in text


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("Kapan PKS dengan Kabupaten Atlantis ditandatangani?", "id",
         "Daerah “Kabupaten Atlantis” tidak ada dalam daftar"),
        ("When was the PKS with Kabupaten Atlantis signed?", "en",
         "“Kabupaten Atlantis” is not in the list of regencies"),
    ],
)  # fmt: skip
def test_a_region_no_directory_knows_is_said_back_not_answered_with_every_agreement(
    directory: RegionDirectory, question: str, lang: str, expected: str
) -> None:
    # Before: no region was read, so the whole portfolio's PKS were listed as the answer.
    seen = [agreement(8, KERINCI, "on_track", kind="pks")]
    text, rows = tracker_view(ask(question, directory, seen), lang)
    assert expected in text
    assert "Perjanjian 8" not in text and not rows


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("perjanjian dengan Kerinci yang macet apa?", "id",
         "Tidak ada tonggak yang ditandai terhambat dengan Kabupaten Kerinci; yang melewati"),
        ("Which agreements with Kerinci are stuck?", "en",
         "No milestone is marked blocked with Kabupaten Kerinci; these are past their due"),
    ],
)  # fmt: skip
def test_what_is_stuck_shows_the_late_milestones_when_none_is_marked_blocked(
    directory: RegionDirectory, question: str, lang: str, expected: str
) -> None:
    seen = [agreement(1, KERINCI, "overdue", milestone(11, "Pelatihan", date(2026, 2, 1)))]
    text, rows = tracker_view(ask(question, directory, seen), lang)
    first, second = text.splitlines()[:2]
    assert expected in first and "1" in second and "Pelatihan" in text and rows


def test_a_region_that_exists_beside_one_that_does_not_is_answered(
    directory: RegionDirectory,
) -> None:
    # Before: "Kabupaten Atlantis" was said back and Kerinci's agreements were left out.
    seen = [agreement(8, KERINCI, "on_track")]
    found = ask("status MoU Kerinci dan Kabupaten Atlantis", directory, seen)
    assert found.unknown_regions == ("Kabupaten Atlantis",) and found.agreement_ids == (8,)
    text, rows = tracker_view(found, "id")
    first = text.splitlines()[0]
    assert "“Kabupaten Atlantis” tidak ada dalam daftar" in first
    assert "Perjanjian 8" in text and rows
