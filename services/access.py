"""Access to Sinergi: users, roles, access requests, invites and permission checks.

Shared by the bot (every handler asks :meth:`AccessService.authorize` who the user is and
whether they may act), the CLI (``sinergi users``) and the reminder job
(``coordinators_for_region``, ``admins``). The roles, statuses and permissions the transports
name come from here too, so no transport reaches into ``accounts``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules
from accounts.errors import (
    AccessDenied,
    InvalidInviteDays,
    InvalidLanguage,
    InvalidRole,
    InvalidTelegramId,
    InviteInvalid,
    LastAdmin,
    NotACoordinator,
    NotYourRegion,
    RegionRequired,
    RequestDecided,
    UserNotFound,
)
from accounts.models import Invite, User, UserAgreement
from accounts.repository import AccountsRepository, invite_view, user_view
from accounts.rules import Permission, Role, Status
from accounts.schemas import AuthSubject, InviteView, Operator, UserView
from core.clock import Clock, SystemClock
from core.errors import InvalidChoice, NotFound
from core.i18n import LANGUAGES, normalize_language
from mou_tracker.errors import AgreementNotFound
from mou_tracker.regions import name_key, split_prefix
from mou_tracker.repository import TrackerRepository

__all__ = [
    "AccessDenied",
    "AccessService",
    "AuthSubject",
    "InviteView",
    "NotYourRegion",
    "Operator",
    "Permission",
    "RegionRead",
    "Role",
    "Status",
    "UserView",
]

INVITE_VALID_DAYS = 14


@dataclass(frozen=True)
class RegionRead:
    """A region as an admin typed it: its code and official name, and whether the name was
    written exactly (not read through a typo)."""

    code: str
    name: str
    exact: bool


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


class RegionLookup(Protocol):
    """The part of the region directory access needs (``mou_tracker.regions.RegionDirectory``)."""

    def get(self, code: str) -> _Coded: ...

    def resolve(self, name: str) -> _Coded: ...


def _existing_user(repo: AccountsRepository, telegram_id: int) -> User:
    """The configured user, or :class:`UserNotFound`."""
    user = repo.user(telegram_id)
    if user is None:
        raise UserNotFound(telegram_id=telegram_id)
    return user


def _claim_pending(repo: AccountsRepository, telegram_id: int, now: datetime) -> None:
    """Hold a request that is still pending, or raise what became of it."""
    if not repo.claim_pending(telegram_id, now):
        user = _existing_user(repo, telegram_id)
        raise RequestDecided(telegram_id=telegram_id, status=user.status)


class AccessService:
    """Who may use Sinergi and as what.

    Args:
        session_factory: sessions on the database holding the ``users`` tables.
        clock: the current instant for timestamps and invite expiry.
        regions: gives the region directory, to validate and resolve region codes and names;
            ``None`` accepts region codes as given.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        *,
        regions: Callable[[], RegionLookup] | None = None,
        default_language: str = "id",
    ) -> None:
        self._sf = session_factory
        self._clock = clock or SystemClock()
        self._regions = regions
        self._default_language = normalize_language(default_language)

    # --- reading -----------------------------------------------------------------------------

    def get_user(self, telegram_id: int) -> UserView | None:
        with self._sf.begin() as s:
            user = AccountsRepository(s).user(telegram_id)
            return user_view(user) if user else None

    def require(self, telegram_id: int, *roles: str) -> UserView:
        """The active user ``telegram_id``, if their role is one of ``roles`` (any role if none).

        Raises:
            AccessDenied: unknown, pending, blocked or rejected user, or a role not in ``roles``.
        """
        user = self.get_user(telegram_id)
        if user is None or user.status != rules.Status.ACTIVE:
            raise AccessDenied()
        if roles and user.role not in roles:
            raise AccessDenied()
        return user

    def authorize(self, telegram_id: int, action: str) -> UserView:
        """The user ``telegram_id`` if they may perform ``action`` now.

        Raises:
            AccessDenied: with ``reason`` ``unknown``, ``pending``, ``blocked`` or ``role``
                (the transports say why in the user's language).
        """
        return self.check(self.get_user(telegram_id), action)

    @staticmethod
    def check(user: UserView | None, action: str) -> UserView:
        """``user`` if they may perform ``action`` now (the rule :meth:`authorize` applies).

        Raises:
            AccessDenied: with the ``reason`` (see :meth:`authorize`).
        """
        rules.require(user, action)
        assert user is not None
        return user

    @staticmethod
    def can(subject: AuthSubject | None, action: str) -> bool:
        """Whether ``subject`` may perform ``action`` (e.g. to offer a button or not)."""
        return subject is not None and rules.allows(subject, action)

    @staticmethod
    def may_act_on_agreement(
        subject: AuthSubject | None, agreement_id: int, party_region_codes: Sequence[str]
    ) -> bool:
        return subject is not None and rules.may_act_on(subject, agreement_id, party_region_codes)

    def list_users(self, *, role: str | None = None, status: str | None = None) -> list[UserView]:
        """Users, optionally of one role and status (an unknown one is an error, not "none")."""
        if role is not None:
            role = self._check_role(role)
        if status is not None and status not in rules.STATUSES:
            raise InvalidChoice("status", status, rules.STATUSES)
        with self._sf.begin() as s:
            users = AccountsRepository(s).users(
                roles=[role] if role else None, statuses=[status] if status else None
            )
            return [user_view(u) for u in users]

    def pending(self) -> list[UserView]:
        return self.list_users(status=rules.Status.PENDING)

    def admins(self) -> list[UserView]:
        """Active admins (they receive access requests, escalations and error reports)."""
        return self.list_users(role=rules.Role.ADMIN, status=rules.Status.ACTIVE)

    def trainers(self) -> list[UserView]:
        return self.list_users(role=rules.Role.TRAINER, status=rules.Status.ACTIVE)

    def coordinators_for_region(self, code: str) -> list[UserView]:
        """Active coordinators of region ``code``."""
        with self._sf.begin() as s:
            users = AccountsRepository(s).users(
                roles=[rules.Role.COORDINATOR], statuses=[rules.Status.ACTIVE], region_code=code
            )
            return [user_view(u) for u in users]

    def coordinators_for_agreement(self, agreement_id: int) -> list[UserView]:
        """Active coordinators bound to ``agreement_id`` explicitly."""
        with self._sf.begin() as s:
            users = AccountsRepository(s).users_bound_to(agreement_id)
            return [
                user_view(u)
                for u in users
                if u.role == rules.Role.COORDINATOR and u.status == rules.Status.ACTIVE
            ]

    def has_admin(self) -> bool:
        return bool(self.admins())

    def list_invites(self) -> list[InviteView]:
        with self._sf.begin() as s:
            return [invite_view(i) for i in AccountsRepository(s).invites()]

    # --- writing -----------------------------------------------------------------------------

    def add_user(
        self,
        telegram_id: int,
        role: str,
        region_code: str | None = None,
        name: str | None = None,
        *,
        username: str | None = None,
        language: str | None = None,
    ) -> UserView:
        """Add an active user, or make an existing one active with this role (idempotent)."""
        if not rules.is_telegram_user_id(telegram_id):
            raise InvalidTelegramId(telegram_id=telegram_id)
        role = self._check_role(role)
        region = self._check_region(role, region_code)
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            user = repo.user(telegram_id)
            if user is None:
                user = User(
                    telegram_id=telegram_id,
                    name=(name or "").strip(),
                    username=username,
                    role=role,
                    status=rules.Status.ACTIVE,
                    region_code=region,
                    language=self._language(language),
                    created_at=now,
                    updated_at=now,
                    agreements=[],
                )
                repo.add(user)
            else:
                if user.role == rules.Role.ADMIN and role != rules.Role.ADMIN:
                    self._ensure_other_admin(repo, user)
                user.role = role
                user.status = rules.Status.ACTIVE
                user.region_code = region
                if name:
                    user.name = name.strip()
                if username:
                    user.username = username
                if language:
                    user.language = self._language(language)
                user.updated_at = now
                s.flush()
            return user_view(user)

    def request_access(
        self,
        telegram_id: int,
        name: str,
        username: str | None = None,
        language: str | None = None,
    ) -> tuple[UserView, bool]:
        """Record an access request (a pending official) for a new user.

        Returns:
            The user and whether a new request was created (False: the user was known already,
            whatever their status; nothing changes for them).
        """
        now = self._clock.now()
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            user = repo.user(telegram_id)
            if user is not None:
                return user_view(user), False
            user = User(
                telegram_id=telegram_id,
                name=name.strip(),
                username=username,
                role=rules.Role.OFFICIAL,
                status=rules.Status.PENDING,
                region_code=None,
                language=self._language(language),
                created_at=now,
                updated_at=now,
                agreements=[],
            )
            repo.add(user)
            return user_view(user), True

    def approve(
        self,
        telegram_id: int,
        *,
        role: str = rules.Role.OFFICIAL,
        region_code: str | None = None,
        by: AuthSubject,
        only_pending: bool = False,
    ) -> UserView:
        """Activate a pending (or rejected) user with ``role`` (``by`` manages users).

        ``only_pending``: an access request's button; refused with :class:`RequestDecided` if
        the request was decided meanwhile (another admin, the same button pressed twice).
        """
        rules.require(by, Permission.MANAGE_USERS)
        role = self._check_role(role)
        region = self._check_region(role, region_code)
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            if only_pending:
                _claim_pending(repo, telegram_id, self._clock.now())
            user = _existing_user(repo, telegram_id)
            user.role = role
            user.status = rules.Status.ACTIVE
            user.region_code = region
            user.updated_at = self._clock.now()
            s.flush()
            return user_view(user)

    def reject(self, telegram_id: int, *, by: AuthSubject, only_pending: bool = False) -> UserView:
        """Refuse a request; the user stays known so repeating /start does not spam admins.
        ``only_pending`` as in :meth:`approve`."""
        rules.require(by, Permission.MANAGE_USERS)
        return self._shut_out(telegram_id, rules.Status.REJECTED, only_pending=only_pending)

    def block(self, telegram_id: int, *, by: AuthSubject) -> UserView:
        """Keep a user out; they learn nothing more from the bot."""
        rules.require(by, Permission.MANAGE_USERS)
        return self._shut_out(telegram_id, rules.Status.BLOCKED)

    def _shut_out(self, telegram_id: int, status: str, *, only_pending: bool = False) -> UserView:
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            if only_pending:
                _claim_pending(repo, telegram_id, self._clock.now())
            user = _existing_user(repo, telegram_id)
            if user.role == rules.Role.ADMIN and user.status == rules.Status.ACTIVE:
                self._ensure_other_admin(repo, user)
            user.status = status
            user.updated_at = self._clock.now()
            s.flush()
            return user_view(user)

    def remove_user(self, telegram_id: int) -> UserView:
        """Delete a user and their agreement bindings; returns what was removed."""
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            user = _existing_user(repo, telegram_id)
            if user.role == rules.Role.ADMIN and user.status == rules.Status.ACTIVE:
                self._ensure_other_admin(repo, user)
            view = user_view(user)
            repo.delete(user)
            return view

    def set_language(self, telegram_id: int, lang: str) -> UserView:
        code = lang.strip().lower()
        if code not in LANGUAGES:
            raise InvalidLanguage(language=lang, choices=", ".join(LANGUAGES))
        with self._sf.begin() as s:
            user = _existing_user(AccountsRepository(s), telegram_id)
            user.language = code
            user.updated_at = self._clock.now()
            s.flush()
            return user_view(user)

    def bind_agreement(self, telegram_id: int, agreement_id: int) -> UserView:
        """Make the user responsible for ``agreement_id`` (idempotent).

        Raises:
            NotACoordinator: the user is not a coordinator (nothing bound).
            AgreementNotFound: no agreement has that id (bound anyway, the binding would give
                its holder whatever agreement is recorded later under the id).
        """
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            user = _existing_user(repo, telegram_id)
            if user.role != rules.Role.COORDINATOR:
                raise NotACoordinator(telegram_id=telegram_id, role=user.role)
            if not TrackerRepository(s).agreement_exists(agreement_id):
                raise AgreementNotFound(agreement_id=agreement_id)
            if all(a.agreement_id != agreement_id for a in user.agreements):
                user.agreements.append(UserAgreement(agreement_id=agreement_id))
                user.updated_at = self._clock.now()
                s.flush()
            return user_view(user)

    def unbind_agreement(self, telegram_id: int, agreement_id: int) -> UserView:
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            user = _existing_user(repo, telegram_id)
            user.agreements = [a for a in user.agreements if a.agreement_id != agreement_id]
            user.updated_at = self._clock.now()
            s.flush()
            return user_view(user)

    # --- invites -----------------------------------------------------------------------------

    def create_invite(
        self,
        role: str,
        region_code: str | None,
        *,
        by: AuthSubject,
        now: datetime | None = None,
        valid_days: int = INVITE_VALID_DAYS,
    ) -> InviteView:
        """A one-time invite (its code is URL-safe, usable as a ``/start`` deep-link payload),
        with the role and the region as read (a name becomes its code).

        Raises:
            InvalidInviteDays: ``valid_days`` is negative or longer than a year.
        """
        rules.require(by, Permission.MANAGE_USERS)
        if not rules.invite_days_valid(valid_days):
            raise InvalidInviteDays(str(valid_days), days=valid_days, max=rules.MAX_INVITE_DAYS)
        role = self._check_role(role)
        region = self._check_region(role, region_code)
        now = now or self._clock.now()
        code = secrets.token_urlsafe(12)  # 16 characters of [A-Za-z0-9_-]
        invite = Invite(
            code=code,
            role=role,
            region_code=region,
            created_by=by.actor,
            created_at=now,
            expires_at=now + timedelta(days=valid_days) if valid_days > 0 else None,
        )
        with self._sf.begin() as s:
            AccountsRepository(s).add(invite)
            return invite_view(invite)

    def region_name(self, code: str) -> str:
        """A region's official name, to show what a code or a typed name was read as."""
        if self._regions is None:
            return code
        found = self._regions().get(code)
        return str(getattr(found, "name", found.code))

    def redeem_invite(
        self,
        code: str,
        telegram_id: int,
        name: str,
        *,
        username: str | None = None,
        language: str | None = None,
        now: datetime | None = None,
    ) -> UserView:
        """Let the holder of ``code`` in with the invite's role and region.

        Raises:
            InviteInvalid: unknown, used or expired code.
            AccessDenied: the user was blocked (an invite does not lift a block).
        """
        now = now or self._clock.now()
        with self._sf.begin() as s:
            repo = AccountsRepository(s)
            invite = repo.invite(code.strip())
            if invite is None or invite.used_by is not None:
                raise InviteInvalid()
            if invite.expires_at is not None and invite.expires_at <= now:
                raise InviteInvalid()
            user = repo.user(telegram_id)
            if user is not None and user.status == rules.Status.BLOCKED:
                raise AccessDenied()
            if not repo.claim_invite(invite.id, telegram_id, now):
                raise InviteInvalid()  # redeemed by someone else a moment ago
            if user is None:
                user = User(
                    telegram_id=telegram_id,
                    name=name.strip(),
                    username=username,
                    role=invite.role,
                    status=rules.Status.ACTIVE,
                    region_code=invite.region_code,
                    language=self._language(language),
                    created_at=now,
                    updated_at=now,
                    agreements=[],
                )
                repo.add(user)
            else:
                if user.role == rules.Role.ADMIN and invite.role != rules.Role.ADMIN:
                    self._ensure_other_admin(repo, user)
                user.role = invite.role
                user.status = rules.Status.ACTIVE
                user.region_code = invite.region_code
                user.updated_at = now
            s.flush()
            return user_view(user)

    # --- helpers -----------------------------------------------------------------------------

    def _language(self, language: str | None) -> str:
        return normalize_language(language) if language else self._default_language

    @staticmethod
    def _check_role(role: str) -> str:
        value = role.strip().lower()
        if not rules.is_role(value):
            raise InvalidRole(role=role, choices=", ".join(rules.ROLES))
        return value

    def _check_region(self, role: str, region: str | None) -> str | None:
        region = (region or "").strip() or None
        if region is None:
            if role == rules.Role.COORDINATOR:
                raise RegionRequired()
            return None
        if self._regions is None:
            return region
        directory = self._regions()
        try:
            return directory.get(region).code
        except NotFound as err:  # not a known code: try it as a name
            if err.code != "region.not_found":
                raise
        return directory.resolve(region).code

    def read_region(self, text: str) -> RegionRead:
        """The region an admin typed (a code, or a name read forgivingly), and whether it was
        written exactly: a name read through a typo ("Kerincii") is confirmed before saving.

        Raises:
            RegionNotFound, RegionAmbiguous: as the directory's ``resolve``.
        """
        text = " ".join(str(text).split())
        if not text:
            raise RegionRequired()
        if self._regions is None:
            return RegionRead(text, text, exact=True)
        directory = self._regions()
        try:
            found = directory.get(text)
            exact = True
        except NotFound as err:  # not a known code: try it as a name
            if err.code != "region.not_found":
                raise
            found = directory.resolve(text)
            official = str(getattr(found, "name", found.code))
            exact = name_key(split_prefix(official)[1]) == name_key(split_prefix(text)[1])
        return RegionRead(found.code, str(getattr(found, "name", found.code)), exact=exact)

    @staticmethod
    def _ensure_other_admin(repo: AccountsRepository, user: User) -> None:
        others = [
            u
            for u in repo.users(roles=[rules.Role.ADMIN], statuses=[rules.Status.ACTIVE])
            if u.id != user.id
        ]
        if not others:
            raise LastAdmin()
