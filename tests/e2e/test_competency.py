"""The competency view end to end: a real ``lrs serve``, the admin API for the
configuration (a CASE 1.1 framework with two levels, a ``precedes`` relation and a
rubric scale), the ``tincan`` client for a cohort's statements, and the view's answers:
a learner's profile, a team heat map, the expert finder, a role gap with
recommendations, and an ``asOf`` answer from before a voiding."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from tincan import RemoteLRS, Statement

from tests.competency_helpers import (
    ALIGNMENTS,
    CHAT,
    COURSE_MEET,
    DATA,
    FW,
    MEET,
    QUIZ_DATA,
    ROLE,
    agent,
    case_package,
    cohort,
    scored,
    voiding,
)
from tests.e2e.conftest import KEY, SECRET

AUTH = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
AT = "2026-09-01T00:00:00Z"


def call(server: Any, method: str, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
    base = server.endpoint.removesuffix("xapi/")
    url = base + path.lstrip("/") + ("?" + urllib.parse.urlencode(params) if params else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": AUTH, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def view(server: Any, name: str, **params: Any) -> Any:
    status, body = call(server, "GET", f"/views/competency/{name}", at=AT, **params)
    assert status == 200, body
    return body


def eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_import_align_send_and_ask(server: Any) -> None:
    status, imported = call(server, "POST", "/admin/competency/frameworks", case_package())
    assert status == 202 and imported["items"] == 4, imported
    assert call(server, "PUT", "/admin/competency/alignments", ALIGNMENTS)[0] == 202
    assert call(server, "PUT", "/admin/competency/roles/meeting-host", ROLE)[0] == 202
    team = {"name": "Support", "members": [agent(n) for n in ("ann", "bob", "cy", "dee")]}
    status, written = call(server, "PUT", "/admin/competency/teams/support", team)
    assert status == 202

    lrs = RemoteLRS(endpoint=server.endpoint, username=KEY, password=SECRET)
    dee_passed = scored("dee", QUIZ_DATA, 0.95, 3)
    sent = lrs.save_statements([Statement(s) for s in [*cohort(), dee_passed]])
    assert sent.success, sent.data

    ann = json.dumps({"mbox": "mailto:ann@example.org"})

    def profile_ready() -> Any:
        body = view(server, "profile", agent=ann, framework=FW, minPosition=written["position"])
        assert {c["iri"] for c in body["competencies"]} == {CHAT, MEET}, body
        return body

    profile = eventually(profile_ready)
    assert profile["at"] == "2026-09-01T00:00:00.000000Z"
    assert all(c["status"] == "proficient" for c in profile["competencies"])
    assert profile["rollups"][0]["coverage"] == {"proficient": 2, "children": 2}

    heat = {r["competency"]: r for r in view(server, "heatmap", team="support", framework=FW)["rows"]}
    assert (heat[CHAT]["proficient"], heat[CHAT]["developing"], heat[CHAT]["none"]) == (2, 1, 1)

    experts = view(server, "experts", competency=MEET, team="support")["experts"]
    assert [e["agent"]["mbox"] for e in experts] == ["mailto:bob@example.org", "mailto:ann@example.org"]

    gaps = view(server, "gaps", agent=json.dumps({"mbox": "mailto:cy@example.org"}), role="meeting-host")
    assert gaps["readiness"] == 0.0
    meet = next(g for g in gaps["gaps"] if g["competency"] == MEET)
    assert meet["gapType"] == "missing"
    assert meet["recommendations"][0]["competency"] == CHAT  # the prerequisite first
    assert any(r["activity"] == COURSE_MEET and r["alignment"] == "teaches" for r in meet["recommendations"])

    # asOf: the view before a voiding still counts the voided statement.
    dee = json.dumps({"mbox": "mailto:dee@example.org"})
    before = view(server, "profile", agent=dee)
    assert [c["iri"] for c in before["competencies"]] == [DATA]
    assert lrs.save_statement(Statement(voiding(dee_passed["id"]))).success

    def voided() -> None:
        assert view(server, "profile", agent=dee)["competencies"] == []

    eventually(voided)
    past = view(server, "profile", agent=dee, asOf=before["position"])
    assert past["position"] == before["position"] and [c["iri"] for c in past["competencies"]] == [DATA]
