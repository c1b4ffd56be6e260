"""The Statement Resource (Communication 2.1): PUT, POST, GET, HEAD /xapi/statements."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.deps import App, Auth, Version, media_type, read_body, require
from lrs import statements as service
from lrs.clock import http_date, parse_utc
from lrs.errors import BadRequest, InvalidParameter, PayloadTooLarge
from lrs.xapi import jsonparse
from lrs.xapi.languages import parse_accept_language
from lrs.xapi.params import SingleStatement, check_names, parse_statement_get
from lrs.xapi.versions import is_v2

router = APIRouter()

CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
POSITION = "X-LRS-Position"
_PUT_PARAMETERS = frozenset(("statementId",))


def _consistent_headers(through: str | None) -> dict[str, str]:
    # Communication 2.1.3.s2.b5: on every response of the Statement Resource.
    return {CONSISTENT_THROUGH: through or "1970-01-01T00:00:00.000000Z"}


async def _statements_body(request: Request, version: str) -> Any:
    kind = media_type(request)
    if kind == "multipart/mixed":
        raise BadRequest("multipart/mixed statement requests carry attachments; see below")
    if kind != "application/json":
        raise BadRequest(
            f"Content-Type must be application/json for statements, not {kind or 'missing'!r} "
            "(Communication 1.5)"
        )
    body = await read_body(request)
    if is_v2(version):
        return jsonparse.loads_rejecting_duplicates(body, what="statement body")
    return jsonparse.loads(body, what="statement body")


def _through(app: App) -> str | None:
    with app.engine.connect() as conn:
        return service.consistent_through(conn)


@router.put("/xapi/statements", status_code=204, summary="Store one statement with the given id")
async def put_statement(request: Request, app: App, credential: Auth, version: Version) -> Response:
    require(credential, "statements/write")
    params = check_names(list(request.query_params.multi_items()), _PUT_PARAMETERS)
    if "statementId" not in params:
        raise InvalidParameter("statementId", "is required for PUT (Communication 2.1.1)")
    statement_id = service_uuid(params["statementId"])
    body = await _statements_body(request, version)
    if not isinstance(body, dict):
        raise BadRequest("PUT takes exactly one statement (a JSON object)")
    prepared = service.prepare([body], version, batch=False, put_id=statement_id)
    result = await run_in_threadpool(
        service.store, app.engine, credential, prepared, version=version,
        lock_timeout_seconds=app.settings.lock_timeout_seconds,
    )
    through = await run_in_threadpool(_through, app)
    return Response(status_code=204, headers={**_consistent_headers(through), POSITION: str(result.position)})


def service_uuid(value: str) -> str:
    from lrs.xapi.formats import is_uuid

    if not is_uuid(value):
        raise InvalidParameter("statementId", "must be a UUID (Data 4.4)")
    return value.lower()


@router.post("/xapi/statements", summary="Store one statement or an array of statements")
async def post_statements(request: Request, app: App, credential: Auth, version: Version) -> Response:
    check_names(list(request.query_params.multi_items()), frozenset())
    require(credential, "statements/write")
    body = await _statements_body(request, version)
    batch = isinstance(body, list)
    items = body if batch else [body]
    limit = app.settings.max_statements_per_request
    if len(items) > limit:
        raise PayloadTooLarge(f"{len(items)} statements in one request; the limit is {limit}")
    prepared = service.prepare(items, version, batch=batch)
    result = await run_in_threadpool(
        service.store, app.engine, credential, prepared, version=version,
        lock_timeout_seconds=app.settings.lock_timeout_seconds,
    )
    through = await run_in_threadpool(_through, app)
    return Response(
        orjson.dumps(result.ids),
        media_type="application/json",
        headers={**_consistent_headers(through), POSITION: str(result.position)},
    )


@router.api_route("/xapi/statements", methods=["GET", "HEAD"], summary="Get one statement or query")
async def get_statements(request: Request, app: App, credential: Auth, version: Version) -> Response:
    require(credential, "statements/read", "all/read")
    parsed = parse_statement_get(list(request.query_params.multi_items()), version)
    if parsed.attachments:
        raise BadRequest("attachments=true answers multipart/mixed; see below")
    languages = parse_accept_language(request.headers.get("accept-language"))
    if isinstance(parsed, SingleStatement):
        text, stored, through = await run_in_threadpool(
            service.get_one, app.engine, credential.store_id, parsed, languages
        )
        headers = {**_consistent_headers(through), "Last-Modified": http_date(parse_utc(stored))}
        return Response(text.encode(), media_type="application/json", headers=headers)
    result = await run_in_threadpool(
        service.query, app.engine, credential.store_id, parsed,
        page_max=app.settings.statements_page_max,
        languages=languages,
    )
    more = f"/xapi/statements?more={result.more}" if result.more else ""
    body = b'{"statements":[' + ",".join(result.statements).encode() + b'],"more":' + orjson.dumps(more) + b"}"
    headers = _consistent_headers(result.consistent_through)
    if result.last_stored:
        headers["Last-Modified"] = http_date(parse_utc(result.last_stored))
    return Response(body, media_type="application/json", headers=headers)
