"""The projection engine on real databases: checkpoints, errors, versions, workers."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.events import RecordedEvent
from projections.progress import ProgressProjection
from projections.runner import ProjectionBusy, ProjectionError, Runner
from projections.view import View
from tests.progress_helpers import (
    ANN,
    BASE,
    BOB,
    COURSE,
    CY,
    LESSON_1,
    MODULE_1,
    MODULE_2,
    REGISTRATIONS,
    checkpoint,
    credential_for,
    diff,
    folded,
    head,
    learner_statement,
    log_events,
    sql_snapshot,
    voiding,
    write,
)

NAME = "progress"


def _course(n: int, *, start: int = 0) -> list[dict[str, Any]]:
    """``n`` statements of three learners through the course, with some voiding."""
    verbs = ("launched", "attempted", "experienced", "completed", "failed", "passed", "scored")
    activities = (COURSE, MODULE_1, MODULE_2, LESSON_1)
    out: list[dict[str, Any]] = []
    for i in range(start, start + n):
        if i % 11 == 10 and out:
            out.append(voiding(out[-3 if len(out) > 2 else -1]["id"]))
            continue
        out.append(
            learner_statement(
                (ANN, BOB, CY)[i % 3], verbs[i % len(verbs)], activities[i % len(activities)],
                at=BASE + timedelta(minutes=i), registration=REGISTRATIONS[i % 2] if i % 4 == 0 else None,
                result={"score": {"scaled": round((i % 10) / 10, 1)}, "duration": "PT1M"} if i % 7 == 6 else None,
            )
        )
    return out


def _fill(engine: Engine, n: int, per_request: int = 50) -> int:
    statements = _course(n)
    for start in range(0, len(statements), per_request):
        write(engine, statements[start : start + per_request])
    return head(engine)


# ------------------------------------------------------------------ checkpoints


def test_checkpoint_only_moves_forward_and_rows_match_it(engine: Engine) -> None:
    total = _fill(engine, 40)
    runner = Runner(engine, [ProgressProjection()], batch=7)
    events = log_events(engine)
    seen = [runner.position(NAME)]
    while runner.step(NAME):
        position = runner.position(NAME)
        assert position > seen[-1]
        seen.append(position)
        # The rows committed are exactly those of the events up to the checkpoint.
        assert sql_snapshot(engine) == folded([e for e in events if e.position <= position])
    assert seen[-1] == total
    assert runner.step(NAME) == 0 and runner.position(NAME) == total
    # A worker that is behind cannot move the checkpoint back.
    late = Runner(engine, [ProgressProjection()], batch=7)
    late.catch_up()
    assert runner.position(NAME) == total


def test_a_batch_whose_commit_fails_leaves_nothing_and_is_redone(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(engine, 30)
    runner = Runner(engine, [ProgressProjection()], batch=10)
    runner.step(NAME)
    before, position = sql_snapshot(engine), runner.position(NAME)
    original = View.flush

    def flush_then_fail(self: View) -> int:
        original(self)  # the rows are written, then the transaction fails
        raise RuntimeError("connection lost")

    monkeypatch.setattr(View, "flush", flush_then_fail)
    with pytest.raises(RuntimeError):
        runner.step(NAME)
    assert runner.position(NAME) == position
    assert sql_snapshot(engine) == before
    monkeypatch.undo()
    runner.catch_up()
    assert runner.position(NAME) == head(engine)
    expected = folded(log_events(engine))
    got = sql_snapshot(engine)
    assert got == expected, diff(got, expected)


# ----------------------------------------------------------------------- errors


class Flaky(ProgressProjection):
    """The progress projection, failing on chosen statements (a 'bug' we then fix)."""

    def __init__(self, poison: set[str]) -> None:
        self.poison = poison

    def handle(self, event: RecordedEvent, view: View) -> None:
        if event.payload()["id"] in self.poison:
            raise ValueError(f"cannot handle {event.payload()['id']}")
        super().handle(event, view)


@pytest.mark.parametrize("batch", [1, 4, 500])
def test_an_event_that_cannot_be_handled_stops_the_projection_there(engine: Engine, batch: int) -> None:
    total = _fill(engine, 20)
    events = log_events(engine)
    bad = events[12]
    flaky = Flaky({bad.payload()["id"]})
    runner = Runner(engine, [flaky], batch=batch)
    for _ in range(3):  # retrying never skips it
        with pytest.raises(ProjectionError) as caught:
            runner.catch_up()
        assert (caught.value.name, caught.value.position) == (NAME, bad.position)
        assert "ValueError" in caught.value.reason
        (status,) = runner.status()
        assert status.error is not None and "cannot handle" in status.error
        assert status.error_position == bad.position
        assert status.position < bad.position
        assert status.position >= bad.position - batch
        if batch == 1:
            assert status.position == bad.position - 1
        assert status.lag == total - status.position
        # What is committed is consistent with the checkpoint.
        assert sql_snapshot(engine) == folded([e for e in events if e.position <= status.position])
    # The cause is fixed: the next catch-up goes on from where it stopped.
    flaky.poison.clear()
    assert runner.catch_up() == {NAME: total}
    (status,) = runner.status()
    assert (status.position, status.error, status.error_position) == (total, None, None)
    assert sql_snapshot(engine) == folded(events)


def test_background_runner_keeps_retrying_a_stopped_projection(engine: Engine) -> None:
    from projections.runner import BackgroundRunner, wait_for

    total = _fill(engine, 10)
    bad = log_events(engine)[4]
    flaky = Flaky({bad.payload()["id"]})
    runner = Runner(engine, [flaky], batch=2)
    background = BackgroundRunner(runner, interval=0.02)
    background.start()
    try:
        deadline = time.monotonic() + 10
        while runner.status()[0].error_position is None and time.monotonic() < deadline:
            time.sleep(0.02)
        (status,) = runner.status()
        assert status.error_position == bad.position
        assert wait_for(runner, NAME, total, timeout=0.2) < bad.position
        flaky.poison.clear()
        background.notify()
        assert wait_for(runner, NAME, total, timeout=10) == total
    finally:
        background.stop()
    assert sql_snapshot(engine) == folded(log_events(engine))


# --------------------------------------------------------------------- versions


class OnlyAnn(ProgressProjection):
    """A new version of the code that folds differently (ignores everyone but Ann)."""

    version = ProgressProjection.version + 1

    def handle(self, event: RecordedEvent, view: View) -> None:
        actor = event.payload()["actor"]
        if actor.get("mbox") == ANN["mbox"] or event.payload()["verb"]["id"].endswith("/voided"):
            super().handle(event, view)


def test_a_version_bump_rebuilds_on_the_next_step(engine: Engine) -> None:
    total = _fill(engine, 30)
    old = Runner(engine, [ProgressProjection()])
    old.catch_up()
    old.release()  # the old worker stops; the new code starts
    assert checkpoint(engine).version == ProgressProjection.version
    write(engine, _course(5, start=100))
    new = Runner(engine, [OnlyAnn()], batch=8)
    new.step(NAME)
    row = checkpoint(engine)
    assert (row.version, row.position) == (OnlyAnn.version, 8), "rebuilt from zero, one batch"
    new.catch_up()
    events = log_events(engine)
    assert new.position(NAME) == head(engine) > total
    # Everything was folded by the new code, not only the events after the bump.
    assert sql_snapshot(engine) == folded(events, OnlyAnn())
    assert sql_snapshot(engine) != folded(events)
    new.release()


# ------------------------------------------------------------------- reset/rebuild


def test_rebuild_and_reset_give_the_same_tables(engine: Engine) -> None:
    total = _fill(engine, 45)
    runner = Runner(engine, [ProgressProjection()], batch=6)
    runner.catch_up()
    before = sql_snapshot(engine)
    assert before["progress_records"] and before["progress_edges"]
    assert runner.rebuild(NAME) == total
    assert sql_snapshot(engine) == before
    runner.reset(NAME)
    assert runner.position(NAME) == 0
    assert all(not rows for rows in sql_snapshot(engine).values())
    assert runner.catch_up() == {NAME: total}
    assert sql_snapshot(engine) == before
    runner.release()


def test_rebuild_reports_progress(engine: Engine) -> None:
    total = _fill(engine, 25)
    moved: list[int] = []
    runner = Runner(engine, [ProgressProjection()], batch=10)
    assert runner.rebuild(NAME, progress=moved.append) == total
    assert sum(moved) == total and len(moved) == 3
    runner.release()


# -------------------------------------------------------------- several workers


def test_two_runners_taking_turns_never_double_count(engine: Engine) -> None:
    _fill(engine, 30)
    a = Runner(engine, [ProgressProjection()], batch=4)
    b = Runner(engine, [ProgressProjection()], batch=5)
    turns = [a, b, a, a, b, b, a, b]
    for runner in turns:
        runner.step(NAME)
    write(engine, _course(12, start=50))
    while a.step(NAME) + b.step(NAME):
        pass
    expected = folded(log_events(engine))
    got = sql_snapshot(engine)
    assert got == expected, diff(got, expected)


def test_a_rebuild_by_another_runner_is_not_double_counted(engine: Engine) -> None:
    _fill(engine, 20)
    worker = Runner(engine, [ProgressProjection()], batch=6)
    worker.step(NAME)
    other = Runner(engine, [ProgressProjection()], batch=4)
    other.reset(NAME)  # e.g. `lrs projections rebuild` in another process
    other.step(NAME)
    assert other.position(NAME) == 4
    while worker.step(NAME):
        pass
    assert sql_snapshot(engine) == folded(log_events(engine))


def test_concurrent_runners_never_double_count(engine: Engine) -> None:
    _fill(engine, 120, per_request=40)
    runners = [Runner(engine, [ProgressProjection()], batch=b) for b in (3, 5, 7)]
    results: list[dict[str, int]] = []
    failures: list[BaseException] = []
    go = threading.Barrier(len(runners))

    def work(runner: Runner) -> None:
        try:
            go.wait()
            for _ in range(30):
                results.append(runner.catch_up())
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]

    def writer() -> None:
        more = _course(60, start=500)
        for start in range(0, 60, 6):
            write(engine, more[start : start + 6])

    for thread in threads:
        thread.start()
    writing = threading.Thread(target=writer)
    writing.start()
    writing.join()
    for thread in threads:
        thread.join()
    assert not failures, failures
    final = Runner(engine, [ProgressProjection()])
    final.catch_up()
    total = head(engine)
    assert final.position(NAME) == total
    expected = folded(log_events(engine))
    got = sql_snapshot(engine)
    assert got == expected, diff(got, expected)
    if engine.dialect.name == "postgresql":
        # The lease: one runner folds, the others are held off (their catch_up
        # leaves the projection out).
        folding = [i for i, r in enumerate(runners) if NAME in r._lease_connections]
        assert len(folding) == 1
        assert any(NAME not in reached for reached in results)
    for runner in [*runners, final]:
        runner.release()


def test_postgres_lease_holds_off_a_second_worker_until_the_first_stops(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("leases are PostgreSQL advisory locks")
    total = _fill(engine, 20)
    first = Runner(engine, [ProgressProjection()], batch=5)
    second = Runner(engine, [ProgressProjection()], batch=5)
    assert first.catch_up() == {NAME: total}
    write(engine, _course(5, start=40))
    assert second.catch_up() == {}, "held off by the lease"
    assert second.position(NAME) == total
    with pytest.raises(ProjectionBusy):
        second.rebuild(NAME)
    assert second.position(NAME) == total, "a refused rebuild touches nothing"
    first.release()  # the first worker stops: its lease passes on
    assert second.catch_up() == {NAME: head(engine)}
    assert sql_snapshot(engine) == folded(log_events(engine))
    second.release()


def test_workers_starting_together_on_a_new_database_all_start(engine: Engine) -> None:
    """The checkpoint row is created on first use, by whichever worker comes first."""
    _fill(engine, 5)
    runners = [Runner(engine, [ProgressProjection()]) for _ in range(6)]
    go = threading.Barrier(len(runners))
    failures: list[BaseException] = []
    positions: list[int] = []

    def start(runner: Runner) -> None:
        try:
            go.wait()
            positions.append(runner.position(NAME))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    assert positions == [0] * len(runners)


def test_a_store_with_the_longest_id_folds_registered_statements(engine: Engine) -> None:
    """Store ids may have 64 characters; the record key then has 167 (migration 0007
    widened ``progress_records.key``: PostgreSQL refused such rows before)."""
    store_id = "s" * 64
    write(engine, [learner_statement(ANN, "attempted", MODULE_1, registration=REGISTRATIONS[0])],
          credential=credential_for(store_id))
    runner = Runner(engine, [ProgressProjection()])
    try:
        assert runner.catch_up() == {NAME: head(engine)}
    finally:
        runner.release()
    assert sql_snapshot(engine) == folded(log_events(engine))


def test_a_batch_the_database_refuses_to_store_shows_in_status(engine: Engine) -> None:
    """Errors while writing a batch stop the projection at that batch, visibly."""
    write(engine, [learner_statement(ANN, "attempted", MODULE_1)])
    runner = Runner(engine, [ProgressProjection()])
    # The database refuses the batch's rows when they are written (reads still work).
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON progress_records "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON progress_records "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
    try:
        with pytest.raises(ProjectionError) as stopped:
            runner.catch_up()
        (status,) = runner.status()
        assert status.error is not None and "writing the batch" in status.error
        assert status.error_position == stopped.value.position == 1
        assert status.position == 0
    finally:
        runner.release()
