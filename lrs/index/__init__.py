"""The inline statement index, written in the same transaction as the append.

It holds what the xAPI contract must answer at once (lookups, filters, voided
flags, canonical definitions). Everything in it can be rebuilt from the log:
``reindex`` replays the statement events through the same ``apply_statements``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, select, update

from lrs import clock, log
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.index.agents import apply_agents
from lrs.schema import activities, agents, statement_keys, statements, verbs
from lrs.xapi.activities import merge_definition, merge_display
from lrs.xapi.agents import key_hash
from lrs.xapi.statements import IndexEntry, index_entry

# SQLite binds at most 32766 variables per statement; stay well below.
_CHUNK = 500


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def apply_statements(
    conn: Connection, store_id: str, stored: Sequence[tuple[RecordedEvent, dict[str, Any]]]
) -> None:
    """Index newly appended statements (position order), voiding included."""
    if not stored:
        return
    entries = [(event, index_entry(statement)) for event, statement in stored]
    ids = [entry.statement_id for _, entry in entries]

    # Data 2.3.2: a statement is voided iff it is not itself a voiding statement and
    # a voiding statement refers to it, whichever of the two arrived first.
    voided_now = {entry.voids for _, entry in entries if entry.voids}
    already_voided: set[str] = set()
    for chunk in _chunks(ids):
        already_voided.update(
            row[0]
            for row in conn.execute(
                select(statements.c.voids_statement_id).where(
                    statements.c.store_id == store_id,
                    statements.c.voids_statement_id.in_(chunk),
                )
            )
        )
    rows = []
    for event, entry in entries:
        is_voided = entry.voids is None and (
            entry.statement_id in voided_now or entry.statement_id in already_voided
        )
        rows.append(
            {
                "position": event.position,
                "store_id": store_id,
                "statement_id": entry.statement_id,
                "stored_us": clock.to_micros(clock.parse_utc(event.recorded_at)),
                "voided": is_voided,
                "voids_statement_id": entry.voids,
                "ref_statement_id": entry.ref,
                "has_attachments": entry.has_attachments,
                "authority_hash": entry.authority_hash,
            }
        )
    conn.execute(statements.insert(), rows)
    if voided_now:
        for chunk in _chunks(sorted(voided_now)):
            conn.execute(
                update(statements)
                .where(
                    statements.c.store_id == store_id,
                    statements.c.statement_id.in_(chunk),
                    statements.c.voids_statement_id.is_(None),
                )
                .values(voided=True)
            )

    _insert_keys(conn, store_id, entries)
    # Communication 4.2 "define": without it, ids are saved but the canonical
    # Activities and Agents stay as they were. The flag travels in the event's
    # metadata, so a rebuild from the log decides the same way.
    defining = [(event, entry) for event, entry in entries if event.meta().get("define", True)]
    _update_definitions(conn, store_id, defining)
    apply_agents(conn, store_id, [item for item in stored if item[0].meta().get("define", True)])


def _insert_keys(
    conn: Connection, store_id: str, entries: Sequence[tuple[RecordedEvent, IndexEntry]]
) -> None:
    keys: dict[int, set[tuple[int, str]]] = {
        event.position: set(entry.keys) for event, entry in entries
    }
    by_id = {entry.statement_id: event.position for event, entry in entries}

    # A statement targeting another (StatementRef) carries its target's keys. Targets
    # are earlier statements or earlier entries of this batch.
    for event, entry in entries:
        if entry.ref is None:
            continue
        target = by_id.get(entry.ref)
        if target is not None and target < event.position:
            keys[event.position] |= keys[target]
        else:
            keys[event.position] |= _stored_keys_of(conn, store_id, entry.ref)

    conn.execute(
        statement_keys.insert(),
        [
            {"position": position, "kind": kind, "key_hash": digest, "store_id": store_id}
            for position, pairs in keys.items()
            for kind, digest in pairs
        ],
    )
    # Statements already stored may target one of these (a StatementRef may name a
    # statement the LRS has not received yet): they inherit its keys now.
    late: set[str] = set()
    for chunk in _chunks(list(by_id)):
        for position, target_id in conn.execute(
            select(statements.c.position, statements.c.ref_statement_id).where(
                statements.c.store_id == store_id, statements.c.ref_statement_id.in_(chunk)
            )
        ):
            if position in keys and by_id[target_id] < position:
                continue  # inherited above, inside this batch
            late.add(target_id)
    for target_id in sorted(late):
        _propagate(conn, store_id, target_id, keys[by_id[target_id]])


def _stored_keys_of(conn: Connection, store_id: str, statement_id: str) -> set[tuple[int, str]]:
    row = conn.execute(
        select(statements.c.position).where(
            statements.c.store_id == store_id, statements.c.statement_id == statement_id
        )
    ).first()
    if row is None:
        return set()
    return {
        (kind, digest)
        for kind, digest in conn.execute(
            select(statement_keys.c.kind, statement_keys.c.key_hash).where(
                statement_keys.c.position == row[0]
            )
        )
    }


def _propagate(
    conn: Connection, store_id: str, statement_id: str, inherited: set[tuple[int, str]]
) -> None:
    """Give statements that target ``statement_id`` (transitively) its keys."""
    work = [(statement_id, inherited)]
    seen = {statement_id}
    while work:
        target_id, target_keys = work.pop()
        referrers = conn.execute(
            select(statements.c.position, statements.c.statement_id).where(
                statements.c.store_id == store_id,
                statements.c.ref_statement_id == target_id,
            )
        ).all()
        for position, referrer_id in referrers:
            own = {
                (kind, digest)
                for kind, digest in conn.execute(
                    select(statement_keys.c.kind, statement_keys.c.key_hash).where(
                        statement_keys.c.position == position
                    )
                )
            }
            missing = target_keys - own
            if missing:
                conn.execute(
                    statement_keys.insert(),
                    [
                        {"position": position, "kind": k, "key_hash": d, "store_id": store_id}
                        for k, d in missing
                    ],
                )
            if referrer_id not in seen:
                seen.add(referrer_id)
                work.append((referrer_id, own | target_keys))


def _update_definitions(
    conn: Connection, store_id: str, entries: Sequence[tuple[RecordedEvent, IndexEntry]]
) -> None:
    _merge_into(
        conn,
        store_id,
        activities,
        activities.c.activity_hash,
        "activity_id",
        "definition",
        [(e.position, i, d) for e, entry in entries for i, d in entry.definitions],
        merge_definition,
    )
    _merge_into(
        conn,
        store_id,
        verbs,
        verbs.c.verb_hash,
        "verb_id",
        "display",
        [(e.position, i, d) for e, entry in entries for i, d in entry.displays],
        merge_display,
    )


def _merge_into(
    conn: Connection,
    store_id: str,
    table: Any,
    hash_column: Any,
    id_column: str,
    value_column: str,
    items: list[tuple[int, str, dict[str, Any]]],
    merge: Callable[[dict[str, Any] | None, dict[str, Any]], dict[str, Any]],
) -> None:
    if not items:
        return
    hashes = {key_hash(item_id) for _, item_id, _ in items}
    known: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(hashes)):
        for digest, value in conn.execute(
            select(hash_column, table.c[value_column]).where(
                table.c.store_id == store_id, hash_column.in_(chunk)
            )
        ):
            known[digest] = orjson.loads(value)
    existing = set(known)
    changed: dict[str, tuple[str, int]] = {}
    for position, item_id, value in items:
        digest = key_hash(item_id)
        merged = merge(known.get(digest), value)
        if merged != known.get(digest):
            known[digest] = merged
            changed[digest] = (item_id, position)
    hash_name = hash_column.name
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
    for digest, (_, position) in changed.items():
        if digest in existing:
            conn.execute(
                update(table)
                .where(table.c.store_id == store_id, hash_column == digest)
                .values(
                    {value_column: orjson.dumps(known[digest]).decode(), "updated_position": position}
                )
            )


def reindex(
    engine: Engine, *, batch: int = 2000, progress: Callable[[int], None] | None = None
) -> int:
    """Drop the index and rebuild it from the log. Returns the statements indexed."""
    with engine.begin() as conn:
        for table in (statement_keys, statements, activities, verbs, agents):
            conn.execute(delete(table))
    count = 0
    pending: list[RecordedEvent] = []

    def flush() -> None:
        by_store: dict[str, list[tuple[RecordedEvent, dict[str, Any]]]] = {}
        for event in pending:
            by_store.setdefault(event.store_id, []).append((event, event.payload()))
        with engine.begin() as conn:
            for store_id, items in by_store.items():
                apply_statements(conn, store_id, items)
        pending.clear()

    for event in log.iter_forward(engine, 0, batch=batch, types=[STATEMENT_STORED]):
        pending.append(event)
        count += 1
        if progress is not None:
            progress(1)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return count
