"""Time windows of KPI answers: a fiscal quarter (``2026-Q3``), an ISO week
(``2026-W27``), a month (``2026-07``), a fiscal year (``2026``) or explicit dates,
in the store's time zone and fiscal year (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from lrs.errors import InvalidParameter
from projections.kpi.logic import fiscal_quarter

GRAINS = {"day": "day", "week": "iso_week", "month": "month", "quarter": "quarter"}
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


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
            return quarter_period(_shift_quarter(self.label, -1), self._fiscal_start())
        if self.grain == "year":
            return Period(str(int(self.label) - 1), "year", _add_months(self.start, -12), self.start)
        if self.grain == "month":
            start = _add_months(self.start, -1)
            return Period(start.strftime("%Y-%m"), "month", start, self.start)
        length = self.end - self.start
        start = self.start - length
        if self.grain == "week":
            iso = start.isocalendar()
            return Period(f"{iso.year}-W{iso.week:02d}", "week", start, self.start)
        return Period(f"{start.isoformat()}..{(self.start - timedelta(days=1)).isoformat()}", "range", start, self.start)

    def _fiscal_start(self) -> int:
        # Quarter q starts 3(q-1) months after the fiscal year does.
        return (self.start.month - 1 - 3 * (int(self.label[-1]) - 1)) % 12 + 1


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _shift_quarter(label: str, by: int) -> str:
    year, q = int(label[:4]), int(label[-1]) - 1 + by
    return f"{year + q // 4}-Q{q % 4 + 1}"


def quarter_period(label: str, fiscal_start_month: int) -> Period:
    year, q = int(label[:4]), int(label[-1])
    start = _add_months(date(year, fiscal_start_month, 1), 3 * (q - 1))
    return Period(label, "quarter", start, _add_months(start, 3))


def parse_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(name, "must be a date, YYYY-MM-DD") from None


def parse_window(value: str, fiscal_start_month: int, name: str = "window") -> Period:
    """A window label, in the store's fiscal year; a 400 naming ``name`` otherwise."""
    text = value.strip()
    if match := _QUARTER.match(text):
        return quarter_period(text, fiscal_start_month)
    if match := _WEEK.match(text):
        try:
            start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise InvalidParameter(name, f"{text!r} is not an ISO week") from None
        return Period(text, "week", start, start + timedelta(days=7))
    if match := _MONTH.match(text):
        if not 1 <= int(match[2]) <= 12:
            raise InvalidParameter(name, f"{text!r} is not a month")
        start = date(int(match[1]), int(match[2]), 1)
        return Period(text, "month", start, _add_months(start, 1))
    if match := _YEAR.match(text):
        start = date(int(text), fiscal_start_month, 1)
        return Period(text, "year", start, _add_months(start, 12))
    raise InvalidParameter(
        name, "must be a fiscal quarter (2026-Q3), an ISO week (2026-W27), a month (2026-07) or a fiscal year (2026)"
    )


def date_range(start: str | None, end: str | None) -> Period | None:
    """``from``/``to`` (inclusive dates) as a period, or None when neither is given."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidParameter("from" if start is None else "to", "from and to go together")
    first, last = parse_date("from", start), parse_date("to", end)
    if last < first:
        raise InvalidParameter("to", "must not be before from")
    if (last - first).days > 3660:
        raise InvalidParameter("to", "a range spans at most ten years")
    return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, last + timedelta(days=1))


def current_quarter(today: date, fiscal_start_month: int) -> Period:
    from datetime import datetime

    return quarter_period(fiscal_quarter(datetime(today.year, today.month, today.day), fiscal_start_month), fiscal_start_month)


def bucket_of(day: date, grain: str, fiscal_start_month: int) -> str:
    """The label of the bucket of ``grain`` holding a local day (as facts keep them)."""
    from datetime import datetime

    if grain == "day":
        return day.isoformat()
    if grain == "week":
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if grain == "month":
        return day.strftime("%Y-%m")
    return fiscal_quarter(datetime(day.year, day.month, day.day), fiscal_start_month)


def buckets_between(period: Period, grain: str, fiscal_start_month: int) -> list[str]:
    """Every bucket label of ``grain`` that overlaps the period, in time order."""
    if grain not in GRAINS:
        raise InvalidParameter("grain", f"must be one of {', '.join(GRAINS)}")
    if grain == "day" and (period.end - period.start).days > 800:
        raise InvalidParameter("grain", "day series span at most 800 days: choose week, month or quarter")
    out: list[str] = []
    day = period.start
    while day < period.end:
        label = bucket_of(day, grain, fiscal_start_month)
        if not out or out[-1] != label:
            out.append(label)
        day += timedelta(days=1)
    return out
