"""Routing accuracy on the labelled questions holds its floor, per class and per split.

The set (``tests/data/assistant/questions.jsonl``) was written before the recogniser: tracker,
knowledge, mixed, small talk and off-topic questions in formal and chat Indonesian and in
English, with typos and every region form. ``dev`` tuned the rules; ``heldout`` and
``heldout-2`` were kept aside (their first runs: 0.963 and 0.907, see docs/benchmarks.md);
``heldout-3`` was written after the rules were final and never tuned on (0.950 at its first
run). ``bench/routing.py`` prints the figures. The floor holds per split; the per-class floor
holds over the whole set (a split's eight mixed questions are too few for a per-class rate).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from mou_tracker.regions import RegionDirectory
from services.routing import ROUTES, route

DATA = Path(__file__).parents[1] / "data" / "assistant" / "questions.jsonl"
APPS = ("Hayu.Bdg", "Gampil", "e-RK", "Sabilulungan", "e-budgeting")
TODAY = date(2026, 11, 23)
#: Below these the recogniser has regressed (the figures today are higher; see the module doc).
FLOOR = 0.95
CLASS_FLOOR = 0.9


def load() -> list[dict[str, str]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]


def test_the_set_is_large_and_varied() -> None:
    rows = load()
    assert len(rows) >= 200
    assert len({r["q"] for r in rows}) == len(rows)
    assert set(Counter(r["route"] for r in rows)) == set(ROUTES)
    assert {r["lang"] for r in rows} == {"id", "en"}
    assert {r["style"] for r in rows} == {"formal", "informal"}
    assert {r["split"] for r in rows} == {"dev", "heldout", "heldout-2", "heldout-3"}


@pytest.mark.parametrize("split", ["dev", "heldout", "heldout-2", "heldout-3"])
def test_routing_accuracy_holds_its_floor(split: str) -> None:
    rows = [r for r in load() if r["split"] == split]
    right, _total, wrong = _score(rows)
    assert sum(right.values()) / len(rows) >= FLOOR, wrong


def test_every_class_holds_its_floor_over_the_set() -> None:
    right, total, wrong = _score(load())
    for name in total:
        assert right[name] / total[name] >= CLASS_FLOOR, (name, wrong)


def _score(
    rows: list[dict[str, str]],
) -> tuple[Counter[str], Counter[str], list[tuple[str, str, str]]]:
    directory = RegionDirectory.load()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong = []
    for row in rows:
        got = route(row["q"], regions=directory, apps=APPS, today=TODAY, home_regions=("32.73",))
        total[row["route"]] += 1
        if got.route == row["route"]:
            right[row["route"]] += 1
        else:
            wrong.append((row["q"], row["route"], got.route))
    return right, total, wrong


@pytest.mark.parametrize(
    "text", ["Kabupaten Atlantis gimana?", "kalau Kota Xyzabad?", "How about Kabupaten Atlantis?"]
)
def test_a_region_no_directory_knows_named_alone_goes_to_the_tracker(text: str) -> None:
    # "Kerinci gimana?" asks how things stand there; so does a name the directory lacks, and
    # the tracker's answer says it knows no such region (before: the knowledge base's refusal).
    got = route(text, regions=RegionDirectory.load(), apps=APPS, today=TODAY)
    assert got.route == "tracker"
    assert got.tracker.unknown_regions


def test_a_region_no_directory_knows_amid_other_words_is_not_the_trackers_alone() -> None:
    got = route(
        "Apakah Kabupaten Atlantis punya pantai yang indah?",
        regions=RegionDirectory.load(),
        apps=APPS,
        today=TODAY,
    )
    assert got.route != "tracker"


@pytest.mark.parametrize(
    "text",
    [
        "kerja sama dengan Kabupaten {} gimana?",
        "perkembangan Kabupaten {}?",
        "progres Kabupaten {}?",
    ],
)
def test_a_region_no_directory_knows_goes_where_a_known_one_goes(text: str) -> None:
    # With Kerinci these are the tracker's; with a name the directory lacks they went to the
    # knowledge base (or nowhere), which knows nothing of regions, instead of the tracker's
    # "no such region".
    directory = RegionDirectory.load()
    known = route(text.format("Kerinci"), regions=directory, apps=APPS, today=TODAY)
    unknown = route(text.format("Atlantis"), regions=directory, apps=APPS, today=TODAY)
    assert known.route == "tracker"
    assert unknown.route == "tracker" and unknown.tracker.unknown_regions == ("Kabupaten Atlantis",)
