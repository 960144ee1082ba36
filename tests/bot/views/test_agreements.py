"""The agreement views: pure, so no bot and no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot import callbacks
from bot.views import MAX_BUTTONS
from bot.views import agreements as views
from services.tracker import AgreementDetail, AgreementSummary, MilestoneDetail, MilestoneView


def summary(i: int, health: str, title: str | None = None) -> AgreementSummary:
    return AgreementSummary(
        id=i,
        kind="kb",
        number=None,
        title=title or f"KB <{i}>",
        parties=(),
        signed_on=date(2026, 1, 10),
        ends_on=None,
        status="active",
        health=health,
        renewal_due=False,
        apps=(),
        owner_region_code="32.73",
    )


def milestone(status: str) -> MilestoneView:
    return MilestoneView(
        id=5,
        agreement_id=1,
        key="training",
        title="Pelatihan",
        position=1,
        due_on=date(2026, 3, 4),
        status=status,
        responsible_region_code=None,
        completed_on=None,
        evidence_note=None,
        evidence_link=None,
        evidence_file=None,
        blocked_reason=None,
        updated_by=None,
        updated_at=None,
        overdue=False,
    )


def test_the_list_is_paged_the_most_worrying_first_and_escaped() -> None:
    agreements = [summary(i, "on_track") for i in range(11)] + [summary(99, "overdue")]
    first = views.agreement_list(agreements, 0, "id")
    assert first.text.index("KB &lt;99&gt;") < first.text.index("KB &lt;0&gt;")
    assert [b.action for b in first.buttons[0]] == [callbacks.AGREEMENT_OPEN]
    assert first.buttons[0][0].args == (99,)
    assert [(b.label, b.args) for b in first.buttons[-1]] == [("➡️", (1,))]
    last = views.agreement_list(agreements, 7, "id")  # past the end: the last page
    assert [(b.label, b.args) for b in last.buttons[-1]] == [("⬅️", (0,))]
    assert len(last.buttons) == 3  # two agreements and the navigation
    assert views.agreement_list([], 0, "en").buttons == ()


def test_a_milestone_offers_status_buttons_only_to_who_may_update_it() -> None:
    detail = AgreementDetail(**summary(1, "on_track").__dict__, milestones=(milestone("planned"),))
    found = MilestoneDetail(detail, detail.milestones[0])
    actions = [b.action for row in views.milestone_detail(found, "id", may_update=True).buttons
               for b in row]  # fmt: skip
    assert actions == [
        callbacks.MILESTONE_IN_PROGRESS,
        callbacks.MILESTONE_DONE,
        callbacks.MILESTONE_BLOCKED,
        callbacks.AGREEMENT_OPEN,
    ]
    watcher = views.milestone_detail(found, "id", may_update=False, notice="Diperbarui")
    assert [b.action for row in watcher.buttons for b in row] == [callbacks.AGREEMENT_OPEN]
    assert watcher.text.startswith("Diperbarui\n\n<b>Pelatihan</b>")
    done = MilestoneDetail(detail, milestone("done"))
    assert len(views.milestone_detail(done, "id", may_update=True).buttons) == 1


def test_an_agreement_with_many_milestones_pages_their_buttons() -> None:
    # Telegram refuses a keyboard of more than 100 buttons: 120 milestones come page by page
    many = tuple(
        replace(milestone("planned"), id=100 + i, title=f"Tahap {i}", position=i)
        for i in range(120)
    )
    detail = AgreementDetail(**summary(1, "on_track").__dict__, milestones=many)
    opened: list[int] = []
    page, seen = 0, 0
    while True:
        view = views.agreement_detail(detail, "id", page)
        assert sum(len(row) for row in view.buttons) <= MAX_BUTTONS
        assert "Tahap 119" in view.text  # the text still lists every milestone
        opened += [
            int(b.args[1])
            for row in view.buttons
            for b in row
            if b.action == callbacks.MILESTONE_OPEN
        ]
        onward = [
            b for row in view.buttons for b in row
            if b.action == callbacks.AGREEMENT_MILESTONES and b.label == "➡️"
        ]  # fmt: skip
        seen += 1
        if not onward:
            break
        assert onward[0].args == (1, page + 1)
        page += 1
    assert seen > 1 and opened == [m.id for m in many]  # each milestone once, in order
    last = views.agreement_detail(detail, "id", 99)  # past the end: the last page
    assert [b.args for row in last.buttons for b in row if b.label == "⬅️"] == [(1, page - 1)]
    few = views.agreement_detail(replace(detail, milestones=many[:3]), "id")
    assert not [b for row in few.buttons for b in row if b.action == callbacks.AGREEMENT_MILESTONES]
