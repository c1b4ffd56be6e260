"""Person-level social answers cover a rolling number of quarters (design
appendix C.1.6: "person-level social facts default to a rolling 4 quarters
(configurable); aggregates may be kept longer").

The roll is counted from the store's newest valid activity the view holds, not
from the wall clock: the same facts give the same answer on any day (replay =
live, asOf), and a store that is in use moves its horizon as it is used. With
``personRetentionQuarters`` = 4 and the newest activity in 2026-Q4, the learner's
own view, the person-level graph and person-level measures read facts from
2026-Q1 on, whatever window is asked for (the answer's ``window.from`` says so).
Aggregate answers (overview, teams, contributions, team measures) are not
limited. The facts themselves stay in the view, derived from the log: removing a
person's data from the log and every view is an erasure (lrs.erasure).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from lrs.clock import parse_utc
from projections.social.schema import PRESENCE
from projections.windows import Window, add_months, fiscal_quarter, quarter_period


def person_window(conn: Connection, store: str, window: Window | None, settings: dict[str, Any]) -> Window | None:
    """``window`` with its start moved up to the retention horizon (an empty
    window when it ends before it); all time becomes horizon .. newest day."""
    presence = PRESENCE.sql
    newest = conn.execute(
        select(func.max(presence.c.ts)).where(presence.c.store_id == store, presence.c.valid_to.is_(None))
    ).scalar()
    if newest is None:
        return window
    zone, fiscal = settings["timezone"], settings["fiscalYearStartMonth"]
    day = parse_utc(newest).astimezone(ZoneInfo(zone)).date()
    current = quarter_period(fiscal_quarter(day, fiscal), fiscal).start
    horizon = add_months(current, -3 * (int(settings["personRetentionQuarters"]) - 1))
    if window is None:
        return Window("all", horizon, day + timedelta(days=1), zone)
    if window.start >= horizon:
        return window
    return Window(window.label, min(horizon, window.end), window.end, zone)
