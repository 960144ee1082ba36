"""Who may do what: the role/permission matrix and the agreement scope of a user.

Pure functions over plain values, so the bot, the CLI and the jobs ask the same question the
same way and tests need no database.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

ADMIN: Final = "admin"
TRAINER: Final = "trainer"
COORDINATOR: Final = "coordinator"
OFFICIAL: Final = "official"

ROLES: Final = (ADMIN, TRAINER, COORDINATOR, OFFICIAL)

PENDING: Final = "pending"
ACTIVE: Final = "active"
BLOCKED: Final = "blocked"
REJECTED: Final = "rejected"

STATUSES: Final = (PENDING, ACTIVE, BLOCKED, REJECTED)

# Actions, named by what the user does.
ASK: Final = "ask"  # ask the knowledge base a question
SOURCES: Final = "sources"  # list the documents of the knowledge base
FEEDBACK: Final = "feedback"  # rate an answer
ASK_TRAINER: Final = "ask_trainer"  # forward a question to the trainers
UPLOAD: Final = "upload"  # add or replace a document
REMOVE_DOCUMENT: Final = "remove_document"
GAPS: Final = "gaps"  # see unanswered questions
ANSWER_AS_TRAINER: Final = "answer_as_trainer"
VIEW_AGREEMENTS: Final = "view_agreements"
UPDATE_MILESTONE: Final = "update_milestone"
RECORD_AGREEMENT: Final = "record_agreement"  # read a signed agreement into a draft, save it
REPORT: Final = "report"  # timeline chart of an agreement
PORTFOLIO: Final = "portfolio"  # every agreement, every region
MANAGE_USERS: Final = "manage_users"  # approve, reject, invite, remove
STATUS: Final = "status"  # operator health

_BASE: Final = frozenset({ASK, SOURCES, FEEDBACK, ASK_TRAINER})

PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    OFFICIAL: _BASE,
    TRAINER: _BASE | {UPLOAD, REMOVE_DOCUMENT, GAPS, ANSWER_AS_TRAINER},
    COORDINATOR: _BASE | {VIEW_AGREEMENTS, UPDATE_MILESTONE, RECORD_AGREEMENT, REPORT},
    ADMIN: _BASE
    | {
        UPLOAD,
        REMOVE_DOCUMENT,
        GAPS,
        ANSWER_AS_TRAINER,
        VIEW_AGREEMENTS,
        UPDATE_MILESTONE,
        RECORD_AGREEMENT,
        REPORT,
        PORTFOLIO,
        MANAGE_USERS,
        STATUS,
    },
}

ACTIONS: Final = frozenset().union(*PERMISSIONS.values())


def is_role(value: str) -> bool:
    return value in ROLES


def role_allows(role: str, action: str) -> bool:
    """Whether ``role`` may perform ``action`` (unknown roles and actions may do nothing)."""
    return action in PERMISSIONS.get(role, frozenset())


def can(role: str, status: str, action: str) -> bool:
    """Whether a user with ``role`` and ``status`` may perform ``action`` now."""
    return status == ACTIVE and role_allows(role, action)


def sees_all_agreements(role: str) -> bool:
    """Admins see the whole portfolio; coordinators only their own agreements."""
    return role == ADMIN


def may_act_on_agreement(
    *,
    role: str,
    status: str,
    region_code: str | None,
    agreement_ids: Collection[int],
    agreement_id: int,
    party_region_codes: Collection[str],
) -> bool:
    """Whether the user may see and update ``agreement_id``.

    A coordinator acts on the agreements they are bound to and on those where their region is a
    party; an admin acts on every agreement.
    """
    if status != ACTIVE or not role_allows(role, VIEW_AGREEMENTS):
        return False
    if sees_all_agreements(role):
        return True
    if agreement_id in agreement_ids:
        return True
    return region_code is not None and region_code in party_region_codes
