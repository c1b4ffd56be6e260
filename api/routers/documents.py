"""State, Activity Profile and Agent Profile resources (Communication 2.3, 2.6, 2.7)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import App, Auth, Version, read_body, require, run
from api.routing import get_and_head
from lrs import documents as service
from lrs.clock import http_date, parse_utc
from lrs.events import dumps
from lrs.xapi.document_params import parse
from lrs.xapi.document_rules import etag
from lrs.xapi.versions import is_v2

router = APIRouter()

POSITION = "X-LRS-Position"
_PATHS = {
    service.STATE: "/xapi/activities/state",
    service.ACTIVITY_PROFILE: "/xapi/activities/profile",
    service.AGENT_PROFILE: "/xapi/agents/profile",
}
_SCOPES = {
    service.STATE: ("state",),
    service.ACTIVITY_PROFILE: ("profile",),
    service.AGENT_PROFILE: ("profile",),
}
_READ_SCOPES = {kind: (*scopes, "all/read") for kind, scopes in _SCOPES.items()}
# A PUT this small is hashed on the event loop (cheaper than a hop to a thread).
_INLINE_BYTES = 64 * 1024
# A POST whose document changes while it merges merges again, this many times.
_MERGE_ATTEMPTS = 5


def _quoted(tag: str) -> str:
    return f'"{tag}"'


def _precondition_required(kind: str, version: str) -> bool:
    # Communication 3.1: 1.0.3 exempts the State resource from the 409 rule for a
    # PUT without If-Match/If-None-Match; 2.0 applies it to every document resource.
    return kind != service.STATE or is_v2(version)


def _handlers(kind: str) -> None:
    path = _PATHS[kind]

    async def get(request: Request, app: App, credential: Auth, version: Version) -> Response:
        require(credential, *_READ_SCOPES[kind])
        params = parse(kind, request.method, list(request.query_params.multi_items()), version)
        scope = service.Scope(kind, params.activity_id, params.agent, params.registration)
        store_id = credential.store_id
        if params.doc_id is None:
            ids, last = await run(app, service.list_ids, app.engine, store_id, scope, params.since_us)
            body = dumps(ids).encode()
            headers = {"ETag": _quoted(etag(body))}
            if last:
                headers["Last-Modified"] = http_date(parse_utc(last))
            return Response(body, media_type="application/json", headers=headers)
        if params.as_of_position is not None or params.as_of_time is not None:
            document = await run(
                app, lambda: service.read_as_of(
                    app.engine, store_id, scope, params.doc_id or "",
                    position=params.as_of_position, moment=params.as_of_time,
                )
            )
        else:
            document = await run(app, service.read, app.engine, store_id, scope, params.doc_id)
        # The stored Content-Type goes back as it was sent: media_type would add a
        # charset to text/* types that the client never declared (Communication 1.5.b1).
        return Response(
            document.content,
            headers={
                "Content-Type": document.content_type,
                "ETag": _quoted(document.etag),
                "Last-Modified": http_date(parse_utc(document.updated)),
            },
        )

    async def write(request: Request, app: App, credential: Auth, version: Version) -> Response:
        require(credential, *_SCOPES[kind])
        params = parse(kind, request.method, list(request.query_params.multi_items()), version)
        scope = service.Scope(kind, params.activity_id, params.agent, params.registration)
        content = await read_body(request, limit=app.settings.max_document_bytes)
        sent = request.headers
        content_type, if_match, if_none_match = (
            sent.get("content-type"), sent.get("if-match"), sent.get("if-none-match")
        )
        merge = request.method == "POST"
        required = request.method == "PUT" and _precondition_required(kind, version)
        doc_id, store_id = params.doc_id or "", credential.store_id
        for attempt in range(_MERGE_ATTEMPTS):
            # Hashing and merging happen before the write joins the group commit
            # (lrs.writer), outside the log's lock; a merge reads the stored document.
            prepare = partial(
                service.prepare, app.engine, store_id, scope, doc_id, content, content_type,
                merge=merge,
            )
            # A PUT reads no database; a POST reads the document it merges into.
            heavy = merge or len(content) > _INLINE_BYTES
            prepared = await run(app, prepare, heavy=heavy, database=merge)
            try:
                result = await app.writer.run_async(
                    partial(
                        service.write_in, store_id=store_id, scope=scope, doc_id=doc_id,
                        prepared=prepared, if_match=if_match, if_none_match=if_none_match,
                        precondition_required=required,
                        metadata={"credential": credential.id, "version": version},
                    )
                )
                break
            except service.StaleMerge:
                if attempt == _MERGE_ATTEMPTS - 1:
                    raise
        app.metrics.documents.labels(kind).inc()
        headers = {POSITION: str(result.position)}
        if result.etag:
            headers["ETag"] = _quoted(result.etag)
        return Response(status_code=204, headers=headers)

    async def remove(request: Request, app: App, credential: Auth, version: Version) -> Response:
        require(credential, *_SCOPES[kind])
        params = parse(kind, "DELETE", list(request.query_params.multi_items()), version)
        scope = service.Scope(kind, params.activity_id, params.agent, params.registration)
        metadata = {"credential": credential.id, "version": version}
        if_match, if_none_match = request.headers.get("if-match"), request.headers.get("if-none-match")
        if params.doc_id is None:
            position = await app.writer.run_async(
                lambda writer: service.delete_all_in(
                    writer, credential.store_id, scope, metadata=metadata
                )
            )
        else:
            position = await app.writer.run_async(
                lambda writer: service.delete_one_in(
                    writer, credential.store_id, scope, params.doc_id or "",
                    if_match=if_match, if_none_match=if_none_match, metadata=metadata,
                )
            )
        app.metrics.documents.labels(kind).inc()
        return Response(status_code=204, headers={POSITION: str(position)})

    name = kind.replace("_", " ")
    get_and_head(router, path, summary=f"Get a {name} document or list ids")(get)
    router.add_api_route(path, write, methods=["PUT"], status_code=204, summary=f"Store a {name} document")
    router.add_api_route(path, write, methods=["POST"], status_code=204, summary=f"Merge into a {name} document")
    router.add_api_route(path, remove, methods=["DELETE"], status_code=204, summary=f"Delete {name} document(s)")


for _kind in service.KINDS:
    _handlers(_kind)
