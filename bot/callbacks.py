"""Every inline button's action, declared once, and callback data nobody can forge or replay.

An action (:class:`CallbackAction`) names its code on the wire, the types of its arguments,
the permission a user needs to press it and whether the button is answered before its handler
runs. Buttons are made with an action (:meth:`CallbackSigner.pack` checks the arguments) and
handlers are bound to one (:func:`bot.auth.authorized_callback`), so no code is typed twice.

To add a button: declare its action below, put it on a view (``bot.views``), write its handler
with ``@authorized_callback(ACTION)`` and register it with ``bot.keyboards.on(ACTION, handler)``.
Nothing here imports ``telegram``: views use the actions too.

Callback data is ``<code>|<arg>,<arg>|<mac>`` where ``mac`` is an HMAC of the user it was made
for, the code and its arguments, keyed by a secret derived from the bot token. A button pressed
by someone else (a forwarded keyboard, a group member) or data crafted by a client fails the
check. Telegram limits callback data to 64 bytes; :meth:`CallbackSigner.pack` enforces it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from services.access import Permission

MAX_CALLBACK_BYTES: Final = 64
_MAC_CHARS = 12  # 72 bits

Arg = int | str
ArgType = type[int] | type[str]


class ForgedCallback(Exception):
    """Callback data not made by this bot for this user (or for an action it no longer has)."""


@dataclass(frozen=True)
class CallbackAction:
    """What a button does.

    Attributes:
        code: on the wire; short, because callback data is at most 64 bytes.
        permission: what the user must be allowed; ``None``: anyone the bot knows.
        args: the argument types, in order (``int`` or ``str``).
        acknowledge: answer the button (stop its spinner) before the handler runs; handlers
            that answer with a notice or an alert themselves say ``False``.
    """

    code: str
    permission: Permission | None
    args: tuple[ArgType, ...] = ()
    acknowledge: bool = True

    @property
    def pattern(self) -> str:
        """A ``CallbackQueryHandler`` pattern matching this action's data."""
        return f"^{self.code}\\|"


@dataclass(frozen=True)
class Callback:
    """A pressed button: its action and its (typed) arguments."""

    action: CallbackAction
    args: tuple[Arg, ...]

    def int_arg(self, index: int = 0) -> int:
        value = self.args[index]
        if not isinstance(value, int):
            raise TypeError(f"{self.action.code} argument {index} is not a number")
        return value

    def str_arg(self, index: int = 0) -> str:
        return str(self.args[index])


REGISTRY: dict[str, CallbackAction] = {}


def _declare(
    code: str,
    permission: Permission | None,
    *args: ArgType,
    acknowledge: bool = True,
) -> CallbackAction:
    if code in REGISTRY or "|" in code or "," in code:
        raise ValueError(f"callback code {code!r} is taken or malformed")
    action = CallbackAction(code, permission, args, acknowledge)
    REGISTRY[code] = action
    return action


P = Permission

# --- agreements and milestones (bot.handlers.agreements) -----------------------------------------
AGREEMENT_PAGE = _declare("mp", P.VIEW_AGREEMENTS, int)  # page
AGREEMENT_OPEN = _declare("ag", P.VIEW_AGREEMENTS, int)  # agreement
AGREEMENT_MILESTONES = _declare("agp", P.VIEW_AGREEMENTS, int, int)  # agreement, button page
MILESTONE_OPEN = _declare("ms", P.VIEW_AGREEMENTS, int, int)  # agreement, milestone
# "In progress" answers with a notice; "done" and "blocked" open a dialog (evidence, reason).
# Agreement, milestone, and the status the button was made for ("open" on a reminder): pressed
# after the milestone changed, they show it as it is now instead of acting on what it was.
MILESTONE_IN_PROGRESS = _declare("mpv", P.UPDATE_MILESTONE, int, int, str, acknowledge=False)
MILESTONE_DONE = _declare("mdv", P.UPDATE_MILESTONE, int, int, str)
MILESTONE_BLOCKED = _declare("mbv", P.UPDATE_MILESTONE, int, int, str)
#: The same buttons on messages sent before they carried the status: they show the milestone.
UNVERSIONED_MILESTONE_BUTTONS: Final = (
    _declare("mip", P.VIEW_AGREEMENTS, int, int),
    _declare("mdn", P.VIEW_AGREEMENTS, int, int),
    _declare("mbl", P.VIEW_AGREEMENTS, int, int),
)
TIMELINE = _declare("lap", P.REPORT, int)  # agreement
EVIDENCE_SEND = _declare("evs", P.VIEW_AGREEMENTS, int, int)  # agreement, milestone: files back

# --- reading a signed agreement (bot.handlers.intake) ------------------------------------------
INTAKE_FIELD = _declare("ikf", P.RECORD_AGREEMENT, int)  # field number, then its new value
INTAKE_REGION = _declare("ikr", P.RECORD_AGREEMENT, int, str)  # party index, region code
INTAKE_SAVE = _declare("iks", P.RECORD_AGREEMENT)
INTAKE_CANCEL = _declare("ikx", P.RECORD_AGREEMENT)

# --- reminders (bot.handlers.reminders) ---------------------------------------------------------
REMINDER_SNOOZE = _declare("rsz", P.UPDATE_MILESTONE, int, int, acknowledge=False)
REMINDER_OPEN = _declare("rmo", P.UPDATE_MILESTONE, int, int, acknowledge=False)

# --- questions (bot.handlers.questions) ---------------------------------------------------------
FEEDBACK = _declare("fb", P.FEEDBACK, str, int, acknowledge=False)  # question, 1 / 0
SOURCE = _declare("src", P.ASK, str, int)  # question, citation number
ASK_TRAINER = _declare("tr", P.ASK_TRAINER, str, acknowledge=False)  # question

# --- the assistant (bot.handlers.questions) -----------------------------------------------------
# Both answer with an alert when the question is no longer kept.
ASSISTANT_REGION = _declare("asr", P.ASK, str, str, acknowledge=False)  # token, region code
ASSISTANT_DOCS = _declare("asd", P.ASK, str, acknowledge=False)  # token: the documents anyway

# --- curated answers and knowledge gaps (bot.handlers.curation) ---------------------------------
CURATED_OPEN = _declare("cuo", P.ANSWER_AS_TRAINER, int)  # curated answer
CURATED_EDIT = _declare("cue", P.ANSWER_AS_TRAINER, int)  # then the dialog asks the new text
CURATED_RETIRE = _declare("cur", P.ANSWER_AS_TRAINER, int)  # asks to confirm
CURATED_RETIRE_YES = _declare("cuy", P.ANSWER_AS_TRAINER, int)
GAP_OPEN = _declare("gpo", P.GAPS, int)  # gap
GAP_TAKE = _declare("gpt", P.GAPS, int)
GAP_STATUS = _declare("gps", P.GAPS, int, str)  # gap, status

# --- documents (bot.handlers.trainers) ----------------------------------------------------------
DOCUMENT_CHOOSE = _declare("hpc", P.REMOVE_DOCUMENT, str)  # document token
DOCUMENT_REMOVE = _declare("hps", P.REMOVE_DOCUMENT, str)
DOCUMENT_KEEP = _declare("hpx", P.REMOVE_DOCUMENT)

# --- access (bot.handlers.access) ---------------------------------------------------------------
APPROVE = _declare("apr", P.MANAGE_USERS, int, str)  # telegram id, role
APPROVE_COORDINATOR = _declare("apc", P.MANAGE_USERS, int)  # then the dialog asks the region
APPROVE_REGION = _declare("apg", P.MANAGE_USERS, int, str)  # telegram id, the region confirmed
REJECT = _declare("rej", P.MANAGE_USERS, int)
LANGUAGE = _declare("lang", None, str, acknowledge=False)  # any known user, even pending

#: A reminder's buttons (``bot.views.reminders``) -> the actions they trigger.
REMINDER_BUTTONS: Final[dict[str, CallbackAction]] = {
    "done": MILESTONE_DONE,
    "progress": MILESTONE_IN_PROGRESS,
    "blocked": MILESTONE_BLOCKED,
    "snooze": REMINDER_SNOOZE,
    "open": REMINDER_OPEN,
}

del P


def action(code: str) -> CallbackAction:
    """The action declared with ``code`` (``KeyError`` if none is)."""
    return REGISTRY[code]


class CallbackSigner:
    """Makes and checks callback data bound to one user."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"sinergi-callback\x00" + secret).digest()

    @classmethod
    def from_token(cls, token: str) -> CallbackSigner:
        return cls(token.encode())

    def _mac(self, user_id: int, code: str, args: str) -> str:
        msg = f"{user_id}|{code}|{args}".encode()
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:_MAC_CHARS]

    def pack(self, user_id: int, action: CallbackAction, *args: Arg) -> str:
        """Callback data for ``action`` with ``args``, valid only when ``user_id`` presses it."""
        if len(args) != len(action.args) or not all(
            isinstance(value, kind) and not isinstance(value, bool)
            for value, kind in zip(args, action.args, strict=True)
        ):
            raise ValueError(f"{action.code} takes {action.args}, not {args!r}")
        arg_text = ",".join(str(a) for a in args)
        if "|" in arg_text or any("," in str(a) for a in args):
            raise ValueError("callback arguments must not contain '|' or ','")
        data = f"{action.code}|{arg_text}|{self._mac(user_id, action.code, arg_text)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data

    def unpack(self, user_id: int, data: str | None) -> Callback:
        """The action and arguments of ``data`` if it was made for ``user_id``."""
        if not data or data.count("|") != 2:
            raise ForgedCallback(data)
        code, arg_text, mac = data.split("|")
        if not hmac.compare_digest(mac, self._mac(user_id, code, arg_text)):
            raise ForgedCallback(data)
        found = REGISTRY.get(code)
        texts = tuple(arg_text.split(",")) if arg_text else ()
        if found is None or len(texts) != len(found.args):
            raise ForgedCallback(data)  # signed by us, for an action this version lacks
        try:
            values = tuple(kind(text) for kind, text in zip(found.args, texts, strict=True))
        except ValueError as err:
            raise ForgedCallback(data) from err
        return Callback(found, values)
