"""The contract every registered projection keeps, on real databases.

Each test runs for every projection of ``projections.registry`` (a new one gets
these by being registered) and on both backends: each example writes a generated
statement history through the real write path into a fresh database and folds it
with the Runner. Rebuilding from zero equals catching up in increments; the batch
size changes nothing; a replay to position P equals the live view when the head
was P, and so does an ``asOf`` read; the SQL view equals the in-memory fold. (A
worker killed mid-batch: tests/db/test_projection_crash.py.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from projections.base import Projection
from projections.registry import all_projections, by_name
from projections.replays import Replays
from projections.runner import Runner, position_at, replay
from tests.progress_helpers import (
    Databases,
    Snapshot,
    chunked,
    credential_for,
    databases,
    diff,
    folded,
    head,
    histories,
    log_events,
    scratch_sqlite,
    sql_snapshot,
    write,
)

NAMES = [projection.name for projection in all_projections()]
BATCHES = st.sampled_from((1, 3, 500))
PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture(params=NAMES)
def projection(request: pytest.FixtureRequest) -> Projection:
    return by_name(request.param)


@pytest.fixture
def dbs(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Databases]:
    yield from databases(request, db_url, tmp_path)


def _only_store(snapshot: Snapshot, store_id: str) -> Snapshot:
    return {name: {k: r for k, r in rows.items() if r["store_id"] == store_id} for name, rows in snapshot.items()}


@PROPERTY
@given(statements=histories(), data=st.data())
def test_catching_up_in_increments_equals_a_rebuild_from_zero(
    dbs: Databases, projection: Projection, statements: list[dict[str, Any]], data: st.DataObject
) -> None:
    engine = dbs.new()
    try:
        runner = Runner(engine, [projection], batch=data.draw(BATCHES, label="batch"))
        for piece in data.draw(chunked(statements, max_chunks=4), label="requests"):
            write(engine, piece)
            if data.draw(st.booleans(), label="catch up now"):
                runner.catch_up()
        runner.catch_up()
        runner.release()
        incremental = sql_snapshot(engine, projection)
        assert incremental == folded(log_events(engine), projection), diff(incremental, folded(log_events(engine), projection))
        fresh = Runner(engine, [projection], batch=data.draw(BATCHES, label="rebuild batch"))
        assert fresh.rebuild(projection.name) == head(engine)
        fresh.release()
        rebuilt = sql_snapshot(engine, projection)
        assert rebuilt == incremental, diff(rebuilt, incremental)
    finally:
        dbs.drop(engine)


@PROPERTY
@given(statements=histories())
def test_batch_size_does_not_change_the_result(dbs: Databases, projection: Projection, statements: list[dict[str, Any]]) -> None:
    engine = dbs.new()
    try:
        write(engine, statements)
        results = []
        for batch in (1, 3, 500):
            runner = Runner(engine, [projection], batch=batch)
            runner.rebuild(projection.name)
            runner.release()
            results.append(sql_snapshot(engine, projection))
        assert results[0] == results[1] == results[2], diff(results[0], results[1]) or diff(results[1], results[2])
    finally:
        dbs.drop(engine)


@PROPERTY
@given(statements=histories(min_size=2), data=st.data())
def test_replay_to_a_position_equals_the_live_view_when_the_head_was_there(
    dbs: Databases, projection: Projection, tmp_path: Path, statements: list[dict[str, Any]], data: st.DataObject
) -> None:
    engine = dbs.new()
    scratch: list[Any] = []
    try:
        runner = Runner(engine, [projection], batch=data.draw(BATCHES, label="batch"))
        live: list[tuple[int, Snapshot]] = []
        for piece in data.draw(chunked(statements, max_chunks=4), label="requests"):
            write(engine, piece)
            if data.draw(st.booleans(), label="another store too"):
                write(engine, piece[:2], credential=credential_for("other"))
            runner.catch_up()
            live.append((head(engine), sql_snapshot(engine, projection)))
        runner.release()
        events = log_events(engine)
        for position, then in live:
            note(f"as of {position}")
            target = scratch_sqlite(tmp_path / f"replay-{uuid.uuid4().hex}.sqlite3")
            scratch.append(target)
            replayed = replay(engine, projection, target, until=position, batch=data.draw(BATCHES))
            assert replayed.position(projection.name) == position
            got = sql_snapshot(target, projection)
            assert got == then, diff(got, then)
            # One store's replay is that store's part of the view.
            mine = scratch_sqlite(tmp_path / f"replay-{uuid.uuid4().hex}.sqlite3")
            scratch.append(mine)
            replay(engine, projection, mine, until=position, store_id="default")
            assert sql_snapshot(mine, projection) == _only_store(then, "default")
            # A moment names the position of the last event recorded by then.
            moment = next(e.recorded_at for e in events if e.position == position)
            assert position_at(engine, moment) == position
    finally:
        for target in scratch:
            target.dispose()
            Path(str(target.url.database)).unlink(missing_ok=True)
        dbs.drop(engine)


@PROPERTY
@given(statements=histories(), data=st.data())
def test_the_sql_view_equals_the_memory_view(
    dbs: Databases, projection: Projection, statements: list[dict[str, Any]], data: st.DataObject
) -> None:
    engine = dbs.new()
    try:
        for piece in data.draw(chunked(statements, max_chunks=3), label="requests"):
            write(engine, piece)
        if data.draw(st.booleans(), label="another store"):
            write(engine, statements[: len(statements) // 2 + 1], credential=credential_for("other"))
        runner = Runner(engine, [projection], batch=data.draw(BATCHES, label="batch"))
        runner.catch_up()
        runner.release()
        events = log_events(engine)
        sql = sql_snapshot(engine, projection)
        memory = folded(events, projection, batch=data.draw(st.integers(0, 7), label="memory batch"))
        assert sql == memory, diff(sql, memory)
    finally:
        dbs.drop(engine)


@PROPERTY
@given(statements=histories(min_size=2), data=st.data())
def test_as_of_answers_equal_a_replay_from_zero(
    dbs: Databases, projection: Projection, tmp_path: Path, statements: list[dict[str, Any]],
    data: st.DataObject,
) -> None:
    """asOf reads start from snapshots (projections.replays): whatever the order in
    which positions are asked, each answer is the replay of the store to it."""
    engine = dbs.new()
    replays = Replays(engine, {projection.name: projection}, tmp_path / f"asof-{uuid.uuid4().hex}",
                      snapshot_every=data.draw(st.integers(1, 6), label="snapshot every"),
                      answers_kept=data.draw(st.integers(1, 3), label="answers kept"))
    scratch: list[Any] = []
    try:
        for piece in data.draw(chunked(statements, max_chunks=3), label="requests"):
            write(engine, piece)
        last = head(engine)
        asked = data.draw(st.lists(st.integers(0, last), min_size=1, max_size=5), label="positions")
        for position in asked:
            with replays.reading(projection.name, "default", position) as conn:
                got = sql_snapshot(conn.engine, projection)
            target = scratch_sqlite(tmp_path / f"replay-{uuid.uuid4().hex}.sqlite3")
            scratch.append(target)
            replay(engine, projection, target, until=position, store_id="default")
            expected = sql_snapshot(target, projection)
            assert got == expected, diff(got, expected)
    finally:
        replays.close()
        for target in scratch:
            target.dispose()
        dbs.drop(engine)
