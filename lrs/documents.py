"""The document resources: State, Activity Profile, Agent Profile (Communication 2.2-2.7).

Every write is an event that carries the resulting document: PUT the new content,
POST the merged result, DELETE a "deleted" event. ``document_heads`` indexes the
newest version of each document in the same transaction; any past version is the
stream's last event at or before a position, so history needs no extra storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, delete, select

from lrs import blobs, clock, log
from lrs.db import read_transaction
from lrs.errors import Conflict, InvalidDocument, NotFound
from lrs.events import NewEvent, RecordedEvent, dumps
from lrs.log.redactions import MARKER
from lrs.schema import document_heads, events
from lrs.xapi import document_rules as rules
from lrs.xapi.agents import identity, ifi_key, key_hash

STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "state", "activity_profile", "agent_profile"
KINDS = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)
WRITTEN = {kind: f"xapi.{kind}.written" for kind in KINDS}
DELETED = {kind: f"xapi.{kind}.deleted" for kind in KINDS}
ID_PARAMETER = {STATE: "stateId", ACTIVITY_PROFILE: "profileId", AGENT_PROFILE: "profileId"}
_CONTENT_TYPE_MAX = 255  # document_heads.content_type is String(255)


@dataclass(frozen=True)
class Scope:
    """What a document belongs to: an Activity, an Agent, or both (+ registration)."""

    kind: str
    activity_id: str | None = None
    agent: dict[str, Any] | None = None
    registration: str | None = None

    @property
    def agent_key(self) -> str | None:
        return ifi_key(self.agent) if self.agent is not None else None

    @property
    def hash(self) -> str:
        # Registration is not part of the scope: listing and deleting states without
        # a registration reach every registration of the Activity and Agent.
        return key_hash(dumps([self.kind, self.activity_id, self.agent_key]))

    def doc_hash(self, doc_id: str) -> str:
        return key_hash(dumps([self.kind, self.activity_id, self.agent_key, self.registration, doc_id]))

    def describe(self, doc_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.activity_id is not None:
            out["activityId"] = self.activity_id
        if self.agent is not None:
            out["agent"] = identity(self.agent)
        if self.registration is not None:
            out["registration"] = self.registration
        out[ID_PARAMETER[self.kind]] = doc_id
        return out


@dataclass(frozen=True)
class Document:
    content: bytes
    content_type: str
    etag: str
    updated: str  # ISO 8601 UTC
    position: int


@dataclass(frozen=True)
class WriteResult:
    position: int
    etag: str | None


# Built once: a State GET or PUT runs these on every request, and building the
# expression each time cost more than running it.
_HEAD = select(document_heads).where(
    document_heads.c.store_id == bindparam("store_id"),
    document_heads.c.kind == bindparam("kind"),
    document_heads.c.doc_hash == bindparam("doc_hash"),
)
_INSERT_HEAD = document_heads.insert()
_UPDATE_HEAD = document_heads.update().where(
    document_heads.c.store_id == bindparam("b_store_id"),
    document_heads.c.kind == bindparam("b_kind"),
    document_heads.c.doc_hash == bindparam("b_doc_hash"),
)


def _head(conn: Connection, store_id: str, scope: Scope, doc_id: str) -> Any:
    return conn.execute(
        _HEAD, {"store_id": store_id, "kind": scope.kind, "doc_hash": scope.doc_hash(doc_id)}
    ).first()


def _content_of(conn: Connection, row: Any) -> bytes:
    if row.text is not None:
        return row.text.encode("utf-8")
    return blobs.get(conn, row.sha256)


def read(engine: Engine, store_id: str, scope: Scope, doc_id: str) -> Document:
    # No snapshot needed: the head is one row, and the bytes it names never change.
    with engine.connect() as conn:
        row = _head(conn, store_id, scope, doc_id)
        if row is None:
            raise NotFound(f"no document {doc_id!r} here")
        return Document(_content_of(conn, row), row.content_type, row.etag, row.updated, row.position)


def read_as_of(
    engine: Engine, store_id: str, scope: Scope, doc_id: str, *, position: int | None = None,
    moment: str | None = None,
) -> Document:
    """The document as it stood at a log position or an instant (newest version before)."""
    stream = _stream_id(scope, doc_id)
    with read_transaction(engine) as conn:
        query = select(events.c.position, events.c.type, events.c.data, events.c.recorded_at).where(
            events.c.store_id == store_id, events.c.stream_id == stream
        )
        if position is not None:
            query = query.where(events.c.position <= position)
        if moment is not None:
            query = query.where(events.c.recorded_at <= moment)
        row = conn.execute(query.order_by(events.c.position.desc()).limit(1)).first()
        if row is None or row.type == DELETED[scope.kind]:
            raise NotFound(f"document {doc_id!r} did not exist then")
        data = orjson.loads(row.data)
        if MARKER in data:
            raise NotFound(f"document {doc_id!r} was erased (lrs erase)")
        content = data["text"].encode("utf-8") if "text" in data else blobs.get(conn, data["sha256"])
        return Document(content, data["contentType"], data["etag"], row.recorded_at, row.position)


def history(engine: Engine, store_id: str, scope: Scope, doc_id: str) -> list[dict[str, Any]]:
    """Every version of a document, oldest first (deletions included)."""
    with engine.connect() as conn:
        stream = log.read_stream(conn, store_id, _stream_id(scope, doc_id))
    versions = []
    for event in stream:
        data = event.payload()
        versions.append(
            {
                "position": event.position,
                "version": event.stream_version,
                "recorded_at": event.recorded_at,
                "deleted": event.type == DELETED[scope.kind],
                "etag": data.get("etag"),
                "contentType": data.get("contentType"),
                "length": data.get("length"),
            }
        )
    return versions


def _stream_id(scope: Scope, doc_id: str) -> str:
    return f"{scope.kind}:{scope.doc_hash(doc_id)}"


def list_ids(
    engine: Engine, store_id: str, scope: Scope, since_us: int | None = None
) -> tuple[list[str], str | None]:
    """Ids of the documents in a scope, updated after ``since`` (exclusive)."""
    query = select(document_heads.c.doc_id, document_heads.c.updated).where(
        document_heads.c.store_id == store_id,
        document_heads.c.kind == scope.kind,
        document_heads.c.scope_hash == scope.hash,
    )
    if scope.registration is not None:
        query = query.where(document_heads.c.registration == scope.registration)
    if since_us is not None:
        query = query.where(document_heads.c.updated_us > since_us)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(document_heads.c.updated_us, document_heads.c.doc_id)).all()
    # Without a registration, one stateId can name a document in several registrations:
    # the answer is an array of ids (Communication 2.3.s4), each listed once.
    ids = list(dict.fromkeys(row.doc_id for row in rows))
    return ids, max((row.updated for row in rows), default=None)


@dataclass(frozen=True)
class Prepared:
    """A document write with its CPU work done outside the log's lock: the content to
    store (for a POST, already merged), its ETag, and its exact JSON text if it has one.

    ``based_on`` is the ETag of the stored document a merge was computed from (None:
    there was none); the write only lands if the document is still that one.
    """

    content: bytes
    content_type: str
    etag: str
    text: str | None
    merged: bool = False
    based_on: str | None = None


def prepare(
    engine: Engine, store_id: str, scope: Scope, doc_id: str, content: bytes,
    content_type: str | None, *, merge: bool,
) -> Prepared:
    """Check and hash a PUT, or read the stored document and merge a POST into it.

    A merge parses and serialises whole documents (seconds for a large one): done
    here, without the lock, it never holds up the writes of anyone else.
    """
    content_type = content_type or "application/octet-stream"
    if len(content_type) > _CONTENT_TYPE_MAX:
        raise InvalidDocument(f"Content-Type is longer than {_CONTENT_TYPE_MAX} characters")
    if "\x00" in content_type:
        # It is stored as text, which PostgreSQL cannot hold NUL in.
        raise InvalidDocument("Content-Type must not contain the NUL character (U+0000)")
    based_on = None
    if merge:
        with engine.connect() as conn:
            head = _head(conn, store_id, scope, doc_id)
            stored = _content_of(conn, head) if head is not None else None
        if head is not None:
            assert stored is not None
            content = rules.merge(stored, head.content_type, content, content_type)
            content_type = rules.JSON
            based_on = head.etag
        elif rules.is_json_type(content_type):
            # POST without a stored document stores the posted one; a JSON POST must
            # still be a JSON object, so that later merges work.
            rules.parse_json_object(content, "the posted document")
    return Prepared(
        content, content_type, rules.etag(content), _json_text(content, content_type),
        merged=merge, based_on=based_on,
    )


class StaleMerge(Conflict):
    """The document changed between a POST's merge and its write: merge again."""


def write(
    engine: Engine,
    store_id: str,
    scope: Scope,
    doc_id: str,
    content: bytes,
    content_type: str | None,
    *,
    merge: bool,
    if_match: str | None,
    if_none_match: str | None,
    precondition_required: bool,
    metadata: dict[str, Any],
    lock_timeout_seconds: float = 30.0,
    attempts: int = 5,
) -> WriteResult:
    """PUT (``merge=False``) or POST (``merge=True``) one document, in its own transaction."""
    for attempt in range(attempts):
        prepared = prepare(engine, store_id, scope, doc_id, content, content_type, merge=merge)
        try:
            with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
                return write_in(
                    writer, store_id, scope, doc_id, prepared, if_match=if_match,
                    if_none_match=if_none_match, precondition_required=precondition_required,
                    metadata=metadata,
                )
        except StaleMerge:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def write_in(
    writer: log.LogWriter,
    store_id: str,
    scope: Scope,
    doc_id: str,
    prepared: Prepared,
    *,
    if_match: str | None,
    if_none_match: str | None,
    precondition_required: bool,
    metadata: dict[str, Any],
) -> WriteResult:
    """Write a prepared document inside a write transaction that may hold other
    requests' writes too; the preconditions are checked against the document as it
    is now, under the lock.

    Every refusal is raised before anything is written, so a refused request leaves
    the transaction as it found it (the group writer relies on this).
    """
    conn = writer.conn
    head = _head(conn, store_id, scope, doc_id)
    current = head.etag if head is not None else None
    rules.check_preconditions(current, if_match, if_none_match)
    if head is not None and precondition_required and if_match is None and if_none_match is None:
        raise Conflict(
            "this document already exists: check its current state, then send If-Match "
            "with its ETag to overwrite it (or If-None-Match: * to create only) "
            "(Communication 3.1)"
        )
    if prepared.merged and current != prepared.based_on:
        raise StaleMerge("the document changed while the posted one was merged into it; retry")
    # A deleted document has no head but its stream goes on: a new version follows
    # the deletion event instead of colliding with the stream's first event.
    version = head.stream_version if head is not None else writer.stream_version(
        store_id, _stream_id(scope, doc_id)
    )
    event = _written_event(conn, scope, doc_id, prepared, version, metadata)
    (recorded,) = writer.append(store_id, [event])
    _put_head(conn, store_id, scope, doc_id, recorded, head)
    return WriteResult(recorded.position, prepared.etag)


def _written_event(
    conn: Connection, scope: Scope, doc_id: str, prepared: Prepared, version: int,
    metadata: dict[str, Any],
) -> NewEvent:
    data = scope.describe(doc_id)
    data.update(contentType=prepared.content_type, etag=prepared.etag, length=len(prepared.content))
    if prepared.text is not None:
        data["text"] = prepared.text
    else:
        data["sha256"] = blobs.put(conn, prepared.content)
    return NewEvent(
        WRITTEN[scope.kind],
        _stream_id(scope, doc_id),
        f"{_stream_id(scope, doc_id)}:{version + 1}",
        dumps(data),
        dumps(metadata),
        expected_version=version,
    )


def _json_text(content: bytes, content_type: str) -> str | None:
    """The exact text of a JSON document (kept inline in the event), else None."""
    if not rules.is_json_type(content_type):
        return None
    try:
        text = content.decode("utf-8")
        orjson.loads(content)
    except (UnicodeDecodeError, orjson.JSONDecodeError):
        return None
    return text


def _head_values(scope: Scope, doc_id: str, event: RecordedEvent) -> dict[str, Any]:
    data = event.payload()
    return {
        "scope_hash": scope.hash,
        "registration": scope.registration,
        "doc_id": doc_id,
        "stream_version": event.stream_version,
        "position": event.position,
        "updated_us": clock.to_micros(clock.parse_utc(event.recorded_at)),
        "updated": event.recorded_at,
        "content_type": data["contentType"],
        "etag": data["etag"],
        "length": data["length"],
        "text": data.get("text"),
        "sha256": data.get("sha256"),
    }


def _put_head(
    conn: Connection, store_id: str, scope: Scope, doc_id: str, event: RecordedEvent, head: Any
) -> None:
    values = _head_values(scope, doc_id, event)
    key = {"store_id": store_id, "kind": scope.kind, "doc_hash": scope.doc_hash(doc_id)}
    if head is None:
        conn.execute(_INSERT_HEAD, {**key, **values})
    else:
        conn.execute(_UPDATE_HEAD, {**{f"b_{name}": value for name, value in key.items()}, **values})


def delete_one(
    engine: Engine,
    store_id: str,
    scope: Scope,
    doc_id: str,
    *,
    if_match: str | None,
    if_none_match: str | None,
    metadata: dict[str, Any],
    lock_timeout_seconds: float = 30.0,
) -> int:
    """Delete a document; deleting one that does not exist changes nothing (204)."""
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        return delete_one_in(
            writer, store_id, scope, doc_id, if_match=if_match, if_none_match=if_none_match,
            metadata=metadata,
        )


def delete_one_in(
    writer: log.LogWriter,
    store_id: str,
    scope: Scope,
    doc_id: str,
    *,
    if_match: str | None,
    if_none_match: str | None,
    metadata: dict[str, Any],
) -> int:
    """``delete_one`` inside a shared write transaction (refusals before any write)."""
    head = _head(writer.conn, store_id, scope, doc_id)
    rules.check_preconditions(head.etag if head else None, if_match, if_none_match)
    if head is None:
        return writer.head_position
    _delete(writer, store_id, scope, [head], metadata)
    return writer.last_position


def delete_all(
    engine: Engine,
    store_id: str,
    scope: Scope,
    *,
    metadata: dict[str, Any],
    lock_timeout_seconds: float = 30.0,
) -> int:
    """Delete every document of a scope (State multiple-document DELETE, Comm. 2.3)."""
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        return delete_all_in(writer, store_id, scope, metadata=metadata)


def delete_all_in(
    writer: log.LogWriter, store_id: str, scope: Scope, *, metadata: dict[str, Any]
) -> int:
    """``delete_all`` inside a shared write transaction."""
    query = select(document_heads).where(
        document_heads.c.store_id == store_id,
        document_heads.c.kind == scope.kind,
        document_heads.c.scope_hash == scope.hash,
    )
    if scope.registration is not None:
        query = query.where(document_heads.c.registration == scope.registration)
    heads = writer.conn.execute(query.order_by(document_heads.c.doc_id)).all()
    if not heads:
        return writer.head_position
    _delete(writer, store_id, scope, heads, metadata)
    return writer.last_position


def _delete(writer: log.LogWriter, store_id: str, scope: Scope, heads: Sequence[Any], metadata: dict[str, Any]) -> None:
    new_events = []
    for head in heads:
        # A head's own registration names the document when a DELETE-all had none.
        doc_scope = Scope(scope.kind, scope.activity_id, scope.agent, head.registration)
        stream = _stream_id(doc_scope, head.doc_id)
        new_events.append(
            NewEvent(
                DELETED[scope.kind],
                stream,
                f"{stream}:{head.stream_version + 1}",
                dumps(doc_scope.describe(head.doc_id)),
                dumps(metadata),
                expected_version=head.stream_version,
            )
        )
    writer.append(store_id, new_events)
    for head in heads:
        writer.conn.execute(
            delete(document_heads).where(
                document_heads.c.store_id == store_id,
                document_heads.c.kind == head.kind,
                document_heads.c.doc_hash == head.doc_hash,
            )
        )



def _scope_of(kind: str, data: dict[str, Any]) -> tuple[Scope, str]:
    """The document an event is about, from the identity its data describes."""
    scope = Scope(kind, data.get("activityId"), data.get("agent"), data.get("registration"))
    return scope, data[ID_PARAMETER[kind]]


# (store, kind, doc_hash) -> the document_heads row of the newest version
Heads = dict[tuple[str, str, str], dict[str, Any]]
_KIND_OF = {**{t: k for k, t in WRITTEN.items()}, **{t: k for k, t in DELETED.items()}}
DOCUMENT_EVENTS = frozenset(_KIND_OF)


def fold_head(heads: Heads, event: RecordedEvent) -> None:
    """Advance ``heads`` by one document event (position order): a write makes its
    document's head, a deletion removes it. An event an erasure redacted names no
    document any more: an erasure redacts every event of a document's stream, so
    skipping them leaves that document without a head."""
    if MARKER in event.payload():
        return
    kind = _KIND_OF[event.type]
    scope, doc_id = _scope_of(kind, event.payload())
    key = (event.store_id, kind, scope.doc_hash(doc_id))
    if event.type == DELETED[kind]:
        heads.pop(key, None)
    else:
        heads[key] = {
            "store_id": event.store_id, "kind": kind, "doc_hash": key[2],
            **_head_values(scope, doc_id, event),
        }


def rebuild_heads(engine: Engine, *, batch: int = 2000, lock_timeout_seconds: float = 30.0) -> int:
    """Drop ``document_heads`` and rebuild it from the document events of the log,
    in one transaction holding the log's lock (see lrs.index.reindex)."""
    heads: Heads = {}
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        conn = writer.conn
        after = 0
        while chunk := log.read_forward(conn, after, batch, types=list(_KIND_OF)):
            for event in chunk:
                fold_head(heads, event)
            after = chunk[-1].position
        rows = list(heads.values())
        conn.execute(delete(document_heads))
        for start in range(0, len(rows), 500):
            conn.execute(document_heads.insert(), rows[start : start + 500])
    return len(rows)
