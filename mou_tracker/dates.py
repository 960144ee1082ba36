"""Dates as Indonesian officials write them.

Accepted: ``2018-10-30``, ``30/10/2018``, ``30-10-2018``, ``30.10.2018`` (day first),
``30 Oktober 2018``, ``30 Okt 2018``, ``30 Agt 2018``, ``Selasa (30/10/2018)``,
``Selasa, 30 Oktober 2018``, ``tanggal 30 bulan Oktober tahun 2018``, and English month names
(``30 October 2018``, ``October 30, 2018``).
Anything else, and impossible dates such as ``31 Februari 2019``, raise :class:`InvalidDate`.

Two-digit years (``15/06/99``) are refused with :class:`TwoDigitYear`: an agreement register
outlives any guess about the century (1999 or 2099?), and a wrong one is silent. The message
shows both readings, so the fix is one keystroke away.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from mou_tracker.errors import InvalidDate, TwoDigitYear

MIN_YEAR = 1945
MAX_YEAR = 2100
_MAX_LENGTH = 80

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("januari", "jan", "january"),
        ("februari", "pebruari", "feb", "peb", "february"),
        ("maret", "mar", "march"),
        ("april", "apr"),
        ("mei", "may"),
        ("juni", "jun", "june"),
        ("juli", "jul", "july"),
        ("agustus", "agu", "agt", "ags", "agus", "aug", "august"),
        ("september", "sep", "sept"),
        ("oktober", "okt", "oct", "october"),
        ("november", "nopember", "nov", "nop"),
        ("desember", "des", "dec", "december"),
    ),
    start=1,
):
    for _name in _names:
        MONTHS[_name] = _number

_WEEKDAYS = (
    "senin",
    "selasa",
    "rabu",
    "kamis",
    "jumat",
    "sabtu",
    "minggu",
    "ahad",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
)
_FILLER = ("tanggal", "tgl", "bulan", "tahun", "pada", "hari", "th", "thn")

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[- ]?\s*([a-z]+)\.?\s*[- ]?\s*(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})\s*,?\s*(\d{4})$")


def _clean(text: str) -> str:
    text = text.strip().lower().replace("'", "").replace("’", "")
    # "Selasa (30/10/2018)" -> "selasa 30/10/2018"
    text = re.sub(r"[(),]", " ", text)
    words = text.split()
    while words and words[0].rstrip(".") in _WEEKDAYS + _FILLER:
        words.pop(0)
    words = [w for w in words if w not in _FILLER]
    return " ".join(words)


def _build(value: str, year: int, month: int, day: int) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDate(value)
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidDate(value) from None


def parse_date(value: object) -> date:
    """The date ``value`` means; ``date``/``datetime`` objects (from XLSX cells) pass through.

    Raises:
        InvalidDate: not a date in an accepted form, or not a real calendar day.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidDate(str(value))
    shown = value.strip()[:_MAX_LENGTH]
    if len(value) > _MAX_LENGTH:
        raise InvalidDate(shown)
    text = _clean(value)
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _build(shown, year, month, day)
    if match := _NUMERIC.match(text):
        day, month, year_text = int(match[1]), int(match[2]), match[3]
        if len(year_text) == 2:
            _build(shown, 2000 + int(year_text), month, day)  # an impossible day stays "invalid"
            raise TwoDigitYear(shown, day=day, month=month, year=int(year_text))
        return _build(shown, int(year_text), month, day)
    if match := _DAY_MONTH_YEAR.match(text):
        month_number = MONTHS.get(match[2])
        if month_number is None:
            raise InvalidDate(shown)
        return _build(shown, int(match[3]), month_number, int(match[1]))
    if match := _MONTH_DAY_YEAR.match(text):
        month_number = MONTHS.get(match[1])
        if month_number is None:
            raise InvalidDate(shown)
        return _build(shown, int(match[3]), month_number, int(match[2]))
    raise InvalidDate(shown)


def parse_optional_date(value: object) -> date | None:
    """Like :func:`parse_date`, but blank values (``""``, ``"-"``, ``None``) are ``None``."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() in ("", "-", "—"):
        return None
    return parse_date(value)


def format_date_id(value: date) -> str:
    """``30 Oktober 2018``: how Indonesian documents write a date."""
    names = (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    )
    return f"{value.day} {names[value.month - 1]} {value.year}"
