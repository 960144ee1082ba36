"""The sentence that spells out an abbreviation the question asks about.

"Apa itu TPP?" or "Apa kepanjangan dari GPS?" asks what a short form stands for. A manual or
an article seldom defines it in a definitions entry (:mod:`knowledge_base.articles`); it
spells it out once where it first uses it: "... menjadi dasar perhitungan Tambahan
Penghasilan Pegawai (TPP) ..." or "TPP (Tambahan Penghasilan Pegawai) ...". That sentence
answers the question; the units that only use the short form ("Porsi TPP berdasarkan
kinerja ...") share as many words with it and often score higher.

A long form is recognised by its initials: the words just before the bracketed short form
(or inside the brackets after it, or before "yang selanjutnya disebut/disingkat/dikenal
dengan nama" SHORT) whose first letters spell it, connecting words ("dan", "di", "of"...)
allowed between them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from core.text import undotted

__all__ = ["asked_abbreviations", "spelled_out"]

_CONNECTORS = frozenset(
    {"dan", "di", "ke", "dari", "untuk", "yang", "atau", "serta", "pada", "dalam", "bagi"}
    | {"of", "and", "the", "for", "in", "on", "to"}
)
_TOKEN = re.compile(r"(?<![^\W\d_])[A-Za-z][A-Za-z&]{1,7}(?![^\W\d_])")
"""A whole word of 2 to 8 letters: not the pieces of a longer one ("pendidikan" is not
"pendidik" and "an"), nor the Latin letters of a word written partly in look-alikes ("ТPP"
with a Cyrillic Т is not "PP"). A digit may follow ("SPBE2025")."""
_WORD = re.compile(r"[A-Za-z][\w'-]*")
_MAX_EXTRA_WORDS = 3
"""Connecting words a long form may hold beyond one word per letter of its short form."""


def asked_abbreviations(question: str) -> list[str]:
    """The question's tokens that could be a short form: 2 to 8 letters, written in capitals
    ("TPP", "SPBE") or, as a Telegram user types them, in lower case ("tpp"). Whether one is
    a short form is left to :func:`spelled_out` (a text must spell it out)."""
    seen: list[str] = []
    # Full-width letters ("ＴＰＰ", as some keyboards type them) and full stops between the
    # letters ("T.P.P.") read as the search reads them.
    for token in _TOKEN.findall(undotted(unicodedata.normalize("NFKC", question))):
        key = token.lower()
        if key not in _CONNECTORS and key not in seen:
            seen.append(key)
    return seen


def _spells(words: Sequence[str], short: str) -> bool:
    """Whether ``words`` (a long form) spell ``short`` by their initials, connecting words
    skipped; the long form opens with a word that is not a connector."""
    if not words or words[0].lower() in _CONNECTORS:
        return False
    initials = "".join(w[0] for w in words if w.lower() not in _CONNECTORS)
    return initials.lower() == short.replace("&", "")


def _spelled_before(text: str, end: int, short: str) -> bool:
    """Whether the words just before ``end`` spell ``short`` (one to three extra connecting
    words allowed)."""
    before = _WORD.findall(text[max(0, end - 200) : end])
    most = min(len(short) + _MAX_EXTRA_WORDS, len(before))
    return any(_spells(before[-size:], short) for size in range(len(short), most + 1))


_SHORT = r"(?P<short>[A-Za-z][A-Za-z&]{1,7})"
_BRACKETED = re.compile(r"\(\s*" + _SHORT + r"\s*\)")
_NAMED = re.compile(
    r"\b(?:yang\s+)?selanjutnya\s+(?:disebut|disingkat|dikenal\s+dengan(?:\s+nama)?)\s+"
    + _SHORT
    + r"\b",
    re.I,
)
_OPENED = re.compile(r"\b" + _SHORT + r"\s*\((?P<long>[^()]{3,200})\)")


def _written_short(found: re.Match[str]) -> bool:
    short: str = found.group("short")
    return sum(c.isupper() for c in short) >= 2


def spelled_out(text: str) -> set[str]:
    """The short forms (lower case) ``text`` spells out: "Long Form (SHORT)", "SHORT (Long
    Form)" or "Long Form yang selanjutnya disebut SHORT", each short form written with at
    least two capitals. One pass over the text whatever the question holds."""
    found: set[str] = set()
    text = undotted(text)  # "Tambahan Penghasilan Pegawai (T.P.P.)"
    for pattern in (_BRACKETED, _NAMED):
        for match in pattern.finditer(text):
            short = match.group("short").lower()
            if _written_short(match) and _spelled_before(text, match.start(), short):
                found.add(short)
    for match in _OPENED.finditer(text):
        short = match.group("short").lower()
        if _written_short(match) and _spells(_WORD.findall(match.group("long")), short):
            found.add(short)
    return found
