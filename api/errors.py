"""The one place where errors become HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from lrs import errors

logger = logging.getLogger("lrs.api")

STATUS: dict[type[errors.LrsError], int] = {
    errors.BadRequest: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    errors.TooManyRequests: 429,
    errors.Unavailable: 503,
    errors.LogIntegrityError: 500,
}


def status_of(exc: errors.LrsError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if details:
        body.update(details)
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


# RFC 7235 4.1: a 401 carries a challenge. A browser answers a Basic one with a login
# prompt: content in a page can neither see nor dismiss it, its request waits on it,
# and whatever someone types there the browser keeps and attaches to later requests
# to this site, forged ones included. Browsers prompt only for the schemes they
# implement (Basic, Digest, NTLM, Negotiate) and hand any other 401 to the page's
# code; "xBasic", with Basic's parameters, still tells a developer what to send.
PAGE_SCHEME = "xBasic"


def from_page(scope: Scope) -> bool:
    """Sent for content in a web page: browsers send Origin on every cross-origin
    request and every request that is neither GET nor HEAD (Fetch standard, "append
    a request Origin header"), and the alternate request syntax exists for pages
    (xAPI 1.0.3 Communication 1.3) whose browser may send no Origin."""
    if scope.get("state", {}).get("alternate_syntax"):
        return True
    return any(name == b"origin" for name, _ in scope["headers"])


def challenge(exc: errors.Unauthorized, scope: Scope | None) -> str:
    scheme, _, params = exc.challenge.partition(" ")
    if scheme == "Basic" and scope is not None and from_page(scope):
        return f"{PAGE_SCHEME} {params}"
    return exc.challenge


def lrs_error_response(exc: errors.LrsError, scope: Scope | None = None) -> Response:
    """The answer to an LRS error; ``scope`` (the request) picks the 401 challenge."""
    headers: dict[str, str] = {}
    if isinstance(exc, errors.Unauthorized):
        headers["WWW-Authenticate"] = challenge(exc, scope)
    if isinstance(exc, errors.TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status_of(exc), exc.code, exc.message, exc.details(), headers)


async def _lrs_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.LrsError)
    if isinstance(exc, errors.TooManyRequests):
        request.app.state.services.metrics.refusals.inc()
    return lrs_error_response(exc, request.scope)


async def _validation_error(_: Request, exc: Exception) -> Response:
    # FastAPI would answer 422 with its validator objects; xAPI wants 400 and a
    # message, with nothing in the body that is not plain JSON.
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": ".".join(str(p) for p in e.get("loc", ())), "rule": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"path": "", "rule": "invalid request"}
    return error_response(400, "bad_request", f"{first['path']}: {first['rule']}", {"problems": problems})


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        headers=dict(exc.headers or {}),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.LrsError, _lrs_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
