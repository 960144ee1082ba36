"""TrackerService on a real database (SQLite here, PostgreSQL too in CI), and who may do what."""

from __future__ import annotations

import contextlib
import random
import threading
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select

from accounts.errors import AccessDenied, NotYourRegion
from core.clock import FixedClock
from core.errors import NotFound
from mou_tracker import rules
from mou_tracker.errors import (
    AgreementNotFound,
    InvalidAgreement,
    InvalidMilestoneChange,
    MilestoneNotFound,
    RegionNotFound,
    TemplateNotFound,
)
from mou_tracker.models import AuditEntry, Milestone
from mou_tracker.repository import TrackerRepository
from mou_tracker.schemas import MilestoneFacts
from services import Services
from services import tracker as services_tracker
from services.access import Operator, UserView
from services.tracker import MilestoneChanged, NewMilestone
from tests.fakes.tracker import BANDUNG, KERINCI, OPERATOR, SAROLANGUN, new_agreement

AT = date(2026, 11, 23)


def test_services_build_regions_and_tracker(services: Services) -> None:
    assert services.regions is services.regions
    assert len(services.regions) == 552
    assert services.tracker is services.tracker


def test_add_agreement_plans_template_milestones(services: Services) -> None:
    detail = services.tracker.add_agreement(OPERATOR, new_agreement())
    assert detail.id > 0
    assert detail.number == "119/HK/2026"
    assert [p.name for p in detail.parties] == ["Kota Bandung", "Kabupaten Kerinci"]
    assert detail.owner_region_code == BANDUNG
    assert detail.apps == ("Hayu.Bdg",)
    keys = [m.key for m in detail.milestones]
    assert keys[0] == "coordinators" and keys[-1] == "evaluation"
    assert len(keys) == 11
    first = detail.milestones[0]
    assert first.due_on == date(2026, 1, 24)
    assert first.responsible_region_code is None  # both sides appoint coordinators
    by_key = {m.key: m for m in detail.milestones}
    assert by_key["handover"].responsible_region_code == BANDUNG
    assert by_key["budget_dpa"].responsible_region_code == KERINCI
    assert [m.position for m in detail.milestones] == list(range(1, 12))


def test_partner_steps_belong_to_everyone_with_several_partners(services: Services) -> None:
    detail = services.tracker.add_agreement(
        OPERATOR, new_agreement(parties=(BANDUNG, KERINCI, SAROLANGUN), numbers=())
    )
    by_key = {m.key: m for m in detail.milestones}
    assert by_key["budget_dpa"].responsible_region_code is None
    assert by_key["handover"].responsible_region_code == BANDUNG


def test_unsigned_agreement_is_a_draft_without_due_dates(services: Services) -> None:
    detail = services.tracker.add_agreement(OPERATOR, new_agreement(signed_on=None, ends_on=None))
    assert detail.status == "draft"
    assert detail.health == "draft"
    assert all(m.due_on is None for m in detail.milestones)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"kind": "perda"}, "agreement.bad_kind"),
        ({"title": "  "}, "agreement.empty_title"),
        ({"parties": (BANDUNG,)}, "agreement.too_few_parties"),
        ({"parties": (BANDUNG, BANDUNG)}, "agreement.repeated_party"),
        ({"ends_on": date(2025, 1, 1)}, "agreement.ends_before_signed"),
        ({"status": "active", "signed_on": None}, "agreement.signed_on_required"),
        ({"status": "paused"}, "agreement.bad_status"),
    ],
)
def test_invalid_agreements_are_refused(services: Services, changes: dict, code: str) -> None:
    with pytest.raises(InvalidAgreement) as info:
        services.tracker.add_agreement(OPERATOR, new_agreement(**changes))
    assert info.value.code == code
    assert services.tracker.list_agreements(OPERATOR, at=AT) == []


def test_an_agreement_whose_number_is_recorded_is_not_added_twice(services: Services) -> None:
    first = services.tracker.add_agreement(OPERATOR, new_agreement())
    again = new_agreement(title="Another title", numbers=(" 119 / hk / 2026 ", None))
    with pytest.raises(InvalidAgreement) as info:
        services.tracker.add_agreement(OPERATOR, again)
    assert info.value.code == "agreement.duplicate"
    assert info.value.params["agreement_id"] == first.id
    assert [a.id for a in services.tracker.list_agreements(OPERATOR, at=AT)] == [first.id]
    # another kind may carry a number of its own that happens to be the same
    pks = services.tracker.add_agreement(
        OPERATOR, new_agreement(kind="pks", numbers=("119/HK/2026",), parent_id=first.id)
    )
    assert pks.id != first.id


def test_unknown_region_code_template_and_parent(services: Services) -> None:
    with pytest.raises(RegionNotFound):
        services.tracker.add_agreement(OPERATOR, new_agreement(parties=(BANDUNG, "99.99")))
    with pytest.raises(TemplateNotFound):
        services.tracker.add_agreement(OPERATOR, new_agreement(template="nope"))
    with pytest.raises(AgreementNotFound):
        services.tracker.add_agreement(OPERATOR, new_agreement(parent_id=999))
    assert services.tracker.list_agreements(OPERATOR, at=AT) == []


def test_pks_links_to_its_parent_kb(services: Services) -> None:
    kb = services.tracker.add_agreement(OPERATOR, new_agreement())
    pks = services.tracker.add_agreement(
        OPERATOR, new_agreement(kind="pks", numbers=("027/PKS/2026",), parent_id=kb.id)
    )
    assert services.tracker.get_agreement(OPERATOR, pks.id).parent_id == kb.id


def test_get_unknown_agreement(services: Services) -> None:
    with pytest.raises(AgreementNotFound) as info:
        services.tracker.get_agreement(OPERATOR, 42)
    assert isinstance(info.value, NotFound)
    assert info.value.code == "agreement.not_found"


def test_done_needs_evidence_and_records_who_and_when(services: Services) -> None:
    tracker = services.tracker
    detail = tracker.add_agreement(OPERATOR, new_agreement())
    first = detail.milestones[0]
    with pytest.raises(InvalidMilestoneChange) as info:
        tracker.update_milestone(Operator("tg:1"), first.id, "done")
    assert info.value.code == "milestone.evidence_required"

    view = tracker.update_milestone(
        Operator("tg:1"),
        first.id,
        "done",
        note="SK Wali Kota No. 800/2026",
        link="https://jdih.bandung.go.id/sk",
        on=date(2026, 1, 20),
    )
    assert view.status == "done"
    assert view.completed_on == date(2026, 1, 20)
    assert view.evidence_note == "SK Wali Kota No. 800/2026"
    assert view.evidence_link == "https://jdih.bandung.go.id/sk"
    assert view.updated_by == "tg:1"
    assert view.updated_at == services.clock.now()
    assert not view.overdue


def test_done_on_a_day_that_has_not_come_is_refused_and_changes_nothing(
    services: Services,
) -> None:
    tracker = services.tracker  # the clock: Monday 2 March 2026, 09:00 WIB
    first = tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    with pytest.raises(InvalidMilestoneChange) as info:
        tracker.update_milestone(OPERATOR, first.id, "done", note="SK", on=date(2030, 1, 1))
    assert info.value.code == "milestone.completed_in_future"
    assert info.value.params["on"] == "2030-01-01"
    kept = tracker.get_agreement(OPERATOR, first.agreement_id).milestones[0]
    assert (kept.status, kept.completed_on, kept.evidence_note) == ("planned", None, None)
    # Today is a day that has come.
    done = tracker.update_milestone(OPERATOR, first.id, "done", note="SK", on=date(2026, 3, 2))
    assert done.completed_on == date(2026, 3, 2)
    # Other statuses ignore the day given; nothing refuses them.
    second = tracker.get_agreement(OPERATOR, first.agreement_id).milestones[1]
    moving = tracker.update_milestone(OPERATOR, second.id, "in_progress", on=date(2030, 1, 1))
    assert moving.completed_on is None


def test_the_day_that_has_come_is_the_deployments_the_one_reports_count_from(
    services: Services, clock: FixedClock
) -> None:
    clock.instant = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 23:00 WIB, 01:00 WIT on 3 March
    tracker = services.tracker
    first = tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    # Eastern Indonesia's 3 March would be a completion every view counts as not done yet.
    with pytest.raises(InvalidMilestoneChange) as info:
        tracker.update_milestone(OPERATOR, first.id, "done", note="SK", on=date(2026, 3, 3))
    assert info.value.params["today"] == "2026-03-02"
    done = tracker.update_milestone(OPERATOR, first.id, "done", note="SK", on=date(2026, 3, 2))
    assert done.completed_on == date(2026, 3, 2) and not done.overdue
    shown = tracker.get_agreement(OPERATOR, first.agreement_id).milestones[0]
    assert shown.status == "done" and not shown.overdue


def test_a_new_agreement_with_a_milestone_done_later_than_today_is_not_stored(
    services: Services,
) -> None:
    ahead = NewMilestone("Serah terima", status="done", completed_on=date(2030, 1, 1))
    with pytest.raises(InvalidMilestoneChange) as info:
        services.tracker.add_agreement(OPERATOR, new_agreement(milestones=(ahead,)))
    assert info.value.code == "milestone.completed_in_future"
    assert services.tracker.list_agreements(OPERATOR) == []


def test_blocked_needs_a_reason_and_leaving_blocked_clears_it(services: Services) -> None:
    tracker = services.tracker
    m = tracker.add_agreement(OPERATOR, new_agreement()).milestones[3]
    with pytest.raises(InvalidMilestoneChange) as info:
        tracker.update_milestone(OPERATOR, m.id, "blocked")
    assert info.value.code == "milestone.reason_required"
    blocked = tracker.update_milestone(OPERATOR, m.id, "blocked", reason="Anggaran belum ada")
    assert blocked.blocked_reason == "Anggaran belum ada"
    moving = tracker.update_milestone(OPERATOR, m.id, "in_progress")
    assert moving.blocked_reason is None
    assert moving.completed_on is None


def test_unknown_status_and_milestone(services: Services) -> None:
    m = services.tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    with pytest.raises(InvalidMilestoneChange) as info:
        services.tracker.update_milestone(OPERATOR, m.id, "finished", note="x")
    assert info.value.code == "milestone.bad_status"
    with pytest.raises(MilestoneNotFound):
        services.tracker.update_milestone(OPERATOR, 9999, "done", note="x")


def test_an_unknown_milestone_is_reported_before_the_missing_evidence(services: Services) -> None:
    # Existence before the change's own checks: "done" without evidence, "blocked" without a
    # reason and an unknown status all name the milestone (or agreement) that is not there.
    agreement = services.tracker.add_agreement(OPERATOR, new_agreement())
    for status in ("done", "blocked", "finished"):
        with pytest.raises(MilestoneNotFound):
            services.tracker.update_milestone(OPERATOR, 9999, status)
        with pytest.raises(AgreementNotFound):
            services.tracker.update_milestone(
                OPERATOR, agreement.milestones[0].id, status, agreement_id=agreement.id + 99
            )


def test_two_people_marking_one_milestone_at_once_are_audited_in_order(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two coordinators press at the same moment. Each change must read what the other wrote
    # first: the audit says in_progress -> done, then done -> blocked (never two changes "from
    # in_progress"). The pause after reading lets the second catch up with the first, as it
    # would on a busy server; with the lock it waits for the first to finish instead.
    tracker = services.tracker
    m = tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    tracker.update_milestone(OPERATOR, m.id, "in_progress")
    _pause_after_reading(monkeypatch, 2)
    assert (
        _run_at_once(
            (
                partial(tracker.update_milestone, note="BA serah terima"),
                Operator("tg:0"),
                m.id,
                "done",
            ),
            (
                partial(tracker.update_milestone, reason="Server belum ada"),
                Operator("tg:1"),
                m.id,
                "blocked",
            ),
        )
        == []
    )
    entries = [e for e in tracker.audit(OPERATOR, m.agreement_id) if e.action == "milestone.status"]
    steps = [(e.details["from"], e.details["to"]) for e in entries[1:]]
    assert steps[0][0] == "in_progress" and steps[1][0] == steps[0][1]
    final = tracker.get_agreement(OPERATOR, m.agreement_id).milestones[0].status
    assert final == steps[1][1]


def _pause_after_reading(monkeypatch: pytest.MonkeyPatch, parties: int) -> threading.Barrier:
    """Make every change pause right after reading its milestone until ``parties`` have read
    (or 2 s passed): without a lock, each then writes over what the other read."""
    all_read = threading.Barrier(parties, timeout=2)
    real = services_tracker.milestone_in_scope

    def read_then_pause(*args: object, **kwargs: object) -> Milestone:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        with contextlib.suppress(threading.BrokenBarrierError):
            all_read.wait()
        return found

    monkeypatch.setattr(services_tracker, "milestone_in_scope", read_then_pause)
    return all_read


def _run_at_once(*calls: tuple[object, ...]) -> list[BaseException]:
    failures: list[BaseException] = []

    def run(call: tuple[object, ...]) -> None:
        try:
            call[0](*call[1:])  # type: ignore[operator]
        except BaseException as exc:  # reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_two_moves_of_one_milestone_at_once_are_audited_in_order(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = services.tracker
    m = tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    tracker.move_milestone(OPERATOR, m.id, date(2026, 12, 1))
    _pause_after_reading(monkeypatch, 2)
    failures = _run_at_once(
        (tracker.move_milestone, Operator("tg:1"), m.id, date(2026, 12, 15)),
        (tracker.move_milestone, Operator("tg:2"), m.id, date(2027, 1, 5)),
    )
    assert failures == []
    moves = [
        e.details for e in tracker.audit(OPERATOR, m.agreement_id) if e.action == "milestone.moved"
    ]
    steps = [(d["from"], d["to"]) for d in moves[1:]]
    assert steps[0][0] == "2026-12-01" and steps[1][0] == steps[0][1]
    final = tracker.get_agreement(OPERATOR, m.agreement_id).milestones[0].due_on
    assert final is not None and final.isoformat() == steps[1][1]


def test_a_progress_report_and_a_drop_at_once_lose_neither(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The report comes first or second: either the drop's audit keeps the reported status, or
    # the report is told the milestone is gone. Never a report lost into a deleted row, never
    # an unexpected error.
    tracker = services.tracker
    m = tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    _pause_after_reading(monkeypatch, 2)
    failures = _run_at_once(
        (tracker.update_milestone, Operator("tg:1"), m.id, "in_progress"),
        (tracker.drop_milestone, Operator("tg:2"), m.id),
    )
    entries = tracker.audit(OPERATOR, m.agreement_id)
    [dropped] = [e.details for e in entries if e.action == "milestone.dropped"]
    reported = [e.details for e in entries if e.action == "milestone.status"]
    if reported:
        assert failures == [] and dropped["status"] == "in_progress"
    else:
        assert [type(f) for f in failures] == [MilestoneNotFound]


def test_reporting_the_same_status_twice_is_audited_once(services: Services) -> None:
    tracker = services.tracker
    m = tracker.add_agreement(OPERATOR, new_agreement()).milestones[0]
    tracker.update_milestone(Operator("tg:1"), m.id, "in_progress", note="Tim dibentuk")
    again = tracker.update_milestone(Operator("tg:2"), m.id, "in_progress", note="Tim dibentuk")
    assert again.status == "in_progress"
    tracker.update_milestone(Operator("tg:2"), m.id, "in_progress")  # the button, no note
    statuses = [
        e for e in tracker.audit(OPERATOR, m.agreement_id) if e.action == "milestone.status"
    ]
    assert [(e.actor, e.details["from"], e.details["to"]) for e in statuses] == [
        ("tg:1", "planned", "in_progress")
    ]
    # New evidence for the same status is a change worth keeping.
    tracker.update_milestone(Operator("tg:3"), m.id, "in_progress", note="Rapat pertama")
    statuses = [
        e for e in tracker.audit(OPERATOR, m.agreement_id) if e.action == "milestone.status"
    ]
    assert [e.details["note"] for e in statuses] == ["Tim dibentuk", "Rapat pertama"]
    # "Done" reported again later keeps the day it was done.
    tracker.update_milestone(OPERATOR, m.id, "done", note="BA", on=date(2026, 3, 1))
    done = tracker.update_milestone(OPERATOR, m.id, "done", note="BA")
    assert done.completed_on == date(2026, 3, 1)


def test_add_move_drop_milestones_are_audited(services: Services) -> None:
    tracker = services.tracker
    detail = tracker.add_agreement(OPERATOR, new_agreement())
    added = tracker.add_milestone(
        Operator("tg:7"),
        detail.id,
        "Integrasi dengan SIPD",
        due_on=date(2026, 5, 1),
        responsible_region_code=KERINCI,
        position=2,
    )
    assert added.position == 2
    moved = tracker.move_milestone(Operator("tg:7"), added.id, date(2026, 6, 1), reason="Libur")
    assert moved.due_on == date(2026, 6, 1)
    tracker.drop_milestone(Operator("tg:7"), detail.milestones[-1].id, reason="Tidak perlu")

    after = tracker.get_agreement(OPERATOR, detail.id)
    assert len(after.milestones) == 11
    assert after.milestones[1].id == added.id
    assert [m.position for m in after.milestones] == sorted(m.position for m in after.milestones)
    assert "evaluation" not in {m.key for m in after.milestones}

    actions = [e.action for e in tracker.audit(OPERATOR, detail.id)]
    assert actions == [
        "agreement.created",
        "milestone.added",
        "milestone.moved",
        "milestone.dropped",
    ]
    moved_entry = tracker.audit(OPERATOR, detail.id)[2]
    assert moved_entry.details == {"from": "2026-05-01", "to": "2026-06-01", "reason": "Libur"}
    dropped = tracker.audit(OPERATOR, detail.id)[3]
    assert dropped.details["key"] == "evaluation"


def test_milestone_responsible_must_be_a_party(services: Services) -> None:
    detail = services.tracker.add_agreement(OPERATOR, new_agreement())
    with pytest.raises(InvalidMilestoneChange) as info:
        services.tracker.add_milestone(OPERATOR, detail.id, "X", responsible_region_code=SAROLANGUN)
    assert info.value.code == "milestone.responsible_not_party"
    with pytest.raises(MilestoneNotFound):
        services.tracker.move_milestone(OPERATOR, 999, AT)
    with pytest.raises(MilestoneNotFound):
        services.tracker.drop_milestone(OPERATOR, 999)


def test_audit_log_is_append_only_history_of_status_changes(services: Services) -> None:
    tracker = services.tracker
    detail = tracker.add_agreement(OPERATOR, new_agreement())
    m = detail.milestones[0]
    tracker.update_milestone(Operator("tg:1"), m.id, "in_progress")
    tracker.update_milestone(Operator("tg:2"), m.id, "done", file_ref="sk-koordinator.pdf")
    entries = tracker.audit(OPERATOR, detail.id)
    changes = [(e.actor, e.details["from"], e.details["to"]) for e in entries[1:]]
    assert changes == [("tg:1", "planned", "in_progress"), ("tg:2", "in_progress", "done")]
    assert entries[-1].details["file"] == "sk-koordinator.pdf"
    assert all(e.milestone_id == m.id for e in entries[1:])
    with pytest.raises(AgreementNotFound):
        tracker.audit(OPERATOR, 404)


def test_list_filters_by_region_and_computes_health(services: Services) -> None:
    tracker = services.tracker
    a = tracker.add_agreement(OPERATOR, new_agreement(signed_on=date(2026, 1, 10)))
    b = tracker.add_agreement(
        OPERATOR,
        new_agreement(parties=(BANDUNG, SAROLANGUN), numbers=("2",), signed_on=AT - timedelta(5)),
    )
    items = tracker.list_agreements(OPERATOR, at=AT)
    assert [(i.id, i.health) for i in items] == [(a.id, "stalled"), (b.id, "at_risk")]
    only = tracker.list_agreements(OPERATOR, at=AT, region_codes=[SAROLANGUN])
    assert [i.id for i in only] == [b.id]
    assert [p.code for p in only[0].parties] == [BANDUNG, SAROLANGUN]
    assert tracker.list_agreements(OPERATOR, at=AT, region_codes=["11.04"]) == []


def test_report_counts_health_and_names_who_must_act(services: Services, clock: FixedClock) -> None:
    clock.instant = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # AT: the milestone's day has come
    tracker = services.tracker
    stalled = tracker.add_agreement(OPERATOR, new_agreement(signed_on=date(2026, 1, 10)))
    moving = tracker.add_agreement(
        OPERATOR,
        new_agreement(parties=(BANDUNG, SAROLANGUN), numbers=("B-2",), signed_on=date(2026, 6, 1)),
    )
    first = moving.milestones[0]
    tracker.update_milestone(OPERATOR, first.id, "done", note="SK", on=date(2026, 6, 10))
    tracker.add_agreement(OPERATOR, new_agreement(numbers=("D-3",), signed_on=None, ends_on=None))

    report = tracker.report(OPERATOR, at=AT)
    assert report.total == 3
    assert report.by_health["stalled"] == 1
    assert report.by_health["overdue"] == 1
    assert report.by_health["draft"] == 1
    assert sum(report.by_health.values()) == 3

    (item,) = report.stalled
    assert item.agreement_id == stalled.id
    assert item.days_since_signing == (AT - date(2026, 1, 10)).days
    assert item.next_milestone == "Penunjukan koordinator kedua pihak"
    assert item.must_act_names == ("Kota Bandung", "Kabupaten Kerinci")

    assert {o.agreement_id for o in report.overdue} == {moving.id}
    handover = next(o for o in report.overdue if o.milestone.startswith("Serah terima"))
    assert handover.must_act == (BANDUNG,)
    budget = next(o for o in report.overdue if o.milestone == "Anggaran masuk DPA")
    assert budget.must_act_names == ("Kabupaten Sarolangun",)
    assert budget.days_overdue == (AT - (date(2026, 6, 1) + timedelta(days=120))).days

    # Due by AT: 10 milestones of the stalled one (317 days), 7 of the moving one (175 days).
    assert report.milestones_due == 17
    assert report.milestones_done_of_due == 1
    assert report.follow_through_rate == round(1 / 17, 4)
    assert report.beyond_paper_rate == 0.5


def test_report_lists_renewals(services: Services) -> None:
    tracker = services.tracker
    detail = tracker.add_agreement(
        OPERATOR, new_agreement(signed_on=date(2022, 1, 15), ends_on=date(2027, 1, 15))
    )
    report = tracker.report(OPERATOR, at=AT)
    (renewal,) = report.renewal_due
    assert renewal.agreement_id == detail.id
    assert renewal.days_left == 53
    assert tracker.get_agreement(OPERATOR, detail.id, at=AT).renewal_due
    assert not tracker.report(OPERATOR, at=date(2026, 10, 1)).renewal_due


def test_report_on_empty_database(services: Services) -> None:
    report = services.tracker.report(OPERATOR, at=AT)
    assert report.total == 0
    assert report.follow_through_rate is None
    assert report.beyond_paper_rate is None
    assert report.stalled == report.overdue == report.renewal_due == ()


def test_set_status_is_audited(services: Services) -> None:
    tracker = services.tracker
    detail = tracker.add_agreement(OPERATOR, new_agreement())
    ended = tracker.set_status(Operator("admin"), detail.id, "terminated")
    assert ended.health == "expired"
    assert tracker.audit(OPERATOR, detail.id)[-1].details == {"from": "active", "to": "terminated"}
    with pytest.raises(InvalidAgreement):
        tracker.set_status(Operator("admin"), detail.id, "paused")


def test_sql_tally_matches_the_pure_rules(services: Services, clock: FixedClock) -> None:
    """The report's set-based tally must agree with rules.tally on every agreement."""
    clock.instant = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # after every completion below
    rng = random.Random(20261123)
    tracker = services.tracker
    statuses = ["planned", "in_progress", "done", "blocked", "skipped"]
    for i in range(25):
        signed = AT - timedelta(days=rng.randint(-30, 500))
        milestones = []
        for k in range(rng.randint(0, 8)):
            status = rng.choice(statuses)
            due = AT + timedelta(days=rng.randint(-60, 60)) if rng.random() > 0.1 else None
            completed = (
                AT + timedelta(days=rng.randint(-60, 10))
                if status == "done" and rng.random() > 0.2
                else None
            )
            milestones.append(
                NewMilestone(f"Tahap {k}", due_on=due, status=status, completed_on=completed)
            )
        tracker.add_agreement(
            OPERATOR,
            new_agreement(
                numbers=(f"N-{i}",),
                signed_on=signed,
                ends_on=None,
                template=None,
                milestones=tuple(milestones),
            ),
        )
    with services.session_factory() as s:
        for at in (AT, AT - timedelta(days=45), AT + timedelta(days=20)):
            rows = TrackerRepository(s).agreement_rows(at, tracker.thresholds)
            assert len(rows) == 25
            for row in rows:
                facts = [
                    MilestoneFacts(m.status, m.due_on, m.completed_on)
                    for m in s.scalars(select(Milestone).where(Milestone.agreement_id == row.id))
                ]
                assert row.tally == rules.tally(facts, at, tracker.thresholds), row.id
                assert tracker.get_agreement(
                    OPERATOR, row.id, at=at
                ).health == rules.health_from_tally(row.facts, row.tally, at, tracker.thresholds)


def test_failed_change_writes_no_audit_entry(services: Services) -> None:
    detail = services.tracker.add_agreement(OPERATOR, new_agreement())
    with pytest.raises(InvalidMilestoneChange):
        services.tracker.update_milestone(OPERATOR, detail.milestones[0].id, "done")
    with services.session_factory() as s:
        assert len(list(s.scalars(select(AuditEntry)))) == 1


def test_reasoned_errors_survive_pickling() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(InvalidAgreement("ends_before_signed", ends_on="x")))
    assert err.code == "agreement.ends_before_signed"
    assert err.params["ends_on"] == "x"
    again = pickle.loads(pickle.dumps(InvalidMilestoneChange("evidence_required")))
    assert again.code == "milestone.evidence_required"


# --- who may see and do what ---------------------------------------------------------------------


def _people(services: Services) -> tuple[UserView, UserView, UserView]:
    access = services.access
    coordinator = access.add_user(31, "coordinator", region_code=KERINCI)
    bound = access.add_user(32, "coordinator", region_code="11.04")
    official = access.add_user(33, "official")
    return coordinator, bound, official


def test_a_coordinator_sees_their_regions_and_bound_agreements(services: Services) -> None:
    tracker = services.tracker
    kerinci = tracker.add_agreement(OPERATOR, new_agreement())
    other = tracker.add_agreement(
        OPERATOR, new_agreement(title="KB e-RK", parties=(BANDUNG, SAROLANGUN), numbers=())
    )
    coordinator, bound, official = _people(services)
    bound = services.access.bind_agreement(bound.telegram_id, other.id)
    assert [a.id for a in tracker.list_agreements(coordinator, at=AT)] == [kerinci.id]
    assert [a.id for a in tracker.list_agreements(bound, at=AT)] == [other.id]
    assert tracker.list_agreements(bound, at=AT, region_codes=[KERINCI]) == []
    assert [a.id for a in tracker.list_agreements(OPERATOR, at=AT)] == [kerinci.id, other.id]
    assert tracker.get_agreement(coordinator, kerinci.id).id == kerinci.id
    # Outside the scope an agreement is "not found", exactly like a missing one.
    with pytest.raises(AgreementNotFound):
        tracker.get_agreement(coordinator, other.id)
    with pytest.raises(AgreementNotFound):
        tracker.audit(coordinator, other.id)
    with pytest.raises(AccessDenied) as refused:
        tracker.list_agreements(official, at=AT)
    assert refused.value.params["reason"] == "role"


def test_a_coordinator_updates_milestones_in_scope_only(services: Services) -> None:
    tracker = services.tracker
    kerinci = tracker.add_agreement(OPERATOR, new_agreement())
    other = tracker.add_agreement(
        OPERATOR, new_agreement(title="KB e-RK", parties=(BANDUNG, SAROLANGUN), numbers=())
    )
    coordinator, _bound, official = _people(services)
    mine, theirs = kerinci.milestones[0], other.milestones[0]
    view = tracker.update_milestone(coordinator, mine.id, "in_progress", agreement_id=kerinci.id)
    assert view.updated_by == f"tg:{coordinator.telegram_id}"
    with pytest.raises(MilestoneNotFound):
        tracker.update_milestone(coordinator, theirs.id, "in_progress")
    with pytest.raises(AgreementNotFound):  # a button naming a hidden agreement
        tracker.update_milestone(coordinator, theirs.id, "in_progress", agreement_id=other.id)
    with pytest.raises(MilestoneNotFound):  # a milestone of another agreement
        tracker.update_milestone(coordinator, theirs.id, "in_progress", agreement_id=kerinci.id)
    with pytest.raises(AccessDenied):
        tracker.update_milestone(official, mine.id, "in_progress")
    detail = tracker.get_milestone(coordinator, mine.id, agreement_id=kerinci.id)
    assert (detail.agreement.id, detail.milestone.status) == (kerinci.id, "in_progress")
    with pytest.raises(MilestoneNotFound):
        tracker.get_milestone(coordinator, theirs.id)
    assert tracker.get_agreement(OPERATOR, other.id).milestones[0].status == "planned"


def test_a_coordinator_records_only_their_regions_agreements(services: Services) -> None:
    tracker = services.tracker
    coordinator, _bound, official = _people(services)
    own = tracker.add_agreement(coordinator, new_agreement())  # Bandung and Kerinci
    assert own.milestones[0].updated_by is None and own.parties[1].code == KERINCI
    with pytest.raises(NotYourRegion):
        tracker.add_agreement(
            coordinator, new_agreement(parties=(BANDUNG, SAROLANGUN), numbers=("X/2",))
        )
    with pytest.raises(AccessDenied) as refused:
        tracker.add_agreement(official, new_agreement(numbers=("X/3",)))
    assert refused.value.params["reason"] == "role"
    assert tracker.count_agreements(OPERATOR) == 1


def test_re_planning_and_the_portfolio_are_for_admins(services: Services) -> None:
    tracker = services.tracker
    detail = tracker.add_agreement(OPERATOR, new_agreement())
    coordinator, _bound, _official = _people(services)
    for attempt in (
        lambda: tracker.set_status(coordinator, detail.id, "terminated"),
        lambda: tracker.add_milestone(coordinator, detail.id, "Tambahan"),
        lambda: tracker.move_milestone(coordinator, detail.milestones[0].id, AT),
        lambda: tracker.drop_milestone(coordinator, detail.milestones[0].id),
        lambda: tracker.report(coordinator, at=AT),
        lambda: tracker.count_agreements(coordinator),
    ):
        with pytest.raises(AccessDenied):
            attempt()
    assert tracker.count_agreements(OPERATOR) == 1
    assert len(tracker.get_agreement(OPERATOR, detail.id).milestones) == 11


def test_two_people_pressing_the_same_button_at_once_change_the_milestone_once(
    services: Services,
) -> None:
    agreement = services.tracker.add_agreement(OPERATOR, new_agreement())
    first = agreement.milestones[0]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def press(note: str) -> None:
        start.wait()
        try:
            services.tracker.update_milestone(
                OPERATOR, first.id, "done", agreement_id=agreement.id, note=note, seen=first.status
            )
            outcomes.append(note)
        except MilestoneChanged as exc:
            outcomes.append(f"changed:{exc.params['status']}")

    threads = [threading.Thread(target=press, args=(n,)) for n in ("BA satu", "BA dua")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.startswith("changed:") for o in outcomes) == [False, True]
    assert "changed:done" in outcomes
    after = services.tracker.get_agreement(OPERATOR, agreement.id).milestones[0]
    assert after.status == "done" and after.evidence_note in outcomes
    audit = [e for e in services.tracker.audit(OPERATOR, agreement.id) if e.milestone_id]
    assert len(audit) == 1
