"""What a reader of a web page sees: hidden elements and invisible text removed before indexing.

A page can carry text no visitor sees (``display:none``, ``hidden``, ``aria-hidden``, zero size,
pushed off screen, white on white). Indexed, it would be quoted in answers as if the page said
it: "biaya Rp 99 juta ke rekening pribadi" hidden in an official's page is a fraud waiting to
happen. So the HTML loader keeps only what is rendered visibly, judged from the ``hidden`` and
``aria-hidden`` attributes, inline styles, legacy ``bgcolor``/``<font color>`` attributes, and the
simple rules of the page's own ``<style>`` blocks (``.class``, ``#id``, ``tag``, ``tag.class``).

This is a static reading, not a browser: a script that hides text later is not seen (scripts
are never run, and their text is not indexed either).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Class names that hide by convention (Bootstrap, Tailwind, WordPress, HTML5 Boilerplate).
HIDING_CLASSES = frozenset(
    {
        "hidden",
        "hide",
        "is-hidden",
        "d-none",
        "invisible",
        "sr-only",
        "visually-hidden",
        "visuallyhidden",
        "screen-reader-text",
        "u-hidden",
    }
)

# Begins at the text's start or after a brace or "@" only (where a leftmost match begins
# anyway): tried from every letter, a long run without "{" was scanned again from each.
_RULE = re.compile(r"(?:^|(?<=[{}@]))([^{}@]++)\{([^{}]*+)\}")
# @media/@supports blocks: their rules apply only sometimes (print, narrow screens); ignored.
# Possessive: "@" and a long word without "{" had the name and the prelude trade letters
# (quadratic: 32,000 took 2 s); neither ever needs to give any back.
_AT_BLOCK = re.compile(r"@[a-z-]++[^{]*+\{(?:[^{}]*+\{[^{}]*+\})*+[^{}]*+\}", re.I)
_SIMPLE_SELECTOR = re.compile(r"^([a-z][a-z0-9]*)?((?:[.#][\w-]+)*)$", re.I)
_LENGTH = re.compile(r"^(-?\d*\.?\d+)\s*(px|em|rem|pt|%|vw|vh)?$")
_NAMED_COLORS = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "snow": (255, 250, 250),
    "ivory": (255, 255, 240),
    "whitesmoke": (245, 245, 245),
    "ghostwhite": (248, 248, 255),
    "red": (255, 0, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "silver": (192, 192, 192),
}
_WHITE = (255, 255, 255, 1.0)
# Text this close to its background (each channel) cannot be read.
_INVISIBLE_CONTRAST = 24


Color = tuple[int, int, int, float]


@dataclass(frozen=True)
class _Rule:
    order: int  # source order: a later rule wins, as in CSS (specificity is not weighed)
    tag: str | None
    classes: frozenset[str]
    element_id: str | None
    declarations: dict[str, str]


class _Rules:
    """The page's simple rules, indexed by tag, class and id so each element is matched
    against a few candidates, not the whole sheet."""

    def __init__(self, rules: list[_Rule]) -> None:
        self._by_key: dict[str, list[_Rule]] = {}
        for rule in rules:
            if rule.element_id is not None:
                key = "#" + rule.element_id
            elif rule.classes:
                key = "." + min(rule.classes)
            else:
                key = rule.tag or "*"
            self._by_key.setdefault(key, []).append(rule)

    def matching(self, tag: str, classes: set[str], element_id: str | None) -> list[_Rule]:
        keys = [tag, "*", *("." + c for c in classes)]
        if element_id:
            keys.append("#" + element_id)
        found = [
            rule
            for key in keys
            for rule in self._by_key.get(key, ())
            if (rule.tag is None or rule.tag == tag)
            and rule.classes <= classes
            and (rule.element_id is None or rule.element_id == element_id)
        ]
        return sorted(found, key=lambda rule: rule.order)


def remove_invisible(root: Any) -> None:
    """Drop hidden elements and the text of invisible ones from an lxml HTML tree, in place.

    Tail text (after an element's end tag) belongs to the parent and stays when the element
    goes, unless the parent itself is invisible.
    """
    rules = _stylesheet_rules(root)
    hidden = [el for el in root.iter() if isinstance(el.tag, str) and _hidden(el, rules)]
    for element in hidden:
        if _attached(element, root):
            remove_keeping_tail(element)
    _clear_invisible_text(root, rules)


# --- style sheets ----------------------------------------------------------------------------


def _stylesheet_rules(root: Any) -> _Rules:
    rules: list[_Rule] = []
    for style in root.iter("style"):
        text = _AT_BLOCK.sub(" ", style.text or "")
        for selectors, body in _RULE.findall(text):
            declarations = _declarations(body)
            if not declarations:
                continue
            for selector in selectors.split(","):
                match = _SIMPLE_SELECTOR.match(selector.strip())
                if not match or not selector.strip():
                    continue  # descendant, attribute and pseudo selectors are not judged
                tag, rest = match.group(1), match.group(2) or ""
                classes = frozenset(re.findall(r"\.([\w-]+)", rest))
                ids = re.findall(r"#([\w-]+)", rest)
                rules.append(
                    _Rule(
                        len(rules),
                        tag.lower() if tag else None,
                        classes,
                        ids[0] if ids else None,
                        declarations,
                    )
                )
    return _Rules(rules)


def _declarations(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            value = value.replace("!important", "").strip().lower()
            found[name.strip().lower()] = value
    return found


def _style(element: Any, rules: _Rules) -> dict[str, str]:
    """The declarations that apply to ``element``: matching sheet rules, then inline ones."""
    classes = set((element.get("class") or "").split())
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    style: dict[str, str] = {}
    for rule in rules.matching(tag, classes, element.get("id")):
        style.update(rule.declarations)
    style.update(_declarations(element.get("style") or ""))
    return style


# --- hidden elements -------------------------------------------------------------------------


def _hidden(element: Any, rules: _Rules) -> bool:
    if element.get("hidden") is not None or (element.get("aria-hidden") or "").strip() == "true":
        return True
    if HIDING_CLASSES & set((element.get("class") or "").lower().split()):
        return True
    style = _style(element, rules)
    if style.get("display") == "none" or style.get("visibility") in ("hidden", "collapse"):
        return True
    if _number(style.get("opacity")) == 0:
        return True
    if _length(style.get("font-size")) == 0:
        return True
    collapsed = _length(style.get("width")) == 0 or _length(style.get("height")) == 0
    if collapsed and style.get("overflow", "") in ("hidden", "clip"):
        return True
    if "rect(0" in style.get("clip", "").replace(" ", "") or "inset(50%" in style.get(
        "clip-path", ""
    ).replace(" ", ""):
        return True
    if style.get("transform", "").replace(" ", "") in ("scale(0)", "scale(0,0)"):
        return True
    if style.get("position") in ("absolute", "fixed"):
        for side in ("left", "top", "right"):
            offset = _length(style.get(side))
            if offset is not None and offset <= -999:
                return True
    indent = _length(style.get("text-indent"))
    return indent is not None and indent <= -999


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _length(value: str | None) -> float | None:
    match = _LENGTH.match((value or "").strip())
    return float(match.group(1)) if match else None


def _attached(element: Any, root: Any) -> bool:
    """Still in the tree (an ancestor may have been removed already)."""
    node = element
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def remove_keeping_tail(element: Any) -> None:
    """Drop an element and its subtree; the text after it (its tail) stays in the document."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# --- invisible text (colour) -----------------------------------------------------------------


def _clear_invisible_text(root: Any, rules: _Rules) -> None:
    """Drop text drawn in (nearly) the colour of its background, e.g. white on white.

    Colour is inherited and a background shows through transparent children, so both are
    carried down the tree; an element's own text and the tails of its children are drawn in
    its colour.
    """
    inherited: dict[Any, tuple[Color | None, Color]] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        parent = element.getparent()
        color, background = inherited.get(parent, (None, _WHITE))
        style = _style(element, rules)
        own_color = _color(style.get("color") or _font_color(element))
        own_background = _color(
            style.get("background-color")
            or _first_color(style.get("background"))
            or element.get("bgcolor")
        )
        if own_color is not None:
            color = own_color
        if own_background is not None and own_background[3] > 0:
            background = own_background
        inherited[element] = (color, background)
        if color is not None and _unreadable(color, background):
            element.text = None
            for child in element:
                child.tail = None


def _font_color(element: Any) -> str | None:
    return element.get("color") if element.tag == "font" else None


def _first_color(value: str | None) -> str | None:
    if not value:
        return None
    match = re.search(r"(#[0-9a-f]{3,8}\b|rgba?\([^)]*\)|\b[a-z]+\b)", value)
    return match.group(1) if match and _color(match.group(1)) is not None else None


def _unreadable(color: Color, background: Color) -> bool:
    if color[3] == 0:
        return True  # transparent text
    return all(
        abs(a - b) <= _INVISIBLE_CONTRAST for a, b in zip(color[:3], background[:3], strict=True)
    )


def _color(value: str | None) -> Color | None:
    if not value:
        return None
    text = value.strip().lower()
    if text == "transparent":
        return (0, 0, 0, 0.0)
    if text in _NAMED_COLORS:
        return (*_NAMED_COLORS[text], 1.0)
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) in (3, 4):
            digits = "".join(ch * 2 for ch in digits)
        if len(digits) in (6, 8) and all(ch in "0123456789abcdef" for ch in digits):
            alpha = int(digits[6:8], 16) / 255 if len(digits) == 8 else 1.0
            return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), alpha)
        return None
    match = re.match(r"rgba?\(([^)]*)\)", text)
    if match:
        parts = [p.strip() for p in re.split(r"[,\s/]+", match.group(1)) if p.strip()]
        try:
            channels = [
                round(float(p[:-1]) * 2.55) if p.endswith("%") else round(float(p))
                for p in parts[:3]
            ]
            alpha = (
                float(parts[3].rstrip("%")) / (100 if parts[3].endswith("%") else 1)
                if len(parts) > 3
                else 1.0
            )
        except ValueError:
            return None
        if len(channels) == 3:
            return (channels[0], channels[1], channels[2], alpha)
    return None
