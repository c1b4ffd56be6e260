"""Several `lrs serve` processes on one PostgreSQL, and how a server stops.

Real processes: one server with two worker processes (`--workers 2`) and a second
server, side by side on one database, take concurrent batches and single
statements. Afterwards the log is gap-free and verifies, every acknowledged
statement is there exactly once, `stored` grows with the position, and a
credential revoked through one process is refused by every other on its next
request. A server killed with SIGKILL loses no acknowledged statement; one told to
stop with SIGTERM finishes what it acknowledged first.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lrs import log
from lrs.db import make_engine
from lrs.schema import events, statements
from tests.e2e.conftest import KEY, SECRET, Server, start_server, stop_server

HEADERS = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server = request.getfixturevalue("_postgres")
    name = server.create()
    try:
        yield server.url_for(name)
    finally:
        server.drop(name)


def _statement(n: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:p{n}@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.com/scale/{n % 17}"},
    }


def _writers(endpoints: list[str], sent: list[str], stop: threading.Event, errors: list[str],
             threads: int = 6, rounds: int = 25) -> list[threading.Thread]:
    lock = threading.Lock()

    def work(index: int) -> None:
        endpoint = endpoints[index % len(endpoints)]
        with httpx.Client(auth=(KEY, SECRET), headers=HEADERS, timeout=30) as http:
            for n in range(rounds):
                if stop.is_set():
                    return
                batch = [_statement(n)] if index % 2 else [_statement(n) for _ in range(20)]
                try:
                    response = http.post(endpoint + "statements", json=batch if len(batch) > 1 else batch[0])
                except httpx.HTTPError:
                    return  # the server went away: what it acknowledged is what counts
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                with lock:
                    sent.extend(s["id"] for s in batch)

    return [threading.Thread(target=work, args=(i,)) for i in range(threads)]


def _check_log(url: str, sent: list[str]) -> None:
    engine = make_engine(url)
    try:
        report = log.verify(engine)
        with engine.connect() as conn:
            rows = conn.execute(select(events.c.position, events.c.recorded_at).order_by(events.c.position)).all()
            stored = [row.statement_id for row in conn.execute(select(statements.c.statement_id))]
    finally:
        engine.dispose()
    assert [row.position for row in rows] == list(range(1, report.head_position + 1))
    assert all(a.recorded_at < b.recorded_at for a, b in itertools.pairwise(rows))
    assert len(stored) == len(set(stored))
    assert set(sent) <= set(stored), f"{len(set(sent) - set(stored))} acknowledged statements are missing"


def test_processes_on_one_postgresql_share_the_log_and_the_credentials(
    pg_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(pg_url, tmp_path / "a", LRS_WORKERS="2")
    second: Server | None = None
    try:
        second = start_server(pg_url, tmp_path / "b")
        endpoints = [first.endpoint, second.endpoint]
        sent: list[str] = []
        errors: list[str] = []
        threads = _writers(endpoints, sent, threading.Event(), errors)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors[:3]
        _check_log(pg_url, sent)

        # A credential made through one process, revoked through another: refused
        # on the very next request by every process (both workers of the first).
        admin = httpx.Client(auth=(KEY, SECRET), timeout=30)
        made = admin.post(first.endpoint.replace("/xapi/", "/admin/credentials"),
                          json={"scopes": ["statements/read"]}).json()
        reader = httpx.Client(auth=(made["key"], made["secret"]), headers=HEADERS, timeout=30)
        for endpoint in endpoints * 3:
            assert reader.get(endpoint + "statements", params={"limit": 1}).status_code == 200
        revoked = admin.post(second.endpoint.replace("/xapi/", f"/admin/credentials/{made['key']}/revoke"))
        assert revoked.status_code == 204
        for endpoint in endpoints * 4:
            assert reader.get(endpoint + "statements", params={"limit": 1}).status_code == 401
    finally:
        stop_server(first)
        if second is not None:
            stop_server(second)


def test_a_server_killed_mid_write_loses_no_acknowledged_statement(pg_url: str, tmp_path: Path) -> None:
    server = start_server(pg_url, tmp_path)
    sent: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    threads = _writers([server.endpoint], sent, stop, errors, rounds=400)
    for thread in threads:
        thread.start()
    try:
        while len(sent) < 200:
            threading.Event().wait(0.05)
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=30)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        if server.process.poll() is None:
            server.process.kill()
    _check_log(pg_url, sent)


def test_sigterm_lets_acknowledged_writes_finish_then_exits(pg_url: str, tmp_path: Path) -> None:
    server = start_server(pg_url, tmp_path)
    sent: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    threads = _writers([server.endpoint], sent, stop, errors, rounds=400)
    for thread in threads:
        thread.start()
    try:
        while len(sent) < 200:
            threading.Event().wait(0.05)
        server.process.send_signal(signal.SIGTERM)
        # uvicorn shuts down, then ends by the signal it caught (as process managers expect).
        assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    _check_log(pg_url, sent)
    assert "Application shutdown complete" in server.output.read_text()
