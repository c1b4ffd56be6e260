"""`/views/progress/...`: the learner progress view over HTTP, folded in process."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.config import Settings
from lrs.credentials import create_store
from tests.api.conftest import XapiClient
from tests.progress_helpers import (
    ANN,
    BOB,
    COURSE,
    MODULE_1,
    MODULE_2,
    REGISTRATIONS,
    learner_statement,
    log_events,
    timestamp,
    voiding,
)

VIEWS = "/views/progress"
WAIT_SECONDS = 3.0
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
R1 = REGISTRATIONS[0]
ANN_PARAM = json.dumps({"mbox": ANN["mbox"]})
BOB_PARAM = json.dumps({"account": BOB["account"]})


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The API tests' settings, with the view folded in process and a short wait."""
    return Settings(
        data_dir=tmp_path, database_url=db_url, public_url="http://lrs.test",
        statements_page_max=50, max_statements_per_request=200, max_body_bytes=2_000_000,
        auth_cache_seconds=300, projections_in_process=True, view_wait_seconds=WAIT_SECONDS,
    )


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Course:
    """Two learners through a course of two modules; positions of the writes."""

    def __init__(self, client: XapiClient) -> None:
        self.client = client
        self.ann_passed_m2 = learner_statement(
            ANN, "passed", MODULE_2, at=_at(50), result={"score": {"scaled": 0.9}, "success": True}
        )
        first = [
            learner_statement(ANN, "launched", COURSE, at=_at(0), registration=R1),
            learner_statement(ANN, "attempted", MODULE_1, at=_at(1), registration=R1),
            learner_statement(ANN, "completed", MODULE_1, at=_at(20), registration=R1,
                              result={"completion": True, "duration": "PT19M"}),
            learner_statement(ANN, "attempted", MODULE_2, at=_at(30)),
            self.ann_passed_m2,
            learner_statement(BOB, "attempted", MODULE_1, at=_at(120)),
            learner_statement(BOB, "failed", MODULE_2, at=_at(180), result={"score": {"scaled": 0.4}, "success": False}),
            # 14:00+01:00 is 13:00Z.
            learner_statement(BOB, "attempted", MODULE_2, at=_at(240), zone=timezone(timedelta(hours=1))),
        ]
        self.first = self.post(first)
        self.bob_passed = self.post([
            learner_statement(BOB, "passed", MODULE_2, at=_at(300), result={"score": {"scaled": 0.8}})
        ])
        self.voided = self.post([voiding(self.ann_passed_m2["id"], at=_at(360))])

    def post(self, statements: list[dict[str, Any]]) -> int:
        response = self.client.post_statements(statements)
        assert response.status_code == 200, response.text
        return int(response.headers["X-LRS-Position"])


@pytest.fixture
def course(client: XapiClient) -> Course:
    return Course(client)


def _get(client: XapiClient, view: str, status: int = 200, **params: Any) -> dict[str, Any]:
    response = client.get(f"{VIEWS}/{view}", params=params)
    assert response.status_code == status, response.text
    body = response.json()
    if status == 200:
        assert int(response.headers["X-LRS-Position"]) == body["position"]
    return dict(body)


def _statuses(body: dict[str, Any]) -> dict[str, str]:
    return {a["activityId"]: a["status"] for a in body["activities"]}


# ---------------------------------------------------------------------- content


def test_learner_summary(client: XapiClient, course: Course) -> None:
    body = _get(client, "learners", agent=ANN_PARAM, minPosition=course.voided)
    assert body["position"] >= course.voided
    assert body["learner"] == {"objectType": "Agent", "mbox": ANN["mbox"], "name": "Ann"}
    # Most recent first; Ann's pass on module 2 was voided: her attempt remains.
    assert [(a["activityId"], a["status"]) for a in body["activities"]] == [
        (MODULE_2, "in progress"), (MODULE_1, "completed"), (COURSE, "in progress"),
    ]
    module_1 = body["activities"][1]
    assert module_1 == {
        "activityId": MODULE_1, "registration": None, "status": "completed", "attempts": 1,
        "firstActivity": "2026-03-02T09:01:00.000000Z", "lastActivity": "2026-03-02T09:20:00.000000Z",
        "completedAt": "2026-03-02T09:20:00.000000Z", "bestScaledScore": None, "lastScaledScore": None,
        "timeSpentSeconds": 1140.0, "progress": 100.0,
    }
    assert body["statusCounts"] == {"in progress": 2, "completed": 1, "failed": 0, "passed": 0}
    assert body["more"] is False
    bob = _get(client, "learners", agent=BOB_PARAM, minPosition=course.voided)
    assert _statuses(bob) == {MODULE_1: "in progress", MODULE_2: "passed"}
    (m2,) = [a for a in bob["activities"] if a["activityId"] == MODULE_2]
    assert (m2["attempts"], m2["bestScaledScore"], m2["lastScaledScore"]) == (1, 0.8, 0.8)
    # 14:00+01:00 is 13:00Z, between the failure at 12:00Z and the pass at 14:00Z.
    assert (m2["firstActivity"], m2["lastActivity"]) == (
        "2026-03-02T12:00:00.000000Z", "2026-03-02T14:00:00.000000Z",
    )


def test_learner_summary_of_one_registration(client: XapiClient, course: Course) -> None:
    body = _get(client, "learners", agent=ANN_PARAM, registration=R1.upper(), minPosition=course.voided)
    assert [(a["activityId"], a["registration"], a["status"]) for a in body["activities"]] == [
        (MODULE_1, R1, "completed"), (COURSE, R1, "in progress"),
    ]
    other = _get(client, "learners", agent=ANN_PARAM, registration=REGISTRATIONS[1], minPosition=course.voided)
    assert (other["activities"], other["learner"]) == ([], None)


def test_activity_summary_with_children(client: XapiClient, course: Course) -> None:
    body = _get(client, "activities", activityId=COURSE, minPosition=course.voided)
    assert body["activityId"] == COURSE
    assert body["learners"] == 1  # only Ann has a record of the course itself
    assert body["statusCounts"] == {"in progress": 1, "completed": 0, "failed": 0, "passed": 0}
    children = {c["activityId"]: c for c in body["children"]}
    assert set(children) == {MODULE_1, MODULE_2}
    assert children[MODULE_1]["relation"] == "parent"
    assert children[MODULE_1]["learners"] == 2
    assert children[MODULE_1]["statusCounts"] == {"in progress": 1, "completed": 1, "failed": 0, "passed": 0}
    assert children[MODULE_1]["completionRate"] == 0.5
    assert children[MODULE_1]["medianSecondsToComplete"] == 19 * 60
    assert children[MODULE_2]["statusCounts"] == {"in progress": 1, "completed": 0, "failed": 0, "passed": 1}
    assert children[MODULE_2]["passRate"] == 1.0
    module_2 = _get(client, "activities", activityId=MODULE_2, minPosition=course.voided)
    assert module_2["averageScaledScore"] == pytest.approx(0.8)  # Ann's voided 0.9 is gone
    assert module_2["children"] == []
    registered = _get(client, "activities", activityId=MODULE_1, registration=R1, minPosition=course.voided)
    assert (registered["learners"], registered["statusCounts"]["completed"]) == (1, 1)


def test_detail_with_evidence(client: XapiClient, course: Course) -> None:
    body = _get(client, "detail", agent=ANN_PARAM, activityId=MODULE_1, minPosition=course.voided)
    records = body["records"]
    assert [r["registration"] for r in records] == [None, R1]
    for record in records:
        assert record["status"] == "completed"
        assert record["learner"]["mbox"] == ANN["mbox"]
        evidence = record["evidence"]
        assert len(evidence["status"]) == 1 and len(evidence["attempts"]) == 1
        assert evidence["first"] == evidence["attempts"][0] and evidence["last"] == evidence["status"][0]
    one = _get(client, "detail", agent=ANN_PARAM, activityId=MODULE_1, registration=R1, minPosition=course.voided)
    assert one["records"] == records[1:]
    assert _get(client, "detail", agent=BOB_PARAM, activityId=COURSE, minPosition=course.voided)["records"] == []


def test_cohort(client: XapiClient, course: Course) -> None:
    body = _get(client, "cohort", activityId=COURSE, minPosition=course.voided)
    assert body["children"] == [MODULE_1, MODULE_2]
    assert body["totalLearners"] == 2 and body["more"] is False
    rows = {row["learner"]["name"]: row for row in body["learners"]}
    ann, bob = rows["Ann"], rows["Bob"]
    assert ann["learner"]["mbox"] == ANN["mbox"] and bob["learner"]["account"] == BOB["account"]
    assert ann["status"] == "in progress"
    assert ann["children"] == {MODULE_1: "completed", MODULE_2: "in progress"}
    assert (ann["completedChildren"], ann["percentComplete"]) == (1, 50.0)
    assert bob["status"] == "in progress"  # no record of the course itself, but of its modules
    assert bob["children"] == {MODULE_1: "in progress", MODULE_2: "passed"}
    assert (bob["completedChildren"], bob["percentComplete"]) == (1, 50.0)
    registered = _get(client, "cohort", activityId=COURSE, registration=R1, minPosition=course.voided)
    (only,) = registered["learners"]
    assert only["children"] == {MODULE_1: "completed", MODULE_2: "not attempted"}


# ------------------------------------------------------------------- pagination


def test_pagination(client: XapiClient, course: Course) -> None:
    first = _get(client, "learners", agent=ANN_PARAM, limit=2, minPosition=course.voided)
    second = _get(client, "learners", agent=ANN_PARAM, limit=2, offset=2, minPosition=course.voided)
    assert [a["activityId"] for a in first["activities"]] == [MODULE_2, MODULE_1] and first["more"] is True
    assert [a["activityId"] for a in second["activities"]] == [COURSE] and second["more"] is False
    # The counts are the learner's, whatever the page.
    assert first["statusCounts"] == second["statusCounts"] == {"in progress": 2, "completed": 1, "failed": 0, "passed": 0}
    beyond = _get(client, "learners", agent=ANN_PARAM, offset=10, minPosition=course.voided)
    assert beyond["activities"] == [] and beyond["more"] is False
    page_1 = _get(client, "cohort", activityId=COURSE, limit=1, minPosition=course.voided)
    page_2 = _get(client, "cohort", activityId=COURSE, limit=1, offset=1, minPosition=course.voided)
    assert sorted(x["learner"]["name"] for x in page_1["learners"] + page_2["learners"]) == ["Ann", "Bob"]
    assert (page_1["more"], page_2["more"], page_1["totalLearners"]) == (True, False, 2)


# ------------------------------------------------------------------ time window


def test_time_window(client: XapiClient, course: Course) -> None:
    wait = {"minPosition": course.voided}
    # Records overlapping the window: last activity after since, first before until.
    late = _get(client, "learners", agent=ANN_PARAM, since=timestamp(_at(25)), **wait)
    assert [a["activityId"] for a in late["activities"]] == [MODULE_2]
    early = _get(client, "learners", agent=ANN_PARAM, until=timestamp(_at(10)), **wait)
    assert sorted(a["activityId"] for a in early["activities"]) == [COURSE, MODULE_1]
    # A bound given in another zone is the same instant: 14:30+01:00 is 13:30Z,
    # before Bob's last statement on module 2 (14:00Z).
    since = timestamp(_at(270), timezone(timedelta(hours=1)))
    assert since == "2026-03-02T14:30:00.000000+01:00"
    bob = _get(client, "learners", agent=BOB_PARAM, since=since, **wait)
    assert [a["activityId"] for a in bob["activities"]] == [MODULE_2]
    none = _get(client, "learners", agent=BOB_PARAM, since=timestamp(_at(301), timezone(timedelta(hours=-5))), **wait)
    assert none["activities"] == []
    module_2 = _get(client, "activities", activityId=MODULE_2, since=timestamp(_at(100)), **wait)
    assert module_2["learners"] == 1
    course_children = _get(client, "activities", activityId=COURSE, until=timestamp(_at(60)), **wait)
    assert {c["activityId"]: c["learners"] for c in course_children["children"]} == {MODULE_1: 1, MODULE_2: 1}
    cohort = _get(client, "cohort", activityId=COURSE, since=timestamp(_at(100)), **wait)
    assert [x["learner"]["name"] for x in cohort["learners"]] == ["Bob"]
    detail = _get(client, "detail", agent=ANN_PARAM, activityId=MODULE_1, since=timestamp(_at(100)), **wait)
    assert detail["records"] == []


# ------------------------------------------------------------------------- asOf


def test_as_of_a_position(client: XapiClient, course: Course) -> None:
    then = _get(client, "learners", agent=BOB_PARAM, asOf=str(course.first))
    assert then["position"] == course.first
    assert _statuses(then)[MODULE_2] == "failed"
    # Before its voiding, Ann's pass counts.
    ann = _get(client, "learners", agent=ANN_PARAM, asOf=str(course.bob_passed))
    assert ann["position"] == course.bob_passed
    assert _statuses(ann)[MODULE_2] == "passed"
    assert _statuses(_get(client, "learners", agent=BOB_PARAM, asOf=str(course.bob_passed)))[MODULE_2] == "passed"
    now = _get(client, "learners", agent=ANN_PARAM, minPosition=course.voided)
    assert _statuses(now)[MODULE_2] == "in progress"
    # Before anything was written, nothing; a position the log has not reached is a
    # 400 (replaying to it would be the present at the cost of the whole history).
    assert _get(client, "learners", agent=ANN_PARAM, asOf="0")["activities"] == []
    refused = _get(client, "learners", 400, agent=ANN_PARAM, asOf=str(course.voided + 1000))
    assert refused["parameter"] == "asOf" and "beyond the log head" in refused["rule"]
    cohort = _get(client, "cohort", activityId=COURSE, asOf=str(course.first))
    rows = {row["learner"]["name"]: row for row in cohort["learners"]}
    assert (rows["Ann"]["children"][MODULE_2], rows["Bob"]["children"][MODULE_2]) == ("passed", "failed")
    assert _get(client, "activities", activityId=MODULE_2, asOf=str(course.first))["statusCounts"]["passed"] == 1
    detail = _get(client, "detail", agent=ANN_PARAM, activityId=MODULE_2, asOf=str(course.first))
    assert detail["records"][0]["evidence"]["status"] == [course.ann_passed_m2["id"]]


def test_as_of_a_time(client: XapiClient, course: Course, engine: Engine) -> None:
    recorded = {e.position: e.recorded_at for e in log_events(engine)}
    moment = recorded[course.bob_passed]
    ann = _get(client, "learners", agent=ANN_PARAM, asOf=moment)
    assert ann["position"] == course.bob_passed
    assert _statuses(ann)[MODULE_2] == "passed"  # voided later, but not yet then
    # The same instant written in another zone.
    instant = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    shifted = instant.astimezone(timezone(timedelta(hours=-3))).isoformat(timespec="microseconds")
    assert _get(client, "learners", agent=ANN_PARAM, asOf=shifted)["position"] == course.bob_passed
    before = (instant - timedelta(microseconds=1)).isoformat(timespec="microseconds")
    bob = _get(client, "learners", agent=BOB_PARAM, asOf=before)
    assert bob["position"] == course.first
    assert _statuses(bob)[MODULE_2] == "failed"


# ----------------------------------------------------------------- minPosition


def test_min_position_reflects_a_write(client: XapiClient, course: Course) -> None:
    position = course.post([learner_statement(BOB, "completed", COURSE, at=_at(400))])
    body = _get(client, "learners", agent=BOB_PARAM, minPosition=position)
    assert body["position"] >= position
    assert _statuses(body)[COURSE] == "completed"


def test_min_position_far_ahead_answers_503_after_the_wait(client: XapiClient, course: Course) -> None:
    started = time.monotonic()
    response = client.get(f"{VIEWS}/learners", params={"agent": ANN_PARAM, "minPosition": course.voided + 1000})
    elapsed = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert "minPosition" in response.text
    assert WAIT_SECONDS * 0.9 <= elapsed < WAIT_SECONDS + 10


# ----------------------------------------------------------------------- access


def test_scopes(make_client: Any, client: XapiClient, course: Course, engine: Engine) -> None:
    for scopes in (("statements/read",), ("all/read",), ("all",)):
        reader = make_client(scopes=scopes)
        assert _get(reader, "learners", agent=ANN_PARAM, minPosition=course.voided)["activities"]
        assert _get(reader, "cohort", activityId=COURSE)["learners"]
    for scopes in (("state",), ("statements/write",), ("statements/read/mine",)):
        denied = make_client(scopes=scopes)
        for view, params in (("learners", {"agent": ANN_PARAM}), ("activities", {"activityId": COURSE}),
                             ("detail", {"agent": ANN_PARAM, "activityId": COURSE}),
                             ("cohort", {"activityId": COURSE})):
            assert denied.get(f"{VIEWS}/{view}", params=params).status_code == 403, (scopes, view)
    anonymous = client.get(f"{VIEWS}/learners", params={"agent": ANN_PARAM}, auth=None)
    assert anonymous.status_code == 401
    wrong = client.get(f"{VIEWS}/learners", params={"agent": ANN_PARAM}, auth="Basic bm90OnJpZ2h0")
    assert wrong.status_code == 401
    # Another store sees nothing of this one.
    create_store(engine, "other")
    outsider = make_client(scopes=("statements/read",), store_id="other")
    body = _get(outsider, "learners", agent=ANN_PARAM, minPosition=course.voided)
    assert (body["learner"], body["activities"]) == (None, [])
    assert _get(outsider, "learners", agent=ANN_PARAM, asOf=str(course.voided))["activities"] == []


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("view", "params"),
    [
        ("learners", {"agent": ANN_PARAM, "foo": "1"}),
        ("learners", {}),
        ("learners", {"agent": "not json"}),
        ("learners", {"agent": json.dumps({"mbox": "ann@example.com"})}),
        ("learners", {"agent": json.dumps({"mbox": ANN["mbox"], "openid": "http://example.com/ann"})}),
        ("learners", {"agent": json.dumps({"objectType": "Group", "mbox": "mailto:team@example.com"})}),
        ("learners", {"agent": ANN_PARAM, "since": "yesterday"}),
        ("learners", {"agent": ANN_PARAM, "until": "2026-03-02"}),
        ("learners", {"agent": ANN_PARAM, "since": "2026-03-02T10:00:00"}),
        ("learners", {"agent": ANN_PARAM, "limit": "0"}),
        ("learners", {"agent": ANN_PARAM, "limit": "5000"}),
        ("learners", {"agent": ANN_PARAM, "limit": "ten"}),
        ("learners", {"agent": ANN_PARAM, "offset": "-1"}),
        ("learners", {"agent": ANN_PARAM, "registration": "not-a-uuid"}),
        ("learners", {"agent": ANN_PARAM, "asOf": "last week"}),
        ("learners", {"agent": ANN_PARAM, "minPosition": "soon"}),
        ("activities", {"activityId": "not an iri"}),
        ("activities", {"activityId": COURSE, "limit": "10"}),
        ("activities", {"activityId": COURSE, "agent": ANN_PARAM}),
        ("activities", {}),
        ("detail", {"agent": ANN_PARAM}),
        ("detail", {"agent": ANN_PARAM, "activityId": "::"}),
        ("detail", {"agent": ANN_PARAM, "activityId": COURSE, "limit": "10"}),
        ("cohort", {"activityId": COURSE, "agent": ANN_PARAM}),
        ("cohort", {"activityId": COURSE, "limit": "1001"}),
    ],
)
def test_bad_parameters_are_400(client: XapiClient, view: str, params: dict[str, str]) -> None:
    response = client.get(f"{VIEWS}/{view}", params=params)
    assert response.status_code == 400, response.text


def test_limits_at_the_bounds_are_accepted(client: XapiClient, course: Course) -> None:
    assert len(_get(client, "learners", agent=ANN_PARAM, limit=1, minPosition=course.voided)["activities"]) == 1
    assert len(_get(client, "learners", agent=ANN_PARAM, limit=1000, minPosition=course.voided)["activities"]) == 3


# ---------------------------------------------------------------------- OpenAPI


def test_openapi_documents_the_four_views_with_examples(client: XapiClient) -> None:
    schema = client.get("/openapi.json").json()
    for view in ("learners", "activities", "detail", "cohort"):
        operation = schema["paths"][f"{VIEWS}/{view}"]["get"]
        assert operation["summary"]
        example = operation["responses"]["200"]["content"]["application/json"]["example"]
        assert isinstance(example["position"], int), view
        names = {p["name"] for p in operation["parameters"]}
        assert {"asOf", "minPosition"} <= names, view
    assert {"agent", "limit", "offset", "since", "until", "registration"} <= {
        p["name"] for p in schema["paths"][f"{VIEWS}/learners"]["get"]["parameters"]
    }
