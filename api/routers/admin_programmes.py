"""Programme definitions for the KPI view (``/admin/programmes/{id}``), for
credentials with the ``admin`` scope.

Each PUT records a ``kpi.programme.defined`` event (a new version of the
programme), each DELETE a ``kpi.programme.retired`` one; the KPI view joins the
definition at read time, so nothing is rebuilt and ``asOf`` before a
redefinition answers with the old definition. The definition's properties and
rules: lrs.programmes and docs/kpi.md.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request

from api.deps import App, Auth, run
from api.routers.admin import _not_from_another_site, _require_admin
from lrs import programmes as service
from lrs.errors import BadRequest, NotFound

router = APIRouter(
    prefix="/admin/programmes", tags=["administration: programmes"],
    dependencies=[Depends(_not_from_another_site)],
)

EXAMPLE = {
    "name": {"en": "Onboarding 2026"},
    "roots": ["https://lms.example.com/course/42"],
    "tags": ["https://example.com/themes/2026-Q3-customer-focus"],
    "modules": [
        "https://lms.example.com/course/42/m1", "https://lms.example.com/course/42/m2",
        "https://lms.example.com/course/42/m3",
    ],
    "completion": "all-modules",
    "surveys": [
        {"activity": "https://lms.example.com/feedback/7/item/3", "metric": "satisfaction", "scale": [1, 5]},
        {"activity": "https://lms.example.com/feedback/7/item/4", "metric": "nps"},
    ],
    "application": {"activityTypes": ["http://id.tincanapi.com/activitytype/checklist"], "withinDays": 90},
    "theme": {"quarter": "2026-Q3", "label": {"en": "Customer focus"}},
}


@router.put(
    "/{programme_id}", summary="Define (or redefine) a programme",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"example": EXAMPLE}}}},
    responses={200: {"content": {"application/json": {"example": {"programme": "onboarding-2026", "version": 3, "position": 184230}}}}},
)
async def define(programme_id: str, request: Request, app: App, credential: Auth) -> dict[str, Any]:
    _require_admin(credential, credential.store_id)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("the programme definition must be a JSON object") from None
    version, position = await run(
        app, lambda: service.define(app.engine, credential.store_id, programme_id, body, actor=credential.id),
        heavy=True,
    )
    app.views.notify()
    return {"programme": programme_id, "version": version, "position": position}


@router.delete("/{programme_id}", summary="Retire a programme (its history stays in the log)")
async def retire(programme_id: str, app: App, credential: Auth) -> dict[str, Any]:
    _require_admin(credential, credential.store_id)
    version, position = await run(
        app, lambda: service.retire(app.engine, credential.store_id, programme_id, actor=credential.id), heavy=True,
    )
    app.views.notify()
    return {"programme": programme_id, "version": version, "position": position, "retired": True}


@router.get("", summary="Every programme's current definition")
async def list_programmes(app: App, credential: Auth) -> dict[str, Any]:
    _require_admin(credential, credential.store_id)
    return {"programmes": await run(app, service.current, app.engine, credential.store_id)}


@router.get("/{programme_id}", summary="A programme's current definition")
async def read(programme_id: str, app: App, credential: Auth) -> dict[str, Any]:
    _require_admin(credential, credential.store_id)
    found = (await run(app, service.current, app.engine, credential.store_id)).get(programme_id)
    if found is None:
        raise NotFound(f"no programme {programme_id!r} is defined")
    return {"programme": programme_id, **found}
