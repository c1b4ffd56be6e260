"""Time windows of analytics answers: a quarter (``2026-Q3``), an ISO week
(``2026-W27``), a month (``2026-07``) or ``from``/``to`` dates, in the store's
time zone (pure). Shared by the analytics views.

A window covers local dates [from, to): its bounds are the local midnights,
turned into UTC timestamps in the form views keep times in (lrs.clock.format_utc),
so text comparison is time comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lrs.clock import format_utc
from lrs.errors import InvalidParameter

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
# A fiscal quarter: the fiscal year is named by the calendar year it starts in.
FISCAL_QUARTER = re.compile(r"^FY(\d{4})-Q([1-4])$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Longest from/to window: ten years (a bound on what one answer reads).
MAX_DAYS = 3660


@dataclass(frozen=True)
class Window:
    label: str
    start: date
    end: date  # exclusive
    zone: str

    @property
    def since(self) -> str:
        return _utc(self.start, self.zone)

    @property
    def until(self) -> str:
        return _utc(self.end, self.zone)

    def describe(self) -> dict[str, str]:
        return {"label": self.label, "from": self.start.isoformat(), "to": self.end.isoformat(), "timezone": self.zone}


def _utc(day: date, zone: str) -> str:
    return format_utc(datetime.combine(day, time(), ZoneInfo(zone)))


def _month_after(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1)


def _add_months(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def parse(
    window: str | None, start: str | None, end: str | None, zone: str, *, fiscal_start: int = 1
) -> Window | None:
    """The window a request names (None: all time); a 400 naming the parameter otherwise.
    ``fiscal_start``: the month the store's fiscal year starts (FY2026-Q1 begins then in 2026)."""
    if window is not None:
        if start is not None or end is not None:
            raise InvalidParameter("window", "cannot be combined with from/to")
        if match := FISCAL_QUARTER.match(window):
            first = _add_months(int(match[1]), fiscal_start, 3 * (int(match[2]) - 1))
            return Window(window, first, _add_months(first.year, first.month, 3), zone)
        if match := QUARTER.match(window):
            year, quarter = int(match[1]), int(match[2])
            first = date(year, 3 * quarter - 2, 1)
            return Window(window, first, _month_after(year, 3 * quarter), zone)
        if match := WEEK.match(window):
            try:
                monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            except ValueError:
                raise InvalidParameter("window", f"{window} is not an ISO week of that year") from None
            return Window(window, monday, monday + timedelta(days=7), zone)
        if (match := MONTH.match(window)) and 1 <= int(match[2]) <= 12:
            year, month = int(match[1]), int(match[2])
            return Window(window, date(year, month, 1), _month_after(year, month), zone)
        raise InvalidParameter(
            "window", "must be a quarter (2026-Q3), a fiscal quarter (FY2026-Q1), an ISO week (2026-W27) or a month (2026-07)"
        )
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidParameter("from" if start is None else "to", "from and to go together")
    first, last = _day("from", start), _day("to", end)
    if last <= first:
        raise InvalidParameter("to", "must be after from")
    if (last - first).days > MAX_DAYS:
        raise InvalidParameter("to", f"a window spans at most {MAX_DAYS} days")
    return Window(f"{first.isoformat()}/{last.isoformat()}", first, last, zone)


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, "must be a date, YYYY-MM-DD") from None
