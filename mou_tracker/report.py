"""The portfolio report: health counts, follow-through, and who must act where.

Pure: the service reads the rows (set-based queries, see :mod:`mou_tracker.repository`), asks
:func:`healths` which agreements are stalled or overdue, reads those agreements' milestones,
and :func:`build_report` puts the figures together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from mou_tracker import rules
from mou_tracker.schemas import (
    AgreementRow,
    OpenMilestoneRow,
    OverdueItem,
    PortfolioReport,
    RenewalItem,
    StalledItem,
    Thresholds,
)

#: Per agreement: its party codes in order, and its first document number.
PartyCodes = Mapping[int, tuple[list[str], str | None]]


def healths(rows: Sequence[AgreementRow], at: date, thresholds: Thresholds) -> dict[int, str]:
    """Every agreement's health as of ``at``, by id."""
    return {r.id: rules.health_from_tally(r.facts, r.tally, at, thresholds) for r in rows}


def next_positions(rows: Sequence[AgreementRow], ids: Sequence[int]) -> list[tuple[int, int]]:
    """``(agreement id, position)`` of the first open milestone of each of ``ids`` (if any)."""
    by_id = {r.id: r for r in rows}
    return [(i, position) for i in ids if (position := by_id[i].next_position) is not None]


def build_report(
    *,
    at: date,
    thresholds: Thresholds,
    rows: Sequence[AgreementRow],
    health: Mapping[int, str],
    parties: PartyCodes,
    next_open: Mapping[int, OpenMilestoneRow],
    overdue_milestones: Sequence[OpenMilestoneRow],
    region_names: Callable[[tuple[str, ...]], tuple[str, ...]],
) -> PortfolioReport:
    """Portfolio figures as of ``at``.

    Args:
        health: :func:`healths` of ``rows``.
        next_open: the first open milestone of each stalled agreement.
        overdue_milestones: open milestones past due of the overdue agreements, oldest first.
        region_names: region codes -> display names.
    """
    by_id = {r.id: r for r in rows}
    by_health = dict.fromkeys(rules.HEALTH_ORDER, 0)
    for value in health.values():
        by_health[value] += 1
    names: dict[tuple[str, ...], tuple[str, ...]] = {}

    def acting_names(codes: tuple[str, ...]) -> tuple[str, ...]:
        if codes not in names:
            names[codes] = region_names(codes)
        return names[codes]

    def party_list(agreement_id: int) -> list[str]:
        return parties.get(agreement_id, ([], None))[0]

    def number(agreement_id: int) -> str | None:
        return parties.get(agreement_id, ([], None))[1]

    stalled: list[StalledItem] = []
    for agreement_id in (i for i, h in health.items() if h == "stalled"):
        r = by_id[agreement_id]
        nxt = next_open.get(agreement_id)
        acting = rules.must_act(
            nxt.responsible_region_code if nxt else None, party_list(agreement_id)
        )
        assert r.signed_on is not None  # stalled implies signed
        stalled.append(
            StalledItem(
                agreement_id=agreement_id,
                number=number(agreement_id),
                title=r.title,
                signed_on=r.signed_on,
                days_since_signing=(at - r.signed_on).days,
                next_milestone=nxt.title if nxt else None,
                must_act=acting,
                must_act_names=acting_names(acting),
            )
        )
    stalled.sort(key=lambda item: -item.days_since_signing)

    overdue: list[OverdueItem] = []
    for m in overdue_milestones:
        if m.due_on is None:  # pragma: no cover - the query only returns dated ones
            continue
        acting = rules.must_act(m.responsible_region_code, party_list(m.agreement_id))
        overdue.append(
            OverdueItem(
                agreement_id=m.agreement_id,
                number=number(m.agreement_id),
                title=by_id[m.agreement_id].title,
                milestone_id=m.id,
                milestone=m.title,
                due_on=m.due_on,
                days_overdue=(at - m.due_on).days,
                status=m.status,
                must_act=acting,
                must_act_names=acting_names(acting),
            )
        )

    renewals = [
        RenewalItem(
            agreement_id=r.id,
            number=number(r.id),
            title=r.title,
            ends_on=r.ends_on,
            days_left=(r.ends_on - at).days,
            owner_region_code=r.owner_region_code,
        )
        for r in rows
        if r.ends_on is not None and rules.renewal_due(r.facts, at, thresholds)
    ]
    renewals.sort(key=lambda item: item.days_left)

    signed = [r for r in rows if health[r.id] != "draft"]
    beyond = sum(1 for r in signed if r.tally.done > 0)
    # Follow-through counts milestones of signed agreements, as of ``at``.
    due = sum(r.due for r in signed)
    done = sum(r.due_done for r in signed)
    return PortfolioReport(
        at=at,
        total=len(rows),
        by_health=by_health,
        milestones_due=due,
        milestones_done_of_due=done,
        follow_through_rate=rules.follow_through_rate(due, done),
        beyond_paper_rate=round(beyond / len(signed), 4) if signed else None,
        stalled=tuple(stalled),
        overdue=tuple(overdue),
        renewal_due=tuple(renewals),
    )
