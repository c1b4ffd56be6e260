"""Forwarding with real processes: one `lrs serve` forwarding to a second one, and
to a real local webhook receiver; the forwarder killed with SIGKILL mid-batch and
started again; a receiver that is down for a while; the tincan client reading
what was forwarded."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tincan import RemoteLRS, Verb

from tests.e2e.conftest import KEY, SECRET, Server, free_port, start_server, stop_server
from tests.e2e.webhook_receiver import Receiver

V2 = {"X-Experience-API-Version": "2.0.0"}
PASSED = "http://adlnet.gov/expapi/verbs/passed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
FAST_RETRIES = {"LRS_FORWARDING_ALLOW_PRIVATE": "true", "LRS_FORWARDING_RETRY_MAX_SECONDS": "0.5"}


def _root(server: Server) -> str:
    return server.endpoint.removesuffix("/xapi/")


def _client() -> httpx.Client:
    return httpx.Client(auth=(KEY, SECRET), headers=V2, timeout=30)


def _statement(n: int, verb: str = PASSED, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:learner{n}@example.com"},
        "verb": {"id": verb},
        "object": {"id": f"http://example.com/courses/{n % 5}"},
        **extra,
    }


def _wait(condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _all_statements(server: Server) -> list[dict[str, Any]]:
    """Every statement of the server, oldest first (following `more`)."""
    out: list[dict[str, Any]] = []
    with _client() as http:
        page = http.get(server.endpoint + "statements", params={"limit": 500, "ascending": "true"}).json()
        out.extend(page["statements"])
        while page.get("more"):
            page = http.get(_root(server) + page["more"]).json()
            out.extend(page["statements"])
    return out


@pytest.fixture
def target_lrs(tmp_path: Path) -> Iterator[Server]:
    workdir = tmp_path / "target"
    workdir.mkdir()
    server = start_server(f"sqlite:///{workdir / 'lrs.sqlite3'}", workdir)
    yield server
    stop_server(server)


def test_statements_reach_the_target_lrs_in_order_filtered_translated_with_attachments(
    db_url: str, tmp_path: Path, target_lrs: Server
) -> None:
    source = start_server(db_url, tmp_path, **FAST_RETRIES, LRS_FORWARDING_BATCH="40")
    try:
        with _client() as http:
            answer = http.post(_root(source) + "/admin/forwarding", json={
                "id": "enterprise-lrs", "kind": "lrs", "url": target_lrs.endpoint,
                "auth": {"basic": [KEY, SECRET]}, "xapiVersion": "1.0.3",
                "filter": {"verbs": [PASSED]},
            })
            assert answer.status_code == 201, answer.text
            assert SECRET not in answer.text
            sent: list[str] = []
            for round_ in range(5):
                batch = [_statement(n, PASSED if n % 3 else EXPERIENCED) for n in range(round_ * 30, round_ * 30 + 30)]
                assert http.post(source.endpoint + "statements", json=batch).status_code == 200
                sent.extend(s["id"] for s in batch if s["verb"]["id"] == PASSED)
            # xAPI 2.0 only: contextAgents does not exist in 1.0.3 (translated away).
            two_oh = _statement(1000, context={"contextAgents": [
                {"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.com"}}]})
            assert http.post(source.endpoint + "statements", json=two_oh).status_code == 200
            sent.append(two_oh["id"])
            # An attachment's bytes go along as multipart/mixed.
            content = b"certificate of completion"
            sha2 = hashlib.sha256(content).hexdigest()
            with_file = _statement(1001, attachments=[{
                "usageType": "http://example.com/usage/certificate", "display": {"en": "certificate"},
                "contentType": "text/plain", "length": len(content), "sha2": sha2}])
            boundary = "b0undary"
            body = (f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()
                    + httpx.Response(200, json=with_file).content
                    + f"\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
                      f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode() + content
                    + f"\r\n--{boundary}--\r\n".encode())
            answer = http.post(source.endpoint + "statements", content=body,
                               headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
            assert answer.status_code == 200, answer.text
            sent.append(with_file["id"])

        _wait(lambda: len(_all_statements(target_lrs)) >= len(sent), what="forwarded statements")
        arrived = _all_statements(target_lrs)
        # Every matching statement, once, in the order the source stored them; none else.
        assert [s["id"] for s in arrived] == sent
        by_id = {s["id"]: s for s in arrived}
        assert "contextAgents" not in by_id[two_oh["id"]].get("context", {})
        with _client() as http:
            got = http.get(target_lrs.endpoint + "statements",
                           params={"statementId": with_file["id"], "attachments": "true"})
            assert got.status_code == 200
            assert got.headers["content-type"].startswith("multipart/mixed")
            assert content in got.content
            status = http.get(_root(source) + "/admin/forwarding/enterprise-lrs").json()
        assert status["status"]["delivered"] == len(sent)
        assert status["status"]["lag"]["events"] == 0
        assert status["status"]["lastError"] is None
        assert "SECRET" not in str(status) and SECRET not in str(status)

        # The tincan client reads the forwarded statements from the target LRS.
        lrs = RemoteLRS(endpoint=target_lrs.endpoint, username=KEY, password=SECRET)
        answer = lrs.query_statements({"verb": Verb(id=PASSED), "limit": 500})
        assert answer.success, answer.data
        assert {str(s.id) for s in answer.content.statements} == set(sent)
    finally:
        stop_server(source)


def test_a_target_lrs_down_for_a_while_is_caught_up_and_status_tells(
    sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    workdir = tmp_path / "target"
    workdir.mkdir()
    target_url = f"sqlite:///{workdir / 'lrs.sqlite3'}"
    source = start_server(sqlite_url, tmp_path, **FAST_RETRIES)
    target: Server | None = None
    try:
        with _client() as http:
            assert http.post(_root(source) + "/admin/forwarding", json={
                "id": "later", "kind": "lrs", "url": f"http://127.0.0.1:{port}/xapi/",
                "auth": {"basic": [KEY, SECRET]}, "xapiVersion": "2.0.0",
            }).status_code == 201
            sent = [_statement(n) for n in range(60)]
            assert http.post(source.endpoint + "statements", json=sent).status_code == 200

            def failing() -> bool:
                state = http.get(_root(source) + "/admin/forwarding/later").json()["status"]
                return state["retries"] >= 2 and state["lastError"] is not None

            _wait(failing, what="failed attempts recorded")
            state = http.get(_root(source) + "/admin/forwarding/later").json()["status"]
            assert state["lag"]["events"] > 0 and state["lag"]["seconds"] > 0
            assert state["lastSuccessAt"] is None and state["failingSince"] is not None

            target = start_server(target_url, workdir, port=port)
            _wait(lambda: len(_all_statements(target)) == len(sent), what="catching up")
            assert [s["id"] for s in _all_statements(target)] == [s["id"] for s in sent]
            state = http.get(_root(source) + "/admin/forwarding/later").json()["status"]
            assert state["retries"] == 0 and state["lastSuccessAt"] is not None
    finally:
        stop_server(source)
        if target is not None:
            stop_server(target)


def test_webhook_kill_9_mid_batch_and_a_receiver_outage_lose_nothing(
    db_url: str, tmp_path: Path
) -> None:
    secret = base64.b64encode(os.urandom(24)).decode()
    receiver = Receiver(secret=secret, delay=0.1).start()
    env = {**FAST_RETRIES, "LRS_FORWARDING_BATCH": "20"}
    source = start_server(db_url, tmp_path, **env)
    try:
        with _client() as http:
            answer = http.post(_root(source) + "/admin/forwarding", json={
                "id": "hr-system", "kind": "webhook", "url": receiver.url, "secret": secret,
            })
            assert answer.status_code == 201, answer.text
            assert secret not in answer.text
            receiver.down = True
            sent: list[str] = []
            for round_ in range(10):
                batch = [_statement(n) for n in range(round_ * 30, round_ * 30 + 30)]
                assert http.post(source.endpoint + "statements", json=batch).status_code == 200
                sent.extend(s["id"] for s in batch)
            _wait(lambda: http.get(_root(source) + "/admin/forwarding/hr-system")
                  .json()["status"]["retries"] >= 2, what="the outage noticed")
        receiver.down = False
        _wait(lambda: len(receiver.positions()) >= 60, what="some deliveries")
        source.process.send_signal(signal.SIGKILL)  # mid-batch: the receiver is slow
        source.process.wait()
        source = start_server(db_url, tmp_path, **env)
        _wait(lambda: len(set(receiver.positions())) >= len(sent), timeout=120, what="every event")
    finally:
        stop_server(source)
        receiver.stop()

    assert receiver.bad_signatures == 0
    received = [e["statement"]["id"] for d in receiver.deliveries for e in d["events"]]
    assert set(received) == set(sent)  # nothing lost
    positions = receiver.positions()
    for delivery in receiver.deliveries:  # each request in log order
        inside = [e["position"] for e in delivery["events"]]
        assert inside == sorted(inside) and len(inside) <= 20
    # Order kept across requests; a repeat only of the batch in flight at the kill.
    rewinds = [(a, b) for a, b in itertools.pairwise(positions) if b <= a]
    assert len(rewinds) <= 1
    duplicates = len(positions) - len(set(positions))
    assert duplicates <= 20
    first_seen: dict[int, int] = {}
    for index, position in enumerate(positions):
        first_seen.setdefault(position, index)
    assert sorted(first_seen) == [positions[i] for i in sorted(first_seen.values())]


def test_a_webhook_hears_from_the_competency_view_when_a_learner_becomes_proficient(
    db_url: str, tmp_path: Path
) -> None:
    from tests.competency_helpers import (
        ADL,
        ALIGNMENTS,
        CHAT,
        QUIZ_CHAT,
        QUIZ_CHAT_2,
        agent,
        case_package,
    )

    def quiz(who: str, activity: str, scaled: float) -> dict[str, Any]:
        # No timestamp: evidence as recent as its storing (the status decays with time).
        return {"id": str(uuid.uuid4()), "actor": agent(who), "verb": {"id": ADL + "passed"},
                "object": {"objectType": "Activity", "id": activity},
                "result": {"score": {"scaled": scaled}}}

    secret = base64.b64encode(os.urandom(24)).decode()
    receiver = Receiver(secret=secret).start()
    source = start_server(db_url, tmp_path, **FAST_RETRIES)
    try:
        with _client() as http:
            assert http.post(_root(source) + "/admin/competency/frameworks",
                             json=case_package()).status_code == 202
            assert http.put(_root(source) + "/admin/competency/alignments",
                            json=ALIGNMENTS).status_code == 202
            answer = http.post(_root(source) + "/admin/forwarding", json={
                "id": "hr-system", "kind": "webhook", "url": receiver.url, "secret": secret,
                "filter": {"statements": "none"},
                "views": {"competency": {"statuses": ["proficient"], "competencies": [CHAT]}},
            })
            assert answer.status_code == 201, answer.text
            first = quiz("ann", QUIZ_CHAT, 0.9)  # one quiz: not yet enough evidence
            assert http.post(source.endpoint + "statements", json=[first]).status_code == 200
            second = quiz("ann", QUIZ_CHAT_2, 0.85)
            assert http.post(source.endpoint + "statements", json=[second]).status_code == 200
        _wait(lambda: len(receiver.positions()) >= 1, what="the competency event")
        time.sleep(1.0)  # a second event, if one were wrongly sent, has time to arrive
    finally:
        stop_server(source)
        receiver.stop()

    assert receiver.bad_signatures == 0
    (event,) = [e for d in receiver.deliveries for e in d["events"]]
    assert event["type"] == "view.competency"
    (record,) = event["records"]
    assert record["learner"]["mbox"] == "mailto:ann@example.org"
    assert (record["competencyId"], record["status"], record["code"]) == (CHAT, "proficient", "DC-2.1")
