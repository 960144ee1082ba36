"""Who may do what: the role/permission matrix and the agreement scope of a user.

Pure functions over plain values (or over a :class:`Member`, which carries them), so every
service asks the same question the same way and tests need no database. The services call
these; the transports only translate the refusals.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Final, Protocol

from accounts.errors import AccessDenied, NotYourRegion


class Member(Protocol):
    """What the rules need to know about someone: a user, or the operator."""

    @property
    def role(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def region_code(self) -> str | None: ...

    @property
    def agreement_ids(self) -> tuple[int, ...]: ...


class Role(StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"
    COORDINATOR = "coordinator"
    OFFICIAL = "official"


ROLES: Final = tuple(Role)


class Status(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    BLOCKED = "blocked"
    REJECTED = "rejected"


STATUSES: Final = tuple(Status)


class Permission(StrEnum):
    """Actions, named by what the user does."""

    ASK = "ask"  # ask the knowledge base a question
    SOURCES = "sources"  # list the documents of the knowledge base
    FEEDBACK = "feedback"  # rate an answer
    ASK_TRAINER = "ask_trainer"  # forward a question to the trainers
    UPLOAD = "upload"  # add or replace a document
    REMOVE_DOCUMENT = "remove_document"
    GAPS = "gaps"  # see unanswered questions
    ANSWER_AS_TRAINER = "answer_as_trainer"
    VIEW_AGREEMENTS = "view_agreements"
    UPDATE_MILESTONE = "update_milestone"
    RECORD_AGREEMENT = "record_agreement"  # read a signed agreement into a draft, save it
    REPORT = "report"  # timeline chart of an agreement
    PORTFOLIO = "portfolio"  # every agreement, every region
    MANAGE_USERS = "manage_users"  # approve, reject, invite, remove
    MANAGE_AGREEMENTS = "manage_agreements"  # import, change status, re-plan milestones
    STATUS = "status"  # operator health
    RESEND_REMINDERS = "resend_reminders"  # send an unconfirmed or undeliverable reminder again


_P = Permission
_BASE: Final = frozenset({_P.ASK, _P.SOURCES, _P.FEEDBACK, _P.ASK_TRAINER})

PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    Role.OFFICIAL: _BASE,
    Role.TRAINER: _BASE | {_P.UPLOAD, _P.REMOVE_DOCUMENT, _P.GAPS, _P.ANSWER_AS_TRAINER},
    Role.COORDINATOR: _BASE
    | {_P.VIEW_AGREEMENTS, _P.UPDATE_MILESTONE, _P.RECORD_AGREEMENT, _P.REPORT},
    Role.ADMIN: frozenset(Permission),
}

ACTIONS: Final = frozenset().union(*PERMISSIONS.values())

#: The longest an invite code may stay valid; 0 means "no expiry", negative makes no sense.
MAX_INVITE_DAYS: Final = 365


def invite_days_valid(days: int) -> bool:
    """Whether an invite may stay valid for ``days`` (0 = no expiry, up to a year)."""
    return 0 <= days <= MAX_INVITE_DAYS


#: Telegram's user IDs are positive with at most 52 significant bits (group chats are negative).
MAX_TELEGRAM_USER_ID: Final = 2**52 - 1


def is_telegram_user_id(value: int) -> bool:
    return 0 < value <= MAX_TELEGRAM_USER_ID


def is_role(value: str) -> bool:
    return value in ROLES


def role_allows(role: str, action: str) -> bool:
    """Whether ``role`` may perform ``action`` (unknown roles and actions may do nothing)."""
    return action in PERMISSIONS.get(role, frozenset())


def can(role: str, status: str, action: str) -> bool:
    """Whether a user with ``role`` and ``status`` may perform ``action`` now."""
    return status == Status.ACTIVE and role_allows(role, action)


def sees_all_agreements(role: str) -> bool:
    """Admins see the whole portfolio; coordinators only their own agreements."""
    return role == Role.ADMIN


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
    if status != Status.ACTIVE or not role_allows(role, Permission.VIEW_AGREEMENTS):
        return False
    if sees_all_agreements(role):
        return True
    if agreement_id in agreement_ids:
        return True
    return region_code is not None and region_code in party_region_codes


# --- the same questions about an acting subject ---------------------------------------------


def allows(subject: Member, action: str) -> bool:
    """Whether ``subject`` may perform ``action`` now."""
    return can(subject.role, subject.status, action)


def denial_reason(subject: Member | None, action: str) -> str | None:
    """Why ``subject`` may not perform ``action`` (``None``: it may).

    ``unknown`` (nobody we know), ``pending``, ``blocked`` (blocked or rejected) or ``role``:
    it depends on who asks, never on what exists.
    """
    if subject is None:
        return "unknown"
    if subject.status == Status.PENDING:
        return "pending"
    if subject.status != Status.ACTIVE:
        return "blocked"
    return None if role_allows(subject.role, action) else "role"


def require(subject: Member | None, action: str) -> None:
    """Raise :class:`AccessDenied` (``reason``: see :func:`denial_reason`) unless allowed."""
    reason = denial_reason(subject, action)
    if reason is not None:
        raise AccessDenied(reason=reason)


def may_act_on(subject: Member, agreement_id: int, party_region_codes: Collection[str]) -> bool:
    """Whether ``subject`` may see and update ``agreement_id`` (:func:`may_act_on_agreement`)."""
    return may_act_on_agreement(
        role=subject.role,
        status=subject.status,
        region_code=subject.region_code,
        agreement_ids=subject.agreement_ids,
        agreement_id=agreement_id,
        party_region_codes=party_region_codes,
    )


def may_record(subject: Member, party_region_codes: Collection[str]) -> bool:
    """Whether ``subject`` may record an agreement between these parties.

    An admin records any agreement; a coordinator only those their region is a party to (the
    ones they will see afterwards).
    """
    if not allows(subject, Permission.RECORD_AGREEMENT):
        return False
    if sees_all_agreements(subject.role):
        return True
    return subject.region_code is not None and subject.region_code in party_region_codes


def require_may_record(subject: Member, party_region_codes: Collection[str]) -> None:
    """Raise unless ``subject`` may record this agreement (:func:`may_record`): ``AccessDenied``
    without the permission, ``NotYourRegion`` for a coordinator of another region."""
    require(subject, Permission.RECORD_AGREEMENT)
    if not may_record(subject, party_region_codes):
        raise NotYourRegion()
