"""Telegram HTML: escaping, splitting long messages, rendering answers and citations.

Pure functions (no ``telegram`` import) so they are tested without a bot and shared with the
terminal chat, which turns the same HTML into plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

MAX_MESSAGE = 4096
MAX_CAPTION = 1024
MAX_ALERT = 200

# Tags Telegram accepts in HTML parse mode.
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip

_TOKEN = re.compile(r"<[^<>]+>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|\s+|[^<&\s]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")


#: Bidirectional embeddings, overrides and isolates: in stored text (a document's title, a
#: question) they would turn the rest of a line around in the reader's chat.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def escape(text: object) -> str:
    """Text safe inside Telegram HTML (``<``, ``>``, ``&``; quotes are fine outside attributes),
    without bidirectional controls."""
    return html.escape(_BIDI_CONTROLS.sub("", str(text)), quote=False)


def escape_attr(text: object) -> str:
    return html.escape(str(text), quote=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def fit_plain(text: str, limit: int) -> str:
    """Plain text (a caption, a button's alert) cut to ``limit`` as Telegram counts, in UTF-16
    units: an emoji or a mathematical letter is two, so cutting by characters is not enough."""
    if utf16_len(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > limit - 1:  # room for the "…"
            break
        kept.append(char)
        used += width
    return "".join(kept).rstrip() + "…"


def to_plain(text: str) -> str:
    """Telegram HTML to plain text (for the terminal chat and logs)."""
    without_tags = re.sub(r"<[^<>]+>", "", text)
    return html.unescape(without_tags)


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split Telegram HTML into messages of at most ``limit`` UTF-16 units.

    Splits at paragraph boundaries (blank lines) where possible, then at line breaks, then
    between words; never inside a tag or an entity. Tags left open at a split are closed at the
    end of one part and reopened at the start of the next, so every part is valid HTML.
    """
    if limit < 64:
        raise ValueError("limit too small to split HTML safely")
    if utf16_len(text) <= limit:
        return [text] if text.strip() else []
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if utf16_len(candidate) <= limit and _balanced(candidate):
            current = candidate
            continue
        if current and _balanced(current):
            parts.append(current)
            current = paragraph
        else:
            current = candidate
        if utf16_len(current) > limit or not _balanced(current):
            pieces = _split_tokens(current, limit)
            parts.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def _balanced(text: str) -> bool:
    """Whether every tag opened in ``text`` is closed in it (so it can stand alone)."""
    stack: list[str] = []
    for tag in re.findall(r"<[^<>]+>", text):
        match = _TAG_NAME.match(tag)
        if not match:
            continue
        name = match.group(1).lower()
        if tag.startswith("</"):
            if stack and stack[-1] == name:
                stack.pop()
        else:
            stack.append(name)
    return not stack


def _split_tokens(text: str, limit: int) -> list[str]:
    """Greedy split at token boundaries, preferring line breaks, carrying open tags over."""
    step = max(1, limit // 3)  # words longer than this are cut so they fit beside open tags
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if token.startswith("<") and len(token) > 1:
            tokens.append(token)
        else:
            tokens.extend(token[i : i + step] for i in range(0, len(token), step))

    parts: list[str] = []
    current: list[str] = []
    current_len = 0  # UTF-16 length of "".join(current), kept as tokens are added
    stack: list[tuple[str, str]] = []  # tags open at the end of ``current``
    prefix = 0  # tokens at the start of ``current`` that reopen tags carried over

    for token in tokens:
        token_len = utf16_len(token)
        prefer_break = True
        while True:
            after = _push(stack, token)
            if current_len + token_len + _closing_len(after) <= limit or len(current) <= prefix:
                break
            # Cut at the last line break if there is one; if what is left still does not fit,
            # cut right here.
            cut = _last_break(current, prefix) if prefer_break else len(current)
            prefer_break = False
            head, tail = current[:cut], current[cut:]
            open_at_cut = _open_tags(head)
            parts.append("".join(head).rstrip() + _closing(open_at_cut))
            while tail and tail[0].isspace():
                tail.pop(0)
            current = [tag for _, tag in open_at_cut] + tail
            prefix = len(open_at_cut)
            current_len = utf16_len("".join(current))
            stack = _open_tags(current)
        current.append(token)
        current_len += token_len
        stack = after
    if current:
        parts.append("".join(current))
    return [p for p in parts if to_plain(p).strip()]


def _push(stack: list[tuple[str, str]], token: str) -> list[tuple[str, str]]:
    """The open tags after ``token`` (a new list when the token is a tag, else ``stack``)."""
    if not token.startswith("<") or len(token) < 3:
        return stack
    return _open_tags([token], stack)


def _closing_len(open_tags: Sequence[tuple[str, str]]) -> int:
    return sum(len(name) + 3 for name, _ in open_tags)  # "</name>"


def _last_break(tokens: Sequence[str], prefix: int) -> int:
    """Index just after the last line break in ``tokens`` (after ``prefix``), else the end."""
    for i in range(len(tokens) - 1, prefix, -1):
        if "\n" in tokens[i]:
            return i + 1
    return len(tokens)


def _closing(open_tags: Sequence[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(open_tags))


def _open_tags(
    tokens: Iterable[str], start: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """Tags opened and not yet closed in ``tokens``, outermost first: (name, opening tag)."""
    stack: list[tuple[str, str]] = list(start)
    for token in tokens:
        if not token.startswith("<") or len(token) < 3:
            continue
        match = _TAG_NAME.match(token)
        if not match:
            continue
        name = match.group(1).lower()
        if token.startswith("</"):
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i]
                    break
        else:
            stack.append((name, token))
    return stack


# --- answers and citations ----------------------------------------------------------------------


class CitationLike(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def section(self) -> str | None: ...
    @property
    def page(self) -> int | None: ...


class AnswerLike(Protocol):
    """What an answer shows (``services.knowledge.Answer``)."""

    @property
    def answer(self) -> str: ...
    @property
    def found(self) -> bool: ...
    @property
    def citations(self) -> Sequence[CitationLike]: ...


Translate = Callable[..., str]


def render_citation(citation: CitationLike, t: Translate) -> str:
    """``[1] <b>Title</b> — Section, hlm. 3`` (already escaped); a quote over two pages
    reads ``hlm. 2–3``."""
    text = f"[{citation.number}] <b>{escape(citation.title)}</b>"
    details = []
    if citation.section:
        details.append(escape(citation.section))
    if citation.page:
        page_end = getattr(citation, "page_end", None)
        pages = f"{citation.page}–{page_end}" if page_end else str(citation.page)
        details.append(escape(t("answer.page", page=pages)))
    if details:
        text += " — " + ", ".join(details)
    return text


def render_answer(answer: AnswerLike, t: Translate) -> str:
    """The answer text with its numbered citations, as Telegram HTML."""
    body = escape(str(answer.answer).strip())
    if not answer.found:
        body = body or escape(t("answer.not_found"))
    citations = tuple(answer.citations)
    if not citations:
        return body
    lines = [f"<b>{escape(t('answer.sources'))}</b>"]
    lines.extend(render_citation(c, t) for c in citations)
    return body + "\n\n" + "\n".join(lines)


def render_passage(text: str, quotes: Sequence[tuple[int, int]] = ()) -> str:
    """A cited passage as Telegram HTML, the sentences the answer quoted underlined."""
    out: list[str] = []
    cursor = 0
    for start, end in sorted(q for q in quotes if 0 <= q[0] < q[1] <= len(text)):
        if start < cursor:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f"<u>{escape(text[start:end])}</u>")
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def bullet_list(items: Iterable[str]) -> str:
    return "\n".join(f"• {item}" for item in items)
