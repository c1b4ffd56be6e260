"""Views after an erasure (lrs.erasure): what a dry run counts, and folding every
view again from the redacted log.

A view keeps no copy of the log it could be patched in: after the log's payloads
are redacted, each view is reset and folded from position 0, so its rows are
exactly those a fresh rebuild gives. A worker that holds a view's lease elsewhere
(PostgreSQL) sees its checkpoint go back to 0 and folds it itself. View rows another
runner cached are dropped at its next step: it trusts its cache only at the position
it cached it, and the erasure's own event moved the head past that position, so every
checkpoint folded again differs from it. ``asOf`` snapshots are reused by position,
so Replays.reading drops them when the store's latest erasure changes.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select

from lrs import log
from lrs.db import make_engine
from lrs.erasure import Plan
from lrs.schema import events
from lrs.schema import metadata as log_metadata
from lrs.xapi.agents import key_hash
from lrs.xapi.erasure import identity_keys
from projections.base import Projection
from projections.runner import Runner, replay

# Columns of view tables that hold a person's identifier: hashed (key_hash of the
# identifier) or as the identifier text.
_HASHED = frozenset(
    {"agent_hash", "learner_hash", "learner_key", "author_hash", "src_hash", "dst_hash",
     "source_hash", "target_hash"}
)
_TEXT = frozenset({"agent_key", "actor_key"})


def view_rows(engine: Engine, projections: list[Projection], store_id: str, agent: dict[str, Any]) -> dict[str, int]:
    """Rows of each view keyed by the person's identifier (what the dry run shows;
    a rebuild also changes aggregates the person counted in)."""
    keys = sorted(identity_keys(agent))
    hashes = sorted({key_hash(k) for k in keys})
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for projection in projections:
            total = 0
            for table in getattr(projection, "tables", ()):
                sql = table.sql
                tests = [col.in_(hashes) for col in sql.c if col.name in _HASHED]
                tests += [col.in_(keys) for col in sql.c if col.name in _TEXT]
                if not tests:
                    continue
                query = select(func.count()).select_from(sql).where(or_(*tests))
                if "store_id" in sql.c:
                    query = query.where(sql.c.store_id == store_id)
                total += int(conn.execute(query).scalar_one())
            counts[projection.name] = total
    return counts


def reset_views(runner: Runner) -> list[str]:
    """Forget every view the runner folds (checkpoints back to 0); returns their names."""
    names = [name for name, p in runner.projections.items() if getattr(p, "tables", None)]
    for name in names:
        runner.reset(name)
    return names


def refold(runner: Runner) -> dict[str, int]:
    """Reset every view, then fold it again from the log (those leased by another
    worker are folded by that worker)."""
    return runner.catch_up(reset_views(runner))


def view_changes(
    engine: Engine, projections: list[Projection], found: Plan, *, batch: int = 2000
) -> dict[str, dict[str, int]]:
    """What the erasure in ``found`` would change in each view: rows removed and rows
    added (a changed row is one of each), the person's own and every aggregate they
    counted in.

    Each view of the store is folded twice in scratch SQLite files, from the log as
    it is and from a copy of the store's events with the plan's redactions applied:
    what a dry run costs is about two rebuilds of the store's views, and nothing is
    written to the database.
    """
    store_id = found.store_id
    with tempfile.TemporaryDirectory(prefix="lrs-erasure-dry-run-") as folder:
        scratch = Path(folder)
        redacted = make_engine(f"sqlite:///{scratch / 'log.sqlite3'}")
        log_metadata.create_all(redacted, tables=[events])
        with engine.connect() as conn:
            until = log.head(conn)[0]
            after = 0
            while chunk := log.read_forward(conn, after, batch, store_id=store_id, until=until):
                rows = []
                for event in chunk:
                    data, meta = found.rewrites.get(event.position, (event.data, event.metadata))
                    rows.append({
                        "position": event.position, "store_id": event.store_id,
                        "stream_id": event.stream_id, "stream_version": event.stream_version,
                        "event_id": event.event_id, "type": event.type,
                        "schema_version": event.schema_version, "data": data, "metadata": meta,
                        "recorded_at": event.recorded_at, "prev_hash": event.prev_hash,
                        "hash": event.hash,
                    })
                with redacted.begin() as scratch_conn:
                    scratch_conn.execute(insert(events), rows)
                after = chunk[-1].position
        changes: dict[str, dict[str, int]] = {}
        for projection in projections:
            if not getattr(projection, "tables", None):
                continue
            folded = []
            for kind, source in (("before", engine), ("after", redacted)):
                target = make_engine(f"sqlite:///{scratch / f'{projection.name}-{kind}.sqlite3'}")
                replay(source, projection, target, until=until, store_id=store_id).release()
                with target.connect() as conn:
                    folded.append(Counter(
                        (table.sql.name, *map(str, row))
                        for table in projection.tables for row in conn.execute(select(table.sql))
                    ))
                target.dispose()
            before, after_rows = folded
            changes[projection.name] = {
                "removed": sum((before - after_rows).values()),
                "added": sum((after_rows - before).values()),
            }
        redacted.dispose()
    return changes
