"""The store overview over HTTP (``/views/overview``): statements and active learners
per day, totals, the newest statements.

It reads the inline statement index (lrs.overview), which is always at the log
head, so it needs no projection; it still answers like every view (api.viewing):
``position`` and ``X-LRS-Position``, ``asOf`` (a position or a moment: the store
as it stood then), ``minPosition``, ``since``/``until``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api import deps, viewing
from api.deps import App, Auth, require
from api.viewing import WindowParams
from lrs import log
from lrs.clock import format_utc, parse_utc, to_micros, utcnow
from lrs.db import read_transaction
from lrs.errors import InvalidParameter, Unavailable
from lrs.overview import MAX_DAYS, MAX_LATEST, day_of, overview, position_at, recorded_at

router = APIRouter(prefix="/views/overview", tags=["views: store overview"])

EXAMPLE: dict[str, Any] = {
    "position": 1042,
    "asOf": "2026-11-30T17:02:11.120000Z",
    "window": {"since": "2026-11-29", "until": "2026-11-30", "statements": 57, "learners": 9},
    "totals": {"statements": 980, "learners": 41},
    "days": [
        {"date": "2026-11-29", "statements": 20, "learners": 6},
        {"date": "2026-11-30", "statements": 37, "learners": 7},
    ],
    "latest": [
        {
            "position": 1042, "id": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
            "stored": "2026-11-30T17:02:11.120000Z",
            "actor": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
            "object": {"objectType": "Activity", "id": "http://example.com/courses/safety"},
        }
    ],
}


@router.get(
    "", summary="Store overview: statements and active learners per day, the newest statements",
    responses={200: {"content": {"application/json": {"example": EXAMPLE}}}},
)
async def store_overview(
    request: Request, app: App, credential: Auth, window: WindowParams,
    days: Annotated[int | None, Query(description=f"Days in the window, 1 to {MAX_DAYS} (default 30)")] = None,
    latest: Annotated[int | None, Query(description=f"Newest statements listed, 0 to {MAX_LATEST} (default 10)")] = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    viewing.check_declared(request)
    day_count = 30 if days is None else days
    if not 1 <= day_count <= MAX_DAYS:
        raise InvalidParameter("days", f"must be between 1 and {MAX_DAYS}")
    newest = 10 if latest is None else latest
    if not 0 <= newest <= MAX_LATEST:
        raise InvalidParameter("latest", f"must be between 0 and {MAX_LATEST}")
    store = credential.store_id

    def read() -> tuple[int, dict[str, Any]]:
        with read_transaction(app.engine) as conn:
            head = log.head(conn)[0]
            # ``moment``: the instant the answer shows the store at, which ends the
            # default window of days (now, unless asOf names a past one).
            bound, moment = head, format_utc(utcnow())
            if window.as_of is not None and window.as_of.position is not None:
                if window.as_of.position > head:
                    raise InvalidParameter(
                        "asOf", f"position {window.as_of.position} is beyond the log head ({head})"
                    )
                bound = window.as_of.position
                moment = recorded_at(conn, bound) or moment
            elif window.as_of is not None and window.as_of.moment is not None:
                # A moment after the newest event is the present: the head.
                bound = min(position_at(conn, window.as_of.moment), head)
                moment = min(window.as_of.moment, moment)
            if window.min_position is not None and window.min_position > bound:
                # The index is written with the append: a position beyond the head
                # has not been written yet, and waiting would not bring it.
                raise Unavailable(
                    f"the log reaches position {bound}, before the requested minPosition "
                    f"{window.min_position}; retry once that write has been answered"
                )
            end = parse_utc(window.until) - timedelta(microseconds=1) if window.until else parse_utc(moment)
            last_day = day_of(to_micros(end))
            first_day = (
                day_of(to_micros(parse_utc(window.since))) if window.since else last_day - day_count + 1
            )
            if last_day - first_day + 1 > MAX_DAYS:
                raise InvalidParameter("since", f"the window since..until may span at most {MAX_DAYS} days")
            if first_day > last_day:
                raise InvalidParameter("since", "must be before until")
            data = overview(conn, store, bound, first_day=first_day, last_day=last_day, latest=newest)
            return bound, {"asOf": moment, **data}

    position, data = await deps.run(app, read, heavy=True)
    return viewing.respond(position, data)

