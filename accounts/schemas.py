"""Values the accounts area hands out (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from accounts.rules import Member, Role, Status


class AuthSubject(Member, Protocol):
    """Who performs a use case; every tracker read and write takes one.

    Like the ``auth_subject`` the Polar codebase passes to its services: the service decides
    what the subject may see and do, the transports only translate its refusals. A bot user
    (:class:`UserView`) acts with their role, region and bound agreements; the person at the
    server acts as the :class:`Operator`.
    """

    @property
    def actor(self) -> str:
        """How the subject is named in audit logs (``tg:123``, ``cli``)."""
        ...


@dataclass(frozen=True)
class Operator:
    """The person at the server: the ``sinergi`` commands, the terminal chat without a
    configured user, the demo seed. Whoever can run them can read the database anyway, so the
    operator acts with admin rights; that is stated here once, not assumed by accident.

    ``actor`` is the name the audit log keeps (``cli``, ``cli:chat``, ``demo``, ``--by``).
    """

    actor: str = "cli"
    role: str = Role.ADMIN
    status: str = Status.ACTIVE
    region_code: str | None = None
    agreement_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class UserView:
    id: int
    telegram_id: int
    name: str
    username: str | None
    role: str
    status: str
    region_code: str | None
    language: str
    agreement_ids: tuple[int, ...] = ()
    created_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def actor(self) -> str:
        """How this user is named in audit logs."""
        return f"tg:{self.telegram_id}"


@dataclass(frozen=True)
class InviteView:
    code: str
    role: str
    region_code: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    used_by: int | None
    used_at: datetime | None
