from __future__ import annotations

import pytest

from accounts import rules


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("official", rules.ASK, True),
        ("official", rules.UPLOAD, False),
        ("official", rules.VIEW_AGREEMENTS, False),
        ("trainer", rules.UPLOAD, True),
        ("trainer", rules.GAPS, True),
        ("trainer", rules.UPDATE_MILESTONE, False),
        ("coordinator", rules.UPDATE_MILESTONE, True),
        ("coordinator", rules.REPORT, True),
        ("coordinator", rules.PORTFOLIO, False),
        ("coordinator", rules.UPLOAD, False),
        ("admin", rules.MANAGE_USERS, True),
        ("admin", rules.PORTFOLIO, True),
        ("nobody", rules.ASK, False),
    ],
)
def test_role_matrix(role: str, action: str, allowed: bool) -> None:
    assert rules.can(role, rules.ACTIVE, action) is allowed


@pytest.mark.parametrize("status", [rules.PENDING, rules.BLOCKED, rules.REJECTED])
def test_inactive_users_may_do_nothing(status: str) -> None:
    for action in rules.ACTIONS:
        assert not rules.can(rules.ADMIN, status, action)


def test_every_role_has_permissions_and_admin_has_all() -> None:
    assert set(rules.PERMISSIONS) == set(rules.ROLES)
    assert rules.PERMISSIONS[rules.ADMIN] == rules.ACTIONS


def _may(role: str, **kw: object) -> bool:
    args: dict[str, object] = {
        "role": role,
        "status": rules.ACTIVE,
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
    assert not _may("coordinator", region_code="15.01", status=rules.BLOCKED)
    assert not _may("coordinator", region_code=None)
