"""lrs.clock: the one text form of instants (sorts as text, parses back)."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from lrs.clock import format_utc, parse_utc

instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


@given(instants)
def test_an_instant_round_trips_through_its_text(moment: datetime) -> None:
    assert parse_utc(format_utc(moment)) == moment


@given(instants, instants)
def test_the_text_sorts_as_the_instants_do(a: datetime, b: datetime) -> None:
    assert (format_utc(a) < format_utc(b)) == (a < b)


def test_years_before_1000_are_four_digits() -> None:
    # A view's `since` of year 427 was a 500: the text did not parse back.
    assert format_utc(datetime(427, 11, 14, 8, 20, 29, 269801, tzinfo=UTC)) == (
        "0427-11-14T08:20:29.269801Z"
    )
