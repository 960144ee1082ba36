"""English words -> Indonesian words, for the keyword side of English questions.

The documents are mostly Indonesian, so an English question ("How do I report a broken
street light?") shares almost no words with the passage that answers it; the multilingual
embedding model still finds it, the keyword search does not. The words of an English
question are therefore also searched as their Indonesian translations
(:mod:`knowledge_base.query`), from a published dictionary:

**FreeDict English-Indonesian** (FreeDict + WikDict, generated from Wiktionary; about
10,300 headwords; CC BY-SA 3.0, https://freedict.org/), in the dictd format of the Debian
package ``dict-freedict-eng-ind``. Sinergi is MIT-licensed and does not ship a copy: the
dictionary is read at run time from where the package installs it
(``SINERGI_ENGLISH_DICTIONARY``, default ``/usr/share/dictd/freedict-eng-ind``). Without it,
English questions are searched as before (the embedding model and the English words of the
synonym groups), and the log says the dictionary is missing.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_DICTIONARY = Path("/usr/share/dictd/freedict-eng-ind")
"""Where Debian's ``dict-freedict-eng-ind`` installs the dictionary (``.index`` and
``.dict.dz`` beside it)."""

_B64 = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}
_NUMBERED = re.compile(r"^\d+\.\s*")
_TRAILING_NUMBER = re.compile(r"\s+\d+\.$")
_HEADWORD = re.compile(r"[a-z]+(?: [a-z]+)?")
_PHRASE = re.compile(r"[^\W\d_]+(?:[- ][^\W\d_]+)*")


def _b64_number(text: str) -> int:
    """dictd's base-64 numbers (offsets and lengths in the ``.index`` file)."""
    value = 0
    for ch in text:
        value = value * 64 + _B64[ch]
    return value


@dataclass(frozen=True)
class EnglishDictionary:
    """English headword (lower case, one or two words) -> its Indonesian translations."""

    entries: Mapping[str, tuple[str, ...]]
    source: str = ""

    def __bool__(self) -> bool:
        return bool(self.entries)

    def lookup(self, word: str) -> tuple[str, ...]:
        """Translations of ``word`` (lower case), trying its base form when it is inflected
        ("days" -> "day", "submitted" -> "submit", "issued" -> "issue")."""
        for form in base_forms(word):
            found = self.entries.get(form)
            if found:
                return found
        return ()

    def knows(self, word: str) -> bool:
        return bool(self.lookup(word))


_FUNCTION_WORDS = (
    "a about all am an and any are as at be been being both but by can could did do does "
    "doing each from get gets got had has have having he her here hers him his how i if in "
    "into is it its itself just may me might my of on or our own shall she should so some "
    "such than that the their them then there these they this those to us was we were what "
    "when where which while who whom whose why will with would you your"
)
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS.split())
"""English words not translated: auxiliaries, modals, pronouns, determiners, question words
and plain prepositions say nothing of the topic, and their dictionary senses mislead ("may":
the month Mei, "get": ambil / bawa / terima). Negations and words of order or measure
("not", "after", "before", "more", "maximum") are translated."""

NO_DICTIONARY = EnglishDictionary({})
"""No dictionary installed: English words are not translated."""


def base_forms(word: str) -> Iterator[str]:
    """``word`` and the forms English inflection may have made it from, most likely first."""
    yield word
    if len(word) <= 3:
        return
    if word.endswith("ies"):
        yield word[:-3] + "y"
    if word.endswith("es"):
        yield word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        yield word[:-1]
    for suffix in ("ed", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            yield stem
            yield stem + "e"
            if len(stem) >= 2 and stem[-1] == stem[-2]:
                yield stem[:-1]  # "submitted" -> "submit"
            if stem.endswith("i"):
                yield stem[:-1] + "y"  # "applied" -> "apply"


def parse_entry(text: str) -> list[str]:
    """The Indonesian translations of one dictd entry of FreeDict's English-Indonesian.

    An entry reads: the headword line ("report /.../ <n>"), then the translation line
    ("laporan"), then English glosses. With several senses the translation lines are
    numbered from the line start ("1. patah, pecah, retak, rusak" / "2. rusak") and the
    glosses' own numbers follow a space (" 2.").
    """
    lines = text.split("\n")
    if len(lines) < 2:
        return []
    chosen = [lines[1]]
    chosen += [line for line in lines[2:] if _NUMBERED.match(line)]
    out: list[str] = []
    for line in chosen:
        line = _TRAILING_NUMBER.sub("", _NUMBERED.sub("", line.strip()))
        for part in line.split(","):
            part = part.split("(")[0].strip().lower()
            if _PHRASE.fullmatch(part) and part not in out:
                out.append(part)
    return out


def read_dictd(base: Path) -> EnglishDictionary:
    """The dictionary at ``base`` (``base.index`` and ``base.dict.dz`` or ``base.dict``).

    Raises:
        OSError: the files are missing or unreadable.
    """
    index_path = base.with_name(base.name + ".index")
    compressed = base.with_name(base.name + ".dict.dz")
    if compressed.is_file():
        # dictzip is gzip with an index of its blocks: the gzip module reads it whole.
        with gzip.open(compressed, "rb") as fh:
            data = fh.read()
    else:
        data = base.with_name(base.name + ".dict").read_bytes()
    entries: dict[str, list[str]] = {}
    for line in index_path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        head = " ".join(parts[0].lower().split())
        if not _HEADWORD.fullmatch(head):
            continue  # dictd's own "00database..." entries, names with digits or marks
        start, length = _b64_number(parts[1]), _b64_number(parts[2])
        try:
            entry = data[start : start + length].decode("utf-8")
        except UnicodeDecodeError:
            continue
        found = entries.setdefault(head, [])
        found.extend(t for t in parse_entry(entry) if t not in found)
    return EnglishDictionary(
        {head: tuple(ts) for head, ts in entries.items() if ts}, source=str(base)
    )


@lru_cache(maxsize=4)
def _cached(base: str, stamp: tuple[int, int]) -> EnglishDictionary:
    return read_dictd(Path(base))


def load_english_dictionary(base: Path | None) -> EnglishDictionary:
    """The dictionary at ``base``, or an empty one (logged) when it is not installed.

    Read once per process and file version (the parsed dictionary is shared)."""
    if base is None:
        return NO_DICTIONARY
    index_path = base.with_name(base.name + ".index")
    try:
        stat = index_path.stat()
        return _cached(str(base), (stat.st_mtime_ns, stat.st_size))
    except (OSError, ValueError, KeyError) as exc:
        log.warning(
            "English-Indonesian dictionary not available at %s (%s): English questions are "
            "searched without translating their words (Debian: apt-get install "
            "dict-freedict-eng-ind)",
            base,
            exc,
        )
        return NO_DICTIONARY
