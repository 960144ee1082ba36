"""PTB's persistence on the database, for any number of workers.

python-telegram-bot's own persistences load everything once at start and write back every
few seconds: right for one process, wrong for several (each would work on its own stale copy).
:class:`DatabasePersistence` keeps no copy:

* a user's and a chat's data are read from the database before each update's handler runs
  (``refresh_user_data``/``refresh_chat_data``) and written right after the update
  (:class:`bot.dispatch.UpdateDispatcher` calls ``Application.update_persistence``), then the
  in-memory copy is emptied (:meth:`DatabasePersistence.forget`);
* the dialogs' states (PTB's ``ConversationHandler``) are read before each update
  (:meth:`DatabasePersistence.load_dialogs`) and written with the version they were read at,
  so a stale write (a worker's dialog timer ending a dialog that continued on another worker)
  changes nothing; a dialog past its timeout is over for every worker;
* the chat and user of an update are locked across workers while it is handled
  (:mod:`bot.dispatch`), so nobody else reads or writes them meanwhile.

The data is pickled, as PTB's ``PicklePersistence`` did: it holds the bot's own frozen values
(recent questions, an agreement draft). A value that no longer unpickles (a class renamed by an
update of Sinergi) is dropped with a warning, ending that user's open dialog rather than the
update. Only Sinergi's own processes write these rows.
"""

from __future__ import annotations

import json
import logging
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from telegram import Update
from telegram.ext import Application, BasePersistence, ConversationHandler, PersistenceInput

from bot.state import call
from core.db import is_write_locked
from core.errors import AppError
from services.conversations import ConversationService, ThreadView
from services.deferred import DeferredWrites, Withdrawn

log = logging.getLogger(__name__)

USER = "user"
CHAT = "chat"


def encode(data: dict[Any, Any]) -> bytes | None:
    """A user's or chat's data as stored (``None``: nothing to keep)."""
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL) if data else None


def decode(value: bytes | None, what: str) -> dict[Any, Any]:
    if not value:
        return {}
    try:
        data = pickle.loads(value)  # written by Sinergi's own workers only
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError) as err:
        log.warning("stored %s data no longer reads (%s); starting it afresh", what, err)
        return {}
    return data if isinstance(data, dict) else {}


def dialog_key(key: Iterable[object]) -> str:
    """A conversation key (``(chat_id, user_id)``) as stored."""
    return json.dumps(list(key), separators=(",", ":"))


def _dialog_person(key: str) -> int | None:
    """The user of a stored dialog key (``[chat_id, user_id]``; a chat-only key: the chat,
    when it is a private one)."""
    try:
        parts = json.loads(key)
    except ValueError:
        return None
    ids = [p for p in parts if isinstance(p, int)] if isinstance(parts, list) else []
    if len(ids) >= 2:
        return int(ids[1])
    return int(ids[0]) if ids and ids[0] > 0 else None


V = TypeVar("V", bytes | None, str | None)


@dataclass(frozen=True)
class _Unsaved(Generic[V]):
    """A value the database could not take yet, and when the first unsaved value of the same
    row was queued: a person forgotten since then (``sinergi users forget`` in another
    process) does not come back with it."""

    value: V
    queued_at: datetime


def _timeout(handler: ConversationHandler[Any]) -> timedelta | None:
    value = handler.conversation_timeout
    if value is None:
        return None
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """User data, chat data and dialogs in the database, read per update (module docstring)."""

    def __init__(
        self, conversations: ConversationService, deferred: DeferredWrites | None = None
    ) -> None:
        # Nothing waits for the periodic flush: every update is written when it is done.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=3600,
        )
        self._conversations = conversations
        self._deferred = deferred
        self._versions: dict[tuple[str, str], int] = {}
        self._timeouts: dict[str, timedelta | None] = {}
        # What the database holds for a user or chat as last read or written: an update that
        # changed nothing (most commands) writes nothing.
        self._stored: dict[tuple[str, int], bytes | None] = {}
        # Writes the database could not take yet (another process holds SQLite's write lock):
        # read from here meanwhile, written by ``deferred`` once the lock is free.
        self._unsaved: dict[tuple[str, int], _Unsaved[bytes | None]] = {}
        self._unsaved_dialogs: dict[tuple[str, str], _Unsaved[str | None]] = {}

    def _may_defer(self, error: AppError) -> bool:
        return self._deferred is not None and is_write_locked(error)

    async def _read(self, scope: str, key: int) -> bytes | None:
        pair = (scope, key)
        if pair in self._unsaved:
            return self._unsaved[pair].value
        value = await call(self._conversations.data, scope, key)
        self._stored[pair] = value
        return value

    async def _write(self, scope: str, key: int, value: bytes | None) -> None:
        pair = (scope, key)
        if pair not in self._unsaved:
            if pair in self._stored and self._stored[pair] == value:
                return
            try:
                await call(self._conversations.save_data, scope, key, value, wait=False)
                self._stored[pair] = value
                return
            except AppError as err:
                if not self._may_defer(err):
                    raise
        assert self._deferred is not None
        self._unsaved[pair] = self._unsaved_now(self._unsaved.get(pair), value)
        self._deferred.defer(
            lambda: self._save_later(pair),
            key=("data", pair),
            what=f"{scope} data of {key}",
            on_drop=lambda: self._unsaved.pop(pair, None),  # read the database again
        )

    def _save_later(self, pair: tuple[str, int]) -> None:
        """The deferred write of a user's or chat's data: the newest unsaved value."""
        unsaved = self._unsaved.get(pair)
        if unsaved is None:
            return
        value = unsaved.value
        try:
            self._conversations.save_data(pair[0], pair[1], value, queued_at=unsaved.queued_at)
        except Withdrawn:
            self._unsaved.pop(pair, None)  # the person was forgotten: nothing of theirs stays
            self._stored.pop(pair, None)
            raise
        self._stored[pair] = value
        if self._unsaved.get(pair) is unsaved:  # no newer value came meanwhile
            del self._unsaved[pair]

    def _unsaved_now(self, before: _Unsaved[V] | None, value: V) -> _Unsaved[V]:
        """The newest unsaved value of a row, queued when its first one was."""
        queued_at = before.queued_at if before is not None else self._conversations.clock.now()
        return _Unsaved(value, queued_at)

    # ------------------------------------------------------------------ dialogs
    def dialog_handlers(
        self, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> list[ConversationHandler[Any]]:
        return [
            h
            for group in application.handlers.values()
            for h in group
            if isinstance(h, ConversationHandler) and h.persistent and h.name
        ]

    async def load_dialogs(
        self, application: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> None:
        """Set every dialog handler's state for this update's chat and user as stored.

        PTB keeps a handler's states in a ``TrackingDict`` filled once at start; its plain
        ``data`` dict is changed here, so loading is not mistaken for a change to write back.
        The key is the handler's own (``_get_key``), pinned with PTB below version 23.
        """
        wanted: dict[tuple[str, str], tuple[ConversationHandler[Any], tuple[Any, ...]]] = {}
        for handler in self.dialog_handlers(application):
            try:
                key = handler._get_key(update)
            except RuntimeError:  # no chat or no user: this handler ignores the update
                continue
            assert handler.name is not None
            wanted[(handler.name, dialog_key(key))] = (handler, key)
        if not wanted:
            return
        stored = {(d.name, d.key): d for d in await call(self._conversations.dialogs, list(wanted))}
        for pair, (handler, key) in wanted.items():
            # A TrackingDict (a UserDict) since Application.initialize; PTB < 23 is pinned.
            states: dict[Any, object] = handler._conversations.data  # type: ignore[attr-defined]
            if pair in self._unsaved_dialogs:  # written here, not in the database yet
                unsaved = self._unsaved_dialogs[pair].value
                if unsaved is None:
                    states.pop(key, None)
                else:
                    states[key] = json.loads(unsaved)
                continue
            found = stored.get(pair)
            if found is None:
                states.pop(key, None)
                self._versions.pop(pair, None)
            else:
                states[key] = json.loads(found.state)
                self._versions[pair] = found.version

    async def get_conversations(self, name: str) -> dict[Any, Any]:
        return {}  # read per update (load_dialogs)

    async def update_conversation(
        self, name: str, key: tuple[int | str, ...], new_state: object | None
    ) -> None:
        pair = (name, dialog_key(key))
        state = None if new_state is None else json.dumps(new_state)
        if pair not in self._unsaved_dialogs:
            try:
                version = await call(
                    self._conversations.save_dialog,
                    name,
                    pair[1],
                    state,
                    self._versions.get(pair),
                    self._timeouts.get(name),
                    wait=False,
                    person=_dialog_person(pair[1]),
                )
            except AppError as err:
                if not self._may_defer(err):
                    raise
            else:
                self._saved_dialog(pair, version)
                return
        assert self._deferred is not None
        self._unsaved_dialogs[pair] = self._unsaved_now(self._unsaved_dialogs.get(pair), state)
        self._deferred.defer(
            lambda: self._save_dialog_later(pair),
            key=("dialog", pair),
            what=f"dialog {name} of {pair[1]}",
            on_drop=lambda: self._unsaved_dialogs.pop(pair, None),
        )

    def _save_dialog_later(self, pair: tuple[str, str]) -> None:
        unsaved = self._unsaved_dialogs.get(pair)
        if unsaved is None:
            return
        state = unsaved.value
        try:
            version = self._conversations.save_dialog(
                pair[0],
                pair[1],
                state,
                self._versions.get(pair),
                self._timeouts.get(pair[0]),
                person=_dialog_person(pair[1]),
                queued_at=unsaved.queued_at,
            )
        except Withdrawn:
            self._unsaved_dialogs.pop(pair, None)  # the person was forgotten meanwhile
            self._versions.pop(pair, None)
            raise
        self._saved_dialog(pair, version)
        if self._unsaved_dialogs.get(pair) is unsaved:  # no newer state came meanwhile
            del self._unsaved_dialogs[pair]

    def _saved_dialog(self, pair: tuple[str, str], version: int | None) -> None:
        if version:
            self._versions[pair] = version
            return
        self._versions.pop(pair, None)
        if version is None:
            log.debug("dialog %s %s changed elsewhere; this worker's write is dropped", *pair)

    def watch(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Learn the dialogs' timeouts (call once the handlers are registered)."""
        self._timeouts = {h.name: _timeout(h) for h in self.dialog_handlers(application) if h.name}

    # ------------------------------------------------------------------ user and chat data
    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}  # read per update (refresh_user_data)

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        stored = decode(await self._read(USER, user_id), f"user {user_id}")
        user_data.clear()
        user_data.update(stored)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        stored = decode(await self._read(CHAT, chat_id), f"chat {chat_id}")
        chat_data.clear()
        chat_data.update(stored)

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._write(USER, user_id, encode(data))

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._write(CHAT, chat_id, encode(data))

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._write(USER, user_id, None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._write(CHAT, chat_id, None)

    async def flush(self) -> None:
        return None

    def forget(
        self, application: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> None:
        """Empty this worker's copy of the update's user and chat data once it is written:
        the next update of theirs reads the database, and memory does not grow with users."""
        if update.effective_user is not None:
            application.user_data[update.effective_user.id].clear()
            self._stored.pop((USER, update.effective_user.id), None)
        if update.effective_chat is not None:
            application.chat_data[update.effective_chat.id].clear()
            self._stored.pop((CHAT, update.effective_chat.id), None)


def import_pickle(path: Path, conversations: ConversationService) -> bool:
    """Move an older single-process state file (``bot-state.pickle``) into the database, once.

    User and chat data go to their rows, the trainers' threads to theirs, open dialogs to
    theirs (without a timeout: they end at their next step or with /batal). The file is then
    renamed ``*.imported``. ``False`` when there is no file.
    """
    if not path.exists():
        return False
    with path.open("rb") as fh:
        data = pickle.load(fh)  # this deployment's own state file
    for user_id, values in (data.get("user_data") or {}).items():
        conversations.save_data(USER, int(user_id), encode(dict(values)))
    for chat_id, values in (data.get("chat_data") or {}).items():
        values = dict(values)
        threads = values.pop("trainer_threads", {}) or {}
        for message_id, thread in threads.items():
            conversations.remember_thread(
                int(chat_id),
                int(message_id),
                ThreadView(
                    str(thread.question),
                    int(thread.asker_chat_id),
                    int(thread.asker_user_id),
                    str(thread.asker_language),
                    thread.reply_to_message_id,
                    getattr(thread, "question_id", None),
                ),
            )
        conversations.save_data(CHAT, int(chat_id), encode(values))
    for name, states in (data.get("conversations") or {}).items():
        for key, state in states.items():
            if state is not None:
                conversations.save_dialog(name, dialog_key(key), json.dumps(state), None, None)
    path.rename(path.with_name(path.name + ".imported"))
    log.info("conversation state imported from %s", path)
    return True
