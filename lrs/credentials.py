"""Stores (tenants) and key/secret credentials.

Secrets are kept as argon2id hashes in the ``credentials`` table; the log records
every change with a fingerprint of the hash, never the secret or the hash itself.
Verification is slow on purpose, so verified pairs are cached in memory keyed by
the key and a SHA-256 of the secret, compared in constant time.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, select, update

from lrs import log
from lrs.db import fetch_one
from lrs.errors import BadRequest, Conflict, NotFound
from lrs.events import (
    CREDENTIAL_CREATED,
    CREDENTIAL_REVOKED,
    CREDENTIAL_ROTATED,
    DEFAULT_STORE,
    STORE_CREATED,
    NewEvent,
    dumps,
)
from lrs.ratelimit import FailedLogins
from lrs.schema import credentials, stores

# xAPI Communication 4.2 scopes, plus "admin" for managing the store itself.
SCOPES = (
    "statements/write",
    "statements/read",
    "statements/read/mine",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
    "admin",
    # The competency view (projections.competency): the whole store, one's own agent
    # only, and its configuration (frameworks, alignments, roles, teams).
    "competency/read",
    "competency/read/mine",
    "competency/admin",
    # Person-level social analytics (the graph), in a store running identified mode.
    "views/social/identified",
)
FULL_RIGHTS = ("all", "admin")
# Store ids appear in URLs, logs and file names: a short lowercase slug.
STORE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class Credential:
    id: str
    store_id: str
    key: str
    scopes: frozenset[str]
    authority: dict[str, Any]
    label: str

    def allows(self, *needed: str) -> bool:
        """True when any of ``needed`` is granted (``all`` grants everything xAPI)."""
        return bool(self.scopes & set(needed)) or ("all" in self.scopes and "admin" not in needed)


def _fingerprint(secret_hash: str) -> str:
    return hashlib.sha256(secret_hash.encode()).hexdigest()[:16]


def default_authority(key: str, label: str, public_url: str) -> dict[str, Any]:
    """Data 2.4.9: an Agent identified by an account on this LRS."""
    return {
        "objectType": "Agent",
        "name": label or key,
        "account": {"homePage": public_url.rstrip("/"), "name": key},
    }


def _validate_scopes(scopes: tuple[str, ...]) -> frozenset[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise BadRequest(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if not scopes:
        raise BadRequest("a credential needs at least one scope")
    return frozenset(scopes)


def _validate_key(key: str) -> None:
    # HTTP Basic ends the key at the first ':' (RFC 7617), and the admin API names a
    # credential by its key in one path segment: a key with either could be created
    # but never used, or never revoked through the API.
    # '%' too: the admin API's path parameters are percent-decoded, so "%2541" and
    # "%41" could name the same credential.
    if ":" in key or "/" in key or "%" in key or not key.isprintable():
        raise BadRequest(f"key {key!r} must not contain ':', '/', '%' or control characters")


def _no_nul(name: str, value: str) -> None:
    # PostgreSQL text cannot hold NUL; refused on every backend alike.
    if "\x00" in value:
        raise BadRequest(f"{name} {value!r} must not contain the NUL character (U+0000)")


def store_exists(engine: Engine, store_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is not None


def create_store(engine: Engine, store_id: str, name: str = "", *, actor: str = "system") -> None:
    if not re.match(STORE_ID_PATTERN, store_id):
        raise BadRequest(
            f"store id {store_id!r} must be 1-64 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    _no_nul("name", name)
    with log.writing(engine) as writer:
        conn = writer.conn
        if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first():
            raise Conflict(f"store {store_id!r} already exists")
        (event,) = writer.append(
            store_id,
            [
                NewEvent(
                    STORE_CREATED,
                    "store",
                    f"store:{store_id}",
                    dumps({"id": store_id, "name": name or store_id}),
                    dumps({"actor": actor}),
                    expected_version=0,
                )
            ],
        )
        conn.execute(
            stores.insert().values(
                id=store_id, name=name or store_id, created_at=event.recorded_at
            )
        )


def ensure_default_store(engine: Engine) -> None:
    if not store_exists(engine, DEFAULT_STORE):
        with contextlib.suppress(Conflict):  # another process created it first
            create_store(engine, DEFAULT_STORE, "Default store")


def create_credential(
    engine: Engine,
    *,
    store_id: str = DEFAULT_STORE,
    scopes: tuple[str, ...] = FULL_RIGHTS,
    label: str = "",
    key: str | None = None,
    secret: str | None = None,
    authority: dict[str, Any] | None = None,
    public_url: str = "http://localhost",
    actor: str = "system",
) -> tuple[Credential, str]:
    """Create a credential; returns it with its secret (shown once, never stored)."""
    scope_set = _validate_scopes(scopes)
    key = key or secrets.token_hex(10)
    _validate_key(key)
    _no_nul("label", label)
    secret = secret or secrets.token_urlsafe(24)
    secret_hash = _hasher.hash(secret)
    authority = authority or default_authority(key, label, public_url)
    credential = Credential(
        id=str(uuid.uuid4()),
        store_id=store_id,
        key=key,
        scopes=scope_set,
        authority=authority,
        label=label,
    )
    with log.writing(engine) as writer:
        conn = writer.conn
        if not conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first():
            raise NotFound(f"store {store_id!r} does not exist")
        if conn.execute(select(credentials.c.id).where(credentials.c.key == key)).first():
            raise Conflict(f"a credential with key {key!r} already exists")
        (event,) = writer.append(
            store_id,
            [
                NewEvent(
                    CREDENTIAL_CREATED,
                    f"credential:{credential.id}",
                    f"credential:{credential.id}:created",
                    dumps(
                        {
                            "id": credential.id,
                            "key": key,
                            "scopes": sorted(scope_set),
                            "authority": authority,
                            "label": label,
                            "secret_fingerprint": _fingerprint(secret_hash),
                        }
                    ),
                    dumps({"actor": actor}),
                    expected_version=0,
                )
            ],
        )
        conn.execute(
            credentials.insert().values(
                id=credential.id,
                store_id=store_id,
                key=key,
                secret_hash=secret_hash,
                scopes=dumps(sorted(scope_set)),
                authority=dumps(authority),
                label=label,
                created_at=event.recorded_at,
                revoked_at=None,
            )
        )
    return credential, secret


def list_stores(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            {"id": row.id, "name": row.name, "created_at": row.created_at}
            for row in conn.execute(select(stores).order_by(stores.c.created_at, stores.c.id))
        ]


def store_of(engine: Engine, key: str) -> str:
    """The store a credential belongs to (NotFound for an unknown key)."""
    _no_nul("key", key)
    with engine.connect() as conn:
        row = conn.execute(select(credentials.c.store_id).where(credentials.c.key == key)).first()
    if row is None:
        raise NotFound(f"no credential with key {key!r}")
    return str(row.store_id)


def rotate(engine: Engine, key: str, secret: str | None = None, *, actor: str = "system") -> str:
    """Give a credential a new secret (random unless given) and return it, once."""
    new_secret = secret or secrets.token_urlsafe(24)
    set_secret(engine, key, new_secret, actor=actor)
    return new_secret


def set_secret(engine: Engine, key: str, secret: str, *, actor: str = "system") -> None:
    """Replace a credential's secret (rotation); the old secret stops working at once."""
    _no_nul("key", key)
    secret_hash = _hasher.hash(secret)
    with log.writing(engine) as writer:
        row = writer.conn.execute(
            select(credentials.c.id, credentials.c.store_id, credentials.c.revoked_at).where(credentials.c.key == key)
        ).first()
        if row is None:
            raise NotFound(f"no credential with key {key!r}")
        if row.revoked_at is not None:
            raise Conflict(f"credential {key!r} is revoked: create a new one instead")
        writer.append(
            row.store_id,
            [
                NewEvent(
                    CREDENTIAL_ROTATED,
                    f"credential:{row.id}",
                    f"credential:{row.id}:rotated:{uuid.uuid4()}",
                    dumps({"id": row.id, "secret_fingerprint": _fingerprint(secret_hash)}),
                    dumps({"actor": actor}),
                )
            ],
        )
        writer.conn.execute(
            update(credentials).where(credentials.c.id == row.id).values(secret_hash=secret_hash)
        )


def revoke(engine: Engine, key: str, *, actor: str = "system") -> None:
    _no_nul("key", key)
    with log.writing(engine) as writer:
        row = writer.conn.execute(
            select(credentials.c.id, credentials.c.store_id, credentials.c.revoked_at).where(
                credentials.c.key == key
            )
        ).first()
        if row is None:
            raise NotFound(f"no credential with key {key!r}")
        if row.revoked_at is not None:
            return
        (event,) = writer.append(
            row.store_id,
            [
                NewEvent(
                    CREDENTIAL_REVOKED,
                    f"credential:{row.id}",
                    f"credential:{row.id}:revoked",
                    dumps({"id": row.id}),
                    dumps({"actor": actor}),
                )
            ],
        )
        writer.conn.execute(
            update(credentials)
            .where(credentials.c.id == row.id)
            .values(revoked_at=event.recorded_at)
        )


def count_credentials(engine: Engine, store_id: str) -> int:
    with engine.connect() as conn:
        return len(
            conn.execute(
                select(credentials.c.id).where(
                    credentials.c.store_id == store_id, credentials.c.revoked_at.is_(None)
                )
            ).all()
        )


def _row_to_credential(row: Any) -> Credential:
    return Credential(
        id=row.id,
        store_id=row.store_id,
        key=row.key,
        scopes=frozenset(orjson.loads(row.scopes)),
        authority=orjson.loads(row.authority),
        label=row.label,
    )


def list_credentials(engine: Engine, store_id: str | None = None) -> list[dict[str, Any]]:
    query = select(credentials).order_by(credentials.c.created_at)
    if store_id is not None:
        query = query.where(credentials.c.store_id == store_id)
    with engine.connect() as conn:
        return [
            {
                "id": row.id,
                "store": row.store_id,
                "key": row.key,
                "scopes": orjson.loads(row.scopes),
                "label": row.label,
                "created_at": row.created_at,
                "revoked_at": row.revoked_at,
            }
            for row in conn.execute(query)
        ]


# Every request runs this lookup: it goes straight to a pooled DBAPI cursor, which
# costs a tenth of a SQLAlchemy connection, transaction and statement around it.
_CREDENTIAL_SQL = (
    "SELECT id, store_id, key, secret_hash, scopes, authority, label, revoked_at "
    "FROM credentials WHERE key = ?"
)


class NeedsHashCheck(Exception):
    """A quick-only verification met a secret that only argon2 can judge.

    An argon2 check takes tens of milliseconds and 64 MiB: callers on an event loop
    hand such a request to a worker thread instead of stalling every other request.
    """


class CredentialVerifier:
    """Checks Basic credentials against argon2 hashes, without paying argon2 twice.

    ``verify`` reads the credential's row (one indexed lookup), so a revoked or
    rotated credential takes effect on the next request, in every process. What is
    cached is only the proof that a secret matched a given hash: (SHA-256 of the
    secret, the hash it matched), compared in constant time.

    ``proven`` answers from that proof alone, for statement writes: the write
    transaction then confirms, under the log's lock, that the row still holds that
    hash and is not revoked (``live_secret_hashes``), which is as strict as reading
    the row first and saves the request a database round trip.

    Every secret the proof does not vouch for is a guess until argon2 says otherwise:
    ``failures`` limits those per key and per client address (Communication 4.1), and
    a secret that matches the proof never waits for them, nor for their checks.
    """

    def __init__(
        self, engine: Engine, ttl: float = 300.0, failures: FailedLogins | None = None
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.failures = failures or FailedLogins(0, 0, 60.0)
        # key -> (SHA-256 of the secret, the hash it matched, expiry, the credential)
        self._cache: dict[str, tuple[bytes, str, float, Credential]] = {}
        self._lock = threading.Lock()
        # Checks in progress by (key, SHA-256 of the secret, hash): concurrent requests
        # with the same secret share one argon2 check (64 MiB, tens of milliseconds)
        # instead of each running it; different secrets never wait for each other.
        self._flights: dict[tuple[str, bytes, str], _Flight] = {}

    def _cached(self, key: str, digest: bytes, secret_hash: str) -> bool | None:
        """True or False when the cache can answer for this hash, None when it cannot."""
        cached = self._cache.get(key)
        if cached is None or cached[1] != secret_hash or cached[2] <= time.monotonic():
            return None
        return hmac.compare_digest(digest, cached[0])

    def verify(
        self, key: str, secret: str, *, quick_only: bool = False, address: str = ""
    ) -> Credential | None:
        """The credential, or None for an unknown key, a wrong secret or a revoked key.

        ``quick_only`` raises NeedsHashCheck where the answer needs argon2. ``address``
        is the client's, for the limit on failed logins (TooManyRequests beyond it).
        """
        digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
        row = fetch_one(self.engine, _CREDENTIAL_SQL, (key,))
        if row is not None and row.revoked_at is not None:
            return None
        known = None if row is None else self._cached(key, digest, row.secret_hash)
        if known:
            return _row_to_credential(row)
        if known is None and quick_only:
            # An unknown key costs a dummy argon2 check too (see below).
            raise NeedsHashCheck(key)
        # A guess, even when the proof of another secret already tells it is wrong:
        # the limit must hold before any answer is given.
        self.failures.reserve(key, address)
        if known is False:
            return None
        if row is None:
            # Spend the same effort as a real check, so timing does not reveal keys.
            self._check_once(key, digest, _DUMMY_HASH, secret)
            return None
        if not self._check_once(key, digest, row.secret_hash, secret):
            return None
        self.failures.succeeded(key, address)
        credential = _row_to_credential(row)
        with self._lock:
            self._cache[key] = (digest, row.secret_hash, time.monotonic() + self.ttl, credential)
        return credential

    def _check_once(self, key: str, digest: bytes, secret_hash: str, secret: str) -> bool:
        """argon2 for this secret, or the outcome of the same check already running."""
        flight_key = (key, digest, secret_hash)
        with self._lock:
            flight = self._flights.get(flight_key)
            leader = flight is None
            if flight is None:
                flight = self._flights[flight_key] = _Flight()
        if not leader:
            flight.done.wait()
            return flight.matched
        try:
            flight.matched = _verify_hash(secret_hash, secret)
        finally:
            with self._lock:
                del self._flights[flight_key]
            flight.done.set()
        return flight.matched

    def proven(self, key: str, secret: str) -> tuple[Credential, str]:
        """The credential and the hash its secret was proven against, from the cache.

        Raises NeedsHashCheck when there is no live proof for this very secret: the
        caller then takes ``verify``. The pair is only good for a write that confirms
        the hash in its transaction (``live_secret_hashes``).
        """
        cached = self._cache.get(key)
        if cached is None or cached[2] <= time.monotonic():
            raise NeedsHashCheck(key)
        digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
        if not hmac.compare_digest(digest, cached[0]):
            raise NeedsHashCheck(key)
        return cached[3], cached[1]


class _Flight:
    __slots__ = ("done", "matched")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.matched = False


def live_secret_hashes(conn: Connection, keys: Collection[str]) -> dict[str, str]:
    """key -> secret hash of those ``keys`` that are not revoked. Revocation and
    rotation append to the log, so inside a write transaction this is exact."""
    if not keys:
        return {}
    rows = conn.execute(
        select(credentials.c.key, credentials.c.secret_hash).where(
            credentials.c.key.in_(sorted(keys)), credentials.c.revoked_at.is_(None)
        )
    )
    return {key: secret_hash for key, secret_hash in rows}


def _verify_hash(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


# LRS_BOOTSTRAP_SECRET opens every store with every right, and it lives in
# environment variables that examples and compose files copy around: `lrs serve`
# refuses a weak one outside dev mode (README, "Settings").
MIN_BOOTSTRAP_SECRET_LENGTH = 16
_MIN_DISTINCT_CHARACTERS = 8
# Words of default and example passwords: a secret whose letters are only these is
# one an attacker tries first, however long ("change-me-change-me", "Admin2024Admin2024").
_DEFAULT_WORDS = re.compile(
    r"(?:change|me|admin|administrator|password|passwd|pass|secret|default|letmein"
    r"|welcome|qwerty|root|test|demo|lrs|xapi|bootstrap|key)+"
)
WEAK_SECRET_RULE = (
    f"a bootstrap secret needs at least {MIN_BOOTSTRAP_SECRET_LENGTH} characters, "
    f"{_MIN_DISTINCT_CHARACTERS} of them different, some letters, and must be neither the key "
    "nor made only of well-known default words (change-me, admin, password, secret...) "
    "with digits and punctuation"
)


def weak_secret(key: str, secret: str) -> str | None:
    """Why ``secret`` is too weak for the bootstrap credential ``key``, or None."""
    if len(secret) < MIN_BOOTSTRAP_SECRET_LENGTH:
        return f"it has {len(secret)} characters"
    if secret.casefold() == key.casefold():
        return "it is the key itself"
    if len(set(secret)) < _MIN_DISTINCT_CHARACTERS:
        return f"it has only {len(set(secret))} different characters"
    letters = "".join(char for char in secret.casefold() if char.isalpha())
    if not letters:
        return "it has no letters"
    if _DEFAULT_WORDS.fullmatch(letters):
        return "its letters only spell well-known default words"
    return None


@dataclass(frozen=True)
class Bootstrapped:
    """What ``bootstrap`` did that the operator should hear of."""

    # A demo credential created on first start: (key, secret), the secret shown once.
    demo: tuple[str, str] | None = None
    notice: str | None = None


def bootstrap(
    engine: Engine, *, key: str | None, secret: str | None, public_url: str
) -> Bootstrapped:
    """Default store, then the bootstrap credential or, on first start, a demo one.

    The bootstrap credential is only ever created: a credential that exists keeps its
    secret, whatever LRS_BOOTSTRAP_SECRET says. A secret that differs was rotated
    (through the API or the CLI), and a restart must not bring the old one back.
    """
    ensure_default_store(engine)
    if key and secret:
        with engine.connect() as conn:
            row = conn.execute(
                select(credentials.c.secret_hash, credentials.c.revoked_at).where(
                    credentials.c.key == key
                )
            ).first()
        if row is None:
            with contextlib.suppress(Conflict):  # another process created it first
                create_credential(
                    engine, key=key, secret=secret, label="bootstrap", public_url=public_url
                )
            return Bootstrapped()
        if row.revoked_at is not None:
            # Revocation is a deliberate act: the credential stays revoked.
            return Bootstrapped(notice=f"the bootstrap credential {key} is revoked and stays so")
        if not _verify_hash(row.secret_hash, secret):
            return Bootstrapped(
                notice=(
                    f"the bootstrap credential {key} keeps the secret it was rotated to: "
                    f"LRS_BOOTSTRAP_SECRET only creates it (`lrs credentials rotate {key}` "
                    "replaces it)"
                )
            )
        return Bootstrapped()
    if count_credentials(engine, DEFAULT_STORE) == 0:
        credential, new_secret = create_credential(
            engine, label="demo", public_url=public_url
        )
        return Bootstrapped(demo=(credential.key, new_secret))
    return Bootstrapped()
