"""Shared helpers for the event-log contract tests (no ``test_`` prefix: not collected).

The worker functions live here, at module level, so that processes started with
the "spawn" context can import them by name.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, text

from lrs import log
from lrs.db import make_engine
from lrs.events import NewEvent, RecordedEvent, dumps

GENESIS = "0" * 64
# clock.format_utc: fixed-width ISO 8601 UTC with microseconds.
RECORDED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def new_event(
    stream_id: str,
    event_id: str | None = None,
    *,
    expected_version: int | None = None,
    data: Any = None,
    type_: str = "test.happened",
    metadata: str = "{}",
) -> NewEvent:
    return NewEvent(
        type=type_,
        stream_id=stream_id,
        event_id=event_id or uuid.uuid4().hex,
        data=dumps({"n": 0} if data is None else data),
        metadata=metadata,
        expected_version=expected_version,
    )


def all_events(engine: Engine) -> list[RecordedEvent]:
    """Every stored row in position order, read in one query (no batching)."""
    with engine.connect() as conn:
        return log.read_forward(conn, 0, limit=10**9)


def raw_rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every column of every row, straight from SQL (independent of the log module)."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text("SELECT * FROM events ORDER BY position"))]


def chain_hash(prev_hash: str, event: RecordedEvent) -> str:
    """The chain hash recomputed here, independently of ``lrs.log.row_hash``."""
    canonical = orjson.dumps(
        [
            event.position,
            event.store_id,
            event.stream_id,
            event.stream_version,
            event.event_id,
            event.type,
            event.schema_version,
            event.recorded_at,
            event.data,
            event.metadata,
        ]
    )
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def assert_log_invariants(rows: Sequence[RecordedEvent]) -> None:
    """What must hold of any untampered log, checked without ``log.verify``."""
    assert [e.position for e in rows] == list(range(1, len(rows) + 1)), "positions not 1..n"
    heads: dict[str, str] = {}
    ids: dict[str, set[str]] = defaultdict(set)
    versions: dict[tuple[str, str], int] = {}
    previous_recorded = ""
    for event in rows:
        prev = heads.get(event.store_id, GENESIS)
        assert event.prev_hash == prev, f"position {event.position}: chain link broken"
        assert event.hash == chain_hash(prev, event), f"position {event.position}: bad hash"
        heads[event.store_id] = event.hash
        assert event.event_id not in ids[event.store_id], f"duplicate {event.event_id}"
        ids[event.store_id].add(event.event_id)
        key = (event.store_id, event.stream_id)
        assert event.stream_version == versions.get(key, 0) + 1, f"stream {key} skips a version"
        versions[key] = event.stream_version
        assert RECORDED_AT.match(event.recorded_at), event.recorded_at
        assert event.recorded_at > previous_recorded, (
            f"position {event.position}: recorded_at does not grow"
        )
        previous_recorded = event.recorded_at


def assert_verifies(engine: Engine, rows: Sequence[RecordedEvent]) -> None:
    """``log.verify`` accepts the log, and its report describes ``rows``."""
    report = log.verify(engine)
    assert report.events == len(rows)
    assert report.head_position == (rows[-1].position if rows else 0)
    counts: dict[str, int] = defaultdict(int)
    heads: dict[str, str] = {}
    for event in rows:
        counts[event.store_id] += 1
        heads[event.store_id] = event.hash
    assert report.store_counts == dict(counts)
    assert report.store_heads == heads
    assert report.summary().startswith("log intact")
    for store, count in counts.items():
        store_report = log.verify(engine, store_id=store)
        assert store_report.events == count
        assert store_report.store_heads == {store: heads[store]}


def drop_triggers(engine: Engine) -> None:
    """What an attacker with DDL rights does first."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER events_no_update_delete ON events"))
            conn.execute(text("DROP TRIGGER events_no_truncate ON events"))
        else:
            conn.execute(text("DROP TRIGGER events_no_update"))
            conn.execute(text("DROP TRIGGER events_no_delete"))


# ---------------------------------------------------------------------------
# Concurrent writers (threads and spawned processes)
# ---------------------------------------------------------------------------

STORES = ("store-a", "store-b", "store-c")


def transaction_plan(worker: int, transactions: int) -> list[list[NewEvent]]:
    """Worker ``w`` appends to its own stream ``w<w>``, 1-3 events per transaction,
    each with the exact expected version (so a lost or doubled update shows up)."""
    plan: list[list[NewEvent]] = []
    version = 0
    for tx in range(transactions):
        size = 1 + (worker * 7 + tx * 5) % 3
        batch = []
        for i in range(size):
            batch.append(
                new_event(
                    f"w{worker}",
                    f"w{worker}-t{tx}-e{i}",
                    expected_version=version if i == 0 else None,
                    data={"worker": worker, "tx": tx, "i": i},
                )
            )
        version += size
        plan.append(batch)
    return plan


def store_of(worker: int) -> str:
    return STORES[worker % len(STORES)]


def run_worker(engine: Engine, worker: int, transactions: int) -> list[tuple[list[str], list[int]]]:
    """Append the worker's plan, one transaction each; returns (event ids, positions).

    The short pause between transactions lets waiting writers in (SQLite's busy
    handler is not fair), so that the writers' transactions really interleave."""
    done: list[tuple[list[str], list[int]]] = []
    for batch in transaction_plan(worker, transactions):
        time.sleep(0.002)
        with log.writing(engine) as writer:
            recorded = writer.append(store_of(worker), batch)
        done.append(([e.event_id for e in recorded], [e.position for e in recorded]))
    return done


def process_worker(url: str, worker: int, transactions: int, start: Any, results: Any) -> None:
    """Child process body: own engine, wait at the barrier, write, report back."""
    try:
        engine = make_engine(url, lock_timeout_seconds=60)
        try:
            start.wait(timeout=120)
            results.put(("ok", worker, run_worker(engine, worker, transactions)))
        finally:
            engine.dispose()
    except BaseException:
        results.put(("error", worker, traceback.format_exc()))


def assert_concurrent_outcome(
    rows: Sequence[RecordedEvent],
    results: dict[int, list[tuple[list[str], list[int]]]],
    workers: int,
    transactions: int,
) -> None:
    """The assertions shared by the thread and the process tests."""
    expected_ids = {
        e.event_id
        for w in range(workers)
        for batch in transaction_plan(w, transactions)
        for e in batch
    }
    stored_ids = [e.event_id for e in rows]
    assert len(stored_ids) == len(expected_ids), "events lost or added"
    assert len(set(stored_ids)) == len(stored_ids), "an event was stored twice"
    assert set(stored_ids) == expected_ids
    assert_log_invariants(rows)

    by_position = {e.position: e for e in rows}
    tx_spans: list[tuple[int, int, str]] = []
    for w in range(workers):
        plan = transaction_plan(w, transactions)
        assert len(results[w]) == transactions
        for (ids, positions), batch in zip(results[w], plan, strict=True):
            assert ids == [e.event_id for e in batch]
            # Contiguous: a transaction's events are never interleaved with another's.
            assert positions == list(range(positions[0], positions[0] + len(batch)))
            stored = [by_position[p] for p in positions]
            assert [e.event_id for e in stored] == ids
            assert {e.store_id for e in stored} == {store_of(w)}
            tx_spans.append((positions[0], positions[-1], stored[0].recorded_at))
        stream = [e for e in rows if e.stream_id == f"w{w}"]
        assert [e.stream_version for e in stream] == list(range(1, len(stream) + 1))
    tx_spans.sort()
    covered = [p for first, last, _ in tx_spans for p in range(first, last + 1)]
    assert covered == list(range(1, len(rows) + 1)), "transactions overlap or leave holes"
    times = [e.recorded_at for e in sorted(rows, key=lambda e: e.position)]
    assert all(a < b for a, b in itertools.pairwise(times)), (
        "recorded_at must strictly increase from one event to the next, across processes"
    )


def writer_switches(rows: Iterable[RecordedEvent]) -> int:
    """How often consecutive positions belong to different workers (0 = no overlap)."""
    streams = [e.stream_id for e in rows]
    return sum(1 for a, b in itertools.pairwise(streams) if a != b)
