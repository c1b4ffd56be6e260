"""A projection worker killed with SIGKILL in the middle of a catch-up.

`lrs projections run` runs as the separate process it is, on a database holding a
few thousand statements. It is killed while it is folding; what it committed is
consistent with its checkpoint, and after a restart the view equals a clean
replay of the same log into a fresh SQLite file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from projections.base import Projection
from projections.registry import all_projections, by_name
from projections.runner import Runner, replay
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
    diff,
    folded,
    head,
    learner_statement,
    log_events,
    scratch_sqlite,
    sql_snapshot,
    voiding,
    write,
)

ROOT = Path(__file__).resolve().parents[2]
STATEMENTS = 4000
# A fresh interpreter, a few thousand events and a rebuild to compare with.
pytestmark = pytest.mark.slow


def _history(n: int) -> list[dict[str, Any]]:
    verbs = ("launched", "attempted", "experienced", "progressed", "completed", "failed", "passed", "scored")
    learners = [ANN, BOB, CY, *({"mbox": f"mailto:learner{i}@example.com", "name": f"L{i}"} for i in range(20))]
    activities = (COURSE, MODULE_1, MODULE_2, LESSON_1)
    out: list[dict[str, Any]] = []
    for i in range(n):
        if i % 13 == 12:
            # Earlier statements, and now and then one not stored yet.
            out.append(voiding(out[i - 7]["id"]) if i % 2 else voiding(_id(i + 5)))
            continue
        out.append(
            learner_statement(
                learners[i % len(learners)], verbs[i % len(verbs)], activities[(i // 3) % len(activities)],
                at=BASE + timedelta(seconds=37 * i), registration=REGISTRATIONS[i % 2] if i % 5 == 0 else None,
                result={"score": {"scaled": (i % 10) / 10}, "duration": "PT2M"} if i % 4 == 3 else None,
                statement_id=_id(i),
            )
        )
    return out


def _id(i: int) -> str:
    return f"00000000-0000-4000-8000-{i:012d}"


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("LRS_")}
    env.update(LRS_DATABASE_URL=db_url, LRS_DATA_DIR=str(tmp_path), LRS_LOG_LEVEL="WARNING")
    return env


def _kill_mid_catch_up(engine: Engine, env: dict[str, str], total: int, name: str) -> int:
    """Start a worker, SIGKILL it once the checkpoint of ``name`` is between 0 and the head."""
    observer = Runner(engine, [by_name(name)])
    for _ in range(3):
        worker = subprocess.Popen(
            [sys.executable, "-m", "cli", "projections", "run", "--interval", "0.05"],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                position = observer.position(name)
                if 0 < position < total:
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=30)
                    assert worker.returncode == -signal.SIGKILL
                    return position
                if position >= total or worker.poll() is not None:
                    break
                time.sleep(0.003)
            else:
                pytest.fail("the worker made no progress in 90 s")
        finally:
            if worker.poll() is None:
                worker.kill()
            _, err = worker.communicate(timeout=30)
        assert worker.returncode in (-signal.SIGKILL, -signal.SIGTERM), err
        # It finished before we caught it in the middle: start it again from zero.
        observer.reset(name)
    pytest.fail("never caught the worker in the middle of its catch-up")


@pytest.mark.parametrize("name", [p.name for p in all_projections()])
def test_a_worker_killed_mid_catch_up_resumes_to_the_view_of_a_clean_replay(
    engine: Engine, db_url: str, tmp_path: Path, name: str
) -> None:
    projection: Projection = by_name(name)
    statements = _history(STATEMENTS)
    for start in range(0, len(statements), 250):
        write(engine, statements[start : start + 250])
    total = head(engine)
    assert total == STATEMENTS
    env = _env(db_url, tmp_path)
    Runner(engine, all_projections()).status()  # the checkpoints exist before the race starts

    killed_at = _kill_mid_catch_up(engine, env, total, name)
    # What the killed worker committed agrees with its checkpoint, to the event.
    after_kill = Runner(engine, [projection]).position(name)
    assert 0 < killed_at <= after_kill < total
    events = log_events(engine)
    half_way = sql_snapshot(engine, projection)
    expected_then = folded([e for e in events if e.position <= after_kill], projection)
    assert half_way == expected_then, diff(half_way, expected_then)

    # Restart: a worker catches up once and exits. On PostgreSQL the killed
    # worker's lease goes when the server notices its session is gone.
    deadline = time.monotonic() + 30
    while True:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "projections", "run", "--once"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == 0, done.stderr
        reached = json.loads(done.stdout.strip().splitlines()[-1])
        if reached or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert reached[name] == total

    live = sql_snapshot(engine, projection)
    target = scratch_sqlite(tmp_path / "clean-replay.sqlite3")
    try:
        assert replay(engine, projection, target, until=total).position(name) == total
        clean = sql_snapshot(target, projection)
    finally:
        target.dispose()
    assert live == clean, diff(live, clean)
    assert live == folded(events, projection)
    assert sum(len(rows) for rows in live.values()) > 50
