"""Properties of the progress projection on generated histories, on real databases.

Each example writes a history through the real write path into a fresh database
(SQLite file or PostgreSQL database copied from the migrated template), and folds
it with the Runner.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from projections.progress import ProgressProjection
from projections.runner import Runner, position_at, replay
from tests.progress_helpers import (
    Databases,
    Snapshot,
    check_against_oracle,
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

NAME = "progress"
BATCHES = st.sampled_from((1, 3, 500))
PROPERTY = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture
def dbs(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Databases]:
    yield from databases(request, db_url, tmp_path)


def _only_store(snapshot: Snapshot, store_id: str) -> Snapshot:
    return {name: {k: r for k, r in rows.items() if r["store_id"] == store_id} for name, rows in snapshot.items()}


@PROPERTY
@given(statements=histories(), data=st.data())
def test_catching_up_in_increments_equals_a_rebuild_from_zero(
    dbs: Databases, statements: list[dict[str, Any]], data: st.DataObject
) -> None:
    engine = dbs.new()
    try:
        runner = Runner(engine, [ProgressProjection()], batch=data.draw(BATCHES, label="batch"))
        for piece in data.draw(chunked(statements, max_chunks=4), label="requests"):
            write(engine, piece)
            if data.draw(st.booleans(), label="catch up now"):
                runner.catch_up()
        runner.catch_up()
        runner.release()
        incremental = sql_snapshot(engine)
        assert incremental == folded(log_events(engine)), diff(incremental, folded(log_events(engine)))
        fresh = Runner(engine, [ProgressProjection()], batch=data.draw(BATCHES, label="rebuild batch"))
        assert fresh.rebuild(NAME) == head(engine)
        fresh.release()
        rebuilt = sql_snapshot(engine)
        assert rebuilt == incremental, diff(rebuilt, incremental)
    finally:
        dbs.drop(engine)


@PROPERTY
@given(statements=histories())
def test_batch_size_does_not_change_the_result(dbs: Databases, statements: list[dict[str, Any]]) -> None:
    engine = dbs.new()
    try:
        write(engine, statements)
        results = []
        for batch in (1, 3, 500):
            runner = Runner(engine, [ProgressProjection()], batch=batch)
            runner.rebuild(NAME)
            runner.release()
            results.append(sql_snapshot(engine))
        assert results[0] == results[1] == results[2], diff(results[0], results[1]) or diff(results[1], results[2])
    finally:
        dbs.drop(engine)


@PROPERTY
@given(statements=histories(min_size=2), data=st.data())
def test_replay_to_a_position_equals_the_live_view_when_the_head_was_there(
    dbs: Databases, tmp_path: Path, statements: list[dict[str, Any]], data: st.DataObject
) -> None:
    engine = dbs.new()
    scratch: list[Any] = []
    try:
        runner = Runner(engine, [ProgressProjection()], batch=data.draw(BATCHES, label="batch"))
        live: list[tuple[int, Snapshot]] = []
        for piece in data.draw(chunked(statements, max_chunks=4), label="requests"):
            write(engine, piece)
            if data.draw(st.booleans(), label="another store too"):
                write(engine, piece[:2], credential=credential_for("other"))
            runner.catch_up()
            live.append((head(engine), sql_snapshot(engine)))
        runner.release()
        events = log_events(engine)
        for position, then in live:
            note(f"as of {position}")
            target = scratch_sqlite(tmp_path / f"replay-{uuid.uuid4().hex}.sqlite3")
            scratch.append(target)
            replayed = replay(engine, ProgressProjection(), target, until=position, batch=data.draw(BATCHES))
            assert replayed.position(NAME) == position
            got = sql_snapshot(target)
            assert got == then, diff(got, then)
            # One store's replay is that store's part of the view.
            mine = scratch_sqlite(tmp_path / f"replay-{uuid.uuid4().hex}.sqlite3")
            scratch.append(mine)
            replay(engine, ProgressProjection(), mine, until=position, store_id="default")
            assert sql_snapshot(mine) == _only_store(then, "default")
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
def test_the_sql_view_equals_the_memory_view_and_the_plain_rules(
    dbs: Databases, statements: list[dict[str, Any]], data: st.DataObject
) -> None:
    engine = dbs.new()
    try:
        for piece in data.draw(chunked(statements, max_chunks=3), label="requests"):
            write(engine, piece)
        if data.draw(st.booleans(), label="another store"):
            write(engine, statements[: len(statements) // 2 + 1], credential=credential_for("other"))
        runner = Runner(engine, [ProgressProjection()], batch=data.draw(BATCHES, label="batch"))
        runner.catch_up()
        runner.release()
        events = log_events(engine)
        sql = sql_snapshot(engine)
        memory = folded(events)
        assert sql == memory, diff(sql, memory)
        check_against_oracle(sql, events)
    finally:
        dbs.drop(engine)
