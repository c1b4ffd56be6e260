"""The statement index after an erasure (lrs.erasure), without rebuilding it.

An erasure changes few statements: those it erases whole, those it redacts (the
person replaced with a placeholder), and, through StatementRef (Communication
2.1.3), the statements that inherited their filter keys. Only these are
re-indexed, and only the canonical rows they fed (Activity definitions, Verb
displays, Agent names) are merged again, from the remaining statements that name
them, in position order. The rows are those ``reindex`` gives
(tests/audit/test_erasure.py compares them); the cost is that of the statements
concerned, not of the whole log, inside the erasure's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, insert, select

from lrs.events import STATEMENT_STORED
from lrs.index.agents import agents_of
from lrs.index.canonical import Canonical
from lrs.log.redactions import MARKER
from lrs.schema import (
    activities,
    agents,
    erased_voiding,
    events,
    statement_keys,
    statements,
    verbs,
)
from lrs.xapi.agents import ifi_key, key_hash
from lrs.xapi.statement_rules import ACTIVITY_RELATED, AGENT_RELATED, VERB, index_entry

_CHUNK = 500


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    return (items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK))


def apply_erasure(
    conn: Connection,
    store_id: str,
    erased: Mapping[int, dict[str, Any]],
    redacted: Mapping[int, dict[str, Any]],
    person_hashes: Iterable[str],
) -> None:
    """``erased``: position -> the statement as it was; ``redacted``: position -> the
    statement as it now is; ``person_hashes``: key hashes of the person's identifiers."""
    if not erased and not redacted:
        return
    # Data 2.3.2: an erased voiding statement keeps voiding (lrs.schema.erased_voiding).
    voiding = [
        {"store_id": store_id, "statement_id": s["id"].lower(), "voids_statement_id": entry.voids}
        for s in erased.values() if (entry := index_entry(s)).voids is not None
    ]
    if voiding:
        conn.execute(insert(erased_voiding), voiding)

    referrers = _referrers(conn, store_id, [s["id"].lower() for s in (*erased.values(), *redacted.values())],
                           set(erased))
    affected = sorted({*redacted, *referrers} - set(erased))
    for chunk in _chunks(sorted({*erased, *affected})):
        conn.execute(delete(statement_keys).where(statement_keys.c.position.in_(chunk)))
    for chunk in _chunks(sorted(erased)):
        conn.execute(delete(statements).where(statements.c.position.in_(chunk)))
    current = dict(redacted)
    current.update(_payloads(conn, [p for p in affected if p not in redacted]))
    _reinsert_keys(conn, store_id, current)

    # Canonical rows the erased statements fed, the person's own, and the
    # placeholder's (redacted statements name it now).
    agent_hashes = set(person_hashes)
    activity_hashes: set[str] = set()
    verb_hashes: set[str] = set()
    sub_verbs: set[str] = set()
    for statement in (*erased.values(), *redacted.values()):
        entry = index_entry(statement)
        agent_hashes |= {key_hash(ifi_key(a) or "") for a in agents_of(statement)}
        activity_hashes |= {key_hash(i) for i, _ in entry.definitions}
        verb_hashes |= {key_hash(i) for i, _ in entry.displays}
        # A SubStatement's Verb has no filter key of its own: found by its id.
        sub_verbs |= {i for i, _ in entry.displays if i != statement["verb"]["id"]}
    _recompute(conn, store_id, agent_hashes, activity_hashes, verb_hashes, sub_verbs)


def _referrers(conn: Connection, store_id: str, ids: list[str], erased: set[int]) -> set[int]:
    """Positions of statements targeting any of ``ids``, transitively."""
    found: set[int] = set()
    seen = set(ids)
    work = list(ids)
    while work:
        batch, work = work[:_CHUNK], work[_CHUNK:]
        for position, statement_id in conn.execute(
            select(statements.c.position, statements.c.statement_id).where(
                statements.c.store_id == store_id, statements.c.ref_statement_id.in_(batch)
            )
        ):
            if position in erased or position in found:
                continue
            found.add(position)
            if statement_id not in seen:
                seen.add(statement_id)
                work.append(statement_id)
    return found


def _payloads(conn: Connection, positions: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(positions):
        for position, data in conn.execute(
            select(events.c.position, events.c.data).where(events.c.position.in_(chunk))
        ):
            out[position] = orjson.loads(data)
    return out


def _reinsert_keys(conn: Connection, store_id: str, current: dict[int, dict[str, Any]]) -> None:
    """Own keys plus those inherited from StatementRef targets, to the fixed point."""
    if not current:
        return
    entries = {p: index_entry(s) for p, s in current.items()}
    keys = {p: set(e.keys) for p, e in entries.items()}
    by_id = {e.statement_id: p for p, e in entries.items()}
    outside = sorted({e.ref for e in entries.values() if e.ref is not None and e.ref not in by_id})
    inherited: dict[str, set[tuple[int, str]]] = {}
    for chunk in _chunks(outside):
        for statement_id, kind, digest in conn.execute(
            select(statements.c.statement_id, statement_keys.c.kind, statement_keys.c.key_hash)
            .join(statement_keys, statement_keys.c.position == statements.c.position)
            .where(statements.c.store_id == store_id, statements.c.statement_id.in_(chunk))
        ):
            inherited.setdefault(statement_id, set()).add((kind, digest))
    changed = True
    while changed:
        changed = False
        for position, entry in entries.items():
            if entry.ref is None:
                continue
            target = keys[by_id[entry.ref]] if entry.ref in by_id else inherited.get(entry.ref, set())
            if not target <= keys[position]:
                keys[position] |= target
                changed = True
    rows = [{"position": p, "kind": k, "key_hash": d, "store_id": store_id}
            for p, pairs in keys.items() for k, d in pairs]
    for chunk in _chunks(rows):
        conn.execute(insert(statement_keys), list(chunk))


def _recompute(
    conn: Connection, store_id: str, agent_hashes: set[str], activity_hashes: set[str],
    verb_hashes: set[str], sub_verbs: set[str],
) -> None:
    positions: set[int] = set()
    for kind, hashes in ((AGENT_RELATED, agent_hashes), (ACTIVITY_RELATED, activity_hashes),
                         (VERB, verb_hashes)):
        for chunk in _chunks(sorted(hashes)):
            positions |= {row[0] for row in conn.execute(
                select(statement_keys.c.position).where(
                    statement_keys.c.store_id == store_id, statement_keys.c.kind == kind,
                    statement_keys.c.key_hash.in_(chunk),
                )
            )}
    for verb_id in sorted(sub_verbs):
        positions |= {row[0] for row in conn.execute(
            select(events.c.position).where(
                events.c.store_id == store_id, events.c.type == STATEMENT_STORED,
                events.c.data.contains(orjson.dumps(verb_id).decode()),
            )
        )}
    canonical = Canonical()
    for chunk in _chunks(sorted(positions)):
        for position, data, metadata in conn.execute(
            select(events.c.position, events.c.data, events.c.metadata)
            .where(events.c.position.in_(chunk), events.c.type == STATEMENT_STORED)
            .order_by(events.c.position)
        ):
            statement = orjson.loads(data)
            if MARKER in statement or orjson.loads(metadata).get("define", True) is False:
                continue
            canonical.add(position, statement, index_entry(statement))
    for table, column, hashes, rows in (
        (activities, "activity_hash", activity_hashes, canonical.activities),
        (verbs, "verb_hash", verb_hashes, canonical.verbs),
        (agents, "agent_hash", agent_hashes, canonical.agents),
    ):
        for chunk in _chunks(sorted(hashes)):
            conn.execute(delete(table).where(and_(table.c.store_id == store_id, table.c[column].in_(chunk))))
        values = []
        for digest in sorted(hashes & set(rows)):
            if table is agents:
                ident, names, position = canonical.agents[digest]
                values.append({"store_id": store_id, "agent_hash": digest,
                               "identity": orjson.dumps(ident).decode(),
                               "names": orjson.dumps(sorted(names)).decode(),
                               "updated_position": position})
            else:
                item_id, value, position = rows[digest]
                values.append({"store_id": store_id, column: digest,
                               ("activity_id" if table is activities else "verb_id"): item_id,
                               ("definition" if table is activities else "display"):
                                   orjson.dumps(value).decode(),
                               "updated_position": position})
        for chunk in _chunks(values):
            conn.execute(insert(table), list(chunk))
