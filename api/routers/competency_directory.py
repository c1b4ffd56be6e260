"""What a competency reader picks from (``/views/competency/roles``, ``/teams``): the
configured roles and teams, so that a client (the dashboard) offers them instead of
asking for ids. Any competency reader may list them (names only, no people)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import App, Auth
from api.routers.competency_common import (
    AtParam,
    answer_by_interval,
    example,
    may_read_configuration,
)
from api.viewing import PositionParams
from projections.competency import directory

router = APIRouter(prefix="/views/competency", tags=["views: competency"])

ROLES = {"position": 184233, "at": "2026-12-01T09:00:00.000000Z", "roles": [
    {"id": "helpdesk-lead", "name": "Helpdesk lead", "source": "esco:occupation/…", "requirements": 4}]}
TEAMS = {"position": 184233, "at": "2026-12-01T09:00:00.000000Z", "teams": [
    {"id": "support", "name": "Support", "members": 12}]}


@router.get("/roles", summary="The store's role profiles: id, name, source, number of requirements",
            responses=example(ROLES))
async def roles(request: Request, app: App, credential: Auth, window: PositionParams, at: AtParam) -> Response:
    may_read_configuration(credential)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, _: directory.roles(conn, store))


@router.get("/teams", summary="The store's teams: id, name, number of members", responses=example(TEAMS))
async def teams(request: Request, app: App, credential: Auth, window: PositionParams, at: AtParam) -> Response:
    may_read_configuration(credential)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, _: directory.teams(conn, store))
