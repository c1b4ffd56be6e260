"""The pure rules of the learner progress view (projections/progress/logic.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.progress import logic
from projections.subjects import learners_of
from tests.progress_helpers import (
    ANN,
    BOB,
    CMI5_PROGRESS,
    COURSE,
    CY,
    LESSON_1,
    MODULE_1,
    REGISTRATIONS,
    VIDEO_PROGRESS,
    VOIDED,
    histories,
    learner_statement,
    timestamp,
)
from tests.progress_helpers import results as result_strategy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _statement(verb: str, *, result: dict[str, Any] | None = None, minutes: int = 0,
               zone: timezone = UTC, actor: dict[str, Any] = ANN, activity: str = MODULE_1,
               registration: str | None = None, **extra: Any) -> dict[str, Any]:
    out = learner_statement(actor, verb, activity, at=T0 + timedelta(minutes=minutes), zone=zone,
                            result=result, registration=registration)
    out.update(extra)
    return out


def _summary(*statements: dict[str, Any]) -> dict[str, Any]:
    return logic.summarize([logic.fact(s, position) for position, s in enumerate(statements, start=1)])


def _verbs(*items: str | tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for minutes, item in enumerate(items):
        verb, result = (item, None) if isinstance(item, str) else item
        out.append(_statement(verb, result=result, minutes=minutes))
    return out


# ----------------------------------------------------------------------- status

SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
WAIVED = "https://w3id.org/xapi/adl/verbs/waived"


@pytest.mark.parametrize(
    ("items", "status"),
    [
        (["attempted"], "in progress"),
        (["experienced", "progressed", "terminated"], "in progress"),
        (["http://example.com/verbs/bookmarked"], "in progress"),
        (["attempted", "completed"], "completed"),
        ([("experienced", {"completion": True})], "completed"),
        ([("experienced", {"completion": False})], "in progress"),
        ([("progressed", {"extensions": {CMI5_PROGRESS: 100}})], "completed"),
        ([("progressed", {"extensions": {CMI5_PROGRESS: 99}})], "in progress"),
        ([("progressed", {"extensions": {VIDEO_PROGRESS: 1.0}})], "completed"),
        ([("progressed", {"extensions": {VIDEO_PROGRESS: 0.5}})], "in progress"),
        (["completed", "failed"], "failed"),
        (["failed", "completed"], "failed"),
        ([("answered", {"success": False})], "failed"),
        ([("completed", {"completion": True, "success": False})], "failed"),
        (["failed", "passed"], "passed"),
        (["passed", "failed"], "passed"),
        ([("answered", {"success": True})], "passed"),
        ([("failed", {"success": False}), ("scored", {"success": True})], "passed"),
        ([SATISFIED], "passed"),
        (["failed", WAIVED], "passed"),
        (["passed", "failed", "completed", "attempted"], "passed"),
    ],
)
def test_status_precedence(items: list[Any], status: str) -> None:
    assert _summary(*_verbs(*items))["status"] == status


def test_status_evidence_names_the_supporting_statements() -> None:
    attempted, failed, completed, passed = _verbs("attempted", "failed", "completed", "passed")
    ids = {s["id"]: s for s in (attempted, failed, completed, passed)}
    assert set(_summary(attempted, failed, completed, passed)["evidence"]["status"]) == {passed["id"]}
    assert set(_summary(attempted, failed, completed)["evidence"]["status"]) == {failed["id"]}
    assert set(_summary(attempted, completed)["evidence"]["status"]) == {completed["id"]}
    assert set(_summary(attempted)["evidence"]["status"]) == {attempted["id"]}
    assert len(ids) == 4


def test_completion_progress_and_completed_at() -> None:
    first, done, later = (
        _statement("progressed", minutes=0, result={"extensions": {CMI5_PROGRESS: 40}}),
        _statement("experienced", minutes=5, result={"completion": True}),
        _statement("completed", minutes=9),
    )
    partial = _summary(first)
    assert (partial["progress"], partial["completed_at"]) == (40.0, None)
    summary = _summary(first, later, done)
    assert summary["progress"] == 100.0
    assert datetime.fromisoformat(summary["completed_at"]) == T0 + timedelta(minutes=5)
    # A pass is also a completion.
    passed = _summary(_statement("passed", minutes=3))
    assert passed["progress"] == 100.0 and passed["completed_at"] is not None
    assert _summary(_statement("attempted"))["progress"] is None


# --------------------------------------------------------------------- attempts


@pytest.mark.parametrize(
    ("verbs", "attempts"),
    [
        (["experienced"], 1),
        (["completed", "passed"], 1),
        (["attempted"], 1),
        (["attempted", "attempted"], 2),
        (["launched", "initialized", "terminated", "attempted", "completed"], 3),
    ],
)
def test_attempts_count_attempted_launched_initialized_at_least_one(verbs: list[str], attempts: int) -> None:
    statements = _verbs(*verbs)
    summary = _summary(*statements)
    assert summary["attempts"] == attempts
    expected_evidence = [s["id"] for s in statements if s["verb"]["id"].rsplit("/", 1)[-1] in logic.ATTEMPT_VERBS]
    assert summary["evidence"]["attempts"] == expected_evidence


# ------------------------------------------------------------------------ times


def test_first_and_last_times_are_instants_whatever_the_zone() -> None:
    # 10:00+01:00 is 09:00Z: earlier than 09:30Z although it sorts later as text.
    early = learner_statement(ANN, "attempted", MODULE_1, at=T0, zone=timezone(timedelta(hours=1)))
    middle = learner_statement(ANN, "experienced", MODULE_1, at=T0 + timedelta(minutes=30))
    late = learner_statement(ANN, "completed", MODULE_1, at=T0 + timedelta(minutes=50),
                             zone=timezone(timedelta(hours=-5)))
    assert early["timestamp"] == "2026-03-02T10:00:00.000000+01:00"
    for order in ((early, middle, late), (late, middle, early), (middle, late, early)):
        summary = _summary(*order)
        assert datetime.fromisoformat(summary["first_at"]) == T0
        assert datetime.fromisoformat(summary["last_at"]) == T0 + timedelta(minutes=50)
        assert datetime.fromisoformat(summary["completed_at"]) == T0 + timedelta(minutes=50)
        assert summary["evidence"]["first"] == early["id"]
        assert summary["evidence"]["last"] == late["id"]


def test_times_are_stored_as_utc_text_so_that_text_order_is_time_order() -> None:
    # The queries compare these columns as text (time windows, ordering).
    statement = learner_statement(ANN, "attempted", MODULE_1, at=T0, zone=timezone(timedelta(hours=5, minutes=30)))
    assert logic.fact(statement, 1)["at"] == "2026-03-02T09:00:00.000000Z"


def test_a_statement_without_timestamp_uses_stored() -> None:
    statement = learner_statement(ANN, "attempted", MODULE_1)
    statement["stored"] = "2026-03-02T09:00:00.123456Z"
    assert datetime.fromisoformat(logic.fact(statement, 1)["at"]) == T0 + timedelta(microseconds=123456)


# ----------------------------------------------------------------------- scores


def test_best_and_last_scaled_score() -> None:
    a = _statement("scored", minutes=0, result={"score": {"scaled": 0.5}})
    b = _statement("scored", minutes=10, result={"score": {"scaled": 0.9}})
    c = _statement("scored", minutes=20, result={"score": {"scaled": 0.7}})
    unscored = _statement("experienced", minutes=30)
    # Stored in another order than they happened: "last" follows the timestamps.
    summary = _summary(c, unscored, a, b)
    assert (summary["best_scaled"], summary["last_scaled"]) == (0.9, 0.7)
    assert summary["evidence"]["bestScore"] == b["id"]
    assert summary["evidence"]["lastScore"] == c["id"]
    negative = _summary(_statement("scored", result={"score": {"scaled": -0.5}}))
    assert (negative["best_scaled"], negative["last_scaled"]) == (-0.5, -0.5)
    none = _summary(unscored, _statement("scored", result={"score": {"raw": 3}}))
    assert (none["best_scaled"], none["last_scaled"]) == (None, None)
    assert none["evidence"]["bestScore"] is None


def test_time_spent_sums_durations() -> None:
    statements = [
        _statement("attempted", result={"duration": "PT30S"}),
        _statement("experienced", minutes=1, result={"duration": "PT1H2M3.5S"}),
        _statement("completed", minutes=2, result={"duration": "P1D"}),
        _statement("terminated", minutes=3),
    ]
    assert _summary(*statements)["time_spent_s"] == pytest.approx(30 + 3723.5 + 86400)
    assert _summary(statements[-1])["time_spent_s"] == 0.0


def test_fact_ids_are_lowercase() -> None:
    statement = _statement("attempted")
    statement["id"] = statement["id"].upper()
    assert logic.fact(statement, 1)["id"] == statement["id"].lower()


# --------------------------------------------------------------------- learners


def test_learners_of_an_agent_actor() -> None:
    assert learners_of(_statement("attempted")) == [ANN]


def test_learners_of_a_group_are_its_identified_members() -> None:
    anonymous_member = {"objectType": "Agent", "name": "nobody"}
    group = {"objectType": "Group", "mbox": "mailto:team@example.com", "member": [ANN, anonymous_member, BOB]}
    assert learners_of(_statement("attempted", actor=group)) == [ANN, BOB]
    assert learners_of(_statement("attempted", actor={"objectType": "Group", "mbox": "mailto:t@example.com"})) == []


def test_a_member_listed_twice_is_one_learner() -> None:
    group = {"objectType": "Group", "member": [ANN, BOB, dict(ANN)]}
    statement = _statement("attempted", actor=group)
    assert learners_of(statement) == [ANN, BOB]
    facts = {}
    for learner_hash, activity_hash, registration, _, _ in logic.contributions(statement):
        key = (learner_hash, activity_hash, registration)
        assert key not in facts, "one statement contributes once to a record"
        facts[key] = True
    assert len(facts) == 2


def test_learner_record_keeps_identity_and_name() -> None:
    assert logic.learner_record(CY) == {"objectType": "Agent", "mbox_sha1sum": CY["mbox_sha1sum"], "name": "Cy"}
    assert logic.learner_record(BOB) == BOB


# ---------------------------------------------------------------- registrations


def test_a_statement_without_registration_feeds_the_all_registrations_record() -> None:
    found = list(logic.contributions(_statement("attempted")))
    assert [(r, learner["mbox"], activity) for _, _, r, learner, activity in found] == [
        ("", ANN["mbox"], MODULE_1)
    ]


def test_a_registered_statement_feeds_both_records() -> None:
    registration = REGISTRATIONS[1]  # upper case in the statement
    found = list(logic.contributions(_statement("attempted", registration=registration)))
    assert sorted(r for _, _, r, _, _ in found) == ["", registration.lower()]
    assert len({(learner, activity) for learner, activity, _, _, _ in found}) == 1


def test_group_statement_with_registration_feeds_each_member_twice() -> None:
    group = {"objectType": "Group", "member": [ANN, BOB]}
    found = list(logic.contributions(_statement("attempted", actor=group, registration=REGISTRATIONS[0])))
    assert len(found) == 4
    assert len({(learner, r) for learner, _, r, _, _ in found}) == 4


@pytest.mark.parametrize(
    "obj",
    [
        {"objectType": "StatementRef", "id": str(uuid.uuid4())},
        {"objectType": "Agent", "mbox": "mailto:x@example.com"},
        {"objectType": "SubStatement", "actor": ANN, "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
         "object": {"id": COURSE}},
    ],
)
def test_only_activities_have_progress(obj: dict[str, Any]) -> None:
    statement = _statement("attempted", object=obj)
    assert list(logic.contributions(statement)) == []
    assert logic.tree_edges(statement) == []


# ------------------------------------------------------------------------- tree


def test_tree_edges_from_parent_and_grouping() -> None:
    statement = learner_statement(ANN, "completed", LESSON_1)
    assert logic.tree_edges(statement) == [(COURSE, LESSON_1, "grouping"), (MODULE_1, LESSON_1, "parent")]


def test_tree_edges_skip_the_object_itself_and_merge_repeats() -> None:
    statement = _statement("completed", activity=MODULE_1)
    statement["context"] = {
        "contextActivities": {
            "parent": [{"id": COURSE}, {"id": MODULE_1}, {"id": COURSE}],
            "grouping": [{"id": COURSE}],
            "category": [{"id": "http://example.com/profile"}],
            "other": [{"id": "http://example.com/other"}],
        }
    }
    assert logic.tree_edges(statement) == [(COURSE, MODULE_1, "grouping"), (COURSE, MODULE_1, "parent")]
    assert logic.tree_edges(_statement("completed", activity=COURSE)) == []


# ------------------------------------------------------------ order independence


@st.composite
def _facts(draw: Any) -> list[dict[str, Any]]:
    statements = [s for s in draw(histories(max_size=12)) if s["verb"]["id"] != VOIDED]
    # All about one record, as summarize sees them; ties in time happen on purpose.
    facts = []
    for position, statement in enumerate(statements, start=1):
        if "timestamp" not in statement:
            statement["stored"] = timestamp(T0 + timedelta(minutes=draw(st.integers(0, 3))))
        facts.append(logic.fact(statement, position))
    if not facts:
        facts.append(logic.fact({**_statement("attempted"), "result": draw(result_strategy()) or {}}, 1))
    return facts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=_facts(), data=st.data())
def test_summarize_does_not_depend_on_the_order_of_facts(facts: list[dict[str, Any]], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(facts))
    assert logic.summarize(shuffled) == logic.summarize(facts)
    assert logic.summarize(list(reversed(facts))) == logic.summarize(facts)


@settings(max_examples=100, deadline=None)
@given(facts=_facts())
def test_summarize_is_one_of_the_statuses_with_consistent_evidence(facts: list[dict[str, Any]]) -> None:
    summary = logic.summarize(facts)
    ids = {f["id"] for f in facts}
    assert summary["status"] in logic.STATUSES[1:]
    assert summary["attempts"] >= 1
    assert summary["first_at"] <= summary["last_at"]
    assert set(summary["evidence"]["status"]) <= ids and summary["evidence"]["status"]
    assert {summary["evidence"]["first"], summary["evidence"]["last"]} <= ids
    if summary["completed_at"] is not None:
        assert summary["first_at"] <= summary["completed_at"] <= summary["last_at"]
        assert summary["progress"] == 100.0
