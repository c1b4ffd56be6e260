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

from typing import Any

from sqlalchemy import Engine, func, or_, select

from lrs.xapi.agents import key_hash
from lrs.xapi.erasure import identity_keys
from projections.base import Projection
from projections.runner import Runner

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
