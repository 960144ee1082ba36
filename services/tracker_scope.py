"""Which agreements an acting subject sees: the tracker's scope, decided in one place.

An admin (and the operator) sees every agreement; a coordinator those their region is a party to
and those they are bound to (:func:`accounts.rules.may_act_on_agreement`). Outside the scope an
agreement is "not found", exactly like a missing one, so its existence is not revealed. Every
tracker read and write goes through these; a new use case over agreements should too.
"""

from __future__ import annotations

from accounts import rules
from accounts.schemas import AuthSubject
from mou_tracker.errors import AgreementNotFound, MilestoneNotFound
from mou_tracker.models import Agreement, Milestone
from mou_tracker.repository import TrackerRepository
from mou_tracker.schemas import AgreementScope


def scope_of(subject: AuthSubject) -> AgreementScope | None:
    """The filter for the subject's agreements; ``None`` for those who see the whole portfolio."""
    if rules.sees_all_agreements(subject.role):
        return None
    return AgreementScope(subject.region_code, tuple(subject.agreement_ids))


def may_see(subject: AuthSubject, agreement: Agreement) -> bool:
    return rules.may_act_on(subject, agreement.id, [p.region_code for p in agreement.parties])


def visible_agreement(
    subject: AuthSubject, repo: TrackerRepository, agreement_id: int
) -> Agreement:
    """The agreement (loaded with its parties, apps and milestones) if the subject sees it."""
    agreement = repo.load_agreement(agreement_id)
    if agreement is None or not may_see(subject, agreement):
        raise AgreementNotFound(agreement_id)
    return agreement


def agreement_of_milestone(
    subject: AuthSubject,
    repo: TrackerRepository,
    milestone_id: int,
    agreement_id: int | None = None,
) -> Agreement:
    """The agreement of a milestone the subject sees (``agreement_id``: it must be that one).

    A button names both: a hidden agreement stays "not found", a milestone of another agreement
    is "milestone not found".
    """
    milestone = repo.milestone(milestone_id)
    if milestone is None or (agreement_id is not None and milestone.agreement_id != agreement_id):
        if agreement_id is not None:
            visible_agreement(subject, repo, agreement_id)
        raise MilestoneNotFound(milestone_id)
    if agreement_id is not None:
        return visible_agreement(subject, repo, agreement_id)
    agreement = repo.load_agreement(milestone.agreement_id)
    if agreement is None or not may_see(subject, agreement):
        raise MilestoneNotFound(milestone_id)
    return agreement


def milestone_in_scope(
    subject: AuthSubject,
    repo: TrackerRepository,
    milestone_id: int,
    agreement_id: int | None = None,
) -> Milestone:
    """The milestone, if the subject sees its agreement (see :func:`agreement_of_milestone`)."""
    agreement_of_milestone(subject, repo, milestone_id, agreement_id)
    milestone = repo.milestone(milestone_id)
    assert milestone is not None  # checked just above, in this transaction
    return milestone
