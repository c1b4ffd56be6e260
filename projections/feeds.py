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
from sqlalchemy import Connection, Engine, select

from lrs import log
from lrs.events import STATEMENT_STORED
from lrs.log.redactions import MARKER
from lrs.xapi.agents import authority_key, key_hash
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


def _progress(conn: Connection, store_id: str, after: int, limit: int) -> list[Change]:
    """Progress records changed after ``after``: one event per position (the records
    one statement moved), each record in the form the progress view answers with."""
    query = (
        select(records).where(records.c.store_id == store_id, records.c.updated_position > after)
        .order_by(records.c.updated_position, records.c.learner_hash, records.c.activity_hash,
                  records.c.registration)
    )
    rows = conn.execute(query.limit(limit + 1)).all()
    if len(rows) > limit:
        last = rows[limit].updated_position
        rows = [r for r in rows if r.updated_position < last] or conn.execute(
            query.where(records.c.updated_position == last)
        ).all()
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(int(row.updated_position), []).append(_record(row, learner=True))
    return [(position, orjson.dumps({"records": changed}).decode())
            for position, changed in grouped.items()]


VIEW_FEEDS: dict[str, Callable[[Connection, str, int, int], list[Change]]] = {"progress": _progress}
