"""Queries over the accounts tables. Repositories never commit: the service owns the session."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from accounts.models import Invite, User, UserAgreement
from accounts.schemas import InviteView, UserView


class AccountsRepository:
    """Reads and writes users, their agreement bindings and invites in one session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def user(self, telegram_id: int) -> User | None:
        stmt = (
            select(User)
            .where(User.telegram_id == telegram_id)
            .options(selectinload(User.agreements))
        )
        return self.s.scalars(stmt).one_or_none()

    def users(
        self,
        *,
        roles: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
        region_code: str | None = None,
    ) -> list[User]:
        stmt = select(User).options(selectinload(User.agreements)).order_by(User.id)
        if roles is not None:
            stmt = stmt.where(User.role.in_(roles))
        if statuses is not None:
            stmt = stmt.where(User.status.in_(statuses))
        if region_code is not None:
            stmt = stmt.where(User.region_code == region_code)
        return list(self.s.scalars(stmt))

    def users_bound_to(self, agreement_id: int) -> list[User]:
        stmt = (
            select(User)
            .join(UserAgreement, UserAgreement.user_id == User.id)
            .where(UserAgreement.agreement_id == agreement_id)
            .options(selectinload(User.agreements))
            .order_by(User.id)
        )
        return list(self.s.scalars(stmt))

    def add(self, obj: User | Invite | UserAgreement) -> None:
        self.s.add(obj)
        self.s.flush()

    def delete(self, obj: User | Invite | UserAgreement) -> None:
        self.s.delete(obj)
        self.s.flush()

    def invite(self, code: str) -> Invite | None:
        return self.s.scalars(select(Invite).where(Invite.code == code)).one_or_none()

    def invites(self) -> list[Invite]:
        return list(self.s.scalars(select(Invite).order_by(Invite.id)))


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        telegram_id=user.telegram_id,
        name=user.name,
        username=user.username,
        role=user.role,
        status=user.status,
        region_code=user.region_code,
        language=user.language,
        agreement_ids=tuple(sorted(a.agreement_id for a in user.agreements)),
        created_at=user.created_at,
    )


def invite_view(invite: Invite) -> InviteView:
    return InviteView(
        code=invite.code,
        role=invite.role,
        region_code=invite.region_code,
        created_by=invite.created_by,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        used_by=invite.used_by,
        used_at=invite.used_at,
    )
