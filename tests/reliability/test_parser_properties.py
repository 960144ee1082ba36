"""Property tests of the date and region parsers: any text gives a value or one of our errors."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import AppError
from mou_tracker.dates import format_date_id, parse_date, parse_optional_date
from mou_tracker.regions import RegionDirectory

TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda d, sep: sep.join([f"{d.day:02d}", f"{d.month:02d}", str(d.year)]),
        st.dates(),
        st.sampled_from(["/", "-", ".", " "]),
    ),
    st.builds(lambda d, junk: f"{junk}{d.isoformat()}{junk}", st.dates(), st.text(max_size=3)),
)


@pytest.fixture(scope="module")
def regions() -> RegionDirectory:
    return RegionDirectory.load()


@settings(max_examples=200, deadline=None)
@given(value=TEXT)
def test_parse_date_returns_a_date_or_an_app_error(value: str) -> None:
    try:
        parsed = parse_date(value)
    except AppError:
        return
    assert isinstance(parsed, date)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_indonesian_dates_round_trip(day: date) -> None:
    assert parse_date(format_date_id(day)) == day
    assert parse_date(day.isoformat()) == day
    assert parse_optional_date("") is None


@settings(max_examples=150, deadline=None)
@given(name=st.one_of(st.text(max_size=30), st.sampled_from(["Kota", "Kab.", "Bandung", " "])))
def test_region_resolve_returns_a_region_or_an_app_error(
    regions: RegionDirectory, name: str
) -> None:
    try:
        region = regions.resolve(name)
    except AppError:
        pass
    else:
        assert regions.get(region.code) == region
    assert len(regions.search(name, limit=5)) <= 5
