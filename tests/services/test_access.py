from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from accounts.errors import (
    AccessDenied,
    InvalidLanguage,
    InvalidRole,
    InviteInvalid,
    LastAdmin,
    NotACoordinator,
    RegionRequired,
    RequestDecided,
    UserNotFound,
)
from accounts.repository import AccountsRepository
from core.clock import FixedClock
from mou_tracker.errors import AgreementNotFound
from services import Services
from services.access import Operator
from services.messages import error_message
from tests.fakes.tracker import OPERATOR, new_agreement

ADMIN = Operator("tg:1")


def test_add_and_get_user(services: Services) -> None:
    access = services.access
    assert access.get_user(100) is None
    user = access.add_user(100, "admin", name="Asep")
    assert user.role == "admin" and user.status == "active" and user.name == "Asep"
    assert access.get_user(100) == user
    assert access.has_admin()
    assert [u.telegram_id for u in access.admins()] == [100]


def test_add_user_is_idempotent_and_updates_role(services: Services) -> None:
    access = services.access
    access.add_user(1, "admin")
    access.add_user(2, "official", name="Budi")
    again = access.add_user(2, "trainer")
    assert again.role == "trainer" and again.name == "Budi"
    assert len(access.list_users()) == 2


def test_invalid_role_and_missing_region(services: Services) -> None:
    with pytest.raises(InvalidRole):
        services.access.add_user(1, "superuser")
    with pytest.raises(RegionRequired):
        services.access.add_user(1, "coordinator")
    assert services.access.list_users() == []


def test_require_refuses_unknown_pending_and_wrong_role(services: Services) -> None:
    access = services.access
    with pytest.raises(AccessDenied):
        access.require(5)
    access.request_access(5, "Citra")
    with pytest.raises(AccessDenied):
        access.require(5)
    access.approve(5, role="official", by=ADMIN)
    assert access.require(5).role == "official"
    with pytest.raises(AccessDenied):
        access.require(5, "admin", "trainer")


def test_request_access_once_then_reject(services: Services) -> None:
    access = services.access
    user, created = access.request_access(7, "Dewi", username="dewi", language="en-US")
    assert created and user.status == "pending" and user.language == "en"
    again, created_again = access.request_access(7, "Dewi")
    assert not created_again and again == user
    rejected = access.reject(7, by=ADMIN)
    assert rejected.status == "rejected"
    _, created_third = access.request_access(7, "Dewi")
    assert not created_third
    assert access.pending() == []


def test_a_request_is_decided_once_whoever_presses_first(services: Services) -> None:
    # Two admins (or one, twice) press the request's buttons at the same moment: the bot's
    # check that it is pending passes for both; the second decision must not overwrite.
    access = services.access
    access.request_access(8, "Fajar")
    assert access.approve(8, role="trainer", by=ADMIN, only_pending=True).role == "trainer"
    with pytest.raises(RequestDecided) as late:
        access.reject(8, by=ADMIN, only_pending=True)
    assert late.value.params["status"] == "active"
    assert "active" in error_message(late.value, "id")
    with pytest.raises(RequestDecided):
        access.approve(8, role="official", by=ADMIN, only_pending=True)
    user = access.get_user(8)
    assert user is not None and (user.status, user.role) == ("active", "trainer")
    # A blocked user is never let back in by an old request message either.
    access.block(8, by=ADMIN)
    with pytest.raises(RequestDecided):
        access.approve(8, role="official", by=ADMIN, only_pending=True)
    assert access.get_user(8).status == "blocked"  # type: ignore[union-attr]
    # The operator's `users approve` still re-admits whom they choose.
    assert access.approve(8, role="official", by=OPERATOR).status == "active"


def test_concurrent_decisions_on_one_request_leave_one(services: Services) -> None:
    access = services.access
    access.request_access(9, "Gita")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(action: str) -> None:
        start.wait()
        try:
            if action == "approve":
                access.approve(9, role="official", by=ADMIN, only_pending=True)
            else:
                access.reject(9, by=ADMIN, only_pending=True)
            outcomes.append(action)
        except RequestDecided:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(a,)) for a in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["approve", "refused"], ["refused", "reject"])
    decided = "approve" if "approve" in outcomes else "reject"
    assert access.get_user(9).status == {"approve": "active", "reject": "rejected"}[decided]  # type: ignore[union-attr]


def test_approve_unknown_user(services: Services) -> None:
    with pytest.raises(UserNotFound):
        services.access.approve(999, by=OPERATOR)


def test_invite_roundtrip(services: Services, clock: FixedClock) -> None:
    access = services.access
    code = access.create_invite("coordinator", "32.05", by=ADMIN).code
    assert 10 <= len(code) <= 64
    user = access.redeem_invite(code, 42, "Eka", username="eka")
    assert (user.role, user.region_code, user.status) == ("coordinator", "32.05", "active")
    assert [u.telegram_id for u in access.coordinators_for_region("32.05")] == [42]
    with pytest.raises(InviteInvalid):
        access.redeem_invite(code, 43, "Fajar")  # used once already
    assert access.get_user(43) is None


def test_an_invite_redeemed_by_two_people_at_once_lets_one_in(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A link shared in a group, opened by two people at the same moment: both find it unused;
    # one-time means the second is refused, not let in with the invite's role.
    access = services.access
    code = access.create_invite("trainer", None, by=ADMIN).code
    real_user = AccountsRepository.user
    raced = False

    def user_while_another_redeems(repo: AccountsRepository, telegram_id: int) -> object:
        nonlocal raced
        if not raced:  # the other person's redeem runs (and commits) right after our read
            raced = True
            access.redeem_invite(code, 61, "Indah")
        return real_user(repo, telegram_id)

    monkeypatch.setattr(AccountsRepository, "user", user_while_another_redeems)
    with pytest.raises(InviteInvalid):
        access.redeem_invite(code, 60, "Hana")
    monkeypatch.undo()
    assert access.get_user(60) is None
    assert access.get_user(61).role == "trainer"  # type: ignore[union-attr]


def test_invite_expires(services: Services, clock: FixedClock) -> None:
    code = services.access.create_invite("official", None, by=OPERATOR, valid_days=1).code
    clock.advance(timedelta(days=2))
    with pytest.raises(InviteInvalid):
        services.access.redeem_invite(code, 44, "Gita")
    with pytest.raises(InviteInvalid):
        services.access.redeem_invite("no-such-code", 44, "Gita")


def test_invite_does_not_lift_a_block(services: Services) -> None:
    access = services.access
    access.add_user(1, "admin")
    access.add_user(50, "official")
    access.block(50, by=ADMIN)
    code = access.create_invite("trainer", None, by=ADMIN).code
    with pytest.raises(AccessDenied):
        access.redeem_invite(code, 50, "Hadi")
    assert access.get_user(50).status == "blocked"  # type: ignore[union-attr]


def test_language_and_remove(services: Services) -> None:
    access = services.access
    access.add_user(1, "admin")
    access.add_user(9, "official")
    assert access.set_language(9, "en").language == "en"
    with pytest.raises(InvalidLanguage):
        access.set_language(9, "fr")
    removed = access.remove_user(9)
    assert removed.telegram_id == 9
    assert access.get_user(9) is None
    with pytest.raises(UserNotFound):
        access.remove_user(9)


def test_last_admin_cannot_be_removed_or_demoted(services: Services) -> None:
    access = services.access
    access.add_user(1, "admin")
    with pytest.raises(LastAdmin):
        access.remove_user(1)
    with pytest.raises(LastAdmin):
        access.add_user(1, "official")
    access.add_user(2, "admin")
    access.remove_user(1)
    assert [u.telegram_id for u in access.admins()] == [2]


def test_agreement_bindings_and_scope(services: Services) -> None:
    access = services.access
    bound = services.tracker.add_agreement(OPERATOR, new_agreement()).id
    other = bound + 1
    access.add_user(30, "coordinator", region_code="15.01")
    user = access.bind_agreement(30, bound)
    assert user.agreement_ids == (bound,)
    assert access.bind_agreement(30, bound).agreement_ids == (bound,)
    assert [u.telegram_id for u in access.coordinators_for_agreement(bound)] == [30]
    assert access.may_act_on_agreement(user, bound, ["32.73"])
    assert access.may_act_on_agreement(user, other, ["32.73", "15.01"])
    assert not access.may_act_on_agreement(user, other, ["32.73"])
    assert access.unbind_agreement(30, bound).agreement_ids == ()


@pytest.mark.parametrize("role", ["admin", "trainer", "official"])
def test_only_a_coordinator_is_bound_to_an_agreement(services: Services, role: str) -> None:
    access = services.access
    agreement = services.tracker.add_agreement(OPERATOR, new_agreement()).id
    access.add_user(31, role, region_code="15.01" if role == "official" else None)
    with pytest.raises(NotACoordinator) as info:
        access.bind_agreement(31, agreement)
    assert info.value.params == {"telegram_id": 31, "role": role}
    # Read as a sentence with any role ("User 31 is a admin" before).
    assert error_message(info.value, "en").startswith(f"User 31 ({role}) is not a coordinator")
    user = access.get_user(31)
    assert user is not None and user.agreement_ids == ()


def test_no_one_is_bound_to_an_agreement_not_recorded_yet(services: Services) -> None:
    # Bound anyway, the coordinator would hold whatever agreement is recorded under the id.
    access = services.access
    access.add_user(30, "coordinator", region_code="15.01")
    with pytest.raises(AgreementNotFound):
        access.bind_agreement(30, 999)
    user = access.get_user(30)
    assert user is not None
    assert user.agreement_ids == ()


def test_authorize_and_can(services: Services) -> None:
    access = services.access
    access.add_user(3, "trainer")
    assert access.authorize(3, "upload").role == "trainer"
    with pytest.raises(AccessDenied) as refused:
        access.authorize(3, "portfolio")
    assert refused.value.params["reason"] == "role"
    with pytest.raises(AccessDenied) as unknown:
        access.authorize(404, "ask")
    assert unknown.value.params["reason"] == "unknown"
    access.request_access(5, "Baru")
    with pytest.raises(AccessDenied) as pending:
        access.authorize(5, "ask")
    assert pending.value.params["reason"] == "pending"
    assert not access.can(None, "ask")


def test_user_management_needs_an_admin(services: Services) -> None:
    access = services.access
    official = access.add_user(3, "official")
    access.request_access(5, "Baru")
    with pytest.raises(AccessDenied):
        access.approve(5, role="official", by=official)
    with pytest.raises(AccessDenied):
        access.create_invite("official", None, by=official)
    assert access.approve(5, role="official", by=OPERATOR).status == "active"


def test_error_messages_exist_in_both_languages() -> None:
    for err in (AccessDenied(), InviteInvalid(), InvalidRole(role="x", choices="a")):
        for lang in ("id", "en"):
            text = error_message(err, lang)
            assert not text.startswith("error.")
    assert error_message(AccessDenied(), "id") != error_message(AccessDenied(), "en")


def test_regions_are_checked_and_names_resolved(services: Services) -> None:
    from core.errors import NotFound

    user = services.access.add_user(60, "coordinator", region_code="Kabupaten Kerinci")
    assert user.region_code == "15.01"
    with pytest.raises(NotFound) as caught:
        services.access.add_user(61, "coordinator", region_code="Kabupaten Antah Berantah")
    assert caught.value.code == "region.not_found"
    assert services.access.get_user(61) is None


def test_a_name_of_invisible_characters_is_stored_without_them(services: Services) -> None:
    access = services.access
    access.add_user(40, "official", region_code="15.01", name="Sari\u200b")
    access.add_user(41, "official", region_code="15.01", name="\u200b\ufeff")
    names = {u.telegram_id: u.name for u in access.list_users()}
    assert names[40] == "Sari"
    assert not names[41]  # shown by its Telegram ID, as a user without a name is
