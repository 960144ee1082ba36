"""Text from users and files: made safe to store and show, and read the way officials type.

Safe: a BEL in a title breaks the XLSX export (the format forbids C0 controls), an ANSI escape
in a name rewrites a terminal, a right-to-left override makes "fdp.exe" read "exe.pdf", and a
lone surrogate (an undecodable file name) makes every later ``encode()`` fail. Such characters
never carry meaning in an agreement register, so they are removed on input.

Read: officials write on Telegram the way they text: "yg", "udh", "gmn", "kpn", "brp". The
domain packages read questions word by word after :func:`words` has folded the text and spelled
these out, so each package's vocabulary is written once, in formal words. Only spellings are
expanded here (one word for another); what a word *means* to a package stays in that package.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final

from rapidfuzz import fuzz

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; the bidirectional
# embedding, override and isolate controls; the non-characters U+FFFE and U+FFFF.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
# Invisible and meaning nothing in a name or a title, where they make two equal texts differ
# ("Sari" and "Sari\u200b"): a zero-width space is a word break (a space, as questions read
# it), a word joiner and a byte-order mark join (removed). Zero-width (non-)joiners stay: they
# shape emoji and some scripts.
_ZERO_WIDTH_SPACE = re.compile("\u200b")
_ZERO_WIDTH_JOINS = re.compile("[\u2060\ufeff]")
_LINE_BREAKS = re.compile("[\r\x0b\x0c]")
_WHITESPACE = re.compile(r"\s+")


def clean_line(value: str) -> str:
    """One line of text: controls become spaces, runs of whitespace one space, ends trimmed."""
    text = _invisible_out(_SURROGATES.sub("\ufffd", value))
    return _WHITESPACE.sub(" ", _CONTROLS.sub(" ", text)).strip()


def _invisible_out(text: str) -> str:
    return _ZERO_WIDTH_JOINS.sub("", _ZERO_WIDTH_SPACE.sub(" ", text))


def without_controls(value: str) -> str:
    """``value`` with its controls (not line ends) replaced by spaces, nothing else changed:
    what a message repeats of a short input, which is already one line or meant as typed."""
    return _CONTROLS.sub(" ", value)


def clean_block(value: str) -> str:
    """Text that may span lines (a note): line ends (and vertical tab, form feed) become
    ``\\n``, other controls a space, as :func:`clean_line` does within a line."""
    text = _invisible_out(_SURROGATES.sub("\ufffd", value)).replace("\r\n", "\n")
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROLS.sub(" ", text).strip()


def clean_optional_line(value: str | None) -> str | None:
    """:func:`clean_line` for an optional field: blank becomes ``None``."""
    if value is None:
        return None
    return clean_line(value) or None


def clean_optional_block(value: str | None) -> str | None:
    """:func:`clean_block` for an optional field: blank becomes ``None``."""
    if value is None:
        return None
    return clean_block(value) or None


#: How much of a user's input a message repeats back ("Daerah "…" tidak ditemukan").
ECHO_LIMIT: Final = 100


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """A user's input as a message repeats it: one line, at most ``limit`` characters.

    A message that quotes what was typed stays readable (and within Telegram's 4,096
    characters) however long the input was. A longer value keeps its start and its end
    around a "…" (a name's first words, a path's file name).
    """
    line = clean_line(value)
    if len(line) <= limit:
        return line
    tail = (limit - 1) // 3
    return line[: limit - 1 - tail] + "…" + line[len(line) - tail :]


def has_controls(value: str) -> bool:
    """Whether :func:`clean_block` would remove something other than line ends."""
    return bool(_CONTROLS.search(value) or _SURROGATES.search(value))


def display_name(name: str) -> str:
    """A file name as a person can read it, whatever bytes the file system holds.

    Names that are not UTF-8 arrive from ``os`` as lone surrogates (``surrogateescape``); they
    are decoded again as Windows-1252, the legacy encoding of Indonesian office machines
    ("caf\\xe9" -> "café"), and controls are replaced, so the name can be stored and printed.
    """
    if _SURROGATES.search(name):
        try:
            raw = os.fsencode(name)
        except UnicodeEncodeError:  # surrogates that did not come from the file system
            raw = _SURROGATES.sub("\ufffd", name).encode("utf-8")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp1252", errors="replace")
    return _CONTROLS.sub("\ufffd", _SURROGATES.sub("\ufffd", name))


#: Chat spellings and abbreviations -> the formal word (lower case, folded).
INFORMAL: Final[dict[str, str]] = {
    "yg": "yang",
    "udh": "sudah",
    "udah": "sudah",
    "sdh": "sudah",
    "dah": "sudah",
    "uda": "sudah",
    "blm": "belum",
    "belom": "belum",
    "blom": "belum",
    "gmn": "bagaimana",
    "gmna": "bagaimana",
    "gimana": "bagaimana",
    "bgmn": "bagaimana",
    "bgmna": "bagaimana",
    "gimane": "bagaimana",
    "kpn": "kapan",
    "kapn": "kapan",
    "brp": "berapa",
    "brapa": "berapa",
    "dgn": "dengan",
    "dg": "dengan",
    "dng": "dengan",
    "ama": "sama",
    "sm": "sama",
    "utk": "untuk",
    "untk": "untuk",
    "tdk": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "engga": "tidak",
    "enggak": "tidak",
    "kagak": "tidak",
    "aja": "saja",
    "sj": "saja",
    "dmn": "dimana",
    "dmana": "dimana",
    "skrg": "sekarang",
    "skr": "sekarang",
    "krn": "karena",
    "jg": "juga",
    "lg": "lagi",
    "hrs": "harus",
    "msh": "masih",
    "masi": "masih",
    "thn": "tahun",
    "th": "tahun",
    "bln": "bulan",
    "mgg": "minggu",
    "tgl": "tanggal",
    "sampe": "sampai",
    "nyampe": "sampai",
    "smp": "sampai",
    "kalo": "kalau",
    "klo": "kalau",
    "trs": "terus",
    "bs": "bisa",
    "bsa": "bisa",
    "sy": "saya",
    "gw": "saya",
    "gue": "saya",
    "kmu": "kamu",
    "lu": "kamu",
    "pake": "pakai",
    "dipake": "dipakai",
    "kerjasama": "kerja sama",
    "ttd": "tanda tangan",
    "pj": "penanggung jawab",
    "knp": "kenapa",
    "napa": "kenapa",
    "emg": "memang",
    "tp": "tapi",
    "trus": "terus",
    "ngapain": "melakukan apa",
    "ngecek": "mengecek",
    "ngeceknya": "mengecek",
    "ngisi": "mengisi",
    "nginstal": "menginstal",
    "instal": "instalasi",
    "install": "instalasi",
    "siapin": "siapkan",
    "udahan": "selesai",
    "thx": "thanks",
    "tq": "thanks",
    "makasi": "makasih",
    "trimakasih": "terima kasih",
    "terimakasih": "terima kasih",
    "mksh": "makasih",
    "tengkyu": "thanks",
    "whats": "what is",
    "what's": "what is",
    "hows": "how is",
    "when's": "when is",
    "whens": "when is",
    "who's": "who is",
    "whos": "who is",
}

_WORD = re.compile(r"[0-9a-z]+(?:['.][0-9a-z]+)*")
# "apa2" -> "apa", "masuk2" -> "masuk": letters only, so 12, 2032 and "22 hari" stay numbers.
# Anchored at a word's start: unanchored, a long word without the final 2 (a pasted number,
# "aaaa…") was tried from every one of its characters.
_REPEAT = re.compile(r"\b([^\W\d_]+)2\b")


#: What takes the place of a forgotten person's name in texts that stay (their questions).
REDACTED = "[…]"


def name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A person's names as a pattern: whole-word, case-insensitive, the name (or @username)
    and each of its words of 3+ letters; ``None`` when there is nothing to look for."""
    parts = {w.strip() for w in names if w and w.strip()}
    parts |= {piece for w in parts for piece in re.split(r"\W+", w) if len(piece) >= 3}
    if not parts:
        return None
    alternatives = "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True))
    return re.compile(rf"(?<!\w)@?(?:{alternatives})(?!\w)", re.IGNORECASE)


_DOTTED = re.compile(r"(?<![\w.])(?P<run>[^\W\d_](?:\.[^\W\d_])+)\.?(?!\w|\.\w)")
"""Single letters joined by full stops, written without spaces: "T.P.P.", "S.P.B.E", "U.S.A."
(not a domain name's "a.b.com", nor the letters of a numbering's "1.a")."""


def undotted(text: str) -> str:
    """``text`` with a short form written with full stops ("T.P.P.", "S.P.B.E") as one word
    ("TPP", "SPBE"), as it is written elsewhere: split at the stops, its letters were single
    letters the search drops, and no short form. Only capitals, or three letters or more:
    "s.d." (sampai dengan) and "a.n." (atas nama) are no short forms ("SD", "AN")."""

    def joined(found: re.Match[str]) -> str:
        letters = found.group("run").replace(".", "")
        if letters.isupper() or len(letters) >= 3:
            return letters
        return found.group(0)

    return _DOTTED.sub(joined, text) if "." in text else text


def fold(text: str) -> str:
    """Lower case, accents away (``"Kédiri"`` -> ``"kediri"``), single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def raw_words(text: str) -> list[str]:
    """The folded words of ``text`` as typed (apostrophes and inner dots kept: "hayu.bdg")."""
    return _WORD.findall(_REPEAT.sub(r"\1", fold(text)))


def words(text: str) -> list[str]:
    """The folded words of ``text`` with chat spellings made formal ("yg udh" -> "yang sudah").

    Inner dots split ("hayu.bdg" -> "hayu", "bdg"); an expansion may give two words.
    """
    out: list[str] = []
    for word in raw_words(text):
        formal = INFORMAL.get(word)
        if formal is None and "'" in word:
            formal = INFORMAL.get(word.replace("'", ""), word.replace("'", " "))
        if formal is None:
            formal = _colloquial_verb(word)
        for part in (formal or word).replace(".", " ").split():
            out.append(part)
    return out


def compact(text: str) -> str:
    """Letters and digits only, folded: "e-RK" -> "erk", "Hayu.Bdg" -> "hayubdg"."""
    return re.sub(r"[^0-9a-z]+", "", fold(text))


def find_names(text: str, names: Iterable[str], *, typo_score: float = 88.0) -> list[str]:
    """Which of ``names`` (app names: "Hayu.Bdg", "e-RK") ``text`` mentions, in text order.

    Names are compared without spaces or punctuation, over windows of one to three words
    ("hayu bdg", "e rk", "ebudgeting"); names of seven letters or more are also found through
    a typo or cut short to their first six letters or more ("e-budget").
    """
    wanted = {compact(n): n for n in names if compact(n)}
    if not wanted:
        return []
    parts = raw_words(text.replace("-", " ").replace(".", " "))
    found: dict[str, int] = {}
    for size in (3, 2, 1):
        for start in range(len(parts) - size + 1):
            key = "".join(parts[start : start + size])
            name = wanted.get(key) or _near_name(key, wanted, typo_score)
            if name is not None and name not in found:
                found[name] = start
    return sorted(found, key=found.__getitem__)


def _near_name(key: str, wanted: dict[str, str], typo_score: float) -> str | None:
    if len(key) < 6 or not key.isalpha():
        return None
    for compacted, name in wanted.items():
        if len(compacted) >= 7 and compacted.startswith(key):
            return name
        if len(compacted) >= 6 and fuzz.ratio(key, compacted) >= typo_score:
            return name
    return None


@cache
def _dictionary() -> frozenset[str]:
    """Indonesian root words (Sastrawi's dictionary, shipped with PySastrawi: MIT)."""
    data = resources.files("Sastrawi.Stemmer").joinpath("data", "kata-dasar.txt")
    return frozenset(data.read_text(encoding="utf-8").split())


@cache
def _stemmer() -> Any:
    from core.stemming import indonesian_stemmer

    return indonesian_stemmer()


@lru_cache(maxsize=20_000)
def is_word(word: str) -> bool:
    """Whether ``word`` (folded) is an Indonesian word: a root word, or one with affixes
    ("mereplikasi", "kendala"). Names that are also words ("batu", "malang") are words."""
    if not word.isalpha():
        return False
    dictionary = _dictionary()
    if word in dictionary:
        return True
    stem = str(_stemmer().stem(word) or word)
    return stem != word and stem in dictionary


def _colloquial_verb(word: str) -> str | None:
    """Jakarta-style verbs made formal: "ngajuin" -> "ajukan", "nanyain" -> "tanyakan"
    (a nasal prefix dropped and "-in" read as "-kan", when that gives an Indonesian word)."""
    if len(word) < 6 or not word.endswith("in") or not word.isalpha() or is_word(word):
        return None
    stem = word[:-2]
    if is_word(f"{stem}kan"):  # "masukin" -> "masukkan"
        return f"{stem}kan"
    # The nasal prefix replaced the root's first letter: "nanya" is "tanya", "nyari" "cari".
    restored = {"nge": ("",), "ng": ("", "k"), "ny": ("c", "s"), "n": ("t", ""), "m": ("p", "")}
    for prefix, firsts in restored.items():
        if stem.startswith(prefix) and len(stem) - len(prefix) >= 3:
            root = stem[len(prefix) :]
            for first in firsts:
                if is_word(f"{first}{root}kan"):
                    return f"{first}{root}kan"
    return None
