"""Regions named inside a sentence: "perjanjian dgn Kab. Kerincii", "tasik gimana?".

:func:`find_regions` reads a whole question and returns every region it names, with the level a
prefix gave ("Kab.", "Pemkot", "Provinsi"), the candidates when a bare name fits several
("Tasikmalaya": the regency and the city) and whether the name was read through a typo. It
uses the :class:`~mou_tracker.regions.RegionDirectory` for what a name means; the rules here
decide where a name starts and ends in free text:

* windows of one to four words are compared, longest first, with their spaces removed
  ("Tanjung Pinang" = "Tanjungpinang"); a word already taken by a longer name is not reused;
* a prefix word just before the name sets the level and is part of the phrase;
* names that are everyday words ("batu", "malang", "padang", "medan", "pati") count only with a
  prefix or a capital letter, so "yang malang" is not a city;
* a typo is read only for names of six letters or more, within :data:`TYPO_SCORE`, with the
  first letter right, when the word is not an Indonesian word ("kendala" is not a mistyped
  "Kendal") nor one of the question's own vocabulary (``known_words``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from core.text import is_word
from mou_tracker.regions import Level, Region, RegionDirectory

#: Prefix words -> the level they name (lower case, already folded).
PREFIX_WORDS: dict[str, Level | None] = {
    "kabupaten": "regency",
    "kab": "regency",
    "pemkab": "regency",
    "kota": "city",
    "kotamadya": "city",
    "kodya": "city",
    "pemkot": "city",
    "provinsi": "province",
    "propinsi": "province",
    "prov": "province",
    "pemprov": "province",
    "pemda": None,
    "regency": "regency",
    "city": "city",
    "province": "province",
}
#: Words that may stand between "Pemerintah"/"Pemda" and the level word.
_GOVERNMENT = frozenset({"pemerintah", "pemda", "daerah"})

#: Regions whose bare name is an everyday word: they need a prefix or a capital letter.
EVERYDAY_NAMES = frozenset(
    {
        "batu", "malang", "medan", "padang", "palu", "puncak", "landak", "buru", "pati",
        "batang", "metro", "bone", "banjar", "serang", "kudus", "lahat", "tual", "solok",
        "sigi", "karo", "toba", "ende", "muna", "belu", "alor", "agam", "siak",
        "kaur", "lingga", "paser", "tapin", "poso", "buol", "wajo", "gowa", "maros",
        "mappi", "sarmi", "asmat", "nduga", "lebak", "tegal",
    }
)  # fmt: skip
#: Minimum similarity (0-100) for a word to be read as a mistyped region name.
TYPO_SCORE = 87.0
_MIN_TYPO_LETTERS = 6
_MAX_WORDS = 4
_TOKEN = re.compile(r"[0-9A-Za-z]+")


@dataclass(frozen=True)
class RegionMention:
    """A region named in a question.

    Attributes:
        phrase: the words as written, prefix included ("Kab. Kerincii").
        candidates: every region the phrase may mean (one when it is clear).
        level: the level a prefix named, if any.
        typo: the name was read through a typo ("Kerincii" -> Kerinci).
        start, end: the words it covers (``end`` excluded), counted as :func:`tokens` counts.
    """

    phrase: str
    candidates: tuple[Region, ...]
    level: Level | None = None
    typo: bool = False
    start: int = 0
    end: int = 0

    @property
    def region(self) -> Region | None:
        """The one region meant, or ``None`` while the phrase fits several."""
        return self.candidates[0] if len(self.candidates) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


def tokens(text: str) -> list[str]:
    """The words of ``text`` as written (case kept, accents away): "Kab. Kerinci" -> 2 words."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _TOKEN.findall(text)


def find_regions(
    text: str,
    directory: RegionDirectory,
    *,
    known_words: Collection[str] = (),
) -> list[RegionMention]:
    """Every region ``text`` names, in the order they appear (see the module docstring).

    Args:
        known_words: folded words of the reader's own vocabulary ("perjanjian", "tenggat"),
            never read as a mistyped region name.
    """
    written = tokens(text)
    folded = [w.casefold() for w in written]
    taken = [False] * len(folded)
    found: list[RegionMention] = []
    keys = directory.name_keys()
    # Exact names first (longest first), then typos among the words left.
    passes = [(size, False) for size in range(_MAX_WORDS, 0, -1)]
    passes += [(size, True) for size in range(3, 0, -1)]
    for size, typo in passes:
        for start in range(len(folded) - size + 1):
            end = start + size
            if any(taken[start:end]):
                continue
            window = folded[start:end]
            if window[0] in PREFIX_WORDS or window[0] in _GOVERNMENT:
                continue  # a prefix never starts a bare name
            prefix_start, level = _prefix_before(folded, start)
            key = "".join(window)
            if typo:
                if any(len(w) < 3 for w in window):
                    continue
                candidates = _typo(key, window, directory, keys, level, known_words)
            else:
                candidates = directory.named(key, level)
            if not candidates:
                continue
            everyday = size == 1 and key in EVERYDAY_NAMES
            if everyday and prefix_start == start and not written[start][:1].isupper():
                continue
            if typo and prefix_start == start and _is_known(window, known_words):
                continue
            first = prefix_start if level is not None or prefix_start < start else start
            for i in range(first, end):
                taken[i] = True
            found.append(
                RegionMention(
                    phrase=" ".join(written[first:end]),
                    candidates=tuple(candidates),
                    level=level,
                    typo=typo,
                    start=first,
                    end=end,
                )
            )
    return sorted(found, key=lambda m: m.start)


#: Prefix words that, before a capitalised word, say a region is being named ("Kabupaten X").
_NAMING_PREFIXES = frozenset(word for word, level in PREFIX_WORDS.items() if level is not None) - {
    "regency",
    "city",
    "province",
}


def unknown_regions(
    text: str,
    mentions: Sequence[RegionMention],
    *,
    known_words: Collection[str] = (),
) -> tuple[str, ...]:
    """Names written as a region's ("Kabupaten Atlantis", "Kota Xyz") that no region has.

    A level word before a capitalised word that no mention covers, is no Indonesian word and
    none of the reader's vocabulary: the asker named a region the directory does not know
    (a mistyped name too far from any, or a place that is no regency, city or province).
    Up to :data:`_MAX_WORDS` capitalised words are taken as the name, as written.
    """
    written = tokens(text)
    folded = [w.casefold() for w in written]
    taken = [False] * len(folded)
    for mention in mentions:
        for i in range(mention.start, min(mention.end, len(folded))):
            taken[i] = True
    found: list[str] = []
    i = 0
    while i < len(folded) - 1:
        if taken[i] or folded[i] not in _NAMING_PREFIXES:
            i += 1
            continue
        end = i + 1
        while (
            end < len(folded)
            and end - i <= _MAX_WORDS
            and not taken[end]
            and written[end][:1].isupper()
            and written[end].isalpha()
            and folded[end] not in PREFIX_WORDS
            and folded[end] not in known_words
            and not is_word(folded[end])
        ):
            end += 1
        if end > i + 1:
            phrase = " ".join(written[i:end])
            if phrase not in found:
                found.append(phrase)
        i = end
    return tuple(found)


def _prefix_before(folded: Sequence[str], start: int) -> tuple[int, Level | None]:
    """Where the prefix before ``start`` begins and the level it names ("Pemerintah Kota")."""
    if start == 0:
        return start, None
    word = folded[start - 1]
    if word not in PREFIX_WORDS:
        return start, None
    begin = start - 1
    while begin > 0 and folded[begin - 1] in _GOVERNMENT:
        begin -= 1
    return begin, PREFIX_WORDS[word]


def _is_known(window: Sequence[str], known_words: Collection[str]) -> bool:
    return any(w in known_words for w in window) or all(is_word(w) for w in window)


def _typo(
    key: str,
    window: Sequence[str],
    directory: RegionDirectory,
    keys: Sequence[str],
    level: Level | None,
    known_words: Collection[str],
) -> list[Region]:
    """The regions a mistyped name means, when one name is clearly closest."""
    if len(key) < _MIN_TYPO_LETTERS or not key.isalpha() or _is_known(window, known_words):
        return []
    # A typo seldom touches the first letter, and a name read across two words must be
    # closer still ("ulang kata" is not "Langkat", "di Bandung" not a mistyped "Bandung").
    cutoff = TYPO_SCORE if len(window) == 1 else TYPO_SCORE + 3
    matches = [
        m
        for m in process.extract(key, keys, scorer=fuzz.ratio, limit=3, score_cutoff=cutoff)
        if m[0][:1] == key[:1]
    ]
    if not matches:
        return []
    best = matches[0][1]
    close = [m[0] for m in matches if best - m[1] < 2.0]
    regions = [r for k in close for r in directory.named(k, level)]
    # Two different names equally close: no guess.
    names = {r.name.split(" ", 1)[-1] for r in regions}
    return regions if len(names) == 1 else []
