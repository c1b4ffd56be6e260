"""Read models over HTTP: the learner progress view (``/views/progress/...``).

Every answer says which log ``position`` it reflects. ``asOf`` (a timestamp or a
log position) answers as the view stood then; ``minPosition`` waits for the view
to include a write whose ``X-LRS-Position`` the client holds (503 if it does not
come within a few seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import App, Auth, require
from lrs.clock import format_utc
from lrs.errors import InvalidParameter
from lrs.xapi import formats
from lrs.xapi.agents import ifi_key, parse_agent_parameter
from lrs.xapi.params import MAX_INTEGER, check_names, is_ascii_digits, non_negative_integer
from projections.progress import queries
from projections.service import AsOf

router = APIRouter(prefix="/views/progress", tags=["views: learner progress"])

_READ = ("statements/read", "all/read")
_COMMON = frozenset(("asOf", "minPosition", "since", "until"))

AgentParam = Annotated[str, Query(description='A JSON Agent, e.g. {"mbox": "mailto:ann@example.com"}')]
ActivityParam = Annotated[str, Query(alias="activityId", description="An Activity IRI")]
Text = Annotated[str | None, Query()]
Number = Annotated[int | None, Query()]


def _moment(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    moment = formats.parse_timestamp(value)
    if moment is None:
        raise InvalidParameter(name, "must be a timestamp with a time zone")
    # The view keeps times in UTC and compares them as text: the same form here.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _as_of(value: str | None) -> AsOf | None:
    if value is None:
        return None
    if is_ascii_digits(value):
        return AsOf(position=non_negative_integer("asOf", value))
    moment = formats.parse_timestamp(value)
    if moment is None:
        raise InvalidParameter("asOf", "must be a log position or a timestamp with a time zone")
    return AsOf(moment=format_utc(moment))


def _page(limit: int | None, offset: int | None) -> tuple[int, int]:
    limit = 100 if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= 1000:
        raise InvalidParameter("limit", "must be between 1 and 1000")
    if not 0 <= offset <= MAX_INTEGER:
        raise InvalidParameter("offset", f"must be between 0 and {MAX_INTEGER} (a 63-bit integer)")
    return limit, offset


def _learner_key(agent: str) -> str:
    return ifi_key(parse_agent_parameter(agent, allow_group=False)) or ""


def _activity(value: str) -> str:
    if not formats.is_iri(value):
        raise InvalidParameter("activityId", "must be an IRI")
    return value


async def _answer(
    request: Request, app: App, store_id: str, allowed: frozenset[str],
    as_of: str | None, min_position: int | None, read: Callable[[Connection], Any],
) -> Response:
    check_names(list(request.query_params.multi_items()), allowed | _COMMON)
    when = _as_of(as_of)
    if min_position is not None and not 0 <= min_position <= MAX_INTEGER:
        # No write has such a position: waiting for it would only end in a 503.
        raise InvalidParameter("minPosition", f"must be a log position, from 0 to {MAX_INTEGER}")

    def run() -> tuple[int, Any]:
        with app.views.reading("progress", store_id, as_of=when, min_position=min_position) as (conn, position):
            return position, read(conn)

    position, data = await run_in_threadpool(run)
    body = orjson.dumps({"position": position, **data} if isinstance(data, dict) else {"position": position, "records": data})
    return Response(body, media_type="application/json", headers={"X-LRS-Position": str(position)})


_LEARNER_EXAMPLE = {
    "position": 1042,
    "learner": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
    "activities": [
        {
            "activityId": "http://example.com/courses/safety/module-2", "registration": None,
            "status": "passed", "attempts": 2, "firstActivity": "2026-11-02T09:00:00.000000+00:00",
            "lastActivity": "2026-11-03T10:12:00.000000+00:00", "completedAt": "2026-11-03T10:12:00.000000+00:00",
            "bestScaledScore": 0.9, "lastScaledScore": 0.9, "timeSpentSeconds": 1860.0, "progress": 100.0,
        }
    ],
    "statusCounts": {"in progress": 0, "completed": 0, "failed": 0, "passed": 1},
    "more": False,
}


@router.get(
    "/learners",
    summary="Learner summary: every activity a learner has progress on",
    responses={200: {"content": {"application/json": {"example": _LEARNER_EXAMPLE}}}},
)
async def learner(
    request: Request, app: App, credential: Auth, agent: AgentParam,
    registration: Text = None, since: Text = None, until: Text = None,
    limit: Number = None, offset: Number = None, asOf: Text = None, minPosition: Number = None,
) -> Response:
    require(credential, *_READ)
    key = _learner_key(agent)
    page = _page(limit, offset)
    window = (_moment("since", since), _moment("until", until))
    reg = _registration(registration)
    return await _answer(
        request, app, credential.store_id, frozenset(("agent", "registration", "limit", "offset")),
        asOf, minPosition,
        lambda conn: queries.learner_summary(
            conn, credential.store_id, key, registration=reg, since=window[0], until=window[1],
            limit=page[0], offset=page[1],
        ),
    )


def _registration(value: str | None) -> str:
    if value is None:
        return ""
    if not formats.is_uuid(value):
        raise InvalidParameter("registration", "must be a UUID")
    return value.lower()


_ACTIVITY_EXAMPLE = {
    "position": 1042,
    "activityId": "http://example.com/courses/safety",
    "learners": 40,
    "statusCounts": {"in progress": 12, "completed": 8, "failed": 4, "passed": 16},
    "completionRate": 0.6, "passRate": 0.8, "averageScaledScore": 0.74, "medianSecondsToComplete": 5400.0,
    "children": [{"activityId": "http://example.com/courses/safety/module-1", "relation": "parent", "learners": 38}],
}


@router.get(
    "/activities",
    summary="Activity summary: learners per status, rates, scores, time to complete",
    responses={200: {"content": {"application/json": {"example": _ACTIVITY_EXAMPLE}}}},
)
async def activity(
    request: Request, app: App, credential: Auth, activity_id: ActivityParam,
    registration: Text = None, since: Text = None, until: Text = None,
    asOf: Text = None, minPosition: Number = None,
) -> Response:
    require(credential, *_READ)
    activity_value = _activity(activity_id)
    window = (_moment("since", since), _moment("until", until))
    reg = _registration(registration)
    return await _answer(
        request, app, credential.store_id, frozenset(("activityId", "registration")), asOf, minPosition,
        lambda conn: queries.activity_summary(
            conn, credential.store_id, activity_value, registration=reg, since=window[0], until=window[1]
        ),
    )


_DETAIL_EXAMPLE = {
    "position": 1042,
    "records": [
        {
            "activityId": "http://example.com/courses/safety/module-2", "registration": None,
            "status": "passed", "attempts": 2, "firstActivity": "2026-11-02T09:00:00.000000+00:00",
            "lastActivity": "2026-11-03T10:12:00.000000+00:00", "completedAt": "2026-11-03T10:12:00.000000+00:00",
            "bestScaledScore": 0.9, "lastScaledScore": 0.9, "timeSpentSeconds": 1860.0, "progress": 100.0,
            "learner": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
            "evidence": {
                "status": ["7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f"],
                "attempts": ["1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d", "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"],
                "bestScore": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
                "lastScore": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
                "first": "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d",
                "last": "7f0c2d4e-3b1a-4c5d-9e8f-0a1b2c3d4e5f",
            },
        }
    ],
}


@router.get(
    "/detail",
    summary="Learner x activity detail, per registration, with the evidence statement ids",
    responses={200: {"content": {"application/json": {"example": _DETAIL_EXAMPLE}}}},
)
async def detail(
    request: Request, app: App, credential: Auth, agent: AgentParam, activity_id: ActivityParam,
    registration: Text = None, since: Text = None, until: Text = None,
    asOf: Text = None, minPosition: Number = None,
) -> Response:
    require(credential, *_READ)
    key = _learner_key(agent)
    activity_value = _activity(activity_id)
    reg = None if registration is None else _registration(registration)
    window = (_moment("since", since), _moment("until", until))
    return await _answer(
        request, app, credential.store_id, frozenset(("agent", "activityId", "registration")),
        asOf, minPosition,
        lambda conn: queries.detail(
            conn, credential.store_id, key, activity_value, registration=reg,
            since=window[0], until=window[1],
        ),
    )


_COHORT_EXAMPLE = {
    "position": 1042,
    "activityId": "http://example.com/courses/safety",
    "children": ["http://example.com/courses/safety/module-1", "http://example.com/courses/safety/module-2"],
    "learners": [
        {
            "learner": {"objectType": "Agent", "mbox": "mailto:ann@example.com", "name": "Ann"},
            "status": "in progress",
            "children": {
                "http://example.com/courses/safety/module-1": "completed",
                "http://example.com/courses/safety/module-2": "not attempted",
            },
            "completedChildren": 1,
            "percentComplete": 50.0,
        }
    ],
    "totalLearners": 1,
    "more": False,
}


@router.get(
    "/cohort",
    summary="Cohort table for an activity tree: each learner's status on every child activity",
    responses={200: {"content": {"application/json": {"example": _COHORT_EXAMPLE}}}},
)
async def cohort(
    request: Request, app: App, credential: Auth, activity_id: ActivityParam,
    registration: Text = None, since: Text = None, until: Text = None,
    limit: Number = None, offset: Number = None, asOf: Text = None, minPosition: Number = None,
) -> Response:
    require(credential, *_READ)
    activity_value = _activity(activity_id)
    page = _page(limit, offset)
    window = (_moment("since", since), _moment("until", until))
    reg = _registration(registration)
    return await _answer(
        request, app, credential.store_id, frozenset(("activityId", "registration", "limit", "offset")),
        asOf, minPosition,
        lambda conn: queries.cohort(
            conn, credential.store_id, activity_value, registration=reg, since=window[0],
            until=window[1], limit=page[0], offset=page[1],
        ),
    )
