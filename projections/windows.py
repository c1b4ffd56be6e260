"""Time windows of analytics answers, in the store's time zone and fiscal year
(pure). Shared by the analytics views; the calendar arithmetic (quarters, fiscal
quarters and years, ISO weeks, months, dates) is written once, here.

Two shapes, one per view family:

- ``parse`` -> ``Window`` (the social view): a quarter (``2026-Q3``), a fiscal
  quarter (``FY2026-Q1``), an ISO week (``2026-W27``), a month (``2026-07``) or
  ``from``/``to`` dates (``to`` exclusive). A window covers local dates [from, to):
  its bounds are the local midnights, turned into UTC timestamps in the form views
  keep times in (lrs.clock.format_utc), so text comparison is time comparison.
- ``parse_period`` -> ``Period`` (the KPI view, whose facts carry their local day
  and buckets): a fiscal quarter (``2026-Q3``), an ISO week, a month, a fiscal
  year (``2026``) or ``from``/``to`` dates (``to`` inclusive), with the previous
  period of the same kind and the buckets of a grain that tile it.

A fiscal year is named by the calendar year it starts in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lrs.clock import format_utc
from lrs.errors import InvalidParameter

QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
FISCAL_QUARTER = re.compile(r"^FY(\d{4})-Q([1-4])$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
YEAR = re.compile(r"^(\d{4})$")
# Longest from/to window: ten years (a bound on what one answer reads).
MAX_DAYS = 3660
# KPI series grains -> the fact column holding each bucket label.
GRAINS = {"day": "day", "week": "iso_week", "month": "month", "quarter": "quarter"}


# ------------------------------------------------------------------ calendar arithmetic

def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_start(year: int, quarter: int, fiscal_start: int = 1) -> date:
    """The first day of quarter ``quarter`` of the fiscal year named ``year``
    (with a January start, the calendar quarter)."""
    return add_months(date(year, fiscal_start, 1), 3 * (quarter - 1))


def fiscal_quarter(day: date | datetime, fiscal_start: int) -> str:
    """``YYYY-Qn`` of the fiscal year holding ``day``; with a January start these
    are the calendar quarters."""
    offset = (day.month - fiscal_start) % 12
    year = day.year if day.month >= fiscal_start else day.year - 1
    return f"{year}-Q{offset // 3 + 1}"


def iso_week(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def week_start(name: str, problem: str, year: str, week: str) -> date:
    """The Monday of an ISO week; a 400 naming ``name`` with ``problem`` when the
    year has no such week."""
    try:
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise InvalidParameter(name, problem) from None


def parse_day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, "must be a date, YYYY-MM-DD") from None


def _pair(start: str | None, end: str | None) -> tuple[date, date] | None:
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidParameter("from" if start is None else "to", "from and to go together")
    return parse_day("from", start), parse_day("to", end)


# ------------------------------------------------------------------ windows (social)

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


def parse(
    window: str | None, start: str | None, end: str | None, zone: str, *, fiscal_start: int = 1
) -> Window | None:
    """The window a request names (None: all time); a 400 naming the parameter otherwise.
    ``fiscal_start``: the month the store's fiscal year starts (FY2026-Q1 begins then in 2026)."""
    if window is not None:
        if start is not None or end is not None:
            raise InvalidParameter("window", "cannot be combined with from/to")
        if match := FISCAL_QUARTER.match(window):
            first = quarter_start(int(match[1]), int(match[2]), fiscal_start)
            return Window(window, first, add_months(first, 3), zone)
        if match := QUARTER.match(window):
            first = quarter_start(int(match[1]), int(match[2]))
            return Window(window, first, add_months(first, 3), zone)
        if match := WEEK.match(window):
            monday = week_start("window", f"{window} is not an ISO week of that year", match[1], match[2])
            return Window(window, monday, monday + timedelta(days=7), zone)
        if (match := MONTH.match(window)) and 1 <= int(match[2]) <= 12:
            first = date(int(match[1]), int(match[2]), 1)
            return Window(window, first, add_months(first, 1), zone)
        raise InvalidParameter(
            "window", "must be a quarter (2026-Q3), a fiscal quarter (FY2026-Q1), an ISO week (2026-W27) or a month (2026-07)"
        )
    dates = _pair(start, end)
    if dates is None:
        return None
    first, last = dates
    if last <= first:
        raise InvalidParameter("to", "must be after from")
    if (last - first).days > MAX_DAYS:
        raise InvalidParameter("to", f"a window spans at most {MAX_DAYS} days")
    return Window(f"{first.isoformat()}/{last.isoformat()}", first, last, zone)


# ------------------------------------------------------------------ periods (KPI)

@dataclass(frozen=True)
class Period:
    label: str
    grain: str          # quarter, week, month, year, range
    start: date         # the first local day
    end: date           # the day after the last (exclusive)

    def holds(self, day: str) -> bool:
        return self.start.isoformat() <= day < self.end.isoformat()

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.grain == "quarter":
            year, q = int(self.label[:4]), int(self.label[-1]) - 2
            return quarter_period(f"{year + q // 4}-Q{q % 4 + 1}", self._fiscal_start())
        if self.grain == "year":
            return Period(str(int(self.label) - 1), "year", add_months(self.start, -12), self.start)
        if self.grain == "month":
            start = add_months(self.start, -1)
            return Period(start.strftime("%Y-%m"), "month", start, self.start)
        start = self.start - (self.end - self.start)
        if self.grain == "week":
            return Period(iso_week(start), "week", start, self.start)
        return Period(f"{start.isoformat()}..{(self.start - timedelta(days=1)).isoformat()}", "range", start, self.start)

    def _fiscal_start(self) -> int:
        # Quarter q starts 3(q-1) months after the fiscal year does.
        return (self.start.month - 1 - 3 * (int(self.label[-1]) - 1)) % 12 + 1


def quarter_period(label: str, fiscal_start: int) -> Period:
    start = quarter_start(int(label[:4]), int(label[-1]), fiscal_start)
    return Period(label, "quarter", start, add_months(start, 3))


def parse_period(value: str, fiscal_start: int, name: str = "window") -> Period:
    """A KPI window label, in the store's fiscal year; a 400 naming ``name`` otherwise."""
    text = value.strip()
    if QUARTER.match(text):
        return quarter_period(text, fiscal_start)
    if match := WEEK.match(text):
        start = week_start(name, f"{text!r} is not an ISO week", match[1], match[2])
        return Period(text, "week", start, start + timedelta(days=7))
    if match := MONTH.match(text):
        if not 1 <= int(match[2]) <= 12:
            raise InvalidParameter(name, f"{text!r} is not a month")
        start = date(int(match[1]), int(match[2]), 1)
        return Period(text, "month", start, add_months(start, 1))
    if YEAR.match(text):
        start = date(int(text), fiscal_start, 1)
        return Period(text, "year", start, add_months(start, 12))
    raise InvalidParameter(
        name, "must be a fiscal quarter (2026-Q3), an ISO week (2026-W27), a month (2026-07) or a fiscal year (2026)"
    )


def date_range(start: str | None, end: str | None) -> Period | None:
    """``from``/``to`` (inclusive dates) as a period, or None when neither is given."""
    dates = _pair(start, end)
    if dates is None:
        return None
    first, last = dates
    if last < first:
        raise InvalidParameter("to", "must not be before from")
    if (last - first).days > MAX_DAYS:
        raise InvalidParameter("to", "a range spans at most ten years")
    return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, last + timedelta(days=1))


def current_quarter(today: date, fiscal_start: int) -> Period:
    return quarter_period(fiscal_quarter(today, fiscal_start), fiscal_start)


def bucket_of(day: date, grain: str, fiscal_start: int) -> str:
    """The label of the bucket of ``grain`` holding a local day (as facts keep them)."""
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        return iso_week(day)
    if grain == "month":
        return day.strftime("%Y-%m")
    return fiscal_quarter(day, fiscal_start)


def buckets_between(period: Period, grain: str, fiscal_start: int) -> list[str]:
    """Every bucket label of ``grain`` that overlaps the period, in time order."""
    if grain not in GRAINS:
        raise InvalidParameter("grain", f"must be one of {', '.join(GRAINS)}")
    if grain == "day" and (period.end - period.start).days > 800:
        raise InvalidParameter("grain", "day series span at most 800 days: choose week, month or quarter")
    out: list[str] = []
    day = period.start
    while day < period.end:
        label = bucket_of(day, grain, fiscal_start)
        if not out or out[-1] != label:
            out.append(label)
        day += timedelta(days=1)
    return out
