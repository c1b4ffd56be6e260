"""Analytics configuration over HTTP, for ``admin`` credentials of the store.

Every change is an event in the log (lrs.analytics): settings, team memberships
imported from HR, and people's objections (opt-out) and their withdrawal.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.deps import App, Auth, run
from api.routers.admin import _not_from_another_site
from lrs import analytics
from lrs.credentials import Credential
from lrs.errors import Forbidden, InvalidParameter

router = APIRouter(prefix="/admin", tags=["administration: analytics"], dependencies=[Depends(_not_from_another_site)])

SETTINGS_EXAMPLE = {
    "timezone": "Europe/Amsterdam", "fiscalYearStartMonth": 1, "minGroupSize": 5,
    "minGroupSizePerformance": 10, "coParticipationCap": 50, "inactivityDays": 14,
    "mode": "identified", "legalBasis": "Works agreement on learning analytics, 2026-03, section 4",
    "groupExtensions": ["https://lms.example.com/xapi/extensions/to"],
}
CSV_EXAMPLE = (
    "agent,team,valid_from,valid_to\n"
    "mailto:ann@example.com,sales-nl,2026-01-01,\n"
    "mailto:bob@example.com,support-nl,2026-01-01,2026-07-01\n"
)
MAX_CSV_BYTES = 20 * 1024 * 1024


def _admin(credential: Credential) -> None:
    if "admin" not in credential.scopes:
        raise Forbidden("the admin scope is required")


class AgentIn(BaseModel):
    agent: dict[str, Any] = Field(examples=[{"mbox": "mailto:ann@example.com"}])
    reason: str = Field("", max_length=500, examples=["objection under GDPR Art. 21, ticket 4411"])


@router.get(
    "/analytics/settings", summary="The store's analytics settings",
    responses={200: {"content": {"application/json": {"example": SETTINGS_EXAMPLE}}}},
)
async def get_settings(app: App, credential: Auth) -> dict[str, Any]:
    _admin(credential)
    return await run(app, analytics.current_settings, app.engine, credential.store_id)


@router.put(
    "/analytics/settings",
    summary="Change analytics settings (fields left out keep their value)",
    description=(
        "Records an `analytics.settings.changed` event. Identified mode (people named in "
        "social analytics) needs `legalBasis`: the works agreement or legal basis that allows it. "
        "Minimum group sizes cannot go below 3."
    ),
    openapi_extra={"requestBody": {"content": {"application/json": {"example": SETTINGS_EXAMPLE}}}},
    responses={200: {"content": {"application/json": {"example": {"settings": SETTINGS_EXAMPLE, "position": 1841}}}}},
)
async def put_settings(request: Request, app: App, credential: Auth) -> dict[str, Any]:
    _admin(credential)
    body = await _json_object(request)
    settings, position = await run(
        app, lambda: analytics.change_settings(app.engine, credential.store_id, body, actor=credential.id), heavy=True
    )
    return {"settings": settings, "position": position}


@router.post(
    "/people/memberships",
    summary="Import team memberships (CSV: agent, team, valid_from, valid_to)",
    description=(
        "Records a `people.membership.imported` event. The import replaces the memberships of "
        "earlier imports unless `merge=true`. Dates are inclusive from, exclusive to; empty means open."
    ),
    openapi_extra={"requestBody": {"content": {"text/csv": {"example": CSV_EXAMPLE}}}},
    responses={200: {"content": {"application/json": {"example": {"imported": 2, "position": 1842}}}}},
)
async def import_memberships(request: Request, app: App, credential: Auth, merge: bool = False) -> dict[str, Any]:
    _admin(credential)
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidParameter("body", f"must be at most {MAX_CSV_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidParameter("body", "must be UTF-8 text") from None
    count, position = await run(
        app,
        lambda: analytics.import_memberships(
            app.engine, credential.store_id, text, source="admin API", merge=merge, actor=credential.id
        ),
        heavy=True,
    )
    return {"imported": count, "position": position}


async def _opt(app: App, credential: Credential, body: AgentIn, opted_out: bool) -> dict[str, Any]:
    _admin(credential)
    agent = analytics.parse_agent("agent", _dumps(body.agent))
    position = await run(
        app,
        lambda: analytics.set_opt_out(
            app.engine, credential.store_id, agent, opted_out=opted_out, actor=credential.id, reason=body.reason
        ),
        heavy=True,
    )
    return {"optedOut": opted_out, "position": position}


@router.post(
    "/people/opt-out", summary="Record a person's objection: social analytics leave them out from now on",
    responses={200: {"content": {"application/json": {"example": {"optedOut": True, "position": 1843}}}}},
)
async def opt_out(body: AgentIn, app: App, credential: Auth) -> dict[str, Any]:
    return await _opt(app, credential, body, True)


@router.post(
    "/people/opt-in", summary="Withdraw a person's objection: their later statements count again",
    responses={200: {"content": {"application/json": {"example": {"optedOut": False, "position": 1844}}}}},
)
async def opt_in(body: AgentIn, app: App, credential: Auth) -> dict[str, Any]:
    return await _opt(app, credential, body, False)


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits: no Agent property holds one
        raise InvalidParameter("agent", "must be a JSON Agent") from None


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidParameter("body", "must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidParameter("body", "must be a JSON object")
    return body
