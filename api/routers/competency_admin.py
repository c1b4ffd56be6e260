"""Competency configuration over HTTP (``/admin/competency/...``, scope ``competency/admin``).

Every change is an event in the store's hash chain (lrs.competency): the body is
parsed and validated first (a 400 naming the property path and the rule, nothing
written), then appended by the group writer. The answer is a 202 with the log
position; the competency view applies it once it has folded that position (a read
with ``minPosition`` waits for it).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import App, Auth, media_type, read_body, require, run
from api.routers import competency_examples as examples
from api.viewing import POSITION
from lrs.competency import config, frameworks, settings
from lrs.errors import BadRequest

router = APIRouter(prefix="/admin/competency", tags=["competency: configuration"])
SCOPES = ("competency/admin", "admin")

def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON ({exc})") from None


def _accepted(position: int, **extra: Any) -> Response:
    return Response(orjson.dumps({"position": position, **extra}), status_code=202,
                    media_type="application/json", headers={POSITION: str(position)})


def _meta(credential: Any) -> dict[str, Any]:
    return {"credential": credential.id}


@router.post("/frameworks", status_code=202, summary="Import a framework (CASE CFPackage, simple JSON or CSV)",
             openapi_extra=examples.FRAMEWORK_BODY)
async def import_framework(
    request: Request, app: App, credential: Auth,
    framework: Annotated[str | None, Query(description="CSV only: the framework's IRI")] = None,
    title: Annotated[str | None, Query(description="CSV only: the framework's title")] = None,
) -> Response:
    require(credential, *SCOPES)
    body = await read_body(request)
    parsed = await run(app, partial(frameworks.parse, body, media_type(request), framework_id=framework, title=title),
                       heavy=True)
    position = await app.writer.run_async(
        lambda writer: config.import_in(writer, credential.store_id, parsed, body, _meta(credential))
    )
    return _accepted(position, framework_id=parsed["framework_id"], items=len(parsed["items"]),
                     relations=len(parsed["relations"]))


@router.delete("/frameworks", status_code=202, summary="Retire a framework: its competencies stop counting")
async def retire_framework(
    app: App, credential: Auth, framework: Annotated[str, Query(description="The framework's IRI")],
) -> Response:
    require(credential, *SCOPES)
    position = await app.writer.run_async(
        lambda writer: config.retire_in(writer, credential.store_id, framework, _meta(credential))
    )
    return _accepted(position, framework_id=framework)


@router.put("/alignments", status_code=202, summary="Align activities to competencies (bulk)",
            openapi_extra=examples.ALIGNMENTS_BODY)
async def set_alignments(request: Request, app: App, credential: Auth) -> Response:
    return await _align(request, app, credential, removing=False)


@router.delete("/alignments", status_code=202, summary="Remove alignments (bulk; type and weight not needed)",
               openapi_extra=examples.ALIGNMENTS_BODY)
async def remove_alignments(request: Request, app: App, credential: Auth) -> Response:
    return await _align(request, app, credential, removing=True)


async def _align(request: Request, app: App, credential: Auth, *, removing: bool) -> Response:
    require(credential, *SCOPES)
    body = _json(await read_body(request))
    position = await app.writer.run_async(
        lambda writer: config.align_in(writer, credential.store_id, body, _meta(credential), removing=removing)
    )
    return _accepted(position, alignments=len(body["alignments"]))


@router.put("/roles/{role_id}", status_code=202, summary="Set a role profile", openapi_extra=examples.ROLE_BODY)
async def set_role(request: Request, app: App, credential: Auth, role_id: str) -> Response:
    require(credential, *SCOPES)
    body = _json(await read_body(request))
    position = await app.writer.run_async(
        lambda writer: config.role_in(writer, credential.store_id, role_id, body, _meta(credential))
    )
    return _accepted(position, role=role_id)


@router.put("/teams/{team_id}", status_code=202, summary="Set a team and its members", openapi_extra=examples.TEAM_BODY)
async def set_team(request: Request, app: App, credential: Auth, team_id: str) -> Response:
    require(credential, *SCOPES)
    body = _json(await read_body(request))
    position = await app.writer.run_async(
        lambda writer: config.team_in(writer, credential.store_id, team_id, body, _meta(credential))
    )
    return _accepted(position, team=team_id)


@router.delete("/roles/{role_id}", status_code=202, summary="Remove a role profile")
async def remove_role(app: App, credential: Auth, role_id: str) -> Response:
    return await _remove(app, credential, "role", role_id)


@router.delete("/teams/{team_id}", status_code=202, summary="Remove a team")
async def remove_team(app: App, credential: Auth, team_id: str) -> Response:
    return await _remove(app, credential, "team", team_id)


async def _remove(app: App, credential: Auth, kind: str, ident: str) -> Response:
    require(credential, *SCOPES)
    position = await app.writer.run_async(
        lambda writer: config.remove_in(writer, credential.store_id, kind, ident, _meta(credential))
    )
    return _accepted(position, **{kind: ident})


def _settings_now(app: App, store: str) -> dict[str, Any]:
    with app.engine.connect() as conn:
        return settings.current(conn, store, negative_evidence_default=app.settings.competency_negative_evidence)


@router.get("/settings", summary="The store's competency settings in force",
            responses={200: {"content": {"application/json": {"example": {"settings": {"negativeEvidence": True}}}}}})
async def get_settings(app: App, credential: Auth) -> dict[str, Any]:
    require(credential, *SCOPES)
    return {"settings": await run(app, _settings_now, app, credential.store_id)}


@router.put("/settings", status_code=202,
            summary="Change the store's competency settings (those left out keep their value)",
            description="Records a `competency.settings.changed` event. `negativeEvidence`: whether "
                        "competency/read sees evidence below the mastery threshold (failed attempts); "
                        "unset, the store follows LRS_COMPETENCY_NEGATIVE_EVIDENCE.",
            openapi_extra=examples.SETTINGS_BODY)
async def put_settings(request: Request, app: App, credential: Auth) -> Response:
    require(credential, *SCOPES)
    body = _json(await read_body(request))
    found, position = await app.writer.run_async(
        lambda writer: settings.change_in(writer, credential.store_id, body, _meta(credential)))
    return _accepted(position, settings=found)
