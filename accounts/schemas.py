"""Values the accounts area hands out (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
        return self.status == "active"

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
