"""The command line's own usage errors (a missing argument, an unknown option or command, a
value of the wrong kind) in the user's language, from the product's catalog.

Typer parses the command line with click, whose messages are English only ("Missing argument
'N'."). :func:`usage_message` reads the error's structured fields instead (the parameter, the
option typed, the value that did not convert) and words them from ``usage.*`` keys, Indonesian
first; an error it does not know is shown with click's own text after the catalog's prefix.

What the user typed (an option, a value, a command's name) is repeated through
:func:`core.text.echo`, as every message of the product repeats input: on one line, at most
100 characters, without terminal controls (an escape sequence retitling the terminal, a
right-to-left override turning the text around) or undecodable bytes.

Typer vendors click from 0.2x on (``typer._click``) and used the ``click`` package before, so
the error kinds are told by their class names, as Typer itself tells ``NoArgsIsHelpError``,
and their fields are read with ``getattr``: nothing here imports a private module.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from core.text import echo
from services.messages import catalog

__all__ = ["is_abort", "is_usage_error", "shows_help", "usage_message"]

_EXTRA = re.compile(r"unexpected extra argument(?:s|\(s\))?\s*\((?P<args>.*)\)", re.S)
_UNKNOWN_COMMAND = re.compile(r"No such command (?P<name>'.*?'|\".*?\")", re.S)


def _kinds(error: BaseException) -> set[str]:
    return {k.__name__ for k in type(error).__mro__}


def is_usage_error(error: BaseException) -> bool:
    """Whether ``error`` is click's usage error (exit status 2)."""
    return "UsageError" in _kinds(error)


def is_abort(error: BaseException) -> bool:
    """Whether ``error`` is click's ``Abort`` (end of input or Ctrl-C at a prompt)."""
    return "Abort" in _kinds(error)


def shows_help(error: BaseException) -> bool:
    """Whether ``error`` is a group called without a command: its help is already printed."""
    return "NoArgsIsHelpError" in _kinds(error)


def usage_message(
    error: Exception, lang: str, redact: Callable[[str], str] = lambda text: text
) -> str:
    """The lines to print for a usage error: the usage line and where help is, when click
    knows the command, then what was wrong.

    ``redact`` (the settings' redactor) reads what was typed before it is shortened: a secret
    typed in a long value, cut by the "…", would no longer be found whole in the message.
    """
    t = catalog().t

    def shown(value: object) -> str:
        return echo(redact(str(value)))

    ctx: Any = getattr(error, "ctx", None)
    lines: list[str] = []
    if ctx is not None:
        usage = str(ctx.get_usage()).strip()
        lines.append(t("usage.line", lang, usage=re.sub(r"^Usage:\s*", "", usage)))
        if ctx.command.get_help_option(ctx) is not None:
            command = f"{ctx.command_path} {ctx.help_option_names[0]}"
            lines.append(t("usage.help", lang, command=command))
    lines.append(t("usage.error", lang, message=_what(error, ctx, lang, shown)))
    return "\n".join(lines)


def _what(error: Exception, ctx: Any, lang: str, shown: Callable[[object], str]) -> str:
    t = catalog().t
    kinds = _kinds(error)
    param: Any = getattr(error, "param", None)
    if "MissingParameter" in kinds:
        name = _param_name(error, param, shown)
        kind = getattr(error, "param_type", None) or getattr(param, "param_type_name", "")
        key = "usage.missing_option" if kind == "option" else "usage.missing_argument"
        return t(key, lang, name=name)
    if "BadParameter" in kinds:
        return _bad_value(error, param, lang, shown)
    if "NoSuchOption" in kinds:
        name = shown(getattr(error, "option_name", ""))
        possible = sorted(getattr(error, "possibilities", None) or ())
        if possible:
            return t("usage.no_such_option_close", lang, name=name, close=", ".join(possible))
        return t("usage.no_such_option", lang, name=name)
    if "BadOptionUsage" in kinds:
        typed = str(getattr(error, "option_name", ""))
        key = "usage.option_needs_value"
        # click's parser gives this error no context to look the option up in: its text.
        if "does not take a value" in str(getattr(error, "message", "")):
            key = "usage.option_takes_no_value"
        return t(key, lang, name=shown(typed))
    message = str(getattr(error, "message", "") or error)
    if (extra := _EXTRA.search(message)) is not None:
        return t("usage.extra_arguments", lang, args=shown(extra.group("args")))
    if (unknown := _UNKNOWN_COMMAND.search(message)) is not None:
        name = shown(unknown.group("name")[1:-1])
        commands = list(ctx.command.list_commands(ctx)) if ctx is not None else []
        close = difflib.get_close_matches(name, commands, n=3, cutoff=0.6)
        if close:
            return t("usage.no_such_command_close", lang, name=name, close=", ".join(close))
        return t("usage.no_such_command", lang, name=name)
    return t("usage.other", lang, detail=shown(message))


def _param_name(error: Exception, param: Any, shown: Callable[[object], str]) -> str:
    hint = getattr(error, "param_hint", None)
    if hint is None and param is not None:
        try:
            hint = param.get_error_hint()  # Typer's own parameters
        except TypeError:
            hint = param.get_error_hint(getattr(error, "ctx", None))  # click's
    if isinstance(hint, list | tuple):
        return shown(" / ".join(str(h) for h in hint))
    return shown(hint or "")


_NUMBER_ERRORS = {
    "int_parsing": "usage.not_whole_number",
    "int_from_float": "usage.not_whole_number",
    "float_parsing": "usage.not_number",
    "bool_parsing": "usage.not_yes_no",
    "int_parsing_size": "usage.too_large",  # thousands of digits: no whole number we hold
    "string_unicode": "usage.not_text",  # bytes that are not UTF-8
}
_BOUNDS = {
    "greater_than_equal": ("usage.at_least", "ge"),
    "less_than_equal": ("usage.at_most", "le"),
}


def _bad_value(error: Exception, param: Any, lang: str, shown: Callable[[object], str]) -> str:
    """A value that did not convert: Typer converts through pydantic, whose error (the
    cause) names the kind of value expected and the value typed."""
    t = catalog().t
    name = _param_name(error, param, shown)
    errors = getattr(error.__cause__, "errors", None)
    found = errors(include_url=False) if callable(errors) else []
    if found:
        kind = str(found[0].get("type", ""))
        value = shown(found[0].get("input", ""))
        if (key := _NUMBER_ERRORS.get(kind)) is not None:
            return t(key, lang, name=name, value=value)
        if kind in _BOUNDS:  # a range's bound ("--limit" of 1 to 500)
            key, bound = _BOUNDS[kind]
            limit = (found[0].get("ctx") or {}).get(bound, "")
            return t(key, lang, name=name, value=value, limit=limit)
    return t("usage.bad_value", lang, name=name, detail=shown(getattr(error, "message", "")))
