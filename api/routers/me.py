"""What a credential may look at, and its own learner's views.

``GET /views`` lists the views this server answers, so a client (the dashboard)
shows a page only for the views that exist; ``GET /views/me`` tells a credential
who it is (store, scopes, the learner it stands for); ``GET /views/me/progress``
is that learner's progress, open to a credential that may only read its own
statements (``statements/read/mine``): a learner sees itself, never others.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from api import deps, viewing
from api.deps import App, Auth, require
from api.viewing import PageParams, Text, WindowParams
from lrs.xapi.agents import ifi_key
from projections.progress import queries
from projections.progress.logic import ALL_REGISTRATIONS

router = APIRouter(prefix="/views", tags=["views: what a credential sees"])

# Views answered straight from the statement index, without a projection.
INDEX_VIEWS = ("overview",)
MINE_SCOPES = ("statements/read/mine", *viewing.READ_SCOPES)


@router.get("", summary="The views this server answers, with the log position each reflects")
async def views(request: Request, app: App, credential: Auth) -> Response:
    viewing.check_declared(request)
    listed: list[dict[str, Any]] = [{"name": name, "path": f"/views/{name}"} for name in INDEX_VIEWS]

    def positions() -> list[dict[str, Any]]:
        return [
            {"name": name, "path": f"/views/{name}", "position": app.views.runner.position(name)}
            for name in sorted(app.views.projections)
        ]

    listed += await deps.run(app, positions)
    return Response(orjson.dumps({"views": listed}), media_type="application/json")


@router.get("/me", summary="The credential asking: store, scopes, and the learner it stands for")
async def me(request: Request, credential: Auth) -> Response:
    viewing.check_declared(request)
    body = {
        "store": credential.store_id,
        "label": credential.label,
        "scopes": sorted(credential.scopes),
        "authority": credential.authority,
        "learner": viewing.credential_learner(credential),
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/me/progress", summary="Progress of the learner the credential stands for")
async def my_progress(
    request: Request, app: App, credential: Auth, window: WindowParams, page: PageParams,
    registration: Text = None,
) -> Response:
    require(credential, *MINE_SCOPES)
    learner = viewing.credential_learner(credential)
    key, store = ifi_key(learner) or "", credential.store_id
    reg = viewing.registration(registration) or ALL_REGISTRATIONS
    return await viewing.answer(
        request, app, "progress", store, window,
        lambda conn: _summary(
            queries.learner_summary(
                conn, store, key, registration=reg, since=window.since, until=window.until,
                limit=page.limit, offset=page.offset,
            ),
            learner,
        ),
    )


def _summary(summary: dict[str, Any], learner: dict[str, Any]) -> dict[str, Any]:
    # The view keeps the learner as its statements named it; before any, the
    # credential's own agent.
    return {**summary, "learner": summary["learner"] or learner}
