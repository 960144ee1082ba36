from __future__ import annotations

import pytest

from accounts import rules
from accounts.rules import Permission, Role, Status


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("official", Permission.ASK, True),
        ("official", Permission.UPLOAD, False),
        ("official", Permission.VIEW_AGREEMENTS, False),
        ("trainer", Permission.UPLOAD, True),
        ("trainer", Permission.GAPS, True),
        ("trainer", Permission.UPDATE_MILESTONE, False),
        ("coordinator", Permission.UPDATE_MILESTONE, True),
        ("coordinator", Permission.REPORT, True),
        ("coordinator", Permission.PORTFOLIO, False),
        ("coordinator", Permission.UPLOAD, False),
        ("admin", Permission.MANAGE_USERS, True),
        ("admin", Permission.PORTFOLIO, True),
        ("nobody", Permission.ASK, False),
    ],
)
def test_role_matrix(role: str, action: str, allowed: bool) -> None:
    assert rules.can(role, Status.ACTIVE, action) is allowed


@pytest.mark.parametrize("status", [Status.PENDING, Status.BLOCKED, Status.REJECTED])
def test_inactive_users_may_do_nothing(status: str) -> None:
    for action in rules.ACTIONS:
        assert not rules.can(Role.ADMIN, status, action)


def test_every_role_has_permissions_and_admin_has_all() -> None:
    assert set(rules.PERMISSIONS) == set(rules.ROLES)
    assert rules.PERMISSIONS[Role.ADMIN] == rules.ACTIONS


def _may(role: str, **kw: object) -> bool:
    args: dict[str, object] = {
        "role": role,
        "status": Status.ACTIVE,
        "region_code": "32.05",
        "agreement_ids": (),
        "agreement_id": 7,
        "party_region_codes": ("32.73", "15.01"),
    }
    args.update(kw)
    return rules.may_act_on_agreement(**args)  # type: ignore[arg-type]


def test_agreement_scope() -> None:
    assert _may("admin")
    assert not _may("coordinator")
    assert _may("coordinator", agreement_ids=(7,))
    assert _may("coordinator", region_code="15.01")
    assert not _may("official", region_code="15.01")
    assert not _may("coordinator", region_code="15.01", status=Status.BLOCKED)
    assert not _may("coordinator", region_code=None)
