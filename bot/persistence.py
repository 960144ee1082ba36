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
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, BasePersistence, ConversationHandler, PersistenceInput

from bot.state import call
from services.conversations import ConversationService, ThreadView

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


def _timeout(handler: ConversationHandler[Any]) -> timedelta | None:
    value = handler.conversation_timeout
    if value is None:
        return None
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """User data, chat data and dialogs in the database, read per update (module docstring)."""

    def __init__(self, conversations: ConversationService) -> None:
        # Nothing waits for the periodic flush: every update is written when it is done.
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=3600,
        )
        self._conversations = conversations
        self._versions: dict[tuple[str, str], int] = {}
        self._timeouts: dict[str, timedelta | None] = {}

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
        timeout = self._timeouts.get(name)
        version = await call(
            self._conversations.save_dialog,
            name,
            pair[1],
            state,
            self._versions.get(pair),
            timeout,
        )
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
        stored = decode(await call(self._conversations.data, USER, user_id), f"user {user_id}")
        user_data.clear()
        user_data.update(stored)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        stored = decode(await call(self._conversations.data, CHAT, chat_id), f"chat {chat_id}")
        chat_data.clear()
        chat_data.update(stored)

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await call(self._conversations.save_data, USER, user_id, encode(data))

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await call(self._conversations.save_data, CHAT, chat_id, encode(data))

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await call(self._conversations.save_data, USER, user_id, None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await call(self._conversations.save_data, CHAT, chat_id, None)

    async def flush(self) -> None:
        return None

    def forget(
        self, application: Application[Any, Any, Any, Any, Any, Any], update: Update
    ) -> None:
        """Empty this worker's copy of the update's user and chat data once it is written:
        the next update of theirs reads the database, and memory does not grow with users."""
        if update.effective_user is not None:
            application.user_data[update.effective_user.id].clear()
        if update.effective_chat is not None:
            application.chat_data[update.effective_chat.id].clear()


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
