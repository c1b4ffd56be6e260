"""`lrs forwarding add|list|status|pause|resume|remove|run`, as the separate
processes they are, on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lrs.credentials import ensure_default_store
from lrs.forwarding.targets import TARGET_ADDED
from tests.progress_helpers import log_events

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(db_url: str, tmp_path: Path, engine: Engine) -> Cli:
    ensure_default_store(engine)
    env = {name: value for name, value in os.environ.items() if not name.startswith("LRS_")}
    env.update(LRS_DATABASE_URL=db_url, LRS_DATA_DIR=str(tmp_path), LRS_FORWARDING_ALLOW_PRIVATE="true")

    def run(*args: str, code: int = 0, **extra: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "cli", "forwarding", *args], env={**env, **extra}, cwd=ROOT,
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert done.returncode == code, (done.stdout, done.stderr)
        return done

    return run


def test_the_life_of_a_target_from_the_shell(cli: Cli, engine: Engine) -> None:
    added = cli("add", "enterprise", "--kind", "lrs", "--url", "http://127.0.0.1:9/xapi/",
                "--xapi-version", "2.0.0", "--filter", '{"statements": "voiding"}', "--json",
                LRS_FORWARDING_BASIC="remote:very-secret-password")
    body = json.loads(added.stdout)
    assert body["auth"] == {"type": "basic", "key": "remote"} and "very-secret" not in added.stdout
    hook = cli("add", "hr", "--kind", "webhook", "--url", "http://127.0.0.1:9/hook")
    assert "secret: " in hook.stdout  # generated, shown once
    assert [e.type for e in log_events(engine)].count(TARGET_ADDED) == 2
    assert all("very-secret" not in e.data for e in log_events(engine))

    listed = cli("list").stdout
    assert "enterprise  lrs  http://127.0.0.1:9/xapi/" in listed and "hr  webhook" in listed
    cli("pause", "enterprise", "--reason", "target maintenance")
    status = cli("status", "enterprise").stdout
    assert "PAUSED: target maintenance" in status and "lag" in status
    assert "was already paused" in cli("pause", "enterprise").stdout
    cli("resume", "enterprise")
    state = json.loads(cli("status", "enterprise", "--json").stdout)
    assert state["paused"] is False and state["status"]["retries"] == 0
    cli("remove", "hr")
    assert "hr" not in cli("list").stdout


def test_refusals_name_the_property(cli: Cli) -> None:
    bad = cli("add", "x", "--kind", "lrs", "--url", "http://127.0.0.1:9/", "--bearer", "t",
              "--filter", '{"verbs": ["nope"]}', code=1)
    assert "filter.verbs[0]" in bad.stderr
    assert "no forwarding target 'ghost'" in cli("status", "ghost", code=1).stderr
    assert "does not exist" in cli("add", "y", "--kind", "webhook", "--url", "http://127.0.0.1:9/",
                                   "--store", "nowhere", code=1).stderr


def test_the_workers_deliver_lrs_forwarding_run_and_the_projector(
    cli: Cli, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    from tests.e2e.webhook_receiver import Receiver
    from tests.progress_helpers import ANN, MODULE_1, learner_statement, write

    secret = "w" * 32
    receiver = Receiver(secret=secret).start()
    try:
        cli("add", "hook", "--kind", "webhook", "--url", receiver.url, "--from", "start",
            LRS_FORWARDING_SECRET=secret)
        write(engine, [learner_statement(ANN, "passed", MODULE_1) for _ in range(3)])
        moved = json.loads(cli("run", "--once").stdout)
        assert moved["hook"] > 0 and len(receiver.positions()) == 3
        write(engine, [learner_statement(ANN, "passed", MODULE_1) for _ in range(2)])
        env = {name: value for name, value in os.environ.items() if not name.startswith("LRS_")}
        env.update(LRS_DATABASE_URL=db_url, LRS_DATA_DIR=str(tmp_path),
                   LRS_FORWARDING_ALLOW_PRIVATE="true")
        done = subprocess.run([sys.executable, "-m", "cli", "projections", "run", "--once"],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert len(receiver.positions()) == 5 and receiver.bad_signatures == 0
    finally:
        receiver.stop()
