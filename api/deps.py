"""Request-scoped helpers the routers share: app services, version, auth, body."""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.observe import Metrics
from lrs.config import Settings
from lrs.credentials import Credential, CredentialVerifier, NeedsHashCheck, store_exists
from lrs.db import is_sqlite
from lrs.errors import BadRequest, Forbidden, PayloadTooLarge, Unauthorized
from lrs.ratelimit import RateLimiter
from lrs.reads import Reads
from lrs.tokens import TokenVerifier
from lrs.writer import GroupWriter
from lrs.xapi.versions import V2
from projections.service import ViewService


@dataclass
class Services:
    """What the app holds for its lifetime (built once by ``create_app``)."""

    settings: Settings
    engine: Engine
    verifier: CredentialVerifier
    tokens: TokenVerifier
    limiter: RateLimiter
    views: ViewService
    writer: GroupWriter
    # Statement, Activity and Agent reads: on the read replica when there is one.
    reads: Reads
    metrics: Metrics = field(default_factory=Metrics)
    # Values /metrics reads from the database when scraped (set by create_app).
    database_readings: Any = None
    # The forwarder thread of `lrs serve` (None when the projector worker forwards).
    forwarder: Any = None
    # Stores are never removed, so one that exists stays known.
    known_stores: set[str] = field(default_factory=set)
    _hash_checks: weakref.WeakKeyDictionary[Any, tuple[CapacityLimiter, CapacityLimiter]] = field(
        default_factory=weakref.WeakKeyDictionary, repr=False
    )

    def hash_checks(self, suspect: bool) -> CapacityLimiter:
        """Threads for requests that may need an argon2 check, which is CPU-bound and
        takes 64 MiB: all cores but one (left to the event loop and the proven
        requests), and one more for suspect checks (FailedLogins.checking), so that
        guesses queue behind guesses. A request waits for a thread without holding
        one, which leaves the shared pool to everything else.

        A limiter belongs to the event loop it was made in: a request served by
        another loop (a test client that was not entered runs each request in a loop
        of its own) waiting on it would never be woken. So there is one pair per
        running loop; a server has one.
        """
        loop = asyncio.get_running_loop()
        pair = self._hash_checks.get(loop)
        if pair is None:
            pair = (CapacityLimiter(max(1, (os.cpu_count() or 1) - 1)), CapacityLimiter(1))
            self._hash_checks[loop] = pair
        return pair[1 if suspect else 0]

    @property
    def embedded_database(self) -> bool:
        """SQLite: reads are local file lookups, not network round trips."""
        return is_sqlite(self.engine)

    def store_known(self, store_id: str) -> bool:
        if store_id not in self.known_stores and store_exists(self.engine, store_id):
            self.known_stores.add(store_id)
        return store_id in self.known_stores


T = TypeVar("T")


async def run(app: Services, fn: Callable[..., T], *args: Any, heavy: bool = False,
              database: bool = True) -> T:
    """Where work runs, decided here and nowhere else: on the event loop, or on a
    worker thread.

    - ``heavy`` work (a large body to parse and validate, a document merge, bytes of
      attachments, a replay or a wait for a view) takes a worker thread: it would
      stall every other request on the loop.
    - Light work that reads an embedded database (SQLite) stays on the loop. Python's
      sqlite3 lets go of the GIL at every step of a query; with the loop and worker
      threads all wanting it back, each step could wait out another thread's switch
      interval: in the thread pool, the query mix of the benchmark served half the
      requests per second at twice the CPU per request.
    - Light work that reads a network database takes a thread: the round trip must
      not stall the loop.
    - Light work that reads no database (``database=False``) stays on the loop: the
      hop to a thread would cost more than the work.

    Statement and document writes join the group commit (lrs.writer) without holding
    a thread; argon2 checks have threads of their own (``authenticating``).
    """
    if not heavy and (not database or app.embedded_database):
        return fn(*args)
    return await run_in_threadpool(fn, *args)


async def authenticating(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn``, which authenticates the request, in a worker thread: a thread of
    the shared pool when the cache has proven the request's secret, otherwise one of
    the argon2 threads (``Services.hash_checks``). A request with a proven secret so
    never waits behind checks of other secrets, wrong ones above all."""
    app = services(request)
    key = _unproven_key(request)
    if key is None:
        return await anyio.to_thread.run_sync(lambda: fn(*args))
    with app.verifier.failures.checking(key, _address(request)) as suspect:
        return await anyio.to_thread.run_sync(lambda: fn(*args), limiter=app.hash_checks(suspect))


def _unproven_key(request: Request) -> str | None:
    """The key of Basic credentials whose secret the verifier's cache does not vouch
    for (answering may take an argon2 check); memory only: no database, no thread."""
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, secret = _basic_pair(value)
        services(request).verifier.proven(key, secret)
    except Unauthorized:
        return None  # malformed: refused without a check
    except NeedsHashCheck:
        return key
    return None


def _address(request: Request) -> str:
    # The peer of the connection, or what X-Forwarded-For says behind a proxy listed
    # in LRS_TRUSTED_PROXIES (uvicorn rewrites it for those only, see `lrs serve`).
    return request.client.host if request.client else ""


def services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def xapi_version(request: Request) -> str:
    version: str = request.scope.get("state", {}).get("xapi_version", V2)
    return version


def authenticate(request: Request, *, quick_only: bool = False) -> Credential:
    """``identify``, then the credential's rate limit."""
    credential = identify(request, quick_only=quick_only)
    services(request).limiter.check(credential.id)
    return credential


def identify(request: Request, *, quick_only: bool = False) -> Credential:
    """HTTP Basic against the credentials table (Communication 4.0), or a Bearer JWT
    from the configured OpenID Connect issuer.

    ``quick_only`` (for callers on the event loop) raises NeedsHashCheck instead of
    doing slow work: an argon2 check, or a token whose keys may need fetching.
    """
    app = services(request)
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("credentials are required (HTTP Basic or a Bearer token)")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        credential = _basic(app, value, quick_only, _address(request))
    elif scheme.lower() == "bearer":
        if quick_only:
            raise NeedsHashCheck("bearer")
        credential = app.tokens.verify(value.strip())
        if not app.store_known(credential.store_id):
            raise Unauthorized(f"the token names store {credential.store_id!r}, which does not exist")
    else:
        raise Unauthorized(f"authorization scheme {scheme!r} is not supported; use Basic or Bearer")
    return credential


def _proven_basic(request: Request) -> tuple[Credential, str]:
    """Basic credentials proven by the verifier's cache alone, and the secret hash to
    confirm in the write transaction (CredentialVerifier.proven). NeedsHashCheck
    when the cache cannot tell, or for Bearer tokens."""
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        raise NeedsHashCheck(scheme)
    key, secret = _basic_pair(value)
    return services(request).verifier.proven(key, secret)


async def writing_credential(request: Request) -> tuple[Credential, str | None]:
    """The credential of a statement write, rate limited once, and the secret hash to
    confirm in the write transaction when only the cache vouched for it (no database
    read on the way: lrs.statements.write_requests confirms it under the log's lock).
    """
    try:
        credential, proof = _proven_basic(request)
    except NeedsHashCheck:
        credential, proof = await _identified(request), None
    services(request).limiter.check(credential.id)
    return credential, proof


async def confirm(request: Request) -> None:
    """Check the request's credential against the database (401 if it was revoked
    or rotated since its secret was proven), not counting against its rate."""
    await _identified(request)


def _basic_pair(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed Basic credentials") from None
    key, sep, secret = decoded.partition(":")
    if not sep:
        raise Unauthorized("malformed Basic credentials")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        # RFC 7617 2: no control characters in a user-id. No key has one (keys are
        # printable), and PostgreSQL could not even look up one with NUL.
        raise Unauthorized("malformed Basic credentials: the key contains a control character")
    return key, secret


def _basic(app: Services, value: str, quick_only: bool, address: str) -> Credential:
    key, secret = _basic_pair(value)
    credential = app.verifier.verify(key, secret, quick_only=quick_only, address=address)
    if credential is None:
        raise Unauthorized("unknown key or wrong secret")
    return credential


def require(credential: Credential, *scopes: str) -> None:
    if not credential.allows(*scopes):
        raise Forbidden(f"this credential lacks the scope for this request ({' or '.join(scopes)})")


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The whole body, refused with 413 past ``limit`` (default: the configured body
    limit) (Comm. 3.2.s3.b11)."""
    limit = limit or services(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest("Content-Length must be a number")
        if int(declared) > limit:
            raise PayloadTooLarge(f"request body of {declared} bytes exceeds the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


# FastAPI runs a plain-function dependency in the thread pool: for these two, which
# only read the request, that hop would cost far more than the work.
async def _services_dependency(request: Request) -> Services:
    return services(request)


async def _version_dependency(request: Request) -> str:
    return xapi_version(request)


App = Annotated[Services, Depends(_services_dependency)]
Version = Annotated[str, Depends(_version_dependency)]


async def _identified(request: Request) -> Credential:
    # On SQLite the credential row is a local page lookup, cheaper than a hop to a
    # worker thread (see ``run``); argon2 checks, token keys and network databases
    # take the hop.
    if services(request).embedded_database:
        try:
            return identify(request, quick_only=True)
        except NeedsHashCheck:
            pass
    return await authenticating(request, identify, request)


async def _authenticated(request: Request) -> Credential:
    credential = await _identified(request)
    services(request).limiter.check(credential.id)
    return credential


Auth = Annotated[Credential, Depends(_authenticated)]
