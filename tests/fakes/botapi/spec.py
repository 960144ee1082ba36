"""Validation of Bot API requests against the machine-readable Bot API specification.

``bot-api-spec.json`` (beside this module) lists every method and type with its fields, their
types and whether they are required. :class:`BotApiSpec` checks a request the way the Bot API
server would: the method exists, required fields are present, no unknown fields, values are of
a plausible type (recursively for JSON-serialized objects), and the documented limits hold
(text and caption length after entity parsing, HTML that Telegram accepts, callback data size,
bot command syntax).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.fakes.botapi.html import parse_html, text_length

SPEC_PATH = Path(__file__).with_name("bot-api-spec.json")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER = 200
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_INTEGER = re.compile(r"^-?\d+$")
_PARSE_MODES = {"HTML", "MarkdownV2", "Markdown"}
#: The optional fields of an inline button of which exactly one must be used.
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
#: (field holding formatted text, field holding its parse mode, limit)
_FORMATTED_FIELDS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "sendMessage": (("text", "parse_mode", MAX_TEXT),),
    "editMessageText": (("text", "parse_mode", MAX_TEXT),),
    "editMessageCaption": (("caption", "parse_mode", MAX_CAPTION),),
    "sendPhoto": (("caption", "parse_mode", MAX_CAPTION),),
    "sendDocument": (("caption", "parse_mode", MAX_CAPTION),),
    "sendVideo": (("caption", "parse_mode", MAX_CAPTION),),
    "sendAudio": (("caption", "parse_mode", MAX_CAPTION),),
    "sendVoice": (("caption", "parse_mode", MAX_CAPTION),),
    "sendAnimation": (("caption", "parse_mode", MAX_CAPTION),),
    "copyMessage": (("caption", "parse_mode", MAX_CAPTION),),
}


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class CheckedCall:
    """A request after validation: decoded parameters and the problems found."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    problems: list[str] = field(default_factory=list)
    #: the plain text of each formatted field, after entity parsing
    plain: dict[str, str] = field(default_factory=dict)


class BotApiSpec:
    """The methods and types of the Bot API, and the checks built on them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "?")
        self.methods: dict[str, Any] = dict(data["methods"])
        self.types: dict[str, Any] = dict(data["types"])
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    @cache
    def load(cls) -> BotApiSpec:
        return cls(json.loads(SPEC_PATH.read_text(encoding="utf-8")))

    def method_name(self, name: str) -> str | None:
        """The spec's spelling of ``name`` (Bot API method names are case-insensitive)."""
        return self.methods.get(name, {}).get("name") or self._by_lower.get(name.lower())

    # --- whole requests ---------------------------------------------------------------------

    def check(
        self, method: str, raw: Mapping[str, str], files: Mapping[str, UploadedFile]
    ) -> CheckedCall:
        """Validate one request; ``raw`` holds the form fields as sent (strings)."""
        name = self.method_name(method)
        call = CheckedCall(method=name or method, params={}, files=dict(files))
        if name is None:
            call.problems.append(f"unknown method {method!r}")
            return call
        spec_fields = {f["name"]: f for f in self.methods[name].get("fields", [])}
        attached = set()
        for value in raw.values():
            if value.startswith("attach://"):
                attached.add(value.removeprefix("attach://"))
        for key in files:
            if key not in spec_fields and key not in attached:
                call.problems.append(f"{name}: unexpected file part {key!r}")
        for key, spec_field in spec_fields.items():
            present = key in raw or key in files
            if spec_field["required"] and not present:
                call.problems.append(f"{name}: required field {key!r} is missing")
        for key, value in raw.items():
            spec_field = spec_fields.get(key)
            if spec_field is None:
                call.problems.append(f"{name}: unknown field {key!r}")
                call.params[key] = value
                continue
            decoded, problem = self._decode_top(value, spec_field["types"], f"{name}.{key}")
            call.params[key] = decoded
            if problem:
                call.problems.append(problem)
        for key in files:
            spec_field = spec_fields.get(key)
            if spec_field is not None and "InputFile" not in spec_field["types"]:
                call.problems.append(f"{name}.{key}: a file was uploaded where none is allowed")
        self._check_content(call)
        return call

    # --- values -------------------------------------------------------------------------------

    def _decode_top(self, raw: str, types: list[str], where: str) -> tuple[Any, str | None]:
        """A form value: strings are sent as is, everything else JSON-serialized."""
        problems: list[str] = []
        for type_name in types:
            if type_name in {"String", "InputFile"}:
                return raw, None
            if type_name == "Integer":
                if _INTEGER.match(raw):
                    return int(raw), None
                problems.append(f"{where}: {raw[:40]!r} is not an Integer")
                continue
            if type_name == "Float":
                try:
                    return float(raw), None
                except ValueError:
                    problems.append(f"{where}: {raw[:40]!r} is not a Float")
                    continue
            if type_name in {"Boolean", "True"}:
                if raw in {"true", "false", "True", "False"}:
                    return raw.lower() == "true", None
                problems.append(f"{where}: {raw[:40]!r} is not a Boolean")
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                problems.append(f"{where}: not valid JSON for {type_name}")
                continue
            found = self.check_value(value, type_name, where)
            if not found:
                return value, None
            problems.extend(found)
        return raw, "; ".join(problems) if problems else None

    def check_value(self, value: Any, type_name: str, where: str, depth: int = 0) -> list[str]:
        """Problems of a decoded JSON ``value`` against a spec type (empty list: plausible)."""
        if depth > 12:
            return []
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}, got {type(value).__name__}"]
            inner = type_name.removeprefix("Array of ")
            out: list[str] = []
            for index, item in enumerate(value):
                out.extend(self.check_value(item, inner, f"{where}[{index}]", depth + 1))
            return out
        simple = {
            "String": lambda v: isinstance(v, str),
            "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "Boolean": lambda v: isinstance(v, bool),
            "True": lambda v: v is True,
            "InputFile": lambda v: isinstance(v, str),
        }
        if type_name in simple:
            if simple[type_name](value):
                return []
            return [f"{where}: expected {type_name}, got {json.dumps(value)[:40]}"]
        spec_type = self.types.get(type_name)
        if spec_type is None:
            return []  # a type the spec does not describe further: nothing to check
        if "subtypes" in spec_type:
            attempts = [
                self.check_value(value, sub, where, depth + 1) for sub in spec_type["subtypes"]
            ]
            if any(not problems for problems in attempts):
                return []
            closest: list[str] = min(attempts, key=len)
            return [f"{where}: matches no kind of {type_name}", *closest]
        if not isinstance(value, dict):
            return [f"{where}: expected a {type_name} object, got {json.dumps(value)[:40]}"]
        spec_fields = {f["name"]: f for f in spec_type.get("fields", [])}
        out = []
        for key, spec_field in spec_fields.items():
            if spec_field["required"] and key not in value:
                out.append(f"{where}: {type_name} needs {key!r}")
        for key, item in value.items():
            spec_field = spec_fields.get(key)
            if spec_field is None:
                out.append(f"{where}: {type_name} has no field {key!r}")
                continue
            attempts = [
                self.check_value(item, t, f"{where}.{key}", depth + 1) for t in spec_field["types"]
            ]
            if not any(not problems for problems in attempts):
                closest_field: list[str] = min(attempts, key=len)
                out.extend(closest_field)
        return out

    # --- documented limits ------------------------------------------------------------------

    def _check_content(self, call: CheckedCall) -> None:
        params = call.params
        for text_field, mode_field, limit in _FORMATTED_FIELDS.get(call.method, ()):
            text = params.get(text_field)
            if not isinstance(text, str):
                continue
            mode = params.get(mode_field)
            plain = text
            if mode is not None and mode not in _PARSE_MODES:
                call.problems.append(f"{call.method}: unsupported parse_mode {mode!r}")
            if mode == "HTML":
                parsed = parse_html(text)
                plain = parsed.plain
                call.problems.extend(f"{call.method}.{text_field}: {p}" for p in parsed.problems)
            call.plain[text_field] = plain
            length = text_length(plain)
            if length > limit:
                call.problems.append(
                    f"{call.method}.{text_field}: {length} characters after entity parsing,"
                    f" over the limit of {limit}"
                )
            if text_field == "text" and not plain.strip():
                call.problems.append(f"{call.method}: message text is empty")
        if call.method == "answerCallbackQuery":
            answer = params.get("text")
            if isinstance(answer, str) and text_length(answer) > MAX_CALLBACK_ANSWER:
                call.problems.append(
                    f"answerCallbackQuery.text: {text_length(answer)} characters,"
                    f" over {MAX_CALLBACK_ANSWER}"
                )
        if call.method == "setMyCommands" and isinstance(params.get("commands"), list):
            commands = params["commands"]
            if len(commands) > 100:
                call.problems.append("setMyCommands: more than 100 commands")
            for command in commands:
                if not isinstance(command, dict):
                    continue
                name = command.get("command", "")
                if not isinstance(name, str) or not _COMMAND.match(name):
                    call.problems.append(
                        f"setMyCommands: command {name!r} must be 1-32 of a-z, 0-9, _"
                    )
                description = command.get("description", "")
                if not isinstance(description, str) or not 1 <= len(description) <= 256:
                    call.problems.append(
                        f"setMyCommands: description of {name!r} must be 1-256 characters"
                    )
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            call.problems.extend(check_reply_markup(markup, call.method))


def check_reply_markup(markup: Mapping[str, Any], where: str) -> list[str]:
    """Limits of keyboards: button text, exactly one action, callback data of 1-64 bytes."""
    problems: list[str] = []
    rows = markup.get("inline_keyboard")
    if rows is None:
        return problems
    if not isinstance(rows, list):
        return [f"{where}: inline_keyboard is not a list of rows"]
    count = sum(len(row) for row in rows if isinstance(row, list))
    if count > MAX_INLINE_BUTTONS:
        # Not in the Bot API document; Telegram answers "reply markup is too long".
        problems.append(f"{where}: {count} inline buttons (at most {MAX_INLINE_BUTTONS})")
    for r, row in enumerate(rows):
        if not isinstance(row, list):
            problems.append(f"{where}: inline_keyboard row {r} is not a list")
            continue
        for c, button in enumerate(row):
            if not isinstance(button, dict):
                continue
            label = f"{where}: button [{r}][{c}]"
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{label} has no text")
            actions = [name for name in _BUTTON_ACTIONS if name in button]
            if len(actions) != 1:
                problems.append(f"{label} must use exactly one action, uses {actions}")
            data = button.get("callback_data")
            if isinstance(data, str):
                size = len(data.encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    problems.append(
                        f"{label} callback_data is {size} bytes (1-{MAX_CALLBACK_DATA} allowed):"
                        f" {data[:80]!r}"
                    )
    return problems
