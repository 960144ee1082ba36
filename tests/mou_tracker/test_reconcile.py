"""Which stored agreement a re-imported row is, and what an update would change (pure rules)."""

from __future__ import annotations

from datetime import date
from functools import cache

import pytest

from mou_tracker.importer import ParsedImport, parse_rows, split_positional
from mou_tracker.reconcile import (
    StoredAgreement,
    StoredParty,
    lookups,
    reconcile,
)
from mou_tracker.regions import RegionDirectory
from mou_tracker.templates import TemplateLibrary
from tests.fakes.tracker import BANDUNG, KERINCI

HEADER = ["id", "jenis", "nomor", "judul", "para_pihak", "tanggal_ttd", "status", "template"]
PARTIES = "Kota Bandung; Kabupaten Kerinci"


@cache
def regions() -> RegionDirectory:
    return RegionDirectory.load()


def parsed(*rows: list[str], header: list[str] = HEADER) -> ParsedImport:
    result = parse_rows([header, *rows], regions(), TemplateLibrary())
    assert not result.problems, result.problems
    return result


def stored(
    agreement_id: int, *, numbers: tuple[str | None, ...] = (None, None), **kw: object
) -> StoredAgreement:
    values: dict[str, object] = {
        "kind": "kb",
        "title": "KB Hayu",
        "status": "active",
        "signed_on": date(2025, 1, 6),
        "template": "app-replication",
        "milestone_keys": ("coordinators", "work_plan"),
        "done_keys": frozenset({"coordinators"}),
    }
    values.update(kw)
    parties = (
        StoredParty(BANDUNG, "Kota Bandung", numbers[0]),
        StoredParty(KERINCI, "Kabupaten Kerinci", numbers[1]),
    )
    return StoredAgreement(id=agreement_id, parties=parties, **values)  # type: ignore[arg-type]


def test_positional_lists_keep_each_value_with_its_party() -> None:
    assert split_positional("; 42") == ["", "42"]
    assert split_positional("a;b;") == ["a", "b"]
    assert split_positional("  ") == []
    row = parsed(["", "KB", "; 42/HK", "KB Hayu", PARTIES, "2025-01-06", "", ""]).rows[0]
    assert [p.document_number for p in row.agreement.parties] == [None, "42/HK"]
    assert row.agreement.import_key == "kb:42/hk"


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5", "9" * 20, "١٢"])
def test_an_id_is_a_positive_database_integer(value: str) -> None:
    result = parse_rows(
        [HEADER, [value, "KB", "", "KB Hayu", PARTIES, "2025-01-06", "", ""]],
        regions(),
        TemplateLibrary(),
    )
    assert [(p.column, p.code) for p in result.problems] == [("id", "import.bad_id")]


def test_blank_status_and_template_leave_them_a_blank_end_date_clears_it() -> None:
    header = [*HEADER, "tanggal_berakhir"]
    file = parsed(["7", "KB", "", "KB Hayu", PARTIES, "2025-01-06", "", "", ""], header=header)
    agreement = stored(7, ends_on=date(2030, 1, 6))
    result = reconcile(file, stored={7: agreement}, by_key={}, by_number={}, parents={})
    assert result.problems == ()
    (update,) = result.updates
    assert [(c.field, c.before, c.after) for c in update.changes] == [
        ("ends_on", "2030-01-06", None)
    ]


def test_a_number_held_by_two_agreements_needs_the_id() -> None:
    file = parsed(["", "KB", "1/HK", "KB Hayu", PARTIES, "2025-01-06", "", ""])
    found = lookups(file)
    assert found.numbers == {"1/hk"} and found.kind_dates == frozenset()
    result = reconcile(
        file,
        stored={3: stored(3), 4: stored(4)},
        by_key={},
        by_number={("kb", "1/hk"): {3, 4}},
        parents={},
    )
    assert [(p.column, p.code, p.params) for p in result.problems] == [
        ("number", "import.number_ambiguous", {"ids": "#3, #4"})
    ]


def test_an_edited_number_that_is_another_agreements_is_refused() -> None:
    file = parsed(["3", "KB", "9/HK", "KB Hayu", PARTIES, "2025-01-06", "", ""])
    result = reconcile(
        file,
        stored={3: stored(3, numbers=("1/HK", None)), 9: stored(9, numbers=("9/HK", None))},
        by_key={"kb:9/hk": 9},
        by_number={("kb", "9/hk"): {9}},
        parents={},
    )
    assert [(p.code, p.params) for p in result.problems] == [
        ("import.same_as_other", {"id": 3, "other": 9})
    ]
    assert result.updates == ()


def test_a_lookalike_is_refused_only_in_files_without_ids_and_only_once_claimed() -> None:
    header = HEADER[1:]
    edited = parsed(["KB", "", "KB Hayu baru", PARTIES, "2025-01-06", "", ""], header=header)
    assert lookups(edited).kind_dates == {("kb", date(2025, 1, 6))}
    result = reconcile(edited, stored={5: stored(5)}, by_key={}, by_number={}, parents={})
    assert [(p.code, p.params) for p in result.problems] == [
        ("import.looks_like", {"id": 5, "title": "KB Hayu"})
    ]
    # A stored agreement with a number is not a lookalike: the number is its identity.
    numbered = {5: stored(5, numbers=("1/HK", None))}
    assert reconcile(edited, stored=numbered, by_key={}, by_number={}, parents={}).problems == ()
    # Both rows present (one unchanged, claiming agreement 5): the other one is new.
    both = parsed(
        ["KB", "", "KB Hayu", PARTIES, "2025-01-06", "", ""],
        ["KB", "", "KB Hayu baru", PARTIES, "2025-01-06", "", ""],
        header=header,
    )
    key = both.rows[0].agreement.import_key
    assert key is not None
    result = reconcile(both, stored={5: stored(5)}, by_key={key: 5}, by_number={}, parents={})
    assert result.problems == () and result.matched == {2: 5}


def test_done_steps_are_only_ever_added() -> None:
    header = [*HEADER, "tahap_selesai"]
    file = parsed(
        ["7", "KB", "", "KB Hayu", PARTIES, "2025-01-06", "", "", "work_plan"], header=header
    )
    (update,) = reconcile(file, stored={7: stored(7)}, by_key={}, by_number={}, parents={}).updates
    assert update.done_keys == ("work_plan",)
    assert [(c.field, c.before, c.after) for c in update.changes] == [
        ("done", "coordinators", "coordinators; work_plan")
    ]
    assert update.fields == ()
