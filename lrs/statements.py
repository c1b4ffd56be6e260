"""The Statements service: store (PUT/POST), get one, query (Communication 2.1).

A request is one transaction: validate and prepare outside the lock, then under
it check ids, append the events and index them. All or nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, exists, func, select

from lrs import blobs, clock, log
from lrs.credentials import Credential, live_secret_hashes
from lrs.db import read_transaction
from lrs.errors import BadRequest, Conflict, InvalidStatement, LrsError, NotFound, Unauthorized
from lrs.events import STATEMENT_STORED, NewEvent, RecordedEvent, dumps
from lrs.index import apply_statements
from lrs.log.redactions import MARKER
from lrs.schema import (
    activities,
    attachment_blobs,
    attachment_uploads,
    events,
    statement_keys,
    statements,
    verbs,
)
from lrs.xapi import attachments, signatures, statement_formats
from lrs.xapi.agents import authority_key, ifi_key, key_hash
from lrs.xapi.attachments import AttachmentData
from lrs.xapi.params import SingleStatement, StatementQuery
from lrs.xapi.statement_rules import (
    ACTIVITY,
    ACTIVITY_RELATED,
    AGENT,
    AGENT_RELATED,
    REGISTRATION,
    VERB,
    complete,
    matches_stored,
    new_statement_id,
)
from lrs.xapi.validation import validate_statement


@dataclass(frozen=True)
class Written:
    """What a PUT or POST of statements wrote (or found already there)."""

    ids: list[str]
    # Log position that includes these statements (clients can wait for views).
    position: int
    # X-Experience-API-Consistent-Through right after the commit (LogWriter.through).
    consistent_through: str | None = None


@dataclass(frozen=True)
class QueryResult:
    statements: list[str]  # JSON texts, in result order
    more: str | None  # continuation token
    consistent_through: str | None
    last_stored: str | None


def prepare(
    items: Sequence[Any],
    version: str,
    *,
    batch: bool,
    put_id: str | None = None,
    attachment_data: Mapping[str, AttachmentData] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """Validate, give ids, check attachment data and signatures: the CPU work done
    before taking the lock.

    ``attachment_data`` are the parts of a multipart/mixed request by hash; an
    application/json request has none, so every Attachment then needs a fileUrl.
    """
    prepared: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(items):
        prefix = f"[{index}]" if batch else ""
        try:
            validate_statement(statement, version)
        except InvalidStatement as exc:
            raise exc.prefixed(prefix) if prefix else exc from None
        if put_id is not None:
            if "id" in statement and statement["id"].lower() != put_id:
                raise InvalidStatement(
                    "id", "must match the statementId parameter (Communication 2.1.1)"
                )
            statement_id = put_id
        else:
            statement_id = statement["id"].lower() if "id" in statement else new_statement_id()
        if statement_id in seen:
            raise InvalidStatement(
                f"{prefix}.id" if prefix else "id",
                f"repeats the id of statement [{seen[statement_id]}]: ids within one "
                "request must differ (Communication 2.1.2)",
            )
        seen[statement_id] = index
        prepared.append((statement_id, statement))
    data = attachment_data or {}
    prefixes = [(f"[{i}]" if batch else "", statement) for i, (_, statement) in enumerate(prepared)]
    attachments.match(prefixes, data)
    for prefix, statement in prefixes:
        signatures.verify_statement(statement, data, prefix)
    return prepared


@dataclass(frozen=True)
class WriteRequest:
    """One PUT or POST: prepared statements and who sent them."""

    credential: Credential
    prepared: list[tuple[str, dict[str, Any]]]
    version: str
    request_id: str = ""
    attachment_data: Mapping[str, AttachmentData] | None = None
    # The secret hash the credential was proven against from a cache, to confirm in
    # the write transaction (CredentialVerifier.proven); None: its row was read.
    proof: str | None = None


def write(
    engine: Engine,
    credential: Credential,
    prepared: list[tuple[str, dict[str, Any]]],
    *,
    version: str,
    request_id: str = "",
    lock_timeout_seconds: float = 30.0,
    attachment_data: Mapping[str, AttachmentData] | None = None,
) -> Written:
    """Append the statements not stored yet; equivalent re-sends change nothing.

    A statement whose id is taken by a different statement aborts the request with
    409 (Communication 2.1.1/2.1.2, Data 2.3.1 comparison).
    """
    request = WriteRequest(credential, prepared, version, request_id, attachment_data)
    with log.writing(
        engine, lock_timeout_seconds=lock_timeout_seconds, store_id=credential.store_id
    ) as writer:
        (outcome,) = write_requests(writer, [request])
    if isinstance(outcome, LrsError):
        raise outcome
    return outcome


def write_requests(
    writer: log.LogWriter, requests: Sequence[WriteRequest]
) -> list[Written | LrsError]:
    """Decide and write several requests in one locked transaction, in order.

    Each request is all or nothing on its own: a request with a conflicting id gets
    its 409 as its outcome and appends nothing, and the others go on. An id written
    by an earlier request of the same group counts as already stored.
    """
    conn = writer.conn
    live = live_secret_hashes(conn, {r.credential.key for r in requests if r.proof is not None})
    wanted: dict[str, list[str]] = {}
    for request in requests:
        wanted.setdefault(request.credential.store_id, []).extend(i for i, _ in request.prepared)
    known = {
        (store_id, statement_id): statement
        for store_id, ids in wanted.items()
        for statement_id, statement in _existing(conn, store_id, ids).items()
    }
    decided: list[tuple[WriteRequest, list[dict[str, Any]]] | LrsError] = []
    for request in requests:
        if request.proof is not None and not hmac.compare_digest(
            live.get(request.credential.key, ""), request.proof
        ):
            # Revoked or rotated since the secret was proven.
            decided.append(Unauthorized("unknown key or wrong secret"))
            continue
        store_id = request.credential.store_id
        new_items: list[dict[str, Any]] = []
        conflict: LrsError | None = None
        for statement_id, statement in request.prepared:
            stored = known.get((store_id, statement_id))
            if stored is not None:
                if MARKER in stored:
                    conflict = Conflict(
                        f"statement {statement_id} was erased (lrs erase): its id cannot be "
                        "stored again"
                    )
                    break
                if not matches_stored(statement, stored):
                    conflict = Conflict(
                        f"statement {statement_id} already exists with different content "
                        "(Communication 2.1.1)"
                    )
                    break
                continue
            new_items.append(
                complete(
                    statement,
                    statement_id=statement_id,
                    # Data 2.4.8: one instant per statement, later than every
                    # statement stored before it (see lrs.log).
                    stored=writer.stamp(),
                    authority=request.credential.authority,
                    request_version=request.version,
                )
            )
        if conflict is not None:
            decided.append(conflict)
            continue
        known.update(((store_id, item["id"]), item) for item in new_items)
        decided.append((request, new_items))

    outcomes: list[Written | LrsError] = []
    indexed: dict[str, list[tuple[RecordedEvent, dict[str, Any]]]] = {}
    for decision in decided:
        if isinstance(decision, LrsError):
            outcomes.append(decision)
            continue
        request, new_items = decision
        ids = [statement_id for statement_id, _ in request.prepared]
        if not new_items:
            outcomes.append(Written(ids, writer.head_position, writer.through()))
            continue
        store_id = request.credential.store_id
        meta = dumps(
            {
                "credential": request.credential.id,
                "version": request.version,
                "request": request.request_id,
                "define": request.credential.allows("define"),
            }
        )
        recorded = writer.append(
            store_id,
            [
                NewEvent(
                    STATEMENT_STORED,
                    f"statement:{item['id']}",
                    item["id"],
                    orjson.dumps(item).decode(),
                    meta,
                    expected_version=0,
                    recorded_at=item["stored"],
                )
                for item in new_items
            ],
            # The events of every request of the group go in with one INSERT.
            defer=True,
        )
        indexed.setdefault(store_id, []).extend(zip(recorded, new_items, strict=True))
        _keep_attachments(
            conn, store_id, new_items, request.attachment_data or {},
            key_hash(authority_key(request.credential.authority)),
        )
        outcomes.append(Written(ids, recorded[-1].position, writer.through()))
    writer.flush()  # before the index rows that refer to them
    for store_id, items in indexed.items():
        apply_statements(conn, store_id, items)
    return outcomes


def _keep_attachments(
    conn: Connection,
    store_id: str,
    items: list[dict[str, Any]],
    data: Mapping[str, AttachmentData],
    authority_hash: str,
) -> None:
    """Store the bytes the new statements' attachments carry, once per store and hash,
    and that this authority sent them (what statements/read/mine may get back)."""
    wanted = {
        attachment["sha2"].lower()
        for item in items
        for _, attachment in attachments.attachments_in(item)
        if attachment["sha2"].lower() in data
    }
    if not wanted:
        return
    held = {
        row[0]
        for row in conn.execute(
            select(attachment_blobs.c.sha2).where(
                attachment_blobs.c.store_id == store_id, attachment_blobs.c.sha2.in_(sorted(wanted))
            )
        )
    }
    for sha2 in sorted(wanted - held):
        sha256 = blobs.put(conn, data[sha2].content, sha2 if len(sha2) == 64 else None)
        conn.execute(attachment_blobs.insert().values(store_id=store_id, sha2=sha2, sha256=sha256))
    credited = {
        row[0]
        for row in conn.execute(
            select(attachment_uploads.c.sha2).where(
                attachment_uploads.c.store_id == store_id,
                attachment_uploads.c.authority_hash == authority_hash,
                attachment_uploads.c.sha2.in_(sorted(wanted)),
            )
        )
    }
    if wanted - credited:
        conn.execute(
            attachment_uploads.insert(),
            [
                {"store_id": store_id, "sha2": sha2, "authority_hash": authority_hash}
                for sha2 in sorted(wanted - credited)
            ],
        )


def attachment_contents(
    engine: Engine, store_id: str, sha2s: set[str], *, mine: str | None = None
) -> dict[str, bytes]:
    """The bytes this store holds for these attachment hashes (missing ones left out).

    With ``mine`` (an authority hash, see ``visible_authority``), only bytes that came
    with statements of that authority: a statements/read/mine credential reads its own
    statements only (Communication 4.2), and naming another authority's hash with a
    fileUrl must not fetch what that authority uploaded.
    """
    if not sha2s:
        return {}
    query = select(attachment_blobs.c.sha2, attachment_blobs.c.sha256).where(
        attachment_blobs.c.store_id == store_id, attachment_blobs.c.sha2.in_(sorted(sha2s))
    )
    if mine is not None:
        query = query.join(
            attachment_uploads,
            (attachment_uploads.c.store_id == attachment_blobs.c.store_id)
            & (attachment_uploads.c.sha2 == attachment_blobs.c.sha2),
        ).where(attachment_uploads.c.authority_hash == mine)
    with engine.connect() as conn:
        mapping = dict(conn.execute(query).all())
        contents = blobs.get_many(conn, set(mapping.values()))
    return {sha2: contents[sha256] for sha2, sha256 in mapping.items() if sha256 in contents}


# By event id (a statement's event id is its id): an erased statement has no index
# row but its event stays, and its id must not be stored again.
_EXISTING = select(events.c.event_id, events.c.data).where(
    events.c.store_id == bindparam("store_id"),
    events.c.event_id.in_(bindparam("ids", expanding=True)),
    events.c.type == STATEMENT_STORED,
)


def _existing(conn: Connection, store_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(_EXISTING, {"store_id": store_id, "ids": ids[start : start + 500]})
        found.update((statement_id, orjson.loads(data)) for statement_id, data in rows)
    return found


# ---------------------------------------------------------------------- reading


def visible_authority(credential: Credential) -> str | None:
    """With only statements/read/mine, a credential sees what its authority stored
    (Communication 4.2); None means it may read every statement of its store."""
    if credential.allows("statements/read", "all/read"):
        return None
    return key_hash(authority_key(credential.authority))


def get_one(
    engine: Engine,
    store_id: str,
    request: SingleStatement,
    languages: list[str] | None = None,
    *,
    mine: str | None = None,
) -> tuple[str, str, str | None]:
    """(statement JSON, stored, consistent-through) or NotFound.

    statementId never returns a voided statement, voidedStatementId only a voided
    one (Communication 2.1.4); with ``mine``, only statements of that authority.
    """
    with read_transaction(engine) as conn:
        # Before the read it vouches for (see lrs.log.consistent_through).
        through = log.consistent_through(conn)
        row = conn.execute(
            select(events.c.data, events.c.recorded_at, statements.c.voided, statements.c.authority_hash)
            .join(events, events.c.position == statements.c.position)
            .where(
                statements.c.store_id == store_id,
                statements.c.statement_id == request.statement_id,
            )
        ).first()
        hidden = mine is not None and row is not None and row.authority_hash != mine
        if row is None or hidden or bool(row.voided) != request.voided:
            kind = "voided statement" if request.voided else "statement"
            raise NotFound(f"no {kind} with id {request.statement_id}")
        text = _format(conn, store_id, [row.data], request.format, languages or [])[0]
    return text, row.recorded_at, through


def query(
    engine: Engine,
    store_id: str,
    q: StatementQuery,
    *,
    page_max: int,
    languages: list[str] | None = None,
    mine: str | None = None,
) -> QueryResult:
    limit = page_max if q.limit == 0 else min(q.limit, page_max)
    with read_transaction(engine) as conn:
        through = log.consistent_through(conn)
        bound = q.bound
        if bound is None:
            bound = conn.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one()
        window = _stored_window(conn, store_id, q)
        rows: Sequence[Any] = []
        if window is not None:
            low, high = window
            rows = conn.execute(_select(store_id, q, low, min(bound, high), limit + 1, mine)).all()
        page = rows[:limit]
        texts = _format(conn, store_id, [row.data for row in page], q.format, languages or [])
    more = q.more_token(page[-1].position, bound) if len(rows) > limit else None
    last_stored = max((row.recorded_at for row in page), default=None)
    return QueryResult(texts, more, through, last_stored)


def _filters(q: StatementQuery) -> list[tuple[int, str]]:
    """(kind, key hash) pairs, the likely most selective first: it drives the scan.

    A registration or an exact Activity names few statements, one Agent more; the
    ``related`` variants take in whole courses or teams, and a Verb often a large
    share of the store.
    """
    found: list[tuple[int, int, str]] = []
    if q.registration:
        found.append((0, REGISTRATION, key_hash(q.registration)))
    if q.activity:
        if q.related_activities:
            found.append((3, ACTIVITY_RELATED, key_hash(q.activity)))
        else:
            found.append((1, ACTIVITY, key_hash(q.activity)))
    if q.agent:
        key = ifi_key(q.agent)
        if key is None:
            raise BadRequest("agent must have an identifier")
        if q.related_agents:
            found.append((4, AGENT_RELATED, key_hash(key)))
        else:
            found.append((2, AGENT, key_hash(key)))
    if q.verb:
        found.append((5, VERB, key_hash(q.verb)))
    return [(kind, digest) for _, kind, digest in sorted(found)]


def _stored_window(conn: Connection, store_id: str, q: StatementQuery) -> tuple[int, int] | None:
    """``since``/``until`` as a range of positions, or None when no statement is in it.

    ``stored`` strictly increases with the position (it is assigned under the log's
    lock), so two index seeks turn a time window into a position range, and the
    query below walks its index in position order and stops at ``limit``, instead
    of sorting every statement of the window.
    """
    s = statements
    low, high = 0, _NO_BOUND
    if q.since_us is not None:
        first = conn.execute(
            select(s.c.position)
            .where(s.c.store_id == store_id, s.c.stored_us > q.since_us)
            .order_by(s.c.stored_us.asc())
            .limit(1)
        ).scalar()
        if first is None:
            return None
        low = first
    if q.until_us is not None:
        last = conn.execute(
            select(s.c.position)
            .where(s.c.store_id == store_id, s.c.stored_us <= q.until_us)
            .order_by(s.c.stored_us.desc())
            .limit(1)
        ).scalar()
        if last is None or last < low:
            return None
        high = last
    return low, high


_NO_BOUND = 2**62


def _select(
    store_id: str, q: StatementQuery, low: int, bound: int, limit: int, mine: str | None
) -> Any:
    s = statements
    filters = _filters(q)
    query = select(s.c.position, events.c.data, events.c.recorded_at)
    if filters:
        # The first filter drives the scan through its index, in position order.
        kind, digest = filters[0]
        driver = statement_keys.alias("k0")
        query = query.select_from(
            driver.join(s, s.c.position == driver.c.position).join(
                events, events.c.position == s.c.position
            )
        ).where(
            driver.c.store_id == store_id, driver.c.kind == kind, driver.c.key_hash == digest
        )
        order = driver.c.position
        for index, (kind, digest) in enumerate(filters[1:], start=1):
            other = statement_keys.alias(f"k{index}")
            query = query.where(
                exists().where(
                    other.c.position == s.c.position,
                    other.c.kind == kind,
                    other.c.key_hash == digest,
                )
            )
    else:
        query = query.select_from(s.join(events, events.c.position == s.c.position))
        order = s.c.position
    query = query.where(s.c.store_id == store_id, s.c.voided.is_(False), order <= bound)
    if low:
        query = query.where(order >= low)
    if mine is not None:
        query = query.where(s.c.authority_hash == mine)
    if q.after is not None:
        query = query.where(order > q.after if q.ascending else order < q.after)
    return query.order_by(order.asc() if q.ascending else order.desc()).limit(limit)


def _format(
    conn: Connection, store_id: str, texts: list[str], fmt: str, languages: list[str]
) -> list[str]:
    if fmt == "exact":
        return texts
    parsed = [orjson.loads(text) for text in texts]
    if fmt == "ids":
        return [orjson.dumps(statement_formats.as_ids(stmt)).decode() for stmt in parsed]
    activity_ids = {a["id"] for stmt in parsed for a in statement_formats.activities_in(stmt)}
    verb_ids = {v["id"] for stmt in parsed for v in statement_formats.verbs_in(stmt)}
    definitions = _lookup(conn, store_id, activities, "activity_id", "definition", activity_ids)
    displays = _lookup(conn, store_id, verbs, "verb_id", "display", verb_ids)
    return [
        orjson.dumps(statement_formats.as_canonical(stmt, definitions, displays, languages)).decode()
        for stmt in parsed
    ]


def _lookup(
    conn: Connection, store_id: str, table: Any, id_column: str, value_column: str, ids: set[str]
) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    hash_column = table.c.activity_hash if table is activities else table.c.verb_hash
    hashes = sorted({key_hash(i) for i in ids})
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(hashes), 500):
        for item_id, value in conn.execute(
            select(table.c[id_column], table.c[value_column]).where(
                table.c.store_id == store_id, hash_column.in_(hashes[start : start + 500])
            )
        ):
            found[item_id] = orjson.loads(value)
    return found


def get_activity(engine: Engine, store_id: str, activity_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return _lookup(conn, store_id, activities, "activity_id", "definition", {activity_id}).get(
            activity_id
        )


def stored_micros(stored: str) -> int:
    return clock.to_micros(clock.parse_utc(stored))
