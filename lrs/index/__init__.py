"""The inline statement index, written in the same transaction as the append.

It holds what the xAPI contract must answer at once (lookups, filters, voided
flags, canonical definitions). Everything in it can be rebuilt from the log:
``reindex`` replays the statement events through the same ``apply_statements``.

This is the write hot path: its statements are built once (``bindparam``), and
one request costs a fixed handful of round trips whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    String,
    Text,
    bindparam,
    cast,
    delete,
    literal,
    null,
    select,
    union_all,
    update,
)

from lrs import clock, log
from lrs.db import copy_rows
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.index.agents import apply_agents, mentions_of
from lrs.log.redactions import MARKER
from lrs.schema import activities, agents, erased_voiding, statement_keys, statements, verbs
from lrs.xapi.activities import merge_definition, merge_display
from lrs.xapi.agents import key_hash
from lrs.xapi.statement_rules import IndexEntry, index_entry

# SQLite binds at most 32766 variables per statement; stay well below.
_CHUNK = 500

_STORE = statements.c.store_id == bindparam("store_id")
_INSERT_STATEMENTS = statements.insert()
_INSERT_KEYS = statement_keys.insert()
_STATEMENT_COLUMNS = [column.name for column in statements.columns]
# Earlier statements that void or target any of the new ones (Data 2.3.2,
# Communication 2.1.3 StatementRef rule). Two selects, not one with OR: SQLite
# answered the OR by walking every statement of the store (the write cost grew
# with the store), where each half has an index of its own.
_LINKED = union_all(
    select(
        statements.c.position, statements.c.voids_statement_id, statements.c.ref_statement_id
    ).where(_STORE, statements.c.voids_statement_id.in_(bindparam("ids", expanding=True))),
    select(
        statements.c.position, statements.c.voids_statement_id, statements.c.ref_statement_id
    ).where(_STORE, statements.c.ref_statement_id.in_(bindparam("ids", expanding=True))),
    # A voiding statement an erasure removed still voids (lrs.schema.erased_voiding).
    select(
        cast(literal(0), BigInteger), erased_voiding.c.voids_statement_id, cast(null(), String)
    ).where(
        erased_voiding.c.store_id == bindparam("store_id"),
        erased_voiding.c.voids_statement_id.in_(bindparam("ids", expanding=True)),
    ),
)
_ERASED_VOIDING_KNOWN = select(erased_voiding.c.statement_id).where(
    erased_voiding.c.store_id == bindparam("store_id"),
    erased_voiding.c.statement_id.in_(bindparam("ids", expanding=True)),
)
_VOID = (
    update(statements)
    .where(
        statements.c.store_id == bindparam("b_store_id"),
        statements.c.statement_id.in_(bindparam("ids", expanding=True)),
        statements.c.voids_statement_id.is_(None),
    )
    .values(voided=True)
)
_KEYS_OF_STATEMENT = (
    select(statement_keys.c.kind, statement_keys.c.key_hash)
    .join(statements, statements.c.position == statement_keys.c.position)
    .where(_STORE, statements.c.statement_id == bindparam("statement_id"))
)
_KEYS_AT = select(statement_keys.c.kind, statement_keys.c.key_hash).where(
    statement_keys.c.position == bindparam("position")
)
_REFERRERS = select(statements.c.position, statements.c.statement_id).where(
    _STORE, statements.c.ref_statement_id == bindparam("target")
)
# The canonical data one request may merge into, in one round trip.
_NO_TEXT = cast(null(), Text)
_KNOWN = union_all(
    select(
        literal("activity", String).label("kind"), activities.c.activity_hash.label("hash"),
        activities.c.definition.label("value"), _NO_TEXT.label("identity"),
        activities.c.updated_position.label("position"),
    ).where(
        activities.c.store_id == bindparam("store_id"),
        activities.c.activity_hash.in_(bindparam("activities", expanding=True)),
    ),
    select(
        literal("verb", String), verbs.c.verb_hash, verbs.c.display, _NO_TEXT,
        verbs.c.updated_position,
    ).where(
        verbs.c.store_id == bindparam("store_id"),
        verbs.c.verb_hash.in_(bindparam("verbs", expanding=True)),
    ),
    select(
        literal("agent", String), agents.c.agent_hash, agents.c.names, agents.c.identity,
        cast(agents.c.updated_position, BigInteger),
    ).where(
        agents.c.store_id == bindparam("store_id"),
        agents.c.agent_hash.in_(bindparam("agents", expanding=True)),
    ),
)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def apply_statements(
    conn: Connection, store_id: str, stored: Sequence[tuple[RecordedEvent, dict[str, Any]]]
) -> None:
    """Index newly appended statements (position order), voiding included.

    A statement an erasure redacted whole (its data is a redaction marker, see
    lrs.erasure) is not indexed: no read finds it. The voiding it did stands, also
    for a target stored later (``erased_voiding``).
    """
    erased = [statement for _, statement in stored if MARKER in statement]
    if erased:
        stored = [(event, statement) for event, statement in stored if MARKER not in statement]
    if stored:
        _apply(conn, store_id, stored)
    voiding = {
        str(s["id"]).lower(): s["voids"] for s in erased
        if isinstance(s.get("voids"), str) and isinstance(s.get("id"), str)
    }
    for chunk in _chunks(sorted(voiding)):
        known = {row[0] for row in conn.execute(
            _ERASED_VOIDING_KNOWN, {"store_id": store_id, "ids": list(chunk)}
        )}
        rows = [
            {"store_id": store_id, "statement_id": i, "voids_statement_id": voiding[i]}
            for i in chunk if i not in known
        ]
        if rows:
            conn.execute(erased_voiding.insert(), rows)
    for chunk in _chunks(sorted(set(voiding.values()))):
        conn.execute(_VOID, {"b_store_id": store_id, "ids": list(chunk)})


def _apply(
    conn: Connection, store_id: str, stored: Sequence[tuple[RecordedEvent, dict[str, Any]]]
) -> None:
    entries = [(event, index_entry(statement)) for event, statement in stored]
    ids = [entry.statement_id for _, entry in entries]

    # Read before inserting, so that only earlier statements come back.
    already_voided: set[str] = set()
    late_targets: set[str] = set()
    for chunk in _chunks(ids):
        for _, voids, ref in conn.execute(_LINKED, {"store_id": store_id, "ids": list(chunk)}):
            if voids in chunk:
                already_voided.add(voids)
            if ref in chunk:
                late_targets.add(ref)

    # Data 2.3.2: a statement is voided iff it is not itself a voiding statement and
    # a voiding statement refers to it, whichever of the two arrived first.
    voided_now = {entry.voids for _, entry in entries if entry.voids}
    rows = [
        (
            event.position,
            store_id,
            entry.statement_id,
            clock.to_micros(clock.parse_utc(event.recorded_at)),
            entry.voids is None
            and (entry.statement_id in voided_now or entry.statement_id in already_voided),
            entry.voids,
            entry.ref,
            entry.has_attachments,
            entry.authority_hash,
        )
        for event, entry in entries
    ]
    if conn.dialect.name == "postgresql":
        copy_rows(conn, statements, rows)  # see _insert_keys
    else:
        conn.execute(_INSERT_STATEMENTS, [dict(zip(_STATEMENT_COLUMNS, row, strict=True)) for row in rows])
    for chunk in _chunks(sorted(voided_now)):
        conn.execute(_VOID, {"b_store_id": store_id, "ids": list(chunk)})

    keys = _insert_keys(conn, store_id, entries)
    by_id = {entry.statement_id: event.position for event, entry in entries}
    for target in sorted(late_targets):
        _propagate(conn, store_id, target, keys[by_id[target]])

    # Communication 4.2 "define": without it, ids are saved but the canonical
    # Activities and Agents stay as they were. The flag travels in the event's
    # metadata, so a rebuild from the log decides the same way.
    defining = [
        (event, entry, statement)
        for (event, entry), (_, statement) in zip(entries, stored, strict=True)
        if event.meta().get("define", True)
    ]
    if defining:
        _update_canonical(conn, store_id, defining)


def _insert_keys(
    conn: Connection, store_id: str, entries: Sequence[tuple[RecordedEvent, IndexEntry]]
) -> dict[int, set[tuple[int, str]]]:
    keys: dict[int, set[tuple[int, str]]] = {
        event.position: set(entry.keys) for event, entry in entries
    }
    by_id = {entry.statement_id: event.position for event, entry in entries}
    # A statement targeting another (StatementRef) carries its target's keys: read
    # for a target stored earlier, taken in hand for one in this batch (before or
    # after the referrer, and through chains: repeat until nothing changes).
    for event, entry in entries:
        if entry.ref is not None and entry.ref not in by_id:
            keys[event.position] |= {
                (kind, digest)
                for kind, digest in conn.execute(
                    _KEYS_OF_STATEMENT, {"store_id": store_id, "statement_id": entry.ref}
                )
            }
    in_batch = [
        (event.position, by_id[entry.ref]) for event, entry in entries if entry.ref in by_id
    ]
    changed = bool(in_batch)
    while changed:
        changed = False
        for position, target in in_batch:
            if not keys[target] <= keys[position]:
                keys[position] |= keys[target]
                changed = True
    if conn.dialect.name == "postgresql":
        # About ten key rows per statement: COPY sends them as one stream, where the
        # pipelined executemany spent ~30 us of Python per row in psycopg.
        copy_rows(
            conn, statement_keys,
            ((position, kind, digest, store_id) for position, pairs in keys.items()
             for kind, digest in pairs),
        )
    else:
        conn.execute(
            _INSERT_KEYS,
            [
                {"position": position, "kind": kind, "key_hash": digest, "store_id": store_id}
                for position, pairs in keys.items()
                for kind, digest in pairs
            ],
        )
    return keys


def _propagate(
    conn: Connection, store_id: str, statement_id: str, inherited: set[tuple[int, str]]
) -> None:
    """Give statements that target ``statement_id`` (transitively) its keys: a
    StatementRef may name a statement the LRS receives later."""
    work = [(statement_id, inherited)]
    seen = {statement_id}
    while work:
        target_id, target_keys = work.pop()
        referrers = conn.execute(_REFERRERS, {"store_id": store_id, "target": target_id}).all()
        for position, referrer_id in referrers:
            own = {(kind, digest) for kind, digest in conn.execute(_KEYS_AT, {"position": position})}
            missing = target_keys - own
            if missing:
                conn.execute(
                    _INSERT_KEYS,
                    [
                        {"position": position, "kind": k, "key_hash": d, "store_id": store_id}
                        for k, d in missing
                    ],
                )
            if referrer_id not in seen:
                seen.add(referrer_id)
                work.append((referrer_id, own | target_keys))


def _update_canonical(
    conn: Connection,
    store_id: str,
    defining: Sequence[tuple[RecordedEvent, IndexEntry, dict[str, Any]]],
) -> None:
    """Canonical Activity definitions, Verb displays and Person names, one lookup."""
    definitions = [(e.position, i, d) for e, entry, _ in defining for i, d in entry.definitions]
    displays = [(e.position, i, d) for e, entry, _ in defining for i, d in entry.displays]
    mentions = mentions_of([(event, statement) for event, _, statement in defining])
    if not (definitions or displays or mentions):
        return
    known: dict[str, dict[str, Any]] = {"activity": {}, "verb": {}, "agent": {}}
    activity_hashes = sorted({key_hash(i) for _, i, _ in definitions})
    verb_hashes = sorted({key_hash(i) for _, i, _ in displays})
    agent_hashes = sorted({digest for _, digest, _ in mentions})
    for start in range(0, max(len(activity_hashes), len(verb_hashes), len(agent_hashes)), _CHUNK):
        rows = conn.execute(
            _KNOWN,
            {
                "store_id": store_id,
                "activities": activity_hashes[start : start + _CHUNK],
                "verbs": verb_hashes[start : start + _CHUNK],
                "agents": agent_hashes[start : start + _CHUNK],
            },
        )
        for kind, digest, value, identity, position in rows:
            known[kind][digest] = (value, identity, position)
    _merge_into(
        conn, store_id, activities, "activity_hash", "activity_id", "definition",
        definitions, merge_definition,
        {digest: orjson.loads(value) for digest, (value, _, _) in known["activity"].items()},
    )
    _merge_into(
        conn, store_id, verbs, "verb_hash", "verb_id", "display", displays, merge_display,
        {digest: orjson.loads(value) for digest, (value, _, _) in known["verb"].items()},
    )
    apply_agents(conn, store_id, mentions, known["agent"])


def _merge_into(
    conn: Connection,
    store_id: str,
    table: Any,
    hash_name: str,
    id_column: str,
    value_column: str,
    items: list[tuple[int, str, dict[str, Any]]],
    merge: Callable[[dict[str, Any] | None, dict[str, Any]], dict[str, Any]],
    known: dict[str, dict[str, Any]],
) -> None:
    """Merge each item into what is known, in order; write only what changed."""
    existing = set(known)
    changed: dict[str, tuple[str, int]] = {}
    for position, item_id, value in items:
        digest = key_hash(item_id)
        merged = merge(known.get(digest), value)
        if merged != known.get(digest):
            known[digest] = merged
            changed[digest] = (item_id, position)
    inserts = [
        {
            "store_id": store_id,
            hash_name: digest,
            id_column: item_id,
            value_column: orjson.dumps(known[digest]).decode(),
            "updated_position": position,
        }
        for digest, (item_id, position) in changed.items()
        if digest not in existing
    ]
    if inserts:
        conn.execute(table.insert(), inserts)
    updates = [
        {
            "b_store_id": store_id,
            "b_hash": digest,
            value_column: orjson.dumps(known[digest]).decode(),
            "updated_position": position,
        }
        for digest, (_, position) in changed.items()
        if digest in existing
    ]
    if updates:
        conn.execute(
            update(table).where(
                table.c.store_id == bindparam("b_store_id"),
                table.c[hash_name] == bindparam("b_hash"),
            ),
            updates,
        )


def reindex(
    engine: Engine, *, batch: int = 2000, progress: Callable[[int], None] | None = None,
    lock_timeout_seconds: float = 30.0,
) -> int:
    """Drop the index and rebuild it from the log. Returns the statements indexed.

    It runs as one write transaction holding the log's lock: writers wait (and
    answer 503 past their lock timeout) instead of indexing new statements against
    a half-built index, and readers see the old index until the new one is whole.
    """
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        return reindex_in(writer.conn, batch=batch, progress=progress)


def reindex_in(
    conn: Connection, *, batch: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    """``reindex`` inside a write transaction that holds the log's lock (an erasure
    rebuilds the index in the transaction that redacts the log)."""
    count = 0
    for table in (statement_keys, statements, activities, verbs, agents, erased_voiding):
        conn.execute(delete(table))
    after = 0
    while True:
        chunk = log.read_forward(conn, after, batch, types=[STATEMENT_STORED])
        if not chunk:
            break
        by_store: dict[str, list[tuple[RecordedEvent, dict[str, Any]]]] = {}
        for event in chunk:
            by_store.setdefault(event.store_id, []).append((event, event.payload()))
        for store_id, items in by_store.items():
            apply_statements(conn, store_id, items)
        count += len(chunk)
        after = chunk[-1].position
        if progress is not None:
            progress(len(chunk))
    return count
