"""Change feeds (Server-Sent Events) from a real `lrs serve`: disconnect, write,
reconnect with Last-Event-ID, and nothing is lost or repeated; scopes as the
reads they mirror; the progress view's changes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from tests.e2e.conftest import KEY, SECRET, Server

V = {"X-Experience-API-Version": "1.0.3"}


def _root(server: Server) -> str:
    return server.endpoint.removesuffix("/xapi/")


def _statement(n: int, verb: str = "experienced") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "actor": {"mbox": f"mailto:l{n}@example.com"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {"id": "http://example.com/courses/feed"}}


def _events(response: httpx.Response, deadline: float) -> Iterator[dict[str, str]]:
    """SSE events as dicts of their fields (comments skipped).

    The server's keep-alive comments arrive more often than the client's read
    time-out, so a feed that sends too few events would never time out by itself:
    every line, comments included, checks the deadline instead."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise AssertionError(f"the feed sent too few events before the deadline (partial: {fields})")
        if not line:
            if "data" in fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


def _read(client: httpx.Client, url: str, count: int, headers: dict[str, str] | None = None,
          **params: Any) -> list[dict[str, str]]:
    got: list[dict[str, str]] = []
    deadline = time.monotonic() + 60
    with client.stream("GET", url, params=params, headers=headers or {}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in _events(response, deadline):
            got.append(event)
            if len(got) == count:
                break
    return got


def test_reconnecting_with_last_event_id_loses_nothing_and_repeats_nothing(server: Server) -> None:
    with httpx.Client(auth=(KEY, SECRET), headers=V, timeout=30) as http:
        first = [_statement(n) for n in range(30)]
        assert http.post(server.endpoint + "statements", json=first).status_code == 200
        seen = _read(http, _root(server) + "/feed/statements", 12, after="0")
        second = [_statement(n) for n in range(30, 50)]
        assert http.post(server.endpoint + "statements", json=second).status_code == 200
        seen += _read(http, _root(server) + "/feed/statements", 38,
                      headers={"Last-Event-ID": seen[-1]["id"]})
    ids = [orjson.loads(e["data"])["id"] for e in seen]
    assert ids == [s["id"] for s in first + second]
    positions = [int(e["id"]) for e in seen]
    assert positions == sorted(set(positions))
    assert {e["event"] for e in seen} == {"statement"}


def test_feeds_keep_the_scopes_of_the_reads_they_mirror(server: Server) -> None:
    with httpx.Client(auth=(KEY, SECRET), headers=V, timeout=30) as admin:
        made = {}
        for scopes in (["statements/write"], ["statements/write", "statements/read/mine"]):
            answer = admin.post(_root(server) + "/admin/credentials", json={"scopes": scopes})
            assert answer.status_code == 201, answer.text
            made[scopes[-1]] = (answer.json()["key"], answer.json()["secret"])
        assert admin.post(server.endpoint + "statements", json=[_statement(1)]).status_code == 200
    with httpx.Client(auth=made["statements/write"], timeout=30) as writer:
        assert writer.get(_root(server) + "/feed/statements").status_code == 403
        assert writer.get(_root(server) + "/feed/views/progress").status_code == 403
    with httpx.Client(auth=made["statements/read/mine"], headers=V, timeout=30) as mine:
        own = _statement(2)
        assert mine.post(server.endpoint + "statements", json=[own]).status_code == 200
        (event,) = _read(mine, _root(server) + "/feed/statements", 1, after="0")
        assert orjson.loads(event["data"])["id"] == own["id"]
    with httpx.Client(auth=(KEY, SECRET), timeout=30) as admin:
        assert admin.get(_root(server) + "/feed/views/nothing").status_code == 404
        assert admin.get(_root(server) + "/feed/statements",
                         headers={"Last-Event-ID": "yesterday"}).status_code == 400


def test_the_progress_view_feed_sends_the_records_a_statement_moved(server: Server) -> None:
    with httpx.Client(auth=(KEY, SECRET), headers=V, timeout=30) as http:
        done = _statement(7, "completed")
        assert http.post(server.endpoint + "statements", json=[done]).status_code == 200
        (event,) = _read(http, _root(server) + "/feed/views/progress", 1, after="0")
    assert event["event"] == "progress"
    (record,) = orjson.loads(event["data"])["records"]
    assert record["status"] == "completed"
    assert record["activityId"] == "http://example.com/courses/feed"
    assert record["learner"]["mbox"] == "mailto:l7@example.com"


def test_the_competency_view_feed_sends_the_cells_a_statement_moved(server: Server) -> None:
    from tests.competency_helpers import (
        ADL,
        ALIGNMENTS,
        CHAT,
        DATA,
        QUIZ_CHAT,
        QUIZ_CHAT_2,
        QUIZ_DATA,
        agent,
        case_package,
    )

    def quiz(who: str, activity: str, scaled: float) -> dict[str, Any]:
        # No timestamp: evidence as recent as its storing (the status decays with time).
        return {"id": str(uuid.uuid4()), "actor": agent(who), "verb": {"id": ADL + "passed"},
                "object": {"objectType": "Activity", "id": activity},
                "result": {"score": {"scaled": scaled}}}

    with httpx.Client(auth=(KEY, SECRET), headers=V, timeout=30) as http:
        assert http.post(_root(server) + "/admin/competency/frameworks", json=case_package()).status_code == 202
        assert http.put(_root(server) + "/admin/competency/alignments", json=ALIGNMENTS).status_code == 202
        assert http.post(server.endpoint + "statements",
                         json=[quiz("ann", QUIZ_CHAT, 0.9), quiz("ann", QUIZ_CHAT_2, 0.85)]).status_code == 200
        (first,) = _read(http, _root(server) + "/feed/views/competency", 1, after="0")
        assert http.post(server.endpoint + "statements", json=[quiz("bob", QUIZ_DATA, 0.4)]).status_code == 200
        # Reconnecting after the first event gives what came since, and only it.
        (second,) = _read(http, _root(server) + "/feed/views/competency", 1,
                          headers={"Last-Event-ID": first["id"]})
    assert first["event"] == second["event"] == "competency"
    assert int(second["id"]) > int(first["id"])
    (ann,) = orjson.loads(first["data"])["records"]
    assert (ann["competencyId"], ann["status"], ann["code"]) == (CHAT, "proficient", "DC-2.1")
    assert ann["learner"]["mbox"] == "mailto:ann@example.org" and ann["level"] >= ann["threshold"]
    (bob,) = orjson.loads(second["data"])["records"]
    assert (bob["competencyId"], bob["status"]) == (DATA, "developing")
