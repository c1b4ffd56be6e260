"""Forwarding targets (/admin/forwarding), for credentials with the ``admin`` scope.

An admin configures the targets of its own store; an admin of the default store
those of any store (and may widen a target to several with ``filter.stores``).
Every change is an event in the log (lrs.forwarding.targets). Secrets go in and
never come out: answers carry a fingerprint.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.deps import App, Auth, run
from api.routers.admin import _not_from_another_site, _require_admin
from lrs.events import DEFAULT_STORE
from lrs.forwarding import targets as service
from lrs.forwarding.sealing import Sealer
from projections.feeds import VIEW_FEEDS
from projections.forwarding.forwarder import status

router = APIRouter(
    prefix="/admin/forwarding", tags=["forwarding"], dependencies=[Depends(_not_from_another_site)]
)

_EXAMPLE = {
    "id": "enterprise-lrs", "kind": "lrs", "url": "https://lrs.example.com/xapi/",
    "auth": {"basic": ["KEY", "SECRET"]}, "xapiVersion": "1.0.3",
    "filter": {"verbs": ["http://adlnet.gov/expapi/verbs/passed"]},
}


_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such target"}}
_LIMITED: dict[int | str, dict[str, Any]] = {429: {"description": "Too many requests"}}


class PauseIn(BaseModel):
    reason: str = Field("paused by an operator", max_length=1000)


def _wake(app: Any) -> None:
    if app.forwarder is not None:
        app.forwarder.notify()


async def _owned(app: Any, credential: Any, target_id: str) -> None:
    _require_admin(credential, credential.store_id)  # before the lookup: no id probing
    _require_admin(credential, await run(app, service.store_of, app.engine, target_id))


@router.post("", status_code=201, summary="Add a forwarding target (another LRS or a webhook)",
             responses={404: {"description": "No such store"},
                        409: {"description": "A target with this id exists"}, **_LIMITED})
async def add_target(
    app: App, credential: Auth, body: Annotated[dict[str, Any], Body(examples=[_EXAMPLE])]
) -> dict[str, Any]:
    _require_admin(credential, credential.store_id)
    store = body.get("store", credential.store_id) if isinstance(body, dict) else credential.store_id
    _require_admin(credential, store if isinstance(store, str) else credential.store_id)
    created, secret = await run(
        app,
        lambda: service.add(
            app.engine, body, store_id=credential.store_id,
            allow_private=app.settings.forwarding_allow_private, actor=credential.id,
            views=frozenset(VIEW_FEEDS), sealer=Sealer.from_setting(app.settings.forwarding_key),
        ),
        heavy=True,  # resolves the host name and waits for the log's lock
    )
    _wake(app)
    return {**created, **({"secret": secret} if secret else {})}


@router.get("", summary="List forwarding targets", responses=_LIMITED)
async def list_targets(app: App, credential: Auth) -> list[dict[str, Any]]:
    _require_admin(credential, credential.store_id)
    store = None if credential.store_id == DEFAULT_STORE else credential.store_id
    return await run(app, service.list_targets, app.engine, store)


@router.get("/{target_id}", summary="A target and how delivery to it goes", responses={**_NOT_FOUND, **_LIMITED})
async def get_target(target_id: str, app: App, credential: Auth) -> dict[str, Any]:
    await _owned(app, credential, target_id)
    target = await run(app, service.get, app.engine, target_id)
    state = await run(app, status, app.engine, target_id)
    return {**target, "status": state.as_json()}


@router.post("/{target_id}/pause", status_code=204, summary="Pause a target", responses={**_NOT_FOUND, **_LIMITED})
async def pause_target(
    target_id: str, app: App, credential: Auth, body: PauseIn | None = None
) -> Response:
    await _owned(app, credential, target_id)
    reason = body.reason if body else "paused by an operator"
    await run(app, lambda: service.pause(app.engine, target_id, reason, actor=credential.id), heavy=True)
    return Response(status_code=204)


@router.post("/{target_id}/resume", status_code=204, summary="Resume a paused target", responses={**_NOT_FOUND, **_LIMITED})
async def resume_target(target_id: str, app: App, credential: Auth) -> Response:
    await _owned(app, credential, target_id)
    await run(app, lambda: service.resume(app.engine, target_id, actor=credential.id), heavy=True)
    _wake(app)
    return Response(status_code=204)


@router.delete("/{target_id}", status_code=204, summary="Remove a target", responses={**_NOT_FOUND, **_LIMITED})
async def remove_target(target_id: str, app: App, credential: Auth) -> Response:
    await _owned(app, credential, target_id)
    await run(app, lambda: service.remove(app.engine, target_id, actor=credential.id), heavy=True)
    return Response(status_code=204)
