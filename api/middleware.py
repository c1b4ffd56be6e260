"""ASGI middleware for what every xAPI request shares.

- ``CatchAll``: an unexpected exception is a 500 with a request id (and a bug),
  answered inside CORS so browsers can read it.
- ``XapiVersion``: X-Experience-API-Version negotiation (Communication 3.3); the
  answer carries the version the request negotiated.
- ``AlternateSyntax``: the 1.0.3 cross-origin form syntax (Communication 1.3),
  rewritten into an ordinary request before anything else sees it.
- ``ConsistentThrough``: the Statement Resource's consistency header on every answer.
- ``SecurityHeaders``: what every answer tells a browser about running it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response, lrs_error_response
from api.observe import request_id_of
from lrs import log
from lrs.db import is_sqlite
from lrs.errors import BadRequest, LrsError, PayloadTooLarge, Unauthorized, VersionNotSupported
from lrs.xapi.versions import V1, V2, negotiate

logger = logging.getLogger("lrs.api")

VERSION_HEADER = "x-experience-api-version"
_UNVERSIONED = ("/xapi/about",)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class CatchAll:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            request_id = request_id_of(scope)
            logger.exception("unexpected error, request %s", request_id, extra={"request_id": request_id})
            if started:
                raise
            response = error_response(
                500, "internal_error", "unexpected server error; this is a bug",
                {"requestId": request_id},
            )
            await response(scope, receive, send)


class XapiVersion:
    def __init__(self, app: ASGIApp, default_version: str = V1) -> None:
        self.app = app
        # The version a refusal names when the request named none the LRS serves.
        self.default_version = default_version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/xapi"):
            await self.app(scope, receive, send)
            return
        header = _header(scope, VERSION_HEADER.encode())
        try:
            version = negotiate(header)
        except VersionNotSupported as exc:
            if scope["path"].rstrip("/") in _UNVERSIONED:
                # Communication 2.8: /about never rejects a request for its version.
                version = V2
            else:
                response = lrs_error_response(exc, scope)
                response.headers[VERSION_HEADER] = self.default_version
                await response(scope, receive, send)
                return
        scope.setdefault("state", {})["xapi_version"] = version
        encoded = version.encode()

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != VERSION_HEADER.encode()]
                headers.append((VERSION_HEADER.encode(), encoded))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_version)


# Form parameters that stand for headers in the alternate syntax (Communication 1.3).
_HEADER_PARAMS = {
    "authorization": b"authorization",
    "x-experience-api-version": b"x-experience-api-version",
    "content-type": b"content-type",
    "content-length": b"content-length",
    "if-match": b"if-match",
    "if-none-match": b"if-none-match",
}
_METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE"}


class AlternateSyntax:
    """Any web site's form can send this syntax (Communication 1.3), and the browser
    adds the Basic credentials it has cached for the LRS as an Authorization header.
    So that header counts only from an origin the operator named in LRS_CORS_ORIGINS;
    credentials in the form body (what TinCanJS sends), which no other site knows,
    count from anywhere. A wildcard names no origin, and "null" is the origin of any
    site's sandboxed frames: neither is trusted here."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, cors_origins: Iterable[str]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.trusted_origins = frozenset(o for o in cors_origins if o not in ("*", "null"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith("/xapi")
            or b"method=" not in scope.get("query_string", b"")
        ):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if "method" not in {name for name, _ in query}:
            await self.app(scope, receive, send)
            return
        # Read by api.errors: a 401 here is for a page and must not make it prompt.
        scope.setdefault("state", {})["alternate_syntax"] = True
        try:
            new_scope, body = await self._rewrite(scope, receive, query)
        except LrsError as exc:
            response = lrs_error_response(exc, scope)
            response.headers[VERSION_HEADER] = V1  # the syntax only exists in 1.0.x
            await response(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(new_scope, replay, send)

    async def _rewrite(
        self, scope: Scope, receive: Receive, query: list[tuple[str, str]]
    ) -> tuple[Scope, bytes]:
        if len(query) != 1:
            raise BadRequest(
                "with the alternate request syntax, 'method' must be the only query "
                "parameter; the others go in the form body (Communication 1.3)"
            )
        method = query[0][1].upper()
        if method not in _METHODS:
            raise BadRequest(f"method={query[0][1]!r} is not an HTTP method xAPI uses")
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise BadRequest(
                "the alternate request syntax needs an application/x-www-form-urlencoded "
                "body (Communication 1.3)"
            )
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if len(raw) > self.max_body_bytes:
                raise PayloadTooLarge(f"request body exceeds {self.max_body_bytes} bytes")
            if not message.get("more_body"):
                break
        try:
            form = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise BadRequest("the form body must be UTF-8 (Communication 1.4)") from None
        headers: dict[bytes, bytes] = {
            k: v for k, v in scope["headers"] if k not in (b"content-type", b"content-length")
        }
        params: list[tuple[str, str]] = []
        content: str | None = None
        authorization_in_form = False
        for name, value in form:
            lowered = name.lower()
            if lowered == "content":
                content = value
            elif lowered in _HEADER_PARAMS:
                headers[_HEADER_PARAMS[lowered]] = value.encode("latin-1", "replace")
                authorization_in_form = authorization_in_form or lowered == "authorization"
            else:
                params.append((name, value))
        if (
            b"authorization" in headers
            and not authorization_in_form
            and _header(scope, b"origin") not in self.trusted_origins
        ):
            raise Unauthorized(
                "with the alternate request syntax, send Authorization in the form body: "
                "an Authorization header counts only from an origin named in "
                "LRS_CORS_ORIGINS (a browser adds the credentials it has cached to any "
                "site's form)"
            )
        version_header = headers.get(b"x-experience-api-version")
        try:
            version = negotiate(version_header.decode("latin-1") if version_header else None)
        except VersionNotSupported:
            version = None
        if version == V2:
            raise BadRequest(
                "the alternate request syntax (method=...) is not part of xAPI 2.0; "
                "send an ordinary request"
            )
        body = (content or "").encode("utf-8")
        if content is not None and b"content-type" not in headers:
            headers[b"content-type"] = b"application/json"
        headers[b"content-length"] = str(len(body)).encode()
        new_scope: dict[str, Any] = dict(scope)
        new_scope["method"] = method
        new_scope["query_string"] = urlencode(params).encode()
        new_scope["headers"] = list(headers.items())
        return new_scope, body


class ConsistentThrough:
    """X-Experience-API-Consistent-Through on every answer of the Statement Resource,
    errors included (Communication 2.1.3.s2.b5): clients poll it before querying.

    Answers the router builds carry the value read with their data; this fills in
    the others (401, 404, a refused version header, a 500) with a fresh reading.
    """

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != "/xapi/statements":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if not any(name == _CONSISTENT_THROUGH for name, _ in headers):
                    through = await self._through()
                    message["headers"] = [*headers, (_CONSISTENT_THROUGH, through.encode())]
            await send(message)

        await self.app(scope, receive, send_with_header)

    async def _through(self) -> str:
        # A light database read (api.deps.run's rule, without the app's services).
        if is_sqlite(self.engine):
            return self._read()
        return await run_in_threadpool(self._read)

    def _read(self) -> str:
        with self.engine.connect() as conn:
            return log.consistent_through(conn)


_CONSISTENT_THROUGH = b"x-experience-api-consistent-through"


# Every answer: never guess a type other than the one sent (a JSON or text document
# sniffed as HTML would run), never leak the request URL (it holds agents and
# registrations) to the next site, never be framed (clickjacking of /docs).
_EVERYWHERE = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# Answers of the API, documents above all: they come back with the type they were
# stored with (Communication 1.5), HTML included. Loaded or navigated to, such an
# answer may load nothing and run nothing, and sits in a unique opaque origin.
_API = (*_EVERYWHERE, (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; sandbox"))
# The pages this server renders itself (the dashboard, the Swagger UI at /docs) load
# every script, style and image from this origin and talk to it alone: no inline
# script, no eval, no other site, no plugin, no framing, no <base> rewrite, no form
# sent anywhere. Swagger UI sets style attributes from React: its page allows
# inline styles (never scripts); the dashboard does not need even that.
_SAME_ORIGIN = (
    b"default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    b"font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_DASHBOARD = (*_EVERYWHERE, (b"content-security-policy", _SAME_ORIGIN + b"; style-src 'self'"))
_DOCS = (
    *_EVERYWHERE,
    (b"content-security-policy", _SAME_ORIGIN + b"; style-src 'self' 'unsafe-inline'"),
)


class SecurityHeaders:
    """Adds the headers above to every answer: outermost, so errors, CORS preflights
    and the 500 of ``CatchAll`` carry them too. Nothing is parsed per request.

    ``pages`` are the paths (exact, or a prefix ending in "/") of the Swagger UI and
    its assets; ``dashboard`` the dashboard's prefix."""

    def __init__(self, app: ASGIApp, pages: Iterable[str | None], dashboard: str = "/dashboard") -> None:
        self.app = app
        self.pages = frozenset(path for path in pages if path)
        self.page_prefixes = tuple(path for path in self.pages if path.endswith("/"))
        self.dashboard = dashboard

    def _headers(self, path: str) -> tuple[tuple[bytes, bytes], ...]:
        if path == self.dashboard or path.startswith(self.dashboard + "/"):
            return _DASHBOARD
        if path in self.pages or path.startswith(self.page_prefixes):
            return _DOCS
        return _API

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
