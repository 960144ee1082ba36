"""Every query of the shared conversation state; never commits (the service does)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.models import ConversationData, Dialog, InboxUpdate, RateEvent, TrainerThread
from conversations.schemas import (
    DialogState,
    InboxStats,
    PendingUpdate,
    ThreadView,
    UpdateRecord,
)


class ConversationRepository:
    """Queries of the inbox, the conversation data, the dialogs, threads and rate events."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def _insert(self, table: Any) -> Any:
        dialect = self.s.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(table)
        if dialect == "sqlite":
            return sqlite.insert(table)
        raise RuntimeError(f"unsupported database: {dialect}")

    # ------------------------------------------------------------------ the inbox
    def add_update(
        self,
        update_id: int,
        chat_key: int,
        user_key: int | None,
        payload: str,
        now: datetime,
    ) -> bool:
        """Store an update unless it is already there; whether it was new."""
        stmt = (
            self._insert(InboxUpdate)
            .values(
                update_id=update_id,
                chat_key=chat_key,
                user_key=user_key,
                payload=payload,
                received_at=now,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(InboxUpdate.update_id)
        )
        # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT.
        return self.s.execute(stmt).first() is not None

    def pending_chats(self, limit: int, skip: Collection[int] = ()) -> list[int]:
        """Chats with pending updates, the one waiting longest first."""
        oldest = func.min(InboxUpdate.update_id)
        query = (
            select(InboxUpdate.chat_key)
            .where(InboxUpdate.handled_at.is_(None))
            .group_by(InboxUpdate.chat_key)
            .order_by(oldest)
            .limit(limit)
        )
        if skip:
            query = query.where(InboxUpdate.chat_key.not_in(list(skip)))
        return list(self.s.scalars(query))

    def oldest_pending(self, chat_key: int, skip: Collection[int] = ()) -> PendingUpdate | None:
        query = (
            select(InboxUpdate)
            .where(InboxUpdate.chat_key == chat_key, InboxUpdate.handled_at.is_(None))
            .order_by(InboxUpdate.update_id)
            .limit(1)
        )
        if skip:
            query = query.where(InboxUpdate.update_id.not_in(list(skip)))
        row = self.s.scalars(query).first()
        if row is None:
            return None
        return PendingUpdate(
            row.update_id, row.chat_key, row.user_key, row.payload, row.attempts, row.received_at
        )

    def begin_attempt(self, update_id: int, worker: str) -> int | None:
        """Count one more attempt; the attempts so far, or ``None`` if it was handled."""
        self.s.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None))
            .values(attempts=InboxUpdate.attempts + 1, worker=worker)
        )
        return self.s.scalar(
            select(InboxUpdate.attempts).where(
                InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None)
            )
        )

    def finish(self, update_id: int, outcome: str, now: datetime) -> bool:
        result = self.s.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None))
            .values(handled_at=now, outcome=outcome[:200])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def purge_handled(self, before: datetime) -> int:
        result = self.s.execute(
            delete(InboxUpdate).where(
                InboxUpdate.handled_at.is_not(None), InboxUpdate.handled_at < before
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def stats(self) -> InboxStats:
        pending, oldest, retried = self.s.execute(
            select(
                func.count(),
                func.min(InboxUpdate.received_at),
                func.count().filter(InboxUpdate.attempts > 0),
            ).where(InboxUpdate.handled_at.is_(None))
        ).one()
        return InboxStats(int(pending or 0), oldest, int(retried or 0))

    def update_outcomes(self, update_ids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
        """``update_id`` -> (attempts, outcome) (tests and the operator)."""
        rows = self.s.execute(
            select(InboxUpdate.update_id, InboxUpdate.attempts, InboxUpdate.outcome).where(
                InboxUpdate.update_id.in_(list(update_ids))
            )
        ).all()
        return {r.update_id: (r.attempts, r.outcome) for r in rows}

    def records(self, update_ids: Sequence[int]) -> list[UpdateRecord]:
        rows = self.s.scalars(
            select(InboxUpdate)
            .where(InboxUpdate.update_id.in_(list(update_ids)))
            .order_by(InboxUpdate.update_id)
        )
        return [
            UpdateRecord(r.update_id, r.chat_key, r.attempts, r.worker, r.outcome, r.handled_at)
            for r in rows
        ]

    # ------------------------------------------------------------------ user and chat data
    def data(self, scope: str, key: int) -> bytes | None:
        return self.s.scalar(
            select(ConversationData.value).where(
                ConversationData.scope == scope, ConversationData.key == key
            )
        )

    def put_data(self, scope: str, key: int, value: bytes, now: datetime) -> None:
        stmt = self._insert(ConversationData).values(
            scope=scope, key=key, value=value, updated_at=now
        )
        self.s.execute(
            stmt.on_conflict_do_update(
                index_elements=["scope", "key"],
                set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
            )
        )

    def drop_data(self, scope: str, key: int) -> None:
        self.s.execute(
            delete(ConversationData).where(
                ConversationData.scope == scope, ConversationData.key == key
            )
        )

    # ------------------------------------------------------------------ dialogs
    def dialogs(self, keys: Collection[tuple[str, str]], now: datetime) -> list[DialogState]:
        """The live dialogs among ``(name, key)`` pairs (expired ones are over)."""
        if not keys:
            return []
        rows = self.s.scalars(
            select(Dialog).where(
                tuple_(Dialog.name, Dialog.key).in_(list(keys)),
                or_(Dialog.expires_at.is_(None), Dialog.expires_at > now),
            )
        )
        return [DialogState(r.name, r.key, r.state, r.version) for r in rows]

    def write_dialog(
        self,
        name: str,
        key: str,
        state: str,
        expected: int | None,
        *,
        now: datetime,
        expires_at: datetime | None,
    ) -> int | None:
        """Set a dialog's state if it is still at ``expected`` (``None``: no live dialog);
        the new version, or ``None`` when another writer got there first."""
        if expected is None:
            # An expired dialog is over: it may be replaced.
            self.s.execute(
                delete(Dialog).where(
                    Dialog.name == name,
                    Dialog.key == key,
                    Dialog.expires_at.is_not(None),
                    Dialog.expires_at <= now,
                )
            )
            inserted = self.s.execute(
                self._insert(Dialog)
                .values(
                    name=name,
                    key=key,
                    state=state,
                    version=1,
                    updated_at=now,
                    expires_at=expires_at,
                )
                .on_conflict_do_nothing(index_elements=["name", "key"])
                .returning(Dialog.version)
            )
            return 1 if inserted.first() is not None else None
        result = self.s.execute(
            update(Dialog)
            .where(Dialog.name == name, Dialog.key == key, Dialog.version == expected)
            .values(state=state, version=expected + 1, updated_at=now, expires_at=expires_at)
        )
        return expected + 1 if result.rowcount else None  # type: ignore[attr-defined]

    def end_dialog(self, name: str, key: str, expected: int | None, now: datetime) -> bool:
        """End a dialog still at ``expected`` (``None``: only an expired one is cleared)."""
        condition = (
            Dialog.version == expected
            if expected is not None
            else and_(Dialog.expires_at.is_not(None), Dialog.expires_at <= now)
        )
        result = self.s.execute(
            delete(Dialog).where(Dialog.name == name, Dialog.key == key, condition)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def drop_dialog(self, name: str, key: str) -> None:
        """End a dialog whatever its version (its person was forgotten)."""
        self.s.execute(delete(Dialog).where(Dialog.name == name, Dialog.key == key))

    # ------------------------------------------------------------------ trainers' threads
    def put_thread(self, chat_id: int, message_id: int, thread: ThreadView, now: datetime) -> None:
        values = {
            "question": thread.question,
            "asker_chat_id": thread.asker_chat_id,
            "asker_user_id": thread.asker_user_id,
            "asker_language": thread.asker_language,
            "reply_to_message_id": thread.reply_to_message_id,
            "question_id": thread.question_id,
            "created_at": now,
        }
        stmt = self._insert(TrainerThread).values(chat_id=chat_id, message_id=message_id, **values)
        self.s.execute(
            stmt.on_conflict_do_update(index_elements=["chat_id", "message_id"], set_=values)
        )

    def thread(self, chat_id: int, message_id: int) -> ThreadView | None:
        row = self.s.get(TrainerThread, (chat_id, message_id))
        if row is None:
            return None
        return ThreadView(
            row.question,
            row.asker_chat_id,
            row.asker_user_id,
            row.asker_language,
            row.reply_to_message_id,
            row.question_id,
        )

    def purge_threads(self, before: datetime) -> int:
        result = self.s.execute(delete(TrainerThread).where(TrainerThread.created_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ rate limits
    def count_events(self, key: str, since: datetime) -> int:
        return int(
            self.s.scalar(select(func.count()).where(RateEvent.key == key, RateEvent.at > since))
            or 0
        )

    def add_event(self, key: str, at: datetime) -> None:
        self.s.add(RateEvent(key=key, at=at))

    def forget_events(self, key: str, before: datetime) -> None:
        self.s.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at <= before))

    # ------------------------------------------------------------------ one person's rows
    def _person_dialogs(self, telegram_id: int) -> list[Dialog]:
        """Dialogs whose conversation key (``[chat_id, user_id]`` or one of them) names the
        person; the text match only narrows, the parsed key decides."""
        rows = self.s.scalars(select(Dialog).where(Dialog.key.contains(str(telegram_id))))
        return [d for d in rows if telegram_id in _key_ids(d.key)]

    def _person_rate_keys(self, telegram_id: int) -> list[str]:
        keys = self.s.scalars(
            select(RateEvent.key).where(RateEvent.key.contains(f":{telegram_id}")).distinct()
        )
        return [k for k in keys if k.split(":", 1)[-1].split("!", 1)[0] == str(telegram_id)]

    def personal_data(self, telegram_id: int) -> dict[str, Any]:
        """What the bot's working state holds about one person (their private chat included)."""
        data = self.s.scalars(
            select(ConversationData).where(
                ConversationData.key == telegram_id, ConversationData.scope.in_(("user", "chat"))
            )
        )
        threads = self.s.scalars(
            select(TrainerThread).where(TrainerThread.asker_user_id == telegram_id)
        )
        updates = self.s.scalars(
            select(InboxUpdate)
            .where(InboxUpdate.user_key == telegram_id)
            .order_by(InboxUpdate.update_id)
        )
        rate_keys = self._person_rate_keys(telegram_id)
        return {
            "working_data": [
                {"scope": d.scope, "updated_at": d.updated_at, "value": d.value} for d in data
            ],
            "dialogs": [
                {"name": d.name, "state": d.state, "updated_at": d.updated_at}
                for d in self._person_dialogs(telegram_id)
            ],
            "forwarded_questions": [
                {"question": t.question, "language": t.asker_language, "created_at": t.created_at}
                for t in threads
            ],
            "messages_received": [
                {"update_id": u.update_id, "received_at": u.received_at, "payload": u.payload}
                for u in updates
            ],
            "rate_events": [
                {"key": e.key, "at": e.at}
                for e in self.s.scalars(
                    select(RateEvent).where(RateEvent.key.in_(rate_keys)).order_by(RateEvent.at)
                )
            ]
            if rate_keys
            else [],
        }

    def forget_person(
        self, telegram_id: int, blank: Callable[[str], str] = lambda text: text
    ) -> dict[str, int]:
        """Delete the person's working state, dialogs, stored messages and rate counts (none of
        it is a record that must stay). The questions they forwarded to the trainers stay
        without them (``blank`` takes their name out of the text): the trainer's side, a reply
        that becomes a curated answer, is not theirs to take away."""
        counts: dict[str, int] = {}
        result = self.s.execute(
            delete(ConversationData).where(
                ConversationData.key == telegram_id, ConversationData.scope.in_(("user", "chat"))
            )
        )
        counts["working_data"] = int(result.rowcount)  # type: ignore[attr-defined]
        dialogs = self._person_dialogs(telegram_id)
        for dialog in dialogs:
            self.s.delete(dialog)
        counts["dialogs"] = len(dialogs)
        threads = list(
            self.s.scalars(select(TrainerThread).where(TrainerThread.asker_user_id == telegram_id))
        )
        for thread in threads:
            thread.question = blank(thread.question)
            thread.asker_chat_id = thread.asker_user_id = thread.reply_to_message_id = None
        counts["forwarded_questions"] = len(threads)
        # Questions forwarded to the person's own chat (a trainer, when no trainers' group is
        # set): nobody can reply there any more, and the chat id is theirs.
        result = self.s.execute(delete(TrainerThread).where(TrainerThread.chat_id == telegram_id))
        counts["questions_forwarded_to_them"] = int(result.rowcount)  # type: ignore[attr-defined]
        result = self.s.execute(delete(InboxUpdate).where(InboxUpdate.user_key == telegram_id))
        counts["messages_received"] = int(result.rowcount)  # type: ignore[attr-defined]
        rate_keys = self._person_rate_keys(telegram_id)
        if rate_keys:
            result = self.s.execute(delete(RateEvent).where(RateEvent.key.in_(rate_keys)))
            counts["rate_events"] = int(result.rowcount)  # type: ignore[attr-defined]
        else:
            counts["rate_events"] = 0
        self.s.flush()
        return counts


def _key_ids(key: str) -> list[int]:
    try:
        parsed = json.loads(key)
    except ValueError:
        return []
    items = parsed if isinstance(parsed, list) else [parsed]
    return [i for i in items if isinstance(i, int) and not isinstance(i, bool)]
