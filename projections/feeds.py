"""What the change feeds (/feed/...) read: statements from the log, and the rows of
a view that changed, each with the log position it stands for.

A client resumes after the last position it saw (SSE ``Last-Event-ID``), so every
read here is "what comes after position N", in position order, and never splits
one position's changes across two reads (a client could otherwise resume past
half of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Engine, Select, Table, select

from lrs import clock, log
from lrs.events import STATEMENT_STORED
from lrs.log.redactions import MARKER
from lrs.schema import events
from lrs.xapi.agents import authority_key, key_hash
from projections.competency import logic as competency_logic
from projections.competency import queries as competency_queries
from projections.competency.schema import CELLS, EVIDENCE, ITEMS
from projections.progress.queries import _record
from projections.progress.schema import records

Change = tuple[int, str]  # (log position, JSON text of the SSE event's data)


def statements_after(
    engine: Engine, store_id: str, after: int, limit: int, *, mine: str | None = None
) -> tuple[list[Change], int]:
    """Statements of a store after ``after`` (with ``mine``, of that authority only,
    as statements/read/mine reads: Communication 4.2), and the position read up to."""
    with engine.connect() as conn:
        # The head first: everything up to it is committed (writers commit in
        # position order), so reading up to it skips nothing committed meanwhile.
        head = log.head(conn)[0]
        found = log.read_forward(
            conn, after, limit, store_id=store_id, types=[STATEMENT_STORED], until=head
        )
    reached = found[-1].position if len(found) == limit else head
    out = []
    for event in found:
        if MARKER in event.payload():
            continue  # erased whole (lrs.erasure)
        if mine is not None and key_hash(authority_key(event.payload().get("authority") or {})) != mine:
            continue
        out.append((event.position, event.data))
    return out, max(reached, after)


def _changed_rows(conn: Connection, table: Table, store_id: str, after: int, limit: int,
                  order: tuple[Column[Any], ...]) -> list[Any]:
    """Rows of ``table`` whose ``updated_position`` is after ``after``, in position
    order: about ``limit`` of them, never part of one position's rows."""
    changed = table.c.updated_position
    query: Select[Any] = (select(table).where(table.c.store_id == store_id, changed > after)
                          .order_by(changed, *order))
    rows = conn.execute(query.limit(limit + 1)).all()
    if len(rows) > limit:
        last = rows[limit].updated_position
        rows = [r for r in rows if r.updated_position < last] or conn.execute(
            query.where(changed == last)
        ).all()
    return list(rows)


def _progress(conn: Connection, store_id: str, after: int, limit: int) -> list[Change]:
    """Progress records changed after ``after``: one event per position (the records
    one statement moved), each record in the form the progress view answers with."""
    rows = _changed_rows(conn, records, store_id, after, limit,
                         (records.c.learner_hash, records.c.activity_hash, records.c.registration))
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row.updated_position), []).append(_record(row, learner=True))
    return [(position, orjson.dumps({"records": changed}).decode())
            for position, changed in grouped.items()]


def _competency(conn: Connection, store_id: str, after: int, limit: int) -> list[Change]:
    """Competency cells (learner x competency) changed after ``after``: one event per
    position (the cells one statement or configuration event moved), each cell as the
    profile answers it, evaluated at the instant that position was recorded.

    That instant, not the delivery's: a cell's status depends on when it is evaluated
    (confidence decays, competency.md §4), and the moment it changed makes the event
    the same however late it is read. ``status: proficient`` is what a receiver
    waiting for "a competency became proficient" filters on, with ``previousStatus``
    (the cell just before that position, at the same instant) telling a change of
    status from new evidence on a status that stays."""
    cells = CELLS.sql
    rows = _changed_rows(conn, cells, store_id, after, limit,
                         (cells.c.learner_key, cells.c.competency_hash))
    if not rows:
        return []
    positions = sorted({int(r.updated_position) for r in rows})
    recorded = {int(p): clock.to_micros(clock.parse_utc(at)) for p, at in conn.execute(
        select(events.c.position, events.c.recorded_at).where(events.c.position.in_(positions)))}
    agents = competency_queries.agents(conn, store_id, {r.learner_key for r in rows})
    items_t = ITEMS.sql
    items = {i.iri_hash: i for i in conn.execute(select(items_t).where(
        items_t.c.store_id == store_id, items_t.c.iri_hash.in_(sorted({r.competency_hash for r in rows}))))}
    history = _evidence_before(conn, store_id, rows, positions[-1])
    scales: dict[str, Any] = {}
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        position = int(row.updated_position)
        cell = dict(row._mapping)
        # Evidence time never passes the time the statement was stored (§3, t <= stored).
        at_us = max(recorded.get(position, cell["t_last_us"]), cell["t_last_us"])
        # The evidence rows valid just before this position (design §8 intervals).
        before = competency_logic.cell_of(history.get((row.learner_key, row.competency_hash), []), position - 1)
        item = items.get(row.competency_hash)
        scale = (competency_queries.scale_of(conn, store_id, item.framework_hash, scales)
                 if item is not None else [])
        grouped.setdefault(position, []).append({
            "learner": agents.get(row.learner_key), "competencyId": row.competency_iri,
            "code": item.code if item is not None else None,
            "name": item.name if item is not None else None,
            **competency_queries.describe(cell, at_us, scale),
            "previousStatus": competency_logic.status(before, at_us),
            "evaluatedAt": competency_queries.when(at_us),
        })
    return [(position, orjson.dumps({"records": changed}).decode())
            for position, changed in grouped.items()]


def _evidence_before(conn: Connection, store_id: str, cells: list[Any], last: int
                     ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every evidence row the changed cells had begun before ``last``, by cell: one read
    for a batch of changes, from which each cell's state before its change follows."""
    evidence = EVIDENCE.sql
    learners = sorted({c.learner_key for c in cells})
    competencies = sorted({c.competency_hash for c in cells})
    wanted = {(c.learner_key, c.competency_hash) for c in cells}
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in conn.execute(select(evidence).where(
            evidence.c.store_id == store_id, evidence.c.learner_key.in_(learners),
            evidence.c.competency_hash.in_(competencies), evidence.c.from_position < last)):
        key = (r.learner_key, r.competency_hash)
        if key in wanted:
            found.setdefault(key, []).append(dict(r._mapping))
    return found


VIEW_FEEDS: dict[str, Callable[[Connection, str, int, int], list[Change]]] = {
    "progress": _progress, "competency": _competency,
}
