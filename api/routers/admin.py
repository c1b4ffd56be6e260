"""Administration: stores and credentials, for credentials with the ``admin`` scope.

An ``admin`` credential manages the credentials of its own store; one of the
default store is the system administrator and also manages stores. Every change
is an event in the log (``lrs.store.created``, ``lrs.credential.*``) whose
metadata names the credential that made it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.deps import App, Auth, run, services
from lrs import credentials as service
from lrs.credentials import STORE_ID_PATTERN as STORE_ID
from lrs.credentials import Credential
from lrs.errors import Forbidden
from lrs.events import DEFAULT_STORE


async def _not_from_another_site(request: Request) -> None:
    """A web page may not change the LRS's credentials with a browser's cached ones.

    Revoking or rotating needs no body, so any site could send such a POST (a form,
    or fetch in no-cors mode) and the browser would add the Basic credentials it
    remembers. Browsers name the page's origin on every POST: one not listed in
    LRS_CORS_ORIGINS is refused. Scripts and the CLI send no Origin.
    """
    origin = request.headers.get("origin")
    if request.method in ("GET", "HEAD") or origin is None:
        return
    allowed = services(request).settings.cors_origins
    if origin == "null" or origin not in allowed:
        raise Forbidden(
            f"administration from a web page at {origin} is refused: only origins listed in "
            "LRS_CORS_ORIGINS may call the admin API from a browser"
        )


router = APIRouter(
    prefix="/admin", tags=["administration"], dependencies=[Depends(_not_from_another_site)]
)

class StoreIn(BaseModel):
    id: str = Field(pattern=STORE_ID, examples=["sales-academy"])
    name: str = Field("", max_length=255, examples=["Sales academy"])


class StoreOut(BaseModel):
    id: str
    name: str
    created_at: str


class CredentialIn(BaseModel):
    store: str | None = Field(None, pattern=STORE_ID, description="Default: the caller's store")
    scopes: list[str] = Field(["all"], min_length=1, examples=[["statements/write", "state"]])
    label: str = Field("", max_length=255, examples=["Course player"])
    key: str | None = Field(None, min_length=1, max_length=255, description="Default: random")
    secret: str | None = Field(None, min_length=8, max_length=255, description="Default: random")


class CredentialOut(BaseModel):
    id: str
    key: str
    store: str
    scopes: list[str]
    label: str
    created_at: str
    revoked_at: str | None


class NewSecret(BaseModel):
    key: str
    secret: str = Field(description="Shown once: the LRS keeps only its hash")


class CredentialCreated(NewSecret):
    id: str
    store: str
    scopes: list[str]


class RotateIn(BaseModel):
    secret: str | None = Field(None, min_length=8, max_length=255, description="Default: random")


def _require_admin(credential: Credential, store_id: str) -> None:
    if "admin" not in credential.scopes:
        raise Forbidden("the admin scope is required")
    if store_id != credential.store_id and credential.store_id != DEFAULT_STORE:
        raise Forbidden("an admin credential manages its own store only")


@router.get("/stores", response_model=list[StoreOut], summary="List stores")
async def list_stores(app: App, credential: Auth) -> list[dict[str, object]]:
    _require_admin(credential, "")
    if credential.store_id != DEFAULT_STORE:
        raise Forbidden("only an admin of the default store manages stores")
    return await run(app, service.list_stores, app.engine)


@router.post("/stores", response_model=StoreOut, status_code=201, summary="Create a store")
async def create_store(body: StoreIn, app: App, credential: Auth) -> dict[str, object]:
    _require_admin(credential, "")
    if credential.store_id != DEFAULT_STORE:
        raise Forbidden("only an admin of the default store manages stores")
    # Changes wait for the log's lock, and secrets are hashed with argon2: threads.
    await run(app, lambda: service.create_store(app.engine, body.id, body.name, actor=credential.id),
              heavy=True)
    app.known_stores.add(body.id)
    stores = await run(app, service.list_stores, app.engine)
    return next(store for store in stores if store["id"] == body.id)


@router.get("/credentials", response_model=list[CredentialOut], summary="List credentials")
async def list_credentials(
    app: App, credential: Auth, store: Annotated[str | None, Query(pattern=STORE_ID)] = None
) -> list[dict[str, object]]:
    target = store or credential.store_id
    _require_admin(credential, target)
    return await run(app, service.list_credentials, app.engine, target)


@router.post(
    "/credentials", response_model=CredentialCreated, status_code=201, summary="Create a credential"
)
async def create_credential(body: CredentialIn, app: App, credential: Auth) -> dict[str, object]:
    target = body.store or credential.store_id
    _require_admin(credential, target)
    created, secret = await run(
        app,
        lambda: service.create_credential(
            app.engine, store_id=target, scopes=tuple(body.scopes), label=body.label,
            key=body.key, secret=body.secret, public_url=app.settings.public_url,
            actor=credential.id,
        ),
        heavy=True,
    )
    return {
        "id": created.id, "key": created.key, "secret": secret, "store": target,
        "scopes": sorted(created.scopes),
    }


@router.post("/credentials/{key}/revoke", status_code=204, summary="Revoke a credential")
async def revoke_credential(key: str, app: App, credential: Auth) -> Response:
    _require_admin(credential, credential.store_id)  # before the lookup: no key probing
    _require_admin(credential, await run(app, service.store_of, app.engine, key))
    await run(app, lambda: service.revoke(app.engine, key, actor=credential.id), heavy=True)
    return Response(status_code=204)


@router.post(
    "/credentials/{key}/rotate", response_model=NewSecret, summary="Give a credential a new secret"
)
async def rotate_credential(
    key: str, app: App, credential: Auth, body: RotateIn | None = None
) -> dict[str, str]:
    _require_admin(credential, credential.store_id)  # before the lookup: no key probing
    _require_admin(credential, await run(app, service.store_of, app.engine, key))
    secret = await run(
        app, lambda: service.rotate(app.engine, key, body.secret if body else None, actor=credential.id),
        heavy=True,
    )
    return {"key": key, "secret": secret}
