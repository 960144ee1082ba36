"""Queries over the accounts tables. Repositories never commit: the service owns the session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from accounts import rules
from accounts.models import ForgetEvent, Invite, User, UserAgreement
from accounts.schemas import InviteView, UserView
from core.db import row_dict


class AccountsRepository:
    """Reads and writes users, their agreement bindings and invites in one session."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def claim_pending(self, telegram_id: int, now: datetime) -> bool:
        """Take the write lock on a pending request, if it is still pending: of two admins
        deciding it at once, the second finds it decided (a conditional UPDATE, atomic on
        SQLite and PostgreSQL alike)."""
        result = self.s.execute(
            update(User)
            .where(User.telegram_id == telegram_id, User.status == rules.Status.PENDING)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def holds_user(self, telegram_id: int) -> bool:
        """Whether the account exists, its row locked until the transaction ends (PostgreSQL):
        a forgetting of the person waits for this transaction, or this one for it."""
        stmt = select(User.id).where(User.telegram_id == telegram_id).with_for_update()
        return self.s.scalars(stmt).first() is not None

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

    def claim_invite(self, invite_id: int, telegram_id: int, now: datetime) -> bool:
        """Mark an unused invite used by ``telegram_id``; ``False`` if someone used it first
        (a conditional UPDATE: of two people redeeming one link at once, one gets in)."""
        result = self.s.execute(
            update(Invite)
            .where(Invite.id == invite_id, Invite.used_by.is_(None))
            .values(used_by=telegram_id, used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def invites(self) -> list[Invite]:
        return list(self.s.scalars(select(Invite).order_by(Invite.id)))

    # --- personal data (UU 27/2022): what is held about one person, and forgetting it --------

    def personal_data(self, telegram_id: int, actor: str) -> dict[str, Any]:
        """The person's account (or access request), bound agreements and invites."""
        user = self.user(telegram_id)
        created = select(Invite).where(Invite.created_by == actor).order_by(Invite.id)
        used = select(Invite).where(Invite.used_by == telegram_id).order_by(Invite.id)
        return {
            "account": None if user is None else row_dict(user),
            "bound_agreements": (
                [] if user is None else sorted(a.agreement_id for a in user.agreements)
            ),
            "invites_created": [row_dict(i) for i in self.s.scalars(created)],
            "invite_used": [row_dict(i) for i in self.s.scalars(used)],
        }

    def note_forgotten(self, at: datetime) -> None:
        """Record that someone was forgotten at ``at`` (not who: see :class:`ForgetEvent`)."""
        self.s.add(ForgetEvent(forgotten_at=at))
        self.s.flush()

    def prune_forget_events(self, before: datetime) -> int:
        """Delete the forget events from before ``before`` (no queued write needs them)."""
        gone = self.s.execute(delete(ForgetEvent).where(ForgetEvent.forgotten_at < before))
        return int(gone.rowcount)  # type: ignore[attr-defined]

    def forgotten_since(self, telegram_id: int, since: datetime) -> bool:
        """Whether the person may have been forgotten after ``since``: someone was, and the
        person has no account from before that forgetting (theirs was deleted, or made anew
        after it). An account made between ``since`` and the first forgetting since is no
        account made anew."""
        first = self.s.scalar(
            select(func.min(ForgetEvent.forgotten_at)).where(ForgetEvent.forgotten_at >= since)
        )
        if first is None:
            return False
        user = self.user(telegram_id)
        return user is None or user.created_at > first

    def forget_person(self, telegram_id: int, actor: str, pseudonym: str) -> dict[str, int]:
        """Delete the account (request, bindings) and the unused invites the person created;
        an invite they used or handed out keeps its row without naming them."""
        user = self.user(telegram_id)
        if user is not None:
            self.s.delete(user)
        pending = self.s.execute(
            delete(Invite).where(Invite.created_by == actor, Invite.used_by.is_(None))
        ).rowcount  # type: ignore[attr-defined]
        handed_out = self.s.execute(
            update(Invite).where(Invite.created_by == actor).values(created_by=pseudonym)
        ).rowcount  # type: ignore[attr-defined]
        used = self.s.execute(
            update(Invite).where(Invite.used_by == telegram_id).values(used_by=None)
        ).rowcount  # type: ignore[attr-defined]
        self.s.flush()
        return {
            "accounts": int(user is not None),
            "invites_deleted": pending,
            "invites_pseudonymised": handed_out + used,
        }


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
