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

import errno
import gzip
import io
import logging
import os
import re
import stat
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_DICTIONARY = Path("/usr/share/dictd/freedict-eng-ind")
"""Where Debian's ``dict-freedict-eng-ind`` installs the dictionary (``.index`` and
``.dict.dz`` beside it)."""

MAX_DICTIONARY_BYTES = 64 * 2**20
"""The most a dictionary file may hold, its ``.dict.dz`` once decompressed (FreeDict's
English-Indonesian: 1 MB of entries, a 175 kB index): a file past it is no dictionary of
words, and reading it whole would only fill the memory."""


MAX_TRANSLATIONS = 32
"""The translations kept of one headword, in the dictionary's order (FreeDict's most: 13,
"fuck"): a question's word is searched in each, so an entry of hundreds would make one
word a search of hundreds of terms."""


class UnreadableDictionary(OSError):
    """A dictionary file that is no regular file, too large, or corrupt."""


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
    if word.endswith("a"):
        # Greek plurals kept in English: "criteria" -> "criterion", "phenomena" ->
        # "phenomenon" (tried only when the word itself is no entry). Not the Latin "-um":
        # "media" would be read as "medium" (FreeDict: "sedang", a size).
        yield word[:-1] + "on"
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
    out: dict[str, None] = {}  # ordered, and no list scan per part of a huge entry
    for line in chosen:
        line = _TRAILING_NUMBER.sub("", _NUMBERED.sub("", line.strip()))
        for part in line.split(","):
            part = part.split("(")[0].strip().lower()
            if _PHRASE.fullmatch(part):
                out[part] = None
    return list(out)


def _read_file(path: Path, *, compressed: bool = False) -> bytes:
    """The bytes of the regular file at ``path`` (decompressed when ``compressed``), at most
    :data:`MAX_DICTIONARY_BYTES`.

    Raises:
        OSError: missing or unreadable; :class:`UnreadableDictionary` when it is no regular
            file (a FIFO, ``/dev/zero``, a folder: never waited on or read without end), too
            large, or not gzip data that ends.
    """
    # O_NONBLOCK: opening a FIFO does not wait for a writer (it is refused below).
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as raw:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableDictionary(errno.EINVAL, "not a regular file", str(path))
        handle: io.BufferedIOBase = raw
        if compressed:
            # dictzip is gzip with an index of its blocks: the gzip module reads it whole.
            handle = gzip.GzipFile(fileobj=raw, mode="rb")
        try:
            data = handle.read(MAX_DICTIONARY_BYTES + 1)
        except (EOFError, zlib.error) as exc:  # gzip's BadGzipFile is an OSError already
            raise UnreadableDictionary(errno.EINVAL, f"corrupt: {exc}", str(path)) from exc
    if len(data) > MAX_DICTIONARY_BYTES:
        raise UnreadableDictionary(errno.EFBIG, "too large for a dictionary", str(path))
    return data


def read_dictd(base: Path) -> EnglishDictionary:
    """The dictionary at ``base`` (``base.index`` and ``base.dict.dz`` or ``base.dict``).

    An index line that is not UTF-8 or not of dictd's form, or points outside the entries,
    is left out; the others are read.

    Raises:
        OSError: the files are missing, unreadable, no regular files, too large or corrupt.
    """
    index_path = base.with_name(base.name + ".index")
    compressed = base.with_name(base.name + ".dict.dz")
    if compressed.exists():
        data = _read_file(compressed, compressed=True)
    else:
        data = _read_file(base.with_name(base.name + ".dict"))
    entries: dict[str, dict[str, None]] = {}
    for raw_line in _read_file(index_path).splitlines():
        try:
            line = raw_line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        head = " ".join(parts[0].lower().split())
        if not _HEADWORD.fullmatch(head):
            continue  # dictd's own "00database..." entries, names with digits or marks
        try:
            start, length = _b64_number(parts[1]), _b64_number(parts[2])
        except KeyError:
            continue  # not a dictd number
        if start + length > len(data):
            continue  # past the end of a truncated file
        try:
            entry = data[start : start + length].decode("utf-8")
        except UnicodeDecodeError:
            continue
        found = entries.setdefault(head, {})
        for translation in parse_entry(entry):
            if len(found) < MAX_TRANSLATIONS:
                found[translation] = None
    return EnglishDictionary(
        {head: tuple(ts) for head, ts in entries.items() if ts}, source=str(base)
    )


_WARNED: set[tuple[str, str]] = set()
"""The paths (and reasons) already logged as missing in this process."""


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
        # Once per path and reason: a health check asks on every /status.
        said = (str(base), f"{type(exc).__name__}: {exc}")
        log.log(
            logging.DEBUG if said in _WARNED else logging.WARNING,
            "English-Indonesian dictionary not available at %s (%s): English questions are "
            "searched without translating their words (Debian: apt-get install "
            "dict-freedict-eng-ind)",
            base,
            exc,
        )
        _WARNED.add(said)
        return NO_DICTIONARY
