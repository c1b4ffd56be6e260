"""The export over HTTP (``GET /admin/export``): what `lrs export` writes, streamed;
and the rejected statement requests kept for integrators (``GET /admin/rejections``).

Admin scope: an admin credential exports its own store; one of the default store
(the system administrator) exports any store, or every store with ``all=true``.
The answer is the export format of lrs.audit.archive (JSON Lines), produced while
it is sent: one batch of rows in memory, whatever the size of the log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from api.deps import App, Auth, run
from api.routers.admin import _require_admin
from lrs import rejections
from lrs.audit.export import export_lines
from lrs.credentials import store_exists
from lrs.errors import Forbidden, NotFound
from lrs.events import DEFAULT_STORE

router = APIRouter(prefix="/admin", tags=["administration"])

MEDIA_TYPE = "application/x-ndjson"


@router.get(
    "/export",
    summary="Export a store's log with every blob it refers to (JSON Lines, streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {MEDIA_TYPE: {"schema": {"type": "string"}}},
                     "description": "The export (docs/audit.md); verify it with `lrs verify --export`"}},
)
async def export(
    app: App,
    credential: Auth,
    store: Annotated[str | None, Query(description="Default: the caller's store")] = None,
    every_store: Annotated[bool, Query(alias="all", description="Every store (system administrator)")] = False,
) -> StreamingResponse:
    if every_store:
        if store is not None:
            raise Forbidden("name a store or ask for all=true, not both")
        _require_admin(credential, DEFAULT_STORE)
        if credential.store_id != DEFAULT_STORE:
            raise Forbidden("only an admin credential of the default store exports every store")
        chosen = None
        name = "lrs-export-all.jsonl"
    else:
        chosen = store or credential.store_id
        _require_admin(credential, chosen)
        if not await run(app, store_exists, app.engine, chosen):
            raise NotFound(f"no store {chosen!r}")
        name = f"lrs-export-{chosen}.jsonl"
    # A sync iterator: Starlette reads it on its thread pool, batch by batch.
    return StreamingResponse(
        export_lines(app.engine, chosen),
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/rejections", summary="The last rejected statement requests of a store's credentials")
async def list_rejections(
    app: App,
    credential: Auth,
    store: Annotated[str | None, Query(description="Default: the caller's store")] = None,
    key: Annotated[str | None, Query(description="One credential's only")] = None,
) -> list[dict[str, Any]]:
    """Newest first: when, which credential, the 400's reason and details, and the
    first bytes of the body (LRS_REJECTIONS_KEEP per credential, for LRS_REJECTIONS_DAYS)."""
    chosen = store or credential.store_id
    _require_admin(credential, chosen)
    policy = rejections.policy_of(app.settings)
    return await run(app, lambda: rejections.listing(app.engine, policy, store_id=chosen, key=key))
