"""Telegram's HTML parse mode, checked as strictly as the Bot API documents it.

The rules (https://core.telegram.org/bots/api#html-style): only the supported tags, properly
nested; ``<``, ``>`` and ``&`` that are not part of a tag or an entity must be escaped; the
named entities are ``&lt; &gt; &amp; &quot;`` only (numeric entities are all accepted).
:func:`parse_html` returns the plain text a user would see (what the length limits count) and
the list of problems; an empty list means Telegram would accept the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]*));")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>", re.DOTALL)
_ATTR = re.compile(
    r"""\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)

#: tag -> attributes it may carry (``None``: no attribute allowed).
_ALLOWED_ATTRS: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}


@dataclass
class ParsedText:
    """What Telegram would show, and why it would refuse the markup (if it would)."""

    plain: str
    problems: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode_text(chunk: str, problems: list[str]) -> str:
    """Decode the entities of a text run, flagging raw ``<``/``&`` and unknown entities."""
    out: list[str] = []
    pos = 0
    while pos < len(chunk):
        char = chunk[pos]
        if char == "<":
            problems.append(f"unescaped '<' at {chunk[pos : pos + 20]!r}")
            out.append(char)
            pos += 1
        elif char == "&":
            match = _ENTITY.match(chunk, pos)
            if match is None:
                problems.append(f"unescaped '&' at {chunk[pos : pos + 20]!r}")
                out.append(char)
                pos += 1
                continue
            dec, hexa, name = match.groups()
            if name is not None:
                if name not in _NAMED_ENTITIES:
                    problems.append(f"unsupported named entity &{name};")
                    out.append(match.group(0))
                else:
                    out.append(_NAMED_ENTITIES[name])
            else:
                code = int(dec) if dec is not None else int(hexa, 16)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF or code == 0:
                    problems.append(f"invalid numeric entity {match.group(0)}")
                else:
                    out.append(chr(code))
            pos = match.end()
        else:
            out.append(char)
            pos += 1
    return "".join(out)


def _check_attrs(name: str, raw: str, problems: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    rest = raw
    while rest.strip():
        match = _ATTR.match(rest)
        if match is None or match.end() == 0:
            problems.append(f"malformed attributes in <{name}{raw}>")
            return attrs
        key = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        if key not in _ALLOWED_ATTRS[name]:
            problems.append(f"attribute {key!r} not allowed on <{name}>")
        attrs[key] = value
        rest = rest[match.end() :]
    return attrs


def parse_html(text: str) -> ParsedText:
    """Parse ``text`` as Telegram's HTML parse mode would."""
    problems: list[str] = []
    plain: list[str] = []
    stack: list[str] = []
    seen: list[str] = []
    pos = 0
    while pos < len(text):
        lt = text.find("<", pos)
        if lt == -1:
            plain.append(_decode_text(text[pos:], problems))
            break
        plain.append(_decode_text(text[pos:lt], problems))
        match = _TAG.match(text, lt)
        if match is None:
            problems.append(f"unescaped '<' at {text[lt : lt + 20]!r}")
            plain.append("<")
            pos = lt + 1
            continue
        closing, raw_name, raw_attrs, self_closing = match.groups()
        name = raw_name.lower()
        pos = match.end()
        if name not in _ALLOWED_ATTRS:
            problems.append(f"unsupported tag <{closing}{name}>")
            continue
        if self_closing:
            problems.append(f"self-closing tag <{name}/> is not supported")
            continue
        if closing:
            if raw_attrs.strip():
                problems.append(f"closing tag </{name}> with attributes")
            if not stack:
                problems.append(f"closing </{name}> without an opening tag")
            elif stack[-1] != name:
                problems.append(f"</{name}> closes <{stack[-1]}>: tags are not properly nested")
                if name in stack:
                    while stack and stack.pop() != name:
                        pass
            else:
                stack.pop()
            continue
        attrs = _check_attrs(name, raw_attrs, problems)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            problems.append('<span> is only supported as <span class="tg-spoiler">')
        if name == "a" and not attrs.get("href"):
            problems.append("<a> without href")
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            problems.append("<tg-emoji> without emoji-id")
        if (
            name == "code"
            and "class" in attrs
            and not (stack and stack[-1] == "pre" and attrs["class"].startswith("language-"))
        ):
            problems.append('<code class="language-…"> is only allowed directly inside <pre>')
        if stack:
            parent = stack[-1]
            if parent == "code" or (parent == "pre" and name != "code"):
                problems.append(f"<{name}> inside <{parent}>: no entities allowed there")
            if name == "blockquote" and "blockquote" in stack:
                problems.append("nested <blockquote>")
            if name == "pre" and "pre" in stack:
                problems.append("nested <pre>")
            if name == "a" and "a" in stack:
                problems.append("nested <a>")
        stack.append(name)
        seen.append(name)
    for name in reversed(stack):
        problems.append(f"<{name}> is never closed")
    return ParsedText(plain="".join(plain), problems=problems, tags=seen)


def text_length(text: str) -> int:
    """Length as the limits count it: Unicode code points of the parsed text."""
    return len(text)
