"""Plans the tracker writes: a new agreement's rows, a milestone's place, an import's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from mou_tracker.importer import ParsedImport, ParsedRow
from mou_tracker.planning import (
    ImportStep,
    plan_agreement,
    plan_import,
    plan_insertion,
)
from mou_tracker.schemas import ImportProblem, NewMilestone, NewParty
from mou_tracker.templates import TemplateLibrary
from mou_tracker.validation import CheckedAgreement
from tests.fakes.tracker import BANDUNG, KERINCI, new_agreement

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CHECKED = CheckedAgreement("active", BANDUNG, (BANDUNG, KERINCI))


def test_template_steps_then_given_milestones() -> None:
    template = TemplateLibrary().get("app-replication")
    data = new_agreement(
        title="  KB   Replikasi Hayu.Bdg ",
        numbers=("119/HK/2026", "180/45/HK/2026"),
        done_keys=("coordinators",),
        milestones=(NewMilestone("Sosialisasi ke OPD", due_on=date(2026, 4, 1)),),
        parent_id=3,
    )
    plan = plan_agreement(
        data, CHECKED, template=template, actor="cli", now=NOW, language="id", parent_id=None
    )
    assert plan.title == "KB Replikasi Hayu.Bdg" and plan.parent_id == 3
    assert plan.template == "app-replication" and plan.status == "active"
    first, *_, extra = plan.milestones
    assert (first.key, first.status, first.updated_by, first.updated_at) == (
        "coordinators",
        "done",
        "cli",
        NOW,
    )
    assert all(m.status == "planned" and m.updated_by is None for m in plan.milestones[1:-1])
    assert (extra.key, extra.position, extra.updated_by) == ("sosialisasi_ke_opd", 12, "cli")
    assert [p.position for p in plan.parties] == [1, 2]
    assert plan.parties[0].document_number == "119/HK/2026"
    # An import's resolved parent wins over the one given.
    resolved = plan_agreement(
        data, CHECKED, template=None, actor="cli", now=NOW, language="id", parent_id=9
    )
    assert resolved.parent_id == 9 and resolved.template is None
    assert [m.key for m in resolved.milestones] == ["sosialisasi_ke_opd"]


def test_empty_party_fields_and_app_names_are_dropped() -> None:
    data = replace(
        new_agreement(apps=(" Gampil ", "  ")),
        parties=(NewParty(BANDUNG, signatory="  "), NewParty(KERINCI)),
    )
    plan = plan_agreement(data, CHECKED, template=None, actor="cli", now=NOW, language="en")
    assert plan.apps == ("Gampil",)
    assert plan.parties[0].signatory is None


def test_a_new_milestone_goes_last_or_where_asked() -> None:
    existing = [(1, "coordinators"), (2, "work_plan"), (3, "training")]
    last = plan_insertion("Go-live", key=None, position=None, existing=existing)
    assert (last.position, last.key, last.shifted) == (4, "go_live", ())
    second = plan_insertion("Rencana kerja", key="work_plan", position=2, existing=existing)
    assert (second.position, second.key, second.shifted) == (2, "work_plan_4", (2, 3))
    assert plan_insertion("X", key=None, position=0, existing=existing).position == 1
    assert plan_insertion("X", key=None, position=99, existing=existing).position == 4
    assert plan_insertion("Pertama", key=None, position=None, existing=[]).position == 1


def _row(row: int, number: str, parent: str | None = None, key: str | None = None) -> ParsedRow:
    agreement = new_agreement(numbers=(number,), import_key=key or f"key-{row}")
    return ParsedRow(row, agreement, parent_number=parent)


def test_parents_come_first_wherever_they_are_in_the_file() -> None:
    parsed = ParsedImport(
        rows=[
            _row(2, "PKS/1", parent="KB/1"),  # its KB comes later in the file
            _row(3, "PKS/2", parent="kb/ 9"),  # its KB is stored already (spelled differently)
            _row(4, "KB/1"),
            _row(5, "PKS/3", parent="PKS/1"),  # an addendum to the first PKS
        ],
        total_rows=4,
    )
    plan = plan_import(parsed, matched={}, stored_numbers={"kb/9": 41})
    assert plan.problems == () and plan.cycle == ()
    assert [(s.row.row, s.parent_row, s.parent_id) for s in plan.steps] == [
        (3, None, 41),
        (4, None, None),
        (2, 4, None),
        (5, 2, None),
    ]


def test_stored_rows_stay_and_still_serve_as_parents() -> None:
    parsed = ParsedImport(rows=[_row(2, "KB/1", key="kb-1"), _row(3, "PKS/1", parent="KB/1")])
    plan = plan_import(parsed, matched={2: 7}, stored_numbers={})
    assert plan.unchanged == 1 and [r.row for r in plan.new_rows] == [3]
    assert plan.steps == (ImportStep(parsed.rows[1], parent_id=7),)


def test_missing_self_and_circular_parents() -> None:
    reader_problem = ImportProblem(9, "title", "import.required", {})
    parsed = ParsedImport(
        rows=[
            _row(2, "PKS/1", parent="KB/404"),
            _row(3, "PKS/2", parent="PKS/2"),
        ],
        problems=[reader_problem],
    )
    plan = plan_import(parsed, matched={}, stored_numbers={})
    assert [(p.row, p.code) for p in plan.problems] == [
        (2, "import.parent_not_found"),
        (3, "import.parent_is_self"),
        (9, "import.required"),
    ]
    looped = ParsedImport(
        rows=[_row(2, "A/1", parent="B/1"), _row(3, "B/1", parent="A/1"), _row(4, "C/1")]
    )
    plan = plan_import(looped, matched={}, stored_numbers={})
    assert [s.row.row for s in plan.steps] == [4]
    assert [(p.row, p.code) for p in plan.cycle] == [
        (2, "import.parent_cycle"),
        (3, "import.parent_cycle"),
    ]
