"""`lrs projections status|run|rebuild|replay`, run as the separate processes they are."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.db import make_engine
from projections.progress import ProgressProjection
from projections.runner import ProjectionError, Runner, replay
from tests.db.test_projection_engine import Flaky, _fill
from tests.progress_helpers import (
    diff,
    folded,
    head,
    log_events,
    scratch_sqlite,
    sql_snapshot,
)

ROOT = Path(__file__).resolve().parents[2]
NAME = "progress"
VERSION = ProgressProjection.version
# Every command is a fresh interpreter (about a second of imports).
pytestmark = pytest.mark.slow

Cli = Callable[..., subprocess.CompletedProcess[str]]


def _cli(db_url: str, tmp_path: Path) -> Cli:
    env = {name: value for name, value in os.environ.items() if not name.startswith("LRS_")}
    env.update(LRS_DATABASE_URL=db_url, LRS_DATA_DIR=str(tmp_path))

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "projections", *args], env=env, cwd=ROOT,
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == code, (done.stdout, done.stderr)
        return done

    return run


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return _cli(db_url, tmp_path)


def _status(cli: Cli) -> dict[str, Any]:
    # Every registered view is listed; these tests drive the progress view.
    (only,) = [s for s in json.loads(cli("status", "--json").stdout) if s["name"] == NAME]
    return dict(only)


def _replayed(path: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return sql_snapshot(engine)
    finally:
        engine.dispose()


def test_status_run_and_rebuild(cli: Cli, engine: Engine) -> None:
    total = _fill(engine, 120)
    status = _status(cli)
    assert status["updated_at"]
    del status["updated_at"]
    assert status == {
        "name": NAME, "version": VERSION, "position": 0, "head": total, "lag": total,
        "error": None, "error_position": None,
    }
    # A projection that stopped on an event says so, with the position.
    bad = log_events(engine)[50]
    flaky = Runner(engine, [Flaky({bad.payload()["id"]})], batch=10)
    with pytest.raises(ProjectionError):
        flaky.catch_up()
    flaky.release()
    stopped = _status(cli)
    assert stopped["error_position"] == bad.position and "cannot handle" in stopped["error"]
    assert stopped["position"] == 50 and stopped["lag"] == total - 50
    text = cli("status").stdout
    assert f"{NAME} v{VERSION}: position 50 of {total} (lag {total - 50}) stopped at {bad.position}" in text

    # The real code handles it: a worker run once catches up and clears the error.
    assert json.loads(cli("run", "--once").stdout)[NAME] == total
    done = _status(cli)
    assert (done["position"], done["lag"], done["error"], done["error_position"]) == (total, 0, None, None)
    assert f"{NAME} v{VERSION}: position {total} of {total} (lag 0) ok" in cli("status").stdout.splitlines()
    live = sql_snapshot(engine)
    assert live == folded(log_events(engine))

    rebuilt = cli("rebuild", NAME)
    match = re.search(rf"{NAME} rebuilt to position (\d+) in [\d.]+ s \((\d+) events/s\)", rebuilt.stdout)
    assert match, rebuilt.stdout
    assert int(match.group(1)) == total and int(match.group(2)) > 0
    assert sql_snapshot(engine) == live


def test_replay_writes_the_view_as_of_a_position_or_a_time(cli: Cli, engine: Engine, tmp_path: Path) -> None:
    _fill(engine, 60)
    middle = head(engine)
    _fill(engine, 40)
    assert head(engine) > middle
    events = log_events(engine)

    out = tmp_path / "as-of-position.sqlite3"
    done = cli("replay", NAME, "--as-of", str(middle), "--out", str(out))
    assert f"{NAME} as of position {middle} written to {out}" in done.stdout
    target = scratch_sqlite(tmp_path / "in-process.sqlite3")
    try:
        replay(engine, ProgressProjection(), target, until=middle)
        expected = sql_snapshot(target)
    finally:
        target.dispose()
    got = _replayed(out)
    assert got == expected, diff(got, expected)
    assert got["progress_records"] and got == folded([e for e in events if e.position <= middle])

    # A time names the last event recorded by then.
    moment = next(e.recorded_at for e in events if e.position == middle)
    by_time = tmp_path / "as-of-time.sqlite3"
    cli("replay", NAME, "--as-of", moment, "--out", str(by_time), "--store", "default")
    assert _replayed(by_time) == expected

    # The live view is not touched by a replay.
    assert all(rows == {} for rows in sql_snapshot(engine).values())


def test_bad_arguments_are_usage_errors(sqlite_url: str, tmp_path: Path) -> None:
    cli = _cli(sqlite_url, tmp_path)
    taken = tmp_path / "taken.sqlite3"
    taken.write_bytes(b"")
    assert "exists" in cli("replay", NAME, "--as-of", "1", "--out", str(taken), code=2).stderr
    assert taken.read_bytes() == b""
    assert "no projection 'nope'" in cli("replay", "nope", "--as-of", "1", "--out", str(tmp_path / "x"), code=2).stderr
    assert "timestamp" in cli("replay", NAME, "--as-of", "yesterday", "--out", str(tmp_path / "y"), code=2).stderr
    assert "no projection 'nope'" in cli("rebuild", "nope", code=2).stderr


def test_rebuild_refuses_while_another_worker_holds_the_lease(cli: Cli, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("leases are PostgreSQL advisory locks")
    total = _fill(engine, 20)
    worker = Runner(engine, [ProgressProjection()])
    try:
        assert worker.catch_up() == {NAME: total}
        before = sql_snapshot(engine)
        refused = cli("rebuild", NAME, code=1)
        assert "leased by another worker" in refused.stderr
        assert sql_snapshot(engine) == before and _status(cli)["position"] == total
    finally:
        worker.release()
    assert "rebuilt to position" in cli("rebuild", NAME).stdout
