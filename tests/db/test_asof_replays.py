"""``asOf`` replays (projections.replays): answers equal a replay from zero, cost at
most one snapshot interval once a store's history has been passed through, take
turns per store, and refuse positions the log has not reached."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.errors import InvalidParameter
from projections.progress import ProgressProjection
from projections.replays import Replays
from projections.runner import replay
from projections.service import AsOf, ViewService
from tests.progress_helpers import (
    ANN,
    MODULE_1,
    credential_for,
    head,
    learner_statement,
    scratch_sqlite,
    sql_snapshot,
    voiding,
    write,
)


class Counting(ProgressProjection):
    """The progress projection, counting the events it folds."""

    def __init__(self) -> None:
        self.handled = 0

    def handle(self, event: Any, view: Any) -> None:
        self.handled += 1
        super().handle(event, view)


def history(engine: Engine, n: int, store_id: str = "default") -> list[str]:
    statements = [learner_statement(ANN, "experienced", MODULE_1) for _ in range(n)]
    write(engine, statements, credential=credential_for(store_id))
    # A voiding near the end: replays before it still count the statement.
    write(engine, [voiding(statements[3]["id"])], credential=credential_for(store_id))
    return [s["id"] for s in statements]


def replayed_from_zero(engine: Engine, tmp_path: Path, position: int, name: str) -> dict[str, Any]:
    target = scratch_sqlite(tmp_path / f"{name}.sqlite3")
    replay(engine, ProgressProjection(), target, until=position, store_id="default")
    snapshot = sql_snapshot(target)
    target.dispose()
    return snapshot


def read_all(replays: Replays, position: int) -> dict[str, Any]:
    with replays.reading("progress", "default", position) as conn:
        return sql_snapshot(conn.engine)


def test_an_answer_equals_a_replay_from_zero_and_later_ones_fold_one_interval(
    engine: Engine, tmp_path: Path
) -> None:
    history(engine, 60)
    counting = Counting()
    replays = Replays(
        engine, {"progress": counting}, tmp_path / "scratch", snapshot_every=10, answers_kept=1
    )
    try:
        last = head(engine)
        assert read_all(replays, last) == replayed_from_zero(engine, tmp_path, last, "a")
        assert counting.handled > 50  # the first pass goes through the history once
        for position in (last - 1, 37, 12, 5, 44):
            counting.handled = 0
            got = read_all(replays, position)
            assert counting.handled <= 10, (position, counting.handled)
            assert got == replayed_from_zero(engine, tmp_path, position, f"p{position}")
        # A position asked again is answered without folding anything.
        counting.handled = 0
        read_all(replays, 44)
        assert counting.handled == 0
    finally:
        replays.close()


def test_snapshots_are_bounded_however_long_the_history(engine: Engine, tmp_path: Path) -> None:
    history(engine, 80)
    replays = Replays(engine, {"progress": ProgressProjection()}, tmp_path / "s", snapshot_every=2,
                      snapshots_kept=5)
    try:
        read_all(replays, head(engine))
        files = list((tmp_path / "s").glob("snapshot-*.sqlite3"))
        assert 1 <= len(files) <= 5
    finally:
        replays.close()


def test_a_store_replays_while_another_store_is_replaying(engine: Engine, tmp_path: Path) -> None:
    from lrs.credentials import create_store

    create_store(engine, "second")
    history(engine, 5)
    history(engine, 5, store_id="second")
    inside, release = threading.Event(), threading.Event()

    class Slow(ProgressProjection):
        def handle(self, event: Any, view: Any) -> None:
            if event.store_id == "default":
                inside.set()
                assert release.wait(20)
            super().handle(event, view)

    replays = Replays(engine, {"progress": Slow()}, tmp_path / "s", parallel=2)
    slow = threading.Thread(target=read_all, args=(replays, head(engine)))
    slow.start()
    try:
        assert inside.wait(10)
        done = threading.Event()

        def other() -> None:
            with replays.reading("progress", "second", head(engine)):
                done.set()

        threading.Thread(target=other).start()
        assert done.wait(10), "the other store waited for this store's replay"
    finally:
        release.set()
        slow.join(20)
        replays.close()


def test_positions_beyond_the_head_are_refused(engine: Engine) -> None:
    history(engine, 5)
    views = ViewService(engine, [ProgressProjection()])
    try:
        for position in (head(engine) + 1, 2**62):
            with pytest.raises(InvalidParameter) as refused, views.reading(
                "progress", "default", as_of=AsOf(position=position)
            ):
                pass
            assert refused.value.parameter == "asOf" and "beyond the log head" in refused.value.rule
        # The head itself, and a moment after the newest event, are the present.
        with views.reading("progress", "default", as_of=AsOf(position=head(engine))) as (_, at):
            assert at == head(engine)
        with views.reading("progress", "default", as_of=AsOf(moment="2999-01-01T00:00:00.000000Z")) as (_, at):
            assert at == head(engine)
    finally:
        views.stop()
