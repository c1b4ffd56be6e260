"""The learner progress view over HTTP (``/views/progress/...``).

What every view shares (position, ``asOf``, ``minPosition``, windows, paging) is
api.viewing's; the queries are projections.progress.queries.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api import viewing
from api.deps import App, Auth, require
from api.routers import progress_examples as examples
from api.viewing import ActivityParam, AgentParam, PageParams, Text, WindowParams
from projections.progress import queries
from projections.progress.logic import ALL_REGISTRATIONS

router = APIRouter(prefix="/views/progress", tags=["views: learner progress"])
VIEW = "progress"


def _example(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": example}}}}


@router.get(
    "/learners", summary="Learner summary: every activity a learner has progress on",
    responses=_example(examples.LEARNER_EXAMPLE),
)
async def learner(
    request: Request, app: App, credential: Auth, agent: AgentParam, window: WindowParams,
    page: PageParams, registration: Text = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    key, store = viewing.learner_key(agent), credential.store_id
    reg = viewing.registration(registration) or ALL_REGISTRATIONS
    return await viewing.answer(
        request, app, VIEW, store, window,
        lambda conn: queries.learner_summary(
            conn, store, key, registration=reg, since=window.since, until=window.until,
            limit=page.limit, offset=page.offset,
        ),
    )


@router.get(
    "/activities", summary="Activity summary: learners per status, rates, scores, time to complete",
    responses=_example(examples.ACTIVITY_EXAMPLE),
)
async def activity(
    request: Request, app: App, credential: Auth, activity_id: ActivityParam, window: WindowParams,
    registration: Text = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    activity_value, store = viewing.activity(activity_id), credential.store_id
    reg = viewing.registration(registration) or ALL_REGISTRATIONS
    return await viewing.answer(
        request, app, VIEW, store, window,
        lambda conn: queries.activity_summary(
            conn, store, activity_value, registration=reg, since=window.since, until=window.until
        ),
    )


@router.get(
    "/detail", summary="Learner x activity detail, per registration, with the evidence statement ids",
    responses=_example(examples.DETAIL_EXAMPLE),
)
async def detail(
    request: Request, app: App, credential: Auth, agent: AgentParam, activity_id: ActivityParam,
    window: WindowParams, registration: Text = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    key, store = viewing.learner_key(agent), credential.store_id
    activity_value, reg = viewing.activity(activity_id), viewing.registration(registration)
    return await viewing.answer(
        request, app, VIEW, store, window,
        lambda conn: queries.detail(
            conn, store, key, activity_value, registration=reg, since=window.since, until=window.until,
        ),
    )


@router.get(
    "/cohort", summary="Cohort table for an activity tree: each learner's status on every child activity",
    responses=_example(examples.COHORT_EXAMPLE),
)
async def cohort(
    request: Request, app: App, credential: Auth, activity_id: ActivityParam, window: WindowParams,
    page: PageParams, registration: Text = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    activity_value, store = viewing.activity(activity_id), credential.store_id
    reg = viewing.registration(registration) or ALL_REGISTRATIONS
    return await viewing.answer(
        request, app, VIEW, store, window,
        lambda conn: queries.cohort(
            conn, store, activity_value, registration=reg, since=window.since, until=window.until,
            limit=page.limit, offset=page.offset,
        ),
    )
