"""Personal data (UU 27/2022 on personal data protection): retention, export and forgetting.

Who asked what is kept in the question log for ``question_log_retention_days`` (default 180);
after that the asker is replaced by a keyed pseudonym (``anon:`` + HMAC-SHA256 of ``tg:123``
under the deployment's pseudonym key): the gap statistics still group one asker's questions,
but the name is gone. :meth:`PrivacyService.export_person` gathers everything held about one
person; :meth:`PrivacyService.forget_person` deletes it, or where the record must stay (the
agreements' audit trail, the questions in the gap statistics) puts a pseudonym in the person's
place, one drawn at random for this forgetting so that nobody, the key's holder included, can
link it back.

Every package that keeps something about a person contributes its own part through
:class:`PersonalDataPart` (see :data:`PARTS`); a new table holding people's data adds a part
here (docs/architecture.md says how; the forget test searches every column of every table).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import pickle
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from accounts import rules
from accounts.errors import LastAdmin, UserNotFound
from accounts.repository import AccountsRepository
from accounts.schemas import AuthSubject
from conversations.repository import ConversationRepository
from core.clock import Clock
from core.config import MIN_PSEUDONYM_KEY_LENGTH, InvalidSetting, Settings
from core.files import private_dir
from core.text import REDACTED, name_pattern
from knowledge_base.repository import KnowledgeRepository
from mou_tracker.reminders.repository import ReminderRepository
from mou_tracker.repository import TrackerRepository
from services.deferred import CLOCK_STEP_TOLERANCE, person_of

PSEUDONYM_PREFIX = "anon:"
#: How a person is named wherever a record says who did something.
PERSON_ACTOR = re.compile(r"tg:-?\d+")
KEY_FILE = "pseudonym.key"


def asker_forgotten(s: Session, actor: str | None, queued_at: datetime | None = None) -> bool:
    """Whether ``actor`` names a person (``tg:123``) who has no account any more: forgotten
    while something they asked was being answered, or (``queued_at``: a write queued behind
    the write lock) forgotten since it was queued, an account made anew since included.
    Called in the transaction that wrote their record, after writing it, so a forgetting
    cannot fall between the check and the write (SQLite: one writer at a time; PostgreSQL:
    the account's row is locked).

    What such a person did meanwhile is kept as the forgetting keeps it, without them: a
    question without its asker, a vote under a pseudonym of its own (:func:`fresh_pseudonym`).
    """
    person = person_of(actor)
    if person is None:
        return False
    accounts = AccountsRepository(s)
    if queued_at is not None and accounts.forgotten_since(person, queued_at - CLOCK_STEP_TOLERANCE):
        return True
    return not accounts.holds_user(person)


def fresh_pseudonym() -> str:
    """A pseudonym drawn at random, linked to nobody (one per forgetting)."""
    return f"{PSEUDONYM_PREFIX}{secrets.token_hex(10)}"


@dataclass(frozen=True)
class Person:
    """One person, by Telegram ID, and every name the records may hold for them."""

    telegram_id: int
    keyed_pseudonym: str
    #: Their name and username, blanked out of their own questions when they are forgotten.
    words: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        return f"tg:{self.telegram_id}"

    @property
    def names(self) -> tuple[str, ...]:
        """The actor name, and the pseudonym the retention rule gave their old questions."""
        return (self.actor, self.keyed_pseudonym)


class PersonalDataPart(Protocol):
    """What one package holds about a person: exported as it is, forgotten as it must be."""

    name: str

    def export(self, s: Session, person: Person) -> dict[str, Any]: ...

    def forget(self, s: Session, person: Person, pseudonym: str) -> dict[str, int]: ...


class _Accounts:
    """The account or access request, agreement bindings, invites created or used."""

    name = "accounts"

    def export(self, s: Session, person: Person) -> dict[str, Any]:
        return AccountsRepository(s).personal_data(person.telegram_id, person.actor)

    def forget(self, s: Session, person: Person, pseudonym: str) -> dict[str, int]:
        repo = AccountsRepository(s)
        user = repo.user(person.telegram_id)
        if user is not None and user.role == rules.Role.ADMIN:
            others = repo.users(roles=[rules.Role.ADMIN], statuses=[rules.Status.ACTIVE])
            if not [u for u in others if u.id != user.id]:
                raise LastAdmin()
        return repo.forget_person(person.telegram_id, person.actor, pseudonym)


class _Questions:
    """Questions asked, votes, documents uploaded (the knowledge base)."""

    name = "knowledge"

    def export(self, s: Session, person: Person) -> dict[str, Any]:
        return KnowledgeRepository(s).personal_data(person.names)

    def forget(self, s: Session, person: Person, pseudonym: str) -> dict[str, int]:
        return KnowledgeRepository(s).forget_person(person.names, pseudonym, person.words)


class _Agreements:
    """Audit entries, milestone updates, files uploaded: kept, with a pseudonym as actor."""

    name = "agreements"

    def export(self, s: Session, person: Person) -> dict[str, Any]:
        return TrackerRepository(s).personal_data(person.names)

    def forget(self, s: Session, person: Person, pseudonym: str) -> dict[str, int]:
        return TrackerRepository(s).forget_person(person.names, pseudonym)


class _Reminders:
    """Reminders addressed to the person, snoozes they set; reminders of others they sent
    again keep that it was done, under the pseudonym."""

    name = "reminders"

    def export(self, s: Session, person: Person) -> dict[str, Any]:
        return ReminderRepository(s).personal_data(person.telegram_id, person.names)

    def forget(self, s: Session, person: Person, pseudonym: str) -> dict[str, int]:
        return ReminderRepository(s).forget_person(person.telegram_id, person.names, pseudonym)


class _Conversations:
    """The bot's working state: conversation data, open dialogs, the messages in the update
    inbox, rate counts (deleted); questions forwarded to the trainers (kept without the person,
    so a trainer's reply still becomes a curated answer)."""

    name = "conversations"

    def export(self, s: Session, person: Person) -> dict[str, Any]:
        held = ConversationRepository(s).personal_data(person.telegram_id)
        for item in held["working_data"]:
            item["value"] = _readable_state(item["value"])
        for item in held["messages_received"]:
            with contextlib.suppress(ValueError):
                item["payload"] = json.loads(item["payload"])
        return held

    def forget(self, s: Session, person: Person, pseudonym: str) -> dict[str, int]:
        pattern = name_pattern(person.words)

        def blank(text: str) -> str:
            return text if pattern is None else pattern.sub(REDACTED, text)

        return ConversationRepository(s).forget_person(person.telegram_id, blank)


def _readable_state(value: bytes) -> Any:
    """The bot's pickled working data as text (the bot wrote it; nothing else can)."""
    try:
        data = pickle.loads(value)  # written by Sinergi's own workers only
    except Exception:  # an unreadable value is still reported, by its size
        return f"<{len(value)} bytes>"
    try:
        return json.loads(json.dumps(data, default=str))
    except (TypeError, ValueError):  # keys JSON cannot hold
        return str(data)


#: Every package's part, in the order they are forgotten (the account last: its checks first).
PARTS: tuple[PersonalDataPart, ...] = (
    _Questions(),
    _Agreements(),
    _Reminders(),
    _Conversations(),
    _Accounts(),
)


class Pseudonyms:
    """Stable keyed pseudonyms: the same person always gets the same one under one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, actor: str) -> str:
        digest = hmac.new(self._key, actor.encode(), hashlib.sha256).hexdigest()
        return f"{PSEUDONYM_PREFIX}{digest[:20]}"

    @classmethod
    def from_settings(cls, settings: Settings) -> Pseudonyms:
        """The configured key (``SINERGI_PSEUDONYM_KEY``), or one made once and kept in the
        data dir (readable by its owner only)."""
        if settings.pseudonym_key is not None:
            return cls(settings.pseudonym_key.get_secret_value().encode())
        return cls(_stored_key(settings.data_dir / KEY_FILE))


def _stored_key(path: Path) -> bytes:
    try:
        return _usable(path.read_bytes().strip())
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _usable(path.read_bytes().strip())
    with os.fdopen(fd, "wb") as out:
        out.write(key)
        out.flush()
        os.fsync(out.fileno())
    return key


def _usable(key: bytes) -> bytes:
    """A stored key that is empty or short (a truncated file, a hand-made one) is refused, not
    used: a guessable key gives pseudonyms anyone could link back; a new one would split every
    asker's old questions from their new ones."""
    if len(key) < MIN_PSEUDONYM_KEY_LENGTH:
        raise InvalidSetting("SINERGI_PSEUDONYM_KEY", "pseudonym_key")
    return key


def is_person(actor: str) -> bool:
    return PERSON_ACTOR.fullmatch(actor) is not None


@dataclass(frozen=True)
class ForgetReport:
    telegram_id: int
    pseudonym: str
    changed: dict[str, dict[str, int]]


class PrivacyService:
    """Retention of the question log, a person's data exported, a person forgotten."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        retention_days: int,
        pseudonyms: Callable[[], Pseudonyms],
        parts: Sequence[PersonalDataPart] = PARTS,
    ) -> None:
        self._sf = session_factory
        self._clock = clock
        self.retention_days = retention_days
        self._pseudonyms = pseudonyms
        self._parts = tuple(parts)

    def pseudonym(self, actor: str) -> str:
        return self._pseudonyms()(actor)

    def apply_retention(self, *, now: datetime | None = None) -> int:
        """Pseudonymise who asked every question older than the retention period."""
        cutoff = (now or self._clock.now()) - timedelta(days=self.retention_days)
        pseudonyms = self._pseudonyms()
        with self._sf.begin() as s:
            return KnowledgeRepository(s).pseudonymise_before(cutoff, is_person, pseudonyms)

    def export_person(self, by: AuthSubject, telegram_id: int) -> dict[str, Any]:
        """Everything held about the person, by package (raises if nothing is held)."""
        rules.require(by, rules.Permission.MANAGE_USERS)
        person = self._person(telegram_id)
        with self._sf() as s:
            held = {part.name: part.export(s, person) for part in self._parts}
        if not _holds_anything(held):
            raise UserNotFound(telegram_id=telegram_id)
        return {"telegram_id": telegram_id, "exported_at": self._clock.now(), **held}

    def forget_person(self, by: AuthSubject, telegram_id: int) -> ForgetReport:
        """Delete what is the person's alone; elsewhere a fresh random pseudonym takes their
        place (one for all their records, so statistics still group them). One transaction."""
        rules.require(by, rules.Permission.MANAGE_USERS)
        person = self._person(telegram_id)
        pseudonym = fresh_pseudonym()
        with self._sf.begin() as s:
            # The account's row first (PostgreSQL: locked till the end), as the bot's writes of
            # the person's data take it (``asker_forgotten``, ``ConversationService``): two
            # transactions taking the same rows in the same order cannot deadlock.
            AccountsRepository(s).holds_user(telegram_id)
            changed = {part.name: part.forget(s, person, pseudonym) for part in self._parts}
            if not any(sum(counts.values()) for counts in changed.values()):
                raise UserNotFound(telegram_id=telegram_id)
            # The bot may still hold writes of theirs queued under a write lock: they look
            # for this before they write (services.deferred.withdraw_if_forgotten).
            AccountsRepository(s).note_forgotten(self._clock.now())
        return ForgetReport(telegram_id, pseudonym, changed)

    def _person(self, telegram_id: int) -> Person:
        actor = f"tg:{telegram_id}"
        with self._sf() as s:
            user = AccountsRepository(s).user(telegram_id)
            words = () if user is None else tuple(w for w in (user.name, user.username) if w)
        return Person(telegram_id, self.pseudonym(actor), words)


def _holds_anything(held: dict[str, Any]) -> bool:
    def anything(value: Any) -> bool:
        if isinstance(value, dict):
            return any(anything(v) for v in value.values())
        if isinstance(value, list):
            return bool(value)
        return value is not None

    return any(anything(v) for v in held.values())
