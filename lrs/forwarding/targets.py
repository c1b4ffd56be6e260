"""Forwarding targets: configured, paused, resumed and removed as events in the log.

Events (stream ``forwarding:<id>`` of the target's store), payloads without secrets:

- ``lrs.forwarding.target.added``: the target as configured, the secret replaced by
  its fingerprint;
- ``lrs.forwarding.target.paused`` (with the reason: an operator, or the forwarder
  when the target kept failing), ``lrs.forwarding.target.resumed``;
- ``lrs.forwarding.target.removed``.

``forwarding_targets`` holds each target's current state and its secret (a webhook's
signing key, a target LRS's password or token), written in the same transaction.
The forwarder needs the secret itself to sign or to authenticate, so it cannot
keep a hash: with LRS_FORWARDING_KEY set the secret is sealed (AES-256-GCM,
lrs.forwarding.sealing) and the database alone does not give it away; the log,
which is exported and verified, only ever holds the fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, select, update

from lrs import log
from lrs.db import WRITE
from lrs.errors import Conflict, Forbidden, NotFound
from lrs.events import DEFAULT_STORE, NewEvent, dumps
from lrs.forwarding import filters, sealing, urls
from lrs.forwarding.errors import InvalidTarget
from lrs.schema import forwarding_status, forwarding_targets, stores

TARGET_ADDED = "lrs.forwarding.target.added"
TARGET_PAUSED = "lrs.forwarding.target.paused"
TARGET_RESUMED = "lrs.forwarding.target.resumed"
TARGET_REMOVED = "lrs.forwarding.target.removed"

KINDS = ("lrs", "webhook")
XAPI_VERSIONS = ("1.0.3", "2.0.0")
# Short enough that "fw:<id>:<position>" fits a checkpoint name (64 characters).
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}$"
_KNOWN = {"id", "kind", "url", "auth", "xapiVersion", "filter", "secret", "from", "store", "views"}


@dataclass(frozen=True)
class Target:
    """A target as the forwarder sees it (secret included)."""

    id: str
    store_id: str
    kind: str
    url: str
    xapi_version: str
    auth_type: str | None  # "basic", "bearer" or None (lrs); None (webhook)
    username: str | None
    secret: str | None
    filter: filters.Filter
    start: int  # events at or before this position are not for this target
    added_at: int  # position of the added event: names this incarnation's checkpoint
    paused: bool
    paused_reason: str | None
    # Webhooks: the views whose changes they get (projections.feeds), by name.
    views: tuple[tuple[str, filters.ViewFilter], ...] = ()
    # Why ``secret`` is None although the target has one (sealed with a key that
    # is not configured): delivery waits and reports it instead of sending.
    secret_error: str | None = None

    @property
    def consumer_name(self) -> str:
        return f"fw:{self.id}:{self.added_at}"

    @property
    def statements_url(self) -> str:
        return self.url.rstrip("/") + "/statements"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A short write transaction that takes SQLite's write lock at BEGIN (as the
    log's writers do): upgrading a read transaction to a write one while another
    thread writes fails at once with "database is locked" instead of waiting."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


def fingerprint(secret: str) -> str:
    return hashlib.sha256(b"lrs-forwarding-secret:" + secret.encode()).hexdigest()[:16]


def _text(value: Any, path: str, *, minimum: int = 1, maximum: int = 2048) -> str:
    if not isinstance(value, str) or not (minimum <= len(value) <= maximum):
        raise InvalidTarget(path, f"must be a string of {minimum} to {maximum} characters")
    if "\x00" in value:
        raise InvalidTarget(path, "must not contain the NUL character")
    return value


def _parse_auth(value: Any) -> tuple[str, str | None, str]:
    """(type, username, secret) from {"basic": [key, secret]} or {"bearer": token}."""
    if not isinstance(value, dict) or len(value) != 1:
        raise InvalidTarget("auth", 'must be {"basic": [KEY, SECRET]} or {"bearer": TOKEN}')
    if "basic" in value:
        pair = value["basic"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidTarget("auth.basic", "must be [KEY, SECRET]")
        key = _text(pair[0], "auth.basic[0]", maximum=255)
        if ":" in key:
            raise InvalidTarget("auth.basic[0]", "must not contain ':' (RFC 7617)")
        return "basic", key, _text(pair[1], "auth.basic[1]", maximum=1024)
    if "bearer" in value:
        return "bearer", None, _text(value["bearer"], "auth.bearer", maximum=8192)
    raise InvalidTarget(f"auth.{next(iter(value))}", "is not an auth kind (basic or bearer)")


def add(
    engine: Engine,
    body: Any,
    *,
    store_id: str,
    allow_private: bool,
    actor: str = "system",
    views: frozenset[str] | None = None,
    sealer: sealing.Sealer | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Record a new target; returns its public form and a generated webhook secret
    (shown once), or None when the caller gave one. ``views``: the names of the views
    with a change feed a webhook may subscribe to; ``sealer``: seals the secret at
    rest (LRS_FORWARDING_KEY; None keeps it as given)."""
    if not isinstance(body, dict):
        raise InvalidTarget("", "the body must be a JSON object")
    unknown = sorted(set(body) - _KNOWN)
    if unknown:
        raise InvalidTarget(unknown[0], f"is not a target property (known: {', '.join(sorted(_KNOWN))})")
    target_id = _text(body.get("id"), "id", maximum=40)
    if not re.match(ID_PATTERN, target_id):
        raise InvalidTarget("id", "must be 1-40 lowercase letters, digits, '.', '-' or '_'")
    kind = body.get("kind")
    if kind not in KINDS:
        raise InvalidTarget("kind", "must be lrs or webhook")
    url = urls.check(_text(body.get("url"), "url"), allow_private=allow_private)
    target_store = body.get("store", store_id)
    if target_store != store_id and store_id != DEFAULT_STORE:
        raise Forbidden("an admin credential configures targets of its own store only")
    the_filter = body.get("filter")
    parsed = filters.parse(the_filter)
    if parsed.stores is not None and store_id != DEFAULT_STORE:
        raise Forbidden("filter.stores is for admins of the default store")
    start = body.get("from", "start" if kind == "lrs" else "now")
    if start not in ("start", "now"):
        raise InvalidTarget("from", "must be start (the whole log) or now (new events only)")
    config: dict[str, Any] = {"id": target_id, "kind": kind, "url": url, "store": target_store,
                              "filter": the_filter or {}, "from": start}
    generated = None
    if kind == "lrs":
        for name in ("secret", "views"):
            if name in body:
                raise InvalidTarget(name, "is for webhooks; an LRS target takes auth")
        version = body.get("xapiVersion", "1.0.3")
        if version not in XAPI_VERSIONS:
            raise InvalidTarget("xapiVersion", f"must be one of {', '.join(XAPI_VERSIONS)}")
        auth_type, username, secret = _parse_auth(body.get("auth"))
        config["xapiVersion"] = version
        config["auth"] = {"type": auth_type, **({"key": username} if username else {})}
    else:
        if "views" in body:
            filters.parse_views(body["views"], views)
            config["views"] = body["views"]
        for name in ("auth", "xapiVersion"):
            if name in body:
                raise InvalidTarget(name, "is for LRS targets; a webhook takes secret")
        if "secret" in body:
            secret = _text(body["secret"], "secret", minimum=16, maximum=1024)
        else:
            secret = generated = secrets.token_urlsafe(32)
    config["secretFingerprint"] = fingerprint(secret)
    with log.writing(engine) as writer:
        conn = writer.conn
        if not conn.execute(select(stores.c.id).where(stores.c.id == target_store)).first():
            raise NotFound(f"store {target_store!r} does not exist")
        if conn.execute(select(forwarding_targets.c.id).where(forwarding_targets.c.id == target_id)).first():
            raise Conflict(f"a forwarding target {target_id!r} already exists")
        (event,) = writer.append(target_store, [_event(TARGET_ADDED, target_id, config, actor)])
        stored = {**config, "addedAt": event.position,
                  "start": event.position if start == "now" else 0}
        conn.execute(
            forwarding_targets.insert().values(
                id=target_id, store_id=target_store, kind=kind, config=dumps(stored),
                secret=sealing.seal(sealer, secret, target_id), paused=False, paused_reason=None,
                created_at=event.recorded_at, updated_at=event.recorded_at,
            )
        )
        conn.execute(delete(forwarding_status).where(forwarding_status.c.target_id == target_id))
        conn.execute(forwarding_status.insert().values(target_id=target_id, retries=0, delivered=0, rejected=0))
    return get(engine, target_id), generated


def _event(kind: str, target_id: str, data: dict[str, Any], actor: str) -> NewEvent:
    return NewEvent(
        kind, f"forwarding:{target_id}", f"forwarding:{target_id}:{uuid.uuid4()}",
        dumps(data), dumps({"actor": actor}),
    )


def _public(row: Any) -> dict[str, Any]:
    config = orjson.loads(row.config)
    out = {k: v for k, v in config.items() if k not in ("start",)}
    out.update(paused=bool(row.paused), pausedReason=row.paused_reason, createdAt=row.created_at,
               updatedAt=row.updated_at)
    return out


def list_targets(engine: Engine, store_id: str | None = None) -> list[dict[str, Any]]:
    query = select(forwarding_targets).order_by(forwarding_targets.c.id)
    if store_id is not None:
        query = query.where(forwarding_targets.c.store_id == store_id)
    with engine.connect() as conn:
        return [_public(row) for row in conn.execute(query)]


def _row(conn: Any, target_id: str) -> Any:
    row = conn.execute(select(forwarding_targets).where(forwarding_targets.c.id == target_id)).first()
    if row is None:
        raise NotFound(f"no forwarding target {target_id!r}")
    return row


def store_of(engine: Engine, target_id: str) -> str:
    with engine.connect() as conn:
        return str(_row(conn, target_id).store_id)


def get(engine: Engine, target_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return _public(_row(conn, target_id))


def _change(engine: Engine, target_id: str, kind: str, data: dict[str, Any], actor: str,
            **values: Any) -> bool:
    with log.writing(engine) as writer:
        row = _row(writer.conn, target_id)
        if "paused" in values and bool(row.paused) == values["paused"]:
            return False  # already so: nothing to record
        (event,) = writer.append(row.store_id, [_event(kind, target_id, {"id": target_id, **data}, actor)])
        writer.conn.execute(
            update(forwarding_targets).where(forwarding_targets.c.id == target_id)
            .values(updated_at=event.recorded_at, **values)
        )
    return True


def pause(engine: Engine, target_id: str, reason: str, *, actor: str = "system") -> bool:
    reason = reason[:1000] or "paused by an operator"
    return _change(engine, target_id, TARGET_PAUSED, {"reason": reason}, actor,
                   paused=True, paused_reason=reason)


def resume(engine: Engine, target_id: str, *, actor: str = "system") -> bool:
    resumed = _change(engine, target_id, TARGET_RESUMED, {}, actor, paused=False, paused_reason=None)
    if resumed:
        # A fresh start: the next attempt is now, and the failure clock restarts.
        with write_transaction(engine) as conn:
            conn.execute(update(forwarding_status).where(forwarding_status.c.target_id == target_id)
                         .values(retries=0, next_attempt_at=None, failing_since=None))
    return resumed


def remove(engine: Engine, target_id: str, *, actor: str = "system") -> None:
    with log.writing(engine) as writer:
        row = _row(writer.conn, target_id)
        writer.append(row.store_id, [_event(TARGET_REMOVED, target_id, {"id": target_id}, actor)])
        writer.conn.execute(delete(forwarding_targets).where(forwarding_targets.c.id == target_id))
        writer.conn.execute(delete(forwarding_status).where(forwarding_status.c.target_id == target_id))


def rekey(engine: Engine, sealer: sealing.Sealer) -> tuple[int, list[str]]:
    """Seal every target's secret with the sealer's first key (after a rotation, or
    to seal secrets stored before a key was set): (how many were sealed anew, the
    ids whose secret no configured key opens, left as they are)."""
    resealed, unreadable = 0, []
    with write_transaction(engine) as conn:
        rows = conn.execute(select(forwarding_targets.c.id, forwarding_targets.c.secret)
                            .where(forwarding_targets.c.secret.is_not(None))).all()
        for row in rows:
            if row.secret.startswith(f"{sealing.PREFIX}{sealer.current}:"):
                continue
            try:
                secret = sealer.open(row.secret, row.id)
            except sealing.Unreadable:
                unreadable.append(row.id)
                continue
            conn.execute(update(forwarding_targets).where(forwarding_targets.c.id == row.id)
                         .values(secret=sealer.seal(secret, row.id)))
            resealed += 1
    return resealed, unreadable


def load(engine: Engine, sealer: sealing.Sealer | None = None) -> list[Target]:
    """Every target with its secret (opened with ``sealer``), for the forwarder."""
    with engine.connect() as conn:
        rows = conn.execute(select(forwarding_targets).order_by(forwarding_targets.c.id)).all()
    out = []
    for row in rows:
        config = orjson.loads(row.config)
        the_filter = filters.parse(config.get("filter") or None)
        if the_filter.stores is None:
            # Without filter.stores, a target gets its own store's statements only.
            the_filter = filters.Filter(
                the_filter.verbs, the_filter.activities, the_filter.descendants,
                the_filter.agents, frozenset({row.store_id}), the_filter.statements,
            )
        auth = config.get("auth") or {}
        secret, secret_error = row.secret, None
        if secret is not None:
            try:
                secret = sealing.open_(sealer, secret, row.id)
            except sealing.Unreadable as exc:
                secret, secret_error = None, f"the target's secret cannot be read: {exc}"
        out.append(Target(
            id=row.id, store_id=row.store_id, kind=row.kind, url=config["url"],
            xapi_version=config.get("xapiVersion", "2.0.0"), auth_type=auth.get("type"),
            username=auth.get("key"), secret=secret, secret_error=secret_error, filter=the_filter,
            start=int(config.get("start", 0)), added_at=int(config["addedAt"]),
            paused=bool(row.paused), paused_reason=row.paused_reason,
            views=tuple(sorted(filters.parse_views(config.get("views")).items())),
        ))
    return out
