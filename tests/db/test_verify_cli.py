"""``lrs verify [--store STORE]``: the operator's check of the log (both backends).

Run as a real subprocess (the installed ``lrs`` console script), reading the
database from ``LRS_DATABASE_URL``.
Contract: exit 0 and one line starting with "log intact" on stdout when the
chain is intact; a non-zero exit and "position N" (the first bad position) on
stderr when it is not.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lrs import log

from ._log_helpers import drop_triggers, new_event


def lrs_command() -> list[str]:
    """The ``lrs`` console script of this interpreter's environment; without one
    (package not installed), the module behind it (``cli.main:main``)."""
    script = Path(sys.executable).parent / "lrs"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "cli"]


def run_verify(db_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LRS_DATABASE_URL": db_url}
    return subprocess.run(
        [*lrs_command(), "verify", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_intact(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("log intact"), result.stdout
    return lines[0]


def assert_tampered(result: subprocess.CompletedProcess[str], position: int) -> None:
    assert result.returncode != 0, result.stdout
    assert re.search(rf"\bposition {position}\b", result.stderr), result.stderr
    assert "log intact" not in result.stdout


@pytest.fixture
def populated(engine: Engine) -> None:
    """Store "a" at positions 1, 2, 4, 6; store "b" at 3, 5."""
    for tx in ([("a", 2), ("b", 1)], [("a", 1), ("b", 1)], [("a", 1)]):
        with log.writing(engine) as writer:
            for store, count in tx:
                writer.append(store, [new_event("s") for _ in range(count)])


def test_an_empty_log_is_intact(db_url: str, engine: Engine, tmp_path: Path) -> None:
    assert_intact(run_verify(db_url, tmp_path))


def test_an_intact_log_exits_zero_with_a_summary(
    db_url: str, engine: Engine, populated: None, tmp_path: Path
) -> None:
    summary = assert_intact(run_verify(db_url, tmp_path))
    assert "6 events" in summary
    assert_intact(run_verify(db_url, tmp_path, "--store", "a"))
    assert_intact(run_verify(db_url, tmp_path, "--store", "b"))


@pytest.mark.parametrize(
    ("statement", "position", "store", "store_position"),
    [
        ("UPDATE events SET data = '{\"n\": 7}' WHERE position = 4", 4, "a", 4),
        ("DELETE FROM events WHERE position = 3", 3, "b", 5),
    ],
    ids=["edited-row", "removed-row"],
)
def test_a_tampered_log_exits_non_zero_naming_the_position(
    db_url: str,
    engine: Engine,
    populated: None,
    tmp_path: Path,
    statement: str,
    position: int,
    store: str,
    store_position: int,
) -> None:
    drop_triggers(engine)
    with engine.begin() as conn:
        conn.execute(text(statement))
    assert_tampered(run_verify(db_url, tmp_path), position)
    assert_tampered(run_verify(db_url, tmp_path, "--store", store), store_position)


def test_a_database_without_the_schema_gets_the_usual_diagnosis(tmp_path: Path) -> None:
    """verify reads the log before it looks at migrations: a database without one
    still gets the same error as the other commands, not a traceback."""
    result = run_verify(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    assert result.returncode == 1, result.stdout
    assert "has no LRS schema yet: run `lrs migrate`" in result.stderr
    assert "Traceback" not in result.stderr
