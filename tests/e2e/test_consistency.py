"""``stored`` and X-Experience-API-Consistent-Through under concurrent writers.

A client that resumes with ``since=<what it has seen>`` and ``until=<the
Consistent-Through it was given>`` must never skip nor repeat a statement, however
the writes of other clients interleave (Communication 2.1.3.s2.b5, Data 2.4.8).
That needs two things: every statement its own ``stored``, strictly increasing
with the log position, even inside one group commit and across server processes;
and a Consistent-Through that never passes a write still in flight.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from lrs import clock
from lrs.db import make_engine
from lrs.schema import events
from tests.e2e.conftest import KEY, SECRET, Server, start_server, stop_server

CLIENTS = 8
PER_CLIENT = 40
CT = "X-Experience-API-Consistent-Through"
HEADERS = {"X-Experience-API-Version": "1.0.3"}


def statement(client: int, n: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:client{client}@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"http://example.com/activities/{client}/{n}"},
    }


def write_all(endpoints: list[str], sent: list[str]) -> None:
    """CLIENTS threads, each POSTing PER_CLIENT single statements (round robin over
    the servers), as content on many devices would."""
    lock = threading.Lock()
    failures: list[str] = []

    def client(index: int) -> None:
        endpoint = endpoints[index % len(endpoints)]
        with httpx.Client(auth=(KEY, SECRET), headers=HEADERS, timeout=30) as http:
            for n in range(PER_CLIENT):
                body = statement(index, n)
                response = http.post(endpoint + "statements", json=body)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")
                    return
                with lock:
                    sent.append(body["id"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]


def poll(endpoint: str, stop: threading.Event, seen: list[dict]) -> None:
    """Read everything new, round after round, the way the header invites: up to
    the Consistent-Through of the previous answer, after the last one fully read."""
    with httpx.Client(auth=(KEY, SECRET), headers=HEADERS, timeout=30) as http:
        through = http.get(endpoint + "statements", params={"limit": 1}).headers[CT]
        since: str | None = None
        previous_round_after_stop = False
        while True:
            # A round reads up to the Consistent-Through of the previous round: once a
            # round started after the writers stopped, the next one reads the rest.
            after_stop = stop.is_set()
            params = {"ascending": "true", "limit": "17", "until": through}
            if since is not None:
                params["since"] = since
            response = http.get(endpoint + "statements", params=params)
            while True:
                assert response.status_code == 200, response.text
                seen.extend(response.json()["statements"])
                more = response.json()["more"]
                if not more:
                    break
                response = http.get(endpoint.removesuffix("/xapi/") + more)
            since, through = through, response.headers[CT]
            if previous_round_after_stop:
                return
            previous_round_after_stop = after_stop


def run(endpoints: list[str]) -> tuple[list[str], list[dict]]:
    sent: list[str] = []
    seen: list[dict] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll, args=(endpoints[0], stop, seen))
    poller.start()
    write_all(endpoints, sent)
    stop.set()
    poller.join(timeout=120)
    assert not poller.is_alive()
    return sent, seen


def check(sent: list[str], seen: list[dict]) -> None:
    ids = [s["id"] for s in seen]
    assert len(sent) == CLIENTS * PER_CLIENT
    assert len(ids) == len(set(ids)), "a statement was read twice"
    assert set(ids) == set(sent), f"{len(set(sent) - set(ids))} statements were skipped"
    stored = [s["stored"] for s in seen]
    assert len(set(stored)) == len(stored), "two statements share a stored value"
    assert stored == sorted(stored)


def check_log(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.position, events.c.recorded_at).order_by(events.c.position)
        ).all()
    engine.dispose()
    stamps = [row.recorded_at for row in rows]
    assert all(a < b for a, b in itertools.pairwise(stamps))


def test_since_and_consistent_through_never_skip_or_repeat(server: Server) -> None:
    sent, seen = run([server.endpoint])
    check(sent, seen)
    check_log(server.database_url)


@pytest.fixture
def two_servers(db_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    if db_url.startswith("sqlite"):
        pytest.skip("statements reach a SQLite store through one server process")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(db_url, tmp_path / "a")
    try:
        second = start_server(db_url, tmp_path / "b")
    except BaseException:
        stop_server(first)
        raise
    yield [first, second]
    stop_server(first)
    stop_server(second)


def test_stored_stays_unique_and_ordered_across_server_processes(
    two_servers: list[Server],
) -> None:
    sent, seen = run([server.endpoint for server in two_servers])
    check(sent, seen)
    check_log(two_servers[0].database_url)


def test_consistent_through_is_current_when_idle(server: Server) -> None:
    with httpx.Client(auth=(KEY, SECRET), headers=HEADERS, timeout=30) as http:
        assert http.post(server.endpoint + "statements", json=statement(0, 0)).status_code == 200
        threading.Event().wait(1.0)  # the LRS is idle for a second
        before = clock.utcnow()
        response = http.get(server.endpoint + "statements", params={"limit": 1})
        through = clock.parse_utc(response.headers[CT])
    # Not the last write's time (a second ago), but the moment of the read.
    assert through >= before - timedelta(milliseconds=1)
    assert through <= clock.utcnow()
