"""Apps an agreement replicates: a dictionary of known e-government apps, plus names that
look like app names right after the word "aplikasi".

The dictionary holds Bandung's replicated apps and national platforms regions commonly
exchange; a deployment's own apps come from the tracker (names already recorded on
agreements), passed in by the service. Spellings are forgiving of OCR ("Hayu. Bdg", "e RK").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Canonical name -> patterns (case-insensitive, on word boundaries).
KNOWN_APPS: dict[str, tuple[str, ...]] = {
    "Hayu.Bdg": (r"hayu\s?[.\-_ ]?\s?bdg", r"hayu\s+bandung"),
    "Gampil": (r"gampil",),
    "e-RK": (r"e\s?[-–]\s?rk", r"erk"),
    "Sabilulungan": (r"sabilulungan",),
    "e-budgeting": (r"e\s?[-–]\s?budgeting", r"ebudgeting"),
    "Salaman": (r"salaman",),
    "Sampurasun": (r"sampurasun",),
    "e-Kinerja": (r"e\s?[-–]\s?kinerja",),
    "e-Office": (r"e\s?[-–]\s?office",),
    "e-Planning": (r"e\s?[-–]\s?planning",),
    "e-Musrenbang": (r"e\s?[-–]\s?musrenbang",),
    "e-Procurement": (r"e\s?[-–]\s?procurement",),
    "SIPD": (r"sipd",),
    "SRIKANDI": (r"srikandi",),
    "SIMPEG": (r"simpeg",),
    "SiCantik": (r"sicantik",),
    "SP4N-LAPOR!": (r"sp4n\s?[-–]?\s?lapor!?",),
}
_COMPILED = {
    name: re.compile(r"(?<![\w.])(?:" + "|".join(patterns) + r")(?![\w])", re.I)
    for name, patterns in KNOWN_APPS.items()
}
_CANONICAL = {re.sub(r"\W", "", name).lower(): name for name in KNOWN_APPS}

# "aplikasi e-Kinerja", "aplikasi “Sampurasun”": a quoted name, or one that only an app name
# looks like (a dot or hyphen inside, or letters mixed with digits). Plain words are skipped:
# "aplikasi Perizinan" names a kind of app, not one.
_AFTER_APLIKASI = re.compile(
    r"\baplikasi\s+(?:[\"“”']\s?(?P<quoted>[A-Za-z][\w.\- ]{1,30}?)\s?[\"“”']|"
    r"(?P<shaped>[A-Za-z]+[.\-][A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*))",
)


def canonical_app(word: str) -> str | None:
    """The dictionary's spelling of a single-word app name, or None."""
    return _CANONICAL.get(re.sub(r"\W", "", word).lower())


def find_apps(text: str, extra: Iterable[str] = ()) -> Iterator[tuple[str, int, float]]:
    """(name, offset, strength) for each app named in ``text``, once, in order of appearance."""
    hits: list[tuple[int, str, float]] = []
    for name, pattern in _COMPILED.items():
        match = pattern.search(text)
        if match is not None:
            hits.append((match.start(), name, 0.95))
    for name in extra:
        if not name.strip() or canonical_app(name) or name in KNOWN_APPS:
            continue
        match = re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w])", text, re.I)
        if match is not None:
            hits.append((match.start(), name, 0.9))
    known = {re.sub(r"\W", "", name).lower() for _, name, _ in hits}
    for match in _AFTER_APLIKASI.finditer(text):
        name = (match["quoted"] or match["shaped"] or "").strip()
        if not name or name.isupper():
            continue  # upper-case headings name apps the dictionary must know
        key = re.sub(r"\W", "", name).lower()
        if key in known:
            continue
        known.add(key)
        hits.append((match.start(), name, 0.8))
    for offset, name, strength in sorted(hits):
        yield name, offset, strength
