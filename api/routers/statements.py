"""The Statement Resource (Communication 2.1): PUT, POST, GET, HEAD /xapi/statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import (
    App,
    Auth,
    Version,
    confirm,
    read_body,
    require,
    run,
    services,
    writing_credential,
    xapi_version,
)
from api.multipart import build_mixed, parse_mixed
from api.routing import get_and_head
from lrs import rejections
from lrs import statements as service
from lrs.clock import http_date, parse_utc
from lrs.credentials import Credential
from lrs.errors import BadRequest, InvalidParameter, LrsError, PayloadTooLarge
from lrs.xapi import jsonparse
from lrs.xapi.attachments import AttachmentData, attachments_in, read_parts
from lrs.xapi.languages import parse_accept_language
from lrs.xapi.params import SingleStatement, check_names, parse_statement_get
from lrs.xapi.value_formats import is_uuid
from lrs.xapi.versions import is_v2

router = APIRouter()

CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"
POSITION = "X-LRS-Position"
_PUT_PARAMETERS = frozenset(("statementId",))
_JSON = "application/json"
_INLINE_BODY_BYTES = 32 * 1024


def _consistent_headers(through: str | None) -> dict[str, str]:
    # Communication 2.1.3.s2.b5: on every response of the Statement Resource.
    return {CONSISTENT_THROUGH: through or "1970-01-01T00:00:00.000000Z"}


def _parse_statements(body: bytes, version: str) -> Any:
    if is_v2(version):
        return jsonparse.loads_rejecting_duplicates(body, what="statement body")
    return jsonparse.loads(body, what="statement body")


def _statements_body(
    content_type: str, body: bytes, version: str
) -> tuple[Any, dict[str, AttachmentData]]:
    """The statements and, for multipart/mixed, the attachment parts by hash (Comm. 1.5)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind not in (_JSON, "multipart/mixed"):
        raise BadRequest(
            f"Content-Type must be application/json or multipart/mixed for statements, "
            f"not {kind or 'missing'!r} (Communication 1.5)"
        )
    if kind == _JSON:
        return _parse_statements(body, version), {}
    parts = parse_mixed(body, content_type)
    first = parts[0]
    if (first.header("content-type") or "").split(";")[0].strip().lower() != _JSON:
        raise BadRequest(
            "the first part of a multipart/mixed statement request must be the statements, "
            "as application/json (Communication 1.5.2)"
        )
    return _parse_statements(first.body, version), read_parts([(p.headers, p.body) for p in parts[1:]])


async def _write(
    request: Request,
    app: App,
    version: str,
    items_of: Callable[[Any, dict[str, str]], tuple[list[Any], bool, str | None]],
    parameters: frozenset[str],
) -> service.Written:
    """Authenticate, check, parse, validate and write: each once.

    The order of refusals is the order of these steps: credentials (401), rate
    (429), parameters (400), scope (403), body (400), statements (400, 409).
    """
    body = await read_body(request)
    content_type = request.headers.get("content-type", "")
    pairs = list(request.query_params.multi_items())
    credential, proof = await writing_credential(request)

    def check() -> service.WriteRequest:
        params = check_names(pairs, parameters)
        require(credential, "statements/write")
        parsed, data = _statements_body(content_type, body, version)
        items, batch, put_id = items_of(parsed, params)
        limit = app.settings.max_statements_per_request
        if len(items) > limit:
            raise PayloadTooLarge(f"{len(items)} statements in one request; the limit is {limit}")
        prepared = service.prepare(items, version, batch=batch, put_id=put_id, attachment_data=data)
        return service.WriteRequest(credential, prepared, version, attachment_data=data, proof=proof)

    try:
        write = await run(app, check, heavy=len(body) > _INLINE_BODY_BYTES, database=False)
    except LrsError as exc:
        if proof is not None:
            # Only the cache vouched for the secret: a credential revoked or rotated
            # elsewhere gets its 401 before any other refusal.
            await confirm(request)
        if isinstance(exc, BadRequest):
            await _remember(app, request.method, credential, exc, body)
        raise
    # The write joins the group commit (lrs.writer) without holding a thread.
    try:
        result = await app.writer.submit_async(write)
    except BadRequest as exc:
        await _remember(app, request.method, credential, exc, body)
        raise
    app.metrics.statements.inc(len(write.prepared))
    app.views.notify()
    return result


async def _remember(app: App, method: str, credential: Credential, exc: BadRequest, body: bytes) -> None:
    """Keep a 400 for the credential's integrator (lrs.rejections): why it was refused."""
    policy = rejections.policy_of(app.settings)
    if policy.applies_to(credential.store_id):
        await run(app, lambda: rejections.record(
            app.engine, policy, credential, method=method, status=400,
            reason=exc.message, details=exc.details(), body=body,
        ))


def _put_items(body: Any, params: dict[str, str]) -> tuple[list[Any], bool, str | None]:
    if "statementId" not in params:
        raise InvalidParameter("statementId", "is required for PUT (Communication 2.1.1)")
    if not is_uuid(params["statementId"]):
        raise InvalidParameter("statementId", "must be a UUID (Data 4.4)")
    if not isinstance(body, dict):
        raise BadRequest("PUT takes exactly one statement (a JSON object)")
    return [body], False, params["statementId"].lower()


def _post_items(body: Any, _: dict[str, str]) -> tuple[list[Any], bool, str | None]:
    return (body, True, None) if isinstance(body, list) else ([body], False, None)


@router.put("/xapi/statements", status_code=204, summary="Store one statement with the given id")
async def put_statement(request: Request, app: App, version: Version) -> Response:
    result = await _write(request, app, version, _put_items, _PUT_PARAMETERS)
    return Response(
        status_code=204,
        headers={**_consistent_headers(result.consistent_through), POSITION: str(result.position)},
    )


@router.post("/xapi/statements", summary="Store one statement or an array of statements")
async def post_statements(request: Request, app: App, version: Version) -> Response:
    result = await _write(request, app, version, _post_items, frozenset())
    return Response(
        orjson.dumps(result.ids),
        media_type=_JSON,
        headers={**_consistent_headers(result.consistent_through), POSITION: str(result.position)},
    )


class DirectWrites:
    """PUT and POST /xapi/statements straight to their endpoints, past FastAPI's
    routing and dependency injection (a linear match over every route, then the
    dependencies solved anew for each request): a quarter of a single POST's time on
    the event loop in profiles. Innermost of the app's middleware, so everything
    around the routes (the version, the request id, CORS, the headers) is the same;
    a refusal becomes the answer the app's exception handler for it gives (an error
    with none goes on out, to CatchAll, as before). Any other path, or a request
    under a root_path, goes through the router as before. The routes stay
    registered: they are the OpenAPI operations and what these requests match."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: dict[str, APIRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if (
            scope["type"] != "http"
            or (method != "POST" and method != "PUT")
            or scope["path"] != "/xapi/statements"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        route = self._route(method)
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {}
        request = Request(scope, receive, send)
        endpoint = post_statements if method == "POST" else put_statement
        try:
            response = await endpoint(request, services(request), xapi_version(request))
        except Exception as exc:
            handler = _handler(scope, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _route(self, method: str) -> APIRoute:
        if self._routes is None:
            self._routes = {
                m: r for r in router.routes if isinstance(r, APIRoute)
                and r.path == "/xapi/statements" for m in r.methods or () if m in ("POST", "PUT")
            }
        return self._routes[method]


def _handler(scope: Scope, exc: Exception) -> Any:
    # Starlette's lookup: the handler of the nearest class in the exception's MRO.
    handlers = scope["app"].exception_handlers
    for kind in type(exc).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None


async def _with_attachments(
    app: App, engine: Engine, store_id: str, body: bytes, texts: list[str], mine: str | None
) -> Response:
    """multipart/mixed: the JSON first, then each attachment held for these statements
    (with ``mine``, only bytes that came with statements of that authority)."""
    wanted: dict[str, str] = {}
    for text in texts:
        for _, attachment in attachments_in(orjson.loads(text)):
            wanted.setdefault(attachment["sha2"].lower(), attachment["contentType"])
    # Attachment bytes can be megabytes: a thread (deps.run).
    contents = await run(
        app, lambda: service.attachment_contents(engine, store_id, set(wanted), mine=mine),
        heavy=True,
    )
    parts = [({"Content-Type": _JSON}, body)]
    parts.extend(
        (
            {
                "Content-Type": wanted[sha2],
                "Content-Transfer-Encoding": "binary",
                "X-Experience-API-Hash": sha2,
            },
            contents[sha2],
        )
        for sha2 in sorted(contents)
    )
    payload, content_type = build_mixed(parts)
    return Response(payload, media_type=content_type)


@get_and_head(router, "/xapi/statements", summary="Get one statement or query")
async def get_statements(request: Request, app: App, credential: Auth, version: Version) -> Response:
    require(credential, "statements/read", "statements/read/mine", "all/read")
    mine = service.visible_authority(credential)
    parsed = parse_statement_get(list(request.query_params.multi_items()), version)
    languages = parse_accept_language(request.headers.get("accept-language"))
    store_id = credential.store_id
    if isinstance(parsed, SingleStatement):
        (text, stored, through), source = await run(
            app, lambda: app.reads.statement(store_id, parsed, languages, mine=mine)
        )
        texts, body = [text], text.encode()
        headers = {**_consistent_headers(through), "Last-Modified": http_date(parse_utc(stored))}
    else:
        result, source = await run(
            app,
            lambda: app.reads.statements(
                store_id, parsed, page_max=app.settings.statements_page_max,
                languages=languages, mine=mine,
            ),
        )
        more = f"/xapi/statements?more={result.more}" if result.more else ""
        texts = result.statements
        body = b'{"statements":[' + ",".join(texts).encode() + b'],"more":' + orjson.dumps(more) + b"}"
        headers = _consistent_headers(result.consistent_through)
        if result.last_stored:
            headers["Last-Modified"] = http_date(parse_utc(result.last_stored))
    if parsed.attachments:
        # Communication 2.1.3.s2.b6: attachments=true answers multipart/mixed.
        # From the database that answered: it holds the bytes of what it answered.
        response = await _with_attachments(app, source, store_id, body, texts, mine)
        response.headers.update(headers)
        return response
    return Response(body, media_type=_JSON, headers=headers)
