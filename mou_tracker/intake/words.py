"""Numbers and dates written in Indonesian words, as agreements spell them out.

"tujuh belas" -> 17, "dua ribu dua puluh lima" -> 2025, "Pada hari ini Senin tanggal tujuh
belas bulan Maret tahun dua ribu dua puluh lima" -> 2025-03-17. Pure functions.
"""

from __future__ import annotations

import re
from datetime import date

from mou_tracker.dates import MONTHS

UNITS = {
    "nol": 0,
    "satu": 1,
    "se": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
}
_TEENS = {"sepuluh": 10, "sebelas": 11}

#: A run of number words (lower case), for finding them in running text.
NUMBER_WORD = (
    r"(?:nol|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|"
    r"seratus|seribu|belas|puluh|ratus|ribu)"
)
NUMBER_WORDS = rf"{NUMBER_WORD}(?:[\s-]+{NUMBER_WORD})*"

WEEKDAYS = {
    "senin": 0,
    "selasa": 1,
    "rabu": 2,
    "kamis": 3,
    "jumat": 4,
    "jum'at": 4,
    "sabtu": 5,
    "minggu": 6,
    "ahad": 6,
}


def words_to_number(text: str) -> int | None:
    """The value of Indonesian number words ("dua ribu dua puluh lima" -> 2025), else None."""
    words = [w for w in re.split(r"[\s-]+", text.lower().strip()) if w]
    if not words:
        return None
    total = 0  # thousands already closed
    group = 0  # below a thousand
    unit = 0  # the unit word waiting for its scale ("dua" in "dua puluh")
    for word in words:
        if word in UNITS and word != "se":
            if unit:
                return None  # "dua tiga" is not a number
            unit = UNITS[word]
        elif word in _TEENS:
            group += _TEENS[word]
        elif word in ("belas", "puluh", "ratus"):
            factor = {"belas": 1, "puluh": 10, "ratus": 100}[word]
            group += (unit or 1) * factor + (10 if word == "belas" else 0)
            unit = 0
        elif word == "seratus":
            group += 100
        elif word == "seribu":
            total += 1000
        elif word == "ribu":
            total += (group + unit or 1) * 1000
            group = unit = 0
        else:
            return None
    return total + group + unit


def word_date(day_words: str, month: str, year_words: str) -> date | None:
    """A date from its words: ("tujuh belas", "Maret", "dua ribu dua puluh lima")."""
    day = _number(day_words)
    year = _number(year_words)
    month_number = MONTHS.get(month.lower().strip(". "))
    if day is None or year is None or month_number is None:
        return None
    try:
        return date(year, month_number, day)
    except ValueError:
        return None


def _number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return words_to_number(text)
