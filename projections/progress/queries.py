"""Reading the progress view: learner summary, activity summary, detail, cohort.

Each function takes a connection, so the same code answers from the live tables
and from a replay's scratch database (``asOf``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from lrs.xapi.agents import key_hash
from projections.progress.logic import ALL_REGISTRATIONS, STATUSES, counts_in, fact_of, summarize
from projections.progress.schema import edges, facts, records

_SUMMARY_COLUMNS = (
    records.c.activity_id,
    records.c.registration,
    records.c.status,
    records.c.attempts,
    records.c.first_at,
    records.c.last_at,
    records.c.completed_at,
    records.c.best_scaled,
    records.c.last_scaled,
    records.c.time_spent_s,
    records.c.progress,
)


def _record(row: Any, *, learner: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "activityId": row.activity_id,
        "registration": row.registration or None,
        "status": row.status,
        "attempts": row.attempts,
        "firstActivity": row.first_at,
        "lastActivity": row.last_at,
        "completedAt": row.completed_at,
        "bestScaledScore": row.best_scaled,
        "lastScaledScore": row.last_scaled,
        "timeSpentSeconds": row.time_spent_s,
        "progress": row.progress,
    }
    if learner:
        out["learner"] = row.learner
    return out


def _window(query: Any, since: str | None, until: str | None) -> Any:
    # Times are ISO 8601 UTC with microseconds, so text order is time order.
    if since is not None:
        query = query.where(records.c.last_at > since)
    if until is not None:
        query = query.where(records.c.first_at <= until)
    return query


def learner_summary(
    conn: Connection, store_id: str, learner_key: str, *, registration: str = ALL_REGISTRATIONS,
    since: str | None = None, until: str | None = None, limit: int = 100, offset: int = 0,
) -> dict[str, Any]:
    """Every activity a learner has a record for, most recent first."""
    query = select(*_SUMMARY_COLUMNS, records.c.learner).where(
        records.c.store_id == store_id,
        records.c.learner_hash == key_hash(learner_key),
        records.c.registration == registration,
    )
    rows = conn.execute(
        _window(query, since, until)
        .order_by(records.c.last_at.desc(), records.c.activity_id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    # The counts are the learner's in the window, whatever the page.
    counts = {status: 0 for status in STATUSES[1:]}
    counted = _window(
        select(records.c.status, func.count()).where(
            records.c.store_id == store_id,
            records.c.learner_hash == key_hash(learner_key),
            records.c.registration == registration,
        ),
        since,
        until,
    ).group_by(records.c.status)
    for status, count in conn.execute(counted):
        counts[status] = count
    return {
        "learner": rows[0].learner if rows else None,
        "activities": [_record(row) for row in rows[:limit]],
        "statusCounts": counts,
        "more": len(rows) > limit,
    }


def _time_to_complete(first: str, completed: str | None) -> float | None:
    if completed is None:
        return None
    return (datetime.fromisoformat(completed) - datetime.fromisoformat(first)).total_seconds()


def _stats(rows: Sequence[Any]) -> dict[str, Any]:
    counts = {status: 0 for status in STATUSES[1:]}
    for row in rows:
        counts[row.status] += 1
    learners = len(rows)
    judged = counts["passed"] + counts["failed"]
    scores = [row.best_scaled for row in rows if row.best_scaled is not None]
    durations = [
        t for row in rows if (t := _time_to_complete(row.first_at, row.completed_at)) is not None
    ]
    return {
        "learners": learners,
        "statusCounts": counts,
        "completionRate": (counts["completed"] + counts["passed"]) / learners if learners else None,
        "passRate": counts["passed"] / judged if judged else None,
        "averageScaledScore": sum(scores) / len(scores) if scores else None,
        "medianSecondsToComplete": statistics.median(durations) if durations else None,
    }


def children_of(conn: Connection, store_id: str, activity_id: str) -> list[dict[str, str]]:
    rows = conn.execute(
        select(edges.c.child_id, edges.c.kind)
        .where(edges.c.store_id == store_id, edges.c.parent_hash == key_hash(activity_id))
        .order_by(edges.c.child_id)
    ).all()
    merged: dict[str, set[str]] = {}
    for row in rows:
        merged.setdefault(row.child_id, set()).add(row.kind)
    return [{"activityId": child, "relation": "/".join(sorted(kinds))} for child, kinds in merged.items()]


def activity_summary(
    conn: Connection, store_id: str, activity_id: str, *, registration: str = ALL_REGISTRATIONS,
    since: str | None = None, until: str | None = None,
) -> dict[str, Any]:
    """How many learners are in each status, with rates, scores and time to complete."""
    query = select(
        records.c.status, records.c.best_scaled, records.c.first_at, records.c.completed_at
    ).where(
        records.c.store_id == store_id,
        records.c.activity_hash == key_hash(activity_id),
        records.c.registration == registration,
    )
    rows = conn.execute(_window(query, since, until)).all()
    children = children_of(conn, store_id, activity_id)
    for child in children:
        child_rows = conn.execute(
            _window(
                select(records.c.status, records.c.best_scaled, records.c.first_at, records.c.completed_at)
                .where(
                    records.c.store_id == store_id,
                    records.c.activity_hash == key_hash(child["activityId"]),
                    records.c.registration == registration,
                ),
                since,
                until,
            )
        ).all()
        child.update(_stats(child_rows))
    return {"activityId": activity_id, **_stats(rows), "children": children}


def detail(
    conn: Connection, store_id: str, learner_key: str, activity_id: str, *,
    registration: str | None = None, since: str | None = None, until: str | None = None,
) -> list[dict[str, Any]]:
    """A learner's records for one activity (all registrations, or one), with evidence:
    the statements behind each figure, worked out from the record's facts."""
    learner_hash, activity_hash = key_hash(learner_key), key_hash(activity_id)
    query = select(*_SUMMARY_COLUMNS, records.c.learner).where(
        records.c.store_id == store_id,
        records.c.learner_hash == learner_hash,
        records.c.activity_hash == activity_hash,
    )
    if registration is not None:
        query = query.where(records.c.registration == registration)
    rows = conn.execute(_window(query, since, until).order_by(records.c.registration)).all()
    found = [
        dict(fact._mapping)
        for fact in conn.execute(
            select(facts).where(
                facts.c.store_id == store_id,
                facts.c.learner_hash == learner_hash,
                facts.c.activity_hash == activity_hash,
            )
        )
    ] if rows else []

    def evidence(registration: str) -> dict[str, Any]:
        own = [fact_of(fact) for fact in found if counts_in(fact, registration)]
        return dict(summarize(own)["evidence"])

    return [{**_record(row, learner=True), "evidence": evidence(row.registration)} for row in rows]


def cohort(
    conn: Connection, store_id: str, activity_id: str, *, registration: str = ALL_REGISTRATIONS,
    since: str | None = None, until: str | None = None, limit: int = 100, offset: int = 0,
) -> dict[str, Any]:
    """Learner x child activity: each learner's status on every child of the activity,
    how many are completed or passed, and the percentage."""
    children = [c["activityId"] for c in children_of(conn, store_id, activity_id)]
    hashes = {key_hash(child): child for child in children}
    tree = [key_hash(activity_id), *hashes]
    query = select(records.c.learner_hash, records.c.learner, records.c.activity_hash, records.c.status).where(
        records.c.store_id == store_id,
        records.c.registration == registration,
        records.c.activity_hash.in_(tree),
    )
    by_learner: dict[str, dict[str, Any]] = {}
    for row in conn.execute(_window(query, since, until)):
        entry = by_learner.setdefault(
            row.learner_hash, {"learner": row.learner, "statuses": {}, "own": None}
        )
        if row.activity_hash == tree[0]:
            entry["own"] = row.status
        else:
            entry["statuses"][hashes[row.activity_hash]] = row.status
    ordered = sorted(by_learner.values(), key=lambda e: orjson.dumps(e["learner"], option=orjson.OPT_SORT_KEYS))
    rows = []
    for entry in ordered[offset : offset + limit]:
        statuses = {child: entry["statuses"].get(child, "not attempted") for child in children}
        done = sum(1 for s in statuses.values() if s in ("completed", "passed"))
        rows.append(
            {
                "learner": entry["learner"],
                "status": entry["own"] or ("not attempted" if not entry["statuses"] else "in progress"),
                "children": statuses,
                "completedChildren": done,
                "percentComplete": round(100.0 * done / len(children), 2) if children else None,
            }
        )
    return {
        "activityId": activity_id,
        "children": children,
        "learners": rows,
        "totalLearners": len(ordered),
        "more": offset + limit < len(ordered),
    }
