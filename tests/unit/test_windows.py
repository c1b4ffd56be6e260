"""Analytics windows (projections.windows): quarters, fiscal quarters, ISO weeks,
months and from/to dates in the store's time zone."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.errors import InvalidParameter
from projections.windows import parse


@given(year=st.integers(2000, 2100), quarter=st.integers(1, 4))
def test_a_quarter_is_its_three_months_end_to_end(year: int, quarter: int) -> None:
    whole = parse(f"{year}-Q{quarter}", None, None, "UTC")
    months = [parse(f"{year}-{3 * quarter - 2 + i:02d}", None, None, "UTC") for i in range(3)]
    assert whole is not None and all(months)
    assert whole.start == months[0].start  # type: ignore[union-attr]
    assert whole.end == months[2].end  # type: ignore[union-attr]
    assert all(a.end == b.start for a, b in itertools.pairwise(months))  # type: ignore[union-attr]


@given(year=st.integers(2000, 2100), fiscal=st.integers(1, 12))
def test_fiscal_quarters_tile_a_year_from_the_start_month(year: int, fiscal: int) -> None:
    quarters = [parse(f"FY{year}-Q{q}", None, None, "UTC", fiscal_start=fiscal) for q in range(1, 5)]
    assert quarters[0].start == date(year, fiscal, 1)  # type: ignore[union-attr]
    assert all(a.end == b.start for a, b in itertools.pairwise(quarters))  # type: ignore[union-attr]
    assert quarters[3].end == date(year + 1, fiscal, 1)  # type: ignore[union-attr]


@given(day=st.dates(date(2001, 1, 1), date(2099, 12, 31)))
def test_an_iso_week_holds_its_seven_days(day: date) -> None:
    year, week, _ = day.isocalendar()
    found = parse(f"{year}-W{week:02d}", None, None, "UTC")
    assert found is not None and found.start <= day < found.end and found.end - found.start == timedelta(days=7)


def test_bounds_are_local_midnights_in_utc() -> None:
    window = parse("2026-07", None, None, "Europe/Amsterdam")
    assert window is not None
    assert (window.since, window.until) == ("2026-06-30T22:00:00.000000Z", "2026-07-31T22:00:00.000000Z")
    assert parse(None, "2026-07-01", "2026-07-08", "UTC").label == "2026-07-01/2026-07-08"  # type: ignore[union-attr]
    assert parse(None, None, None, "UTC") is None


@pytest.mark.parametrize(
    ("window", "start", "end", "parameter"),
    [("2026-Q0", None, None, "window"), ("2026-13", None, None, "window"), ("2025-W53", None, None, "window"),
     ("FY2026-Q5", None, None, "window"), (None, "2026-07-01", None, "to"), (None, None, "2026-07-01", "from"),
     (None, "2026-07-01", "2026-07-01", "to"), (None, "July", "2026-07-02", "from"),
     (None, "2000-01-01", "2026-01-01", "to")],
)
def test_bad_windows_name_the_parameter(window: str | None, start: str | None, end: str | None, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse(window, start, end, "UTC")
    assert refused.value.parameter == parameter
