"""Dates as officials write them, and the ones that do not exist."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import AppError
from mou_tracker.dates import format_date_id, parse_date, parse_optional_date
from mou_tracker.errors import InvalidDate, TwoDigitYear

OCT_30 = date(2018, 10, 30)


@pytest.mark.parametrize(
    "text",
    [
        "30 Oktober 2018",
        "30 oktober 2018",
        "30 OKTOBER 2018",
        "30 Okt 2018",
        "30 Okt. 2018",
        "30-Okt-2018",
        "30/10/2018",
        "30-10-2018",
        "30.10.2018",
        "2018-10-30",
        "2018/10/30",
        "Selasa (30/10/2018)",
        "Selasa, 30 Oktober 2018",
        "Selasa, 30/10/2018",
        "Tanggal 30 bulan Oktober tahun 2018",
        "30 October 2018",
        "October 30, 2018",
        "Oct 30 2018",
        "Tuesday, 30 October 2018",
        "  30 Oktober 2018  ",
    ],
)
def test_accepts_official_forms(text: str) -> None:
    assert parse_date(text) == OCT_30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17 Agustus 2025", date(2025, 8, 17)),
        ("17 Agt 2025", date(2025, 8, 17)),
        ("17 Ags 2025", date(2025, 8, 17)),
        ("17 Agu 2025", date(2025, 8, 17)),
        ("17 August 2025", date(2025, 8, 17)),
        ("1 Mei 2024", date(2024, 5, 1)),
        ("1 Pebruari 2024", date(2024, 2, 1)),
        ("29 Februari 2024", date(2024, 2, 29)),
        ("3 Nopember 2023", date(2023, 11, 3)),
        ("9 Des 2023", date(2023, 12, 9)),
        ("Jumat (05/01/2024)", date(2024, 1, 5)),
        ("Jum'at, 5 Januari 2024", date(2024, 1, 5)),
    ],
)
def test_indonesian_month_names_and_abbreviations(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31 Februari 2019",
        "29 Februari 2023",
        "31/04/2020",
        "2020-13-01",
        "00/10/2018",
        "32 Oktober 2018",
        "30 Oktobre 2018",
        "30 Okt",
        "Oktober 2018",
        "kemarin",
        "",
        "30/10",
        "30/10/1800",
        "2018-10-30T10:00",
        "1" * 500,
    ],
)
def test_rejects_impossible_or_unknown_dates(text: str) -> None:
    with pytest.raises(InvalidDate) as info:
        parse_date(text)
    assert info.value.code == "date.invalid"
    assert len(info.value.params["value"]) <= 80


@pytest.mark.parametrize("text", ["15/06/99", "30/10/18", "01-01-00", "Selasa (30.10.18)"])
def test_two_digit_years_are_refused_with_both_readings(text: str) -> None:
    with pytest.raises(TwoDigitYear) as info:
        parse_date(text)
    assert info.value.code == "date.two_digit_year"
    day, month = text.split("(")[-1].replace("-", "/").replace(".", "/").split("/")[:2]
    assert info.value.params["earlier"].startswith(f"{day}/{month}/19")
    assert info.value.params["later"].startswith(f"{day}/{month}/20")
    assert isinstance(info.value, InvalidDate)  # the importer reports it like any bad date


def test_an_impossible_day_with_a_two_digit_year_is_simply_invalid() -> None:
    with pytest.raises(InvalidDate) as info:
        parse_date("31/02/19")
    assert info.value.code == "date.invalid"


def test_date_and_datetime_cells_pass_through() -> None:
    assert parse_date(OCT_30) == OCT_30
    assert parse_date(datetime(2018, 10, 30, 0, 0)) == OCT_30


def test_non_text_values_are_invalid() -> None:
    with pytest.raises(InvalidDate):
        parse_date(43403)


@pytest.mark.parametrize("blank", [None, "", "  ", "-"])
def test_optional_blank_is_none(blank: str | None) -> None:
    assert parse_optional_date(blank) is None


def test_format_date_id() -> None:
    assert format_date_id(OCT_30) == "30 Oktober 2018"


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"\d{1,2}[/ .-]\w{1,9}[/ .-]\d{2,4}")))
def test_never_crashes_with_anything_but_app_errors(text: str) -> None:
    try:
        value = parse_date(text)
    except AppError as err:
        assert err.code in ("date.invalid", "date.two_digit_year")
    else:
        assert 1945 <= value.year <= 2100


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1945, 1, 1), max_value=date(2100, 12, 31)))
def test_round_trips_every_real_date(day: date) -> None:
    assert parse_date(format_date_id(day)) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d %B %Y")) == day
