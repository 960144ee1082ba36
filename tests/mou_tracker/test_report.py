"""The portfolio report, assembled from rows without a database."""

from __future__ import annotations

from datetime import date

from mou_tracker import report
from mou_tracker.schemas import AgreementRow, MilestoneTally, OpenMilestoneRow, Thresholds

AT = date(2026, 11, 23)
TH = Thresholds()


def _row(i: int, *, signed: date | None, tally: MilestoneTally, **kw: object) -> AgreementRow:
    fields: dict[str, object] = {
        "kind": "kb",
        "title": f"KB {i}",
        "status": "active" if signed else "draft",
        "signed_on": signed,
        "ends_on": None,
        "owner_region_code": "32.73",
        "tally": tally,
    }
    fields.update(kw)
    return AgreementRow(i, **fields)  # type: ignore[arg-type]


def test_figures_and_who_must_act() -> None:
    rows = [
        # Signed a year ago, nothing started: paper only.
        _row(1, signed=date(2025, 11, 1), tally=MilestoneTally(total=3), next_position=1),
        # Under way, one milestone late.
        _row(
            2,
            signed=date(2026, 1, 10),
            tally=MilestoneTally(total=4, done=2, overdue=1),
            due=3,
            due_done=2,
        ),
        # Ends within the renewal window.
        _row(
            3,
            signed=date(2022, 1, 15),
            ends_on=date(2027, 1, 15),
            tally=MilestoneTally(total=1, done=0, active=1),
        ),
        _row(4, signed=None, tally=MilestoneTally()),
    ]
    health = report.healths(rows, AT, TH)
    assert health == {1: "stalled", 2: "overdue", 3: "on_track", 4: "draft"}
    assert report.next_positions(rows, [1, 3]) == [(1, 1)]
    late = OpenMilestoneRow(20, 2, "Pelatihan", 3, date(2026, 11, 1), "planned", "15.01")
    first = OpenMilestoneRow(10, 1, "Penunjukan koordinator", 1, None, "planned", None)
    built = report.build_report(
        at=AT,
        thresholds=TH,
        rows=rows,
        health=health,
        parties={1: (["32.73", "15.03"], "1/KB"), 2: (["32.73", "15.01"], None)},
        next_open={1: first},
        overdue_milestones=[late],
        region_names=lambda codes: tuple(f"name:{c}" for c in codes),
    )
    assert built.total == 4 and built.by_health["stalled"] == 1
    assert list(built.by_health) == ["stalled", "overdue", "at_risk", "on_track", "draft",
                                     "completed", "expired"]  # fmt: skip
    [stalled] = built.stalled
    assert (stalled.number, stalled.next_milestone, stalled.must_act) == (
        "1/KB",
        "Penunjukan koordinator",
        ("32.73", "15.03"),
    )
    assert stalled.must_act_names == ("name:32.73", "name:15.03")
    assert stalled.days_since_signing == (AT - date(2025, 11, 1)).days
    [overdue] = built.overdue
    assert (overdue.milestone_id, overdue.days_overdue, overdue.must_act) == (20, 22, ("15.01",))
    assert [r.agreement_id for r in built.renewal_due] == [3]
    assert (built.milestones_due, built.milestones_done_of_due) == (3, 2)
    assert built.follow_through_rate == round(2 / 3, 4)
    assert built.beyond_paper_rate == round(1 / 3, 4)  # one of three signed has a milestone done


def test_an_empty_portfolio() -> None:
    built = report.build_report(
        at=AT,
        thresholds=TH,
        rows=[],
        health={},
        parties={},
        next_open={},
        overdue_milestones=[],
        region_names=lambda codes: codes,
    )
    assert built.total == 0 and built.follow_through_rate is None
    assert built.beyond_paper_rate is None
