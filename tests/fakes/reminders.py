"""Fakes and factories for the reminder tests: a recipient directory, senders, seeded agreements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.views.reminders import OutgoingMessage, render
from core.db import Base
from migrations import import_model_modules
from services.reminders import ReminderMessage, TransientSendError, UndeliverableError

ZONES = {
    "32.73": "Asia/Jakarta",  # Kota Bandung (WIB)
    "15.01": "Asia/Jakarta",  # Kabupaten Kerinci (WIB)
    "73.71": "Asia/Makassar",  # Kota Makassar (WITA)
    "91.71": "Asia/Jayapura",  # Kota Jayapura (WIT)
}
NAMES = {
    "32.73": "Kota Bandung",
    "15.01": "Kabupaten Kerinci",
    "73.71": "Kota Makassar",
    "91.71": "Kota Jayapura",
}


@dataclass(frozen=True)
class FakeUser:
    telegram_id: int
    name: str = "User"
    role: str = "coordinator"
    status: str = "active"
    region_code: str | None = None
    language: str = "id"
    agreement_ids: tuple[int, ...] = ()
    username: str | None = None


@dataclass
class FakeDirectory:
    """The part of the access service reminders use, over an editable list of users."""

    users: list[FakeUser] = field(default_factory=list)

    def coordinators_for_region(self, code: str) -> list[FakeUser]:
        return [
            u
            for u in self.users
            if u.role == "coordinator" and u.status == "active" and u.region_code == code
        ]

    def admins(self) -> list[FakeUser]:
        return [u for u in self.users if u.role == "admin" and u.status == "active"]

    def get_user(self, telegram_id: int) -> FakeUser | None:
        return next((u for u in self.users if u.telegram_id == telegram_id), None)

    def list_users(self) -> list[FakeUser]:
        """Like ``AccessService.list_users()``: every user, whatever the role and status."""
        return list(self.users)

    def change(self, telegram_id: int, **changes: object) -> None:
        self.users = [
            replace(u, **changes) if u.telegram_id == telegram_id else u  # type: ignore[arg-type]
            for u in self.users
        ]


@dataclass
class MinimalDirectory:
    """Only the three methods of ``RecipientDirectory`` (no ``list_users``)."""

    inner: FakeDirectory

    def coordinators_for_region(self, code: str) -> list[FakeUser]:
        return self.inner.coordinators_for_region(code)

    def admins(self) -> list[FakeUser]:
        return self.inner.admins()

    def get_user(self, telegram_id: int) -> FakeUser | None:
        return self.inner.get_user(telegram_id)


class Crash(BaseException):
    """Stands for the process being killed (not an Exception: nothing may catch it)."""


@dataclass
class FakeSender:
    """Renders each message as the bot does (Telegram HTML, buttons) and records it instead of
    sending it; can fail per recipient.

    ``fail`` maps a telegram id to an exception to raise *instead of* delivering;
    ``crash_after_delivery`` delivers and then dies before the caller learns of it.
    """

    delivered: list[OutgoingMessage] = field(default_factory=list)
    fail: dict[int, Exception] = field(default_factory=dict)
    crash_after_delivery: bool = False
    on_send: Callable[[OutgoingMessage], None] | None = None

    def send(self, reminder: ReminderMessage) -> int | None:
        message = render(reminder)
        if self.on_send is not None:
            self.on_send(message)
        error = self.fail.get(message.telegram_id)
        if error is not None:
            raise error
        self.delivered.append(message)
        if self.crash_after_delivery:
            raise Crash()
        return 1000 + len(self.delivered)

    def to(self, telegram_id: int) -> list[OutgoingMessage]:
        return [m for m in self.delivered if m.telegram_id == telegram_id]


__all__ = [
    "NAMES",
    "ZONES",
    "Crash",
    "FakeDirectory",
    "FakeSender",
    "FakeUser",
    "MinimalDirectory",
    "TransientSendError",
    "UndeliverableError",
    "seed_agreement",
]


def seed_agreement(
    engine: Engine,
    *,
    agreement_id: int,
    parties: Sequence[str],
    milestones: Sequence[tuple[int, str, date | None, str | None]] = (),
    status: str = "active",
    signed_on: date | None = date(2025, 6, 1),
    ends_on: date | None = None,
    title: str | None = None,
    owner: str | None = None,
    done: Sequence[int] = (),
    recorded_at: datetime = datetime(2025, 6, 1, tzinfo=UTC),
) -> None:
    """Insert an agreement with its parties and ``(id, title, due_on, responsible)`` milestones
    straight into the tracker's contracted tables (``recorded_at``: when Sinergi recorded it)."""
    import_model_modules()
    tables = Base.metadata.tables
    now = recorded_at
    with engine.begin() as conn:
        conn.execute(
            insert(tables["agreements"]).values(
                id=agreement_id,
                kind="kb",
                title=title or f"Replikasi Hayu.Bdg #{agreement_id}",
                status=status,
                signed_on=signed_on,
                ends_on=ends_on,
                owner_region_code=owner or parties[0],
                created_at=now,
                updated_at=now,
            )
        )
        conn.execute(
            insert(tables["agreement_parties"]),
            [
                {
                    "agreement_id": agreement_id,
                    "position": i,
                    "region_code": code,
                    "document_number": f"{agreement_id}/{i}/KB/2025",
                }
                for i, code in enumerate(parties)
            ],
        )
        if milestones:
            conn.execute(
                insert(tables["milestones"]),
                [
                    {
                        "id": mid,
                        "agreement_id": agreement_id,
                        "key": f"m{mid}",
                        "title": mtitle,
                        "position": i,
                        "due_on": due_on,
                        "responsible_region_code": responsible,
                        "status": "done" if mid in done else "planned",
                    }
                    for i, (mid, mtitle, due_on, responsible) in enumerate(milestones)
                ],
            )
