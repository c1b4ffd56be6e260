"""`/admin/programmes` and `/views/kpi/...`: programme definitions as events and the
KPI answers over HTTP, folded in process."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.config import Settings
from tests.api.conftest import XapiClient
from tests.kpi_helpers import MODULES, PROGRAMME, cohort
from tests.progress_helpers import log_events

VIEWS = "/views/kpi"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=db_url, public_url="http://lrs.test",
        statements_page_max=50, max_statements_per_request=200, max_body_bytes=2_000_000,
        auth_cache_seconds=300, projections_in_process=True, view_wait_seconds=30.0,
    )


def _define(client: XapiClient, body: dict[str, Any], programme: str = "onboarding-2026") -> Any:
    return client.put(f"/admin/programmes/{programme}", json=body)


def _read(client: XapiClient, path: str, position: int, **params: Any) -> Any:
    response = client.get(f"{VIEWS}{path}", params={"minPosition": position, **params})
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def loaded(client: XapiClient, engine: Engine) -> int:
    assert _define(client, PROGRAMME).status_code == 200
    statements = cohort()
    assert client.post_statements(statements).status_code == 200
    return log_events(engine)[-1].position


def test_defining_a_programme_records_a_version_and_bad_definitions_write_nothing(client: XapiClient, engine: Engine) -> None:
    first = _define(client, PROGRAMME)
    assert first.status_code == 200 and first.json()["version"] == 1
    assert _define(client, {**PROGRAMME, "name": {"en": "Onboarding"}}).json()["version"] == 2
    before = len(log_events(engine))
    for body, path in (
        ({"name": {"en": "x"}}, "roots"),
        ({**PROGRAMME, "surveys": [{"activity": "not an iri", "metric": "nps"}]}, "surveys[0].activity"),
        ({**PROGRAMME, "surveys": [{"activity": MODULES[0], "metric": "joy"}]}, "surveys[0].metric"),
        ({**PROGRAMME, "theme": {"quarter": "Q3"}}, "theme.quarter"),
        ({**PROGRAMME, "colour": "red"}, "colour"),
    ):
        response = _define(client, body)
        assert response.status_code == 400, response.text
        assert path in response.text
    assert client.put("/admin/programmes/bad id!", json=PROGRAMME).status_code in (400, 404)
    assert len(log_events(engine)) == before
    assert client.get("/admin/programmes/onboarding-2026").json()["version"] == 2


def test_evaluation_of_the_onboarding_cohort(client: XapiClient, loaded: int) -> None:
    body = _read(client, "/programmes/onboarding-2026/evaluation", loaded, window="2026-Q3", compare="previous").json()
    assert body["position"] >= loaded
    assert body["privacy"]["mode"] == "aggregate" and body["privacy"]["minGroupSize"] == 5
    levels = body["levels"]
    assert levels["L0_inputs"]["enrolled"] == {"value": 6, "previous": 6, "delta": 0}
    assert levels["L0_inputs"]["learningHours"]["value"] == 6 * 1 + 4 * 0.5
    satisfaction = levels["L1_reaction"]["satisfaction"]
    assert satisfaction["value"] == 4.5 and satisfaction["respondents"] == 6
    assert satisfaction["responseRate"] == {"value": 1.0, "numerator": 6, "denominator": 6}
    # Learners 6..11: NPS 10, 8, 5, 10, 8, 5 -> 2 promoters, 2 detractors.
    assert levels["L1_reaction"]["nps"]["value"] == 0
    # Two learners took the Q3 test: too few to show (the disclosure layer hides it).
    assert levels["L2_learning"]["passRate"] == {"suppressed": True, "reason": "fewer than 5 people"}
    assert body["privacy"]["suppressedCells"] >= 1
    assert levels["L4_results"]["status"] == "not-configured"
    # Q3: learners 6 and 7 complete every module; 8..11 do not.
    assert body["completion"]["numerator"] == 2 and body["completion"]["denominator"] == 6
    # byMode: all six are solo in Q3; the group cell (0) is empty, the solo cell is below 10.
    assert body["byMode"]["note"].startswith("observational")
    year = _read(client, "/programmes/onboarding-2026/evaluation", loaded, window="2026").json()
    assert year["levels"]["L2_learning"]["passRate"] == {"value": 0.875, "numerator": 7, "denominator": 8}
    # Completers 0..3 ticked a checklist 30 days after completing: 4 of 8.
    assert year["levels"]["L3_behaviour"]["applicationRate"]["numerator"] == 4
    assert year["completion"]["numerator"] == 8 and year["completion"]["denominator"] == 12
    # Passing m3 (day 5) completes it: five days from the first statement.
    assert year["completion"]["medianDaysToComplete"] == 5.0


def test_csv_is_tidy_rfc4180_with_the_position(client: XapiClient, loaded: int) -> None:
    response = client.get(f"{VIEWS}/programmes/onboarding-2026/evaluation",
                          params={"window": "2026-Q2", "minPosition": loaded}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    position = response.headers["X-LRS-Position"]
    assert f"-at-{position}.csv" in response.headers["content-disposition"]
    assert b"\r\n" in response.content
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0].keys() >= {"programme", "period", "metric", "value", "numerator", "denominator", "n", "suppressed", "as_of_position"}
    completion = next(r for r in rows if r["metric"] == "completion_rate" and r["dimension"] == "all")
    assert (completion["numerator"], completion["denominator"], completion["suppressed"]) == ("6", "6", "false")
    for row in rows:
        assert row["as_of_position"] == position
        if row["suppressed"] == "true":
            assert row["value"] == row["numerator"] == row["denominator"] == row["n"] == ""
    same = client.get(f"{VIEWS}/programmes/onboarding-2026/evaluation", params={"window": "2026-Q2", "format": "csv", "asOf": position})
    assert same.text == response.text


def test_funnel_series_themes_and_list(client: XapiClient, loaded: int) -> None:
    funnel = _read(client, "/programmes/onboarding-2026/funnel", loaded, window="2026").json()
    assert [m["attempted"] for m in funnel["modules"]] == [12, 12, 8]
    assert [m["completed"] for m in funnel["modules"]] == [12, 10, 8]
    assert funnel["modules"][0]["name"] == "Module 1"
    series = _read(client, "/programmes/onboarding-2026/series", loaded, grain="quarter", **{"from": "2026-04-01", "to": "2026-09-30"}).json()
    points = {s["metric"]: s["points"] for s in series["series"]}
    assert [p["value"] for p in points["active_learners"]] == [6, 6]
    themes = _read(client, "/themes", loaded, year="2026").json()
    (theme,) = themes["themes"]
    assert theme["quarter"] == "2026-Q3" and theme["reach"]["value"] == 1.0
    listing = _read(client, "/programmes", loaded, window="2026-Q3").json()
    assert listing["programmes"][0]["coverage"]["L1_reaction"] is True


def test_bad_parameters_name_themselves(client: XapiClient, loaded: int) -> None:
    for path, params, name in (
        ("/programmes/nope/evaluation", {}, "programme"),
        ("/programmes/onboarding-2026/evaluation", {"window": "2026-Q5"}, "window"),
        ("/programmes/onboarding-2026/series", {"grain": "fortnight"}, "grain"),
        ("/programmes/onboarding-2026/evaluation", {"format": "xml"}, "format"),
        ("/programmes/onboarding-2026/evaluation", {"colour": "red"}, "colour"),
        ("/themes", {}, "year"),
    ):
        response = client.get(f"{VIEWS}{path}", params={"minPosition": loaded, **params})
        assert response.status_code == 400, (path, response.text)
        assert name in response.text


def test_an_as_of_before_a_redefinition_answers_with_the_old_definition(client: XapiClient, engine: Engine, loaded: int) -> None:
    before = _read(client, "/programmes/onboarding-2026/funnel", loaded, window="2026").json()
    redefined = _define(client, {**PROGRAMME, "modules": MODULES[:2]}).json()
    now = _read(client, "/programmes/onboarding-2026/funnel", redefined["position"], window="2026").json()
    assert len(now["modules"]) == 2 and now["version"] == 2
    then = client.get(f"{VIEWS}/programmes/onboarding-2026/funnel", params={"window": "2026", "asOf": loaded}).json()
    assert then["modules"] == before["modules"] and then["version"] == 1


def _import_memberships(engine: Engine, rows: list[dict[str, Any]], merge: bool = False) -> int:
    """An HR import as the social view's admin API records it (people.membership.imported)."""
    from lrs import log
    from lrs.events import NewEvent, dumps
    from lrs.xapi.agents import ifi_key

    memberships = [{"agent": r["agent"], "agentKey": ifi_key(r["agent"]), "team": r["team"],
                    "validFrom": r.get("validFrom"), "validTo": r.get("validTo")} for r in rows]
    with log.writing(engine, store_id="default") as writer:
        (event,) = writer.append("default", [NewEvent(
            "people.membership.imported", "people:memberships", f"people:memberships:{uuid.uuid4()}",
            dumps({"source": "hr.csv", "merge": merge, "memberships": memberships}), dumps({"actor": "test"}),
        )])
    return event.position


def test_series_by_team_hides_small_teams_with_their_complement(client: XapiClient, engine: Engine, loaded: int) -> None:
    teams = ["sales-nl"] * 6 + ["ops-de"] * 4 + ["tiny"] * 2
    position = _import_memberships(engine, [
        {"agent": {"mbox": f"mailto:learner{i}@example.com"}, "team": team, "validFrom": "2026-01-01"}
        for i, team in enumerate(teams)
    ])
    body = _read(client, "/programmes/onboarding-2026/series", position, grain="quarter", by="team",
                 metrics="active_learners", **{"from": "2026-04-01", "to": "2026-09-30"}).json()
    series = {s["team"]: s["points"] for s in body["series"]}
    assert [p["value"] for p in series["sales-nl"]] == [6, 0]
    # Q3: ops-de has 4 active learners (below 5), tiny 2: both hidden.
    assert series["ops-de"][1] == {"bucket": "2026-Q3", "value": None, "suppressed": True}
    assert series["tiny"][1]["suppressed"] is True
    assert body["privacy"]["suppressedCells"] >= 2
    csv_text = client.get(f"{VIEWS}/programmes/onboarding-2026/series", params={
        "grain": "quarter", "by": "team", "metrics": "active_learners", "from": "2026-04-01", "to": "2026-09-30",
        "format": "csv", "asOf": position}).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    sales = next(r for r in rows if r["dimension_value"] == "sales-nl" and r["period"] == "2026-Q2")
    assert (sales["dimension"], sales["grain"], sales["value"], sales["n"]) == ("team", "quarter", "6", "6")


def test_window_and_dates_exclude_each_other_and_metrics_are_checked(client: XapiClient, loaded: int) -> None:
    both = client.get(f"{VIEWS}/programmes/onboarding-2026/evaluation",
                      params={"minPosition": loaded, "window": "2026-Q3", "from": "2026-07-01", "to": "2026-07-31"})
    assert both.status_code == 400 and both.json()["parameter"] == "window"
    half = client.get(f"{VIEWS}/programmes/onboarding-2026/funnel", params={"minPosition": loaded, "from": "2026-07-01"})
    assert half.status_code == 400 and half.json()["parameter"] == "to"
    unknown = client.get(f"{VIEWS}/programmes/onboarding-2026/series", params={"minPosition": loaded, "metrics": "joy"})
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "metrics"
    days = _read(client, "/programmes/onboarding-2026/series", loaded, grain="day", metrics="statements",
                 **{"from": "2026-07-06", "to": "2026-07-12"}).json()
    assert [p["bucket"] for p in days["series"][0]["points"]] == [f"2026-07-{d:02d}" for d in range(6, 13)]


def test_a_tag_in_grouping_or_category_brings_a_statement_in(client: XapiClient, engine: Engine) -> None:
    """Membership by context: LIKE's wildcards in an IRI (_ and %) match only themselves."""
    tag = "https://example.com/themes/q3_customer%20focus"
    assert _define(client, {"tags": [tag]}, "tagged").status_code == 200
    decoy = "https://example.com/themes/q3xcustomer%20focus"
    statements = []
    for i in range(6):
        for kind, iri in (("category", tag), ("grouping", decoy)):
            statements.append({
                "actor": {"mbox": f"mailto:t{i}-{kind}@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": f"https://example.com/a/{i}"}, "timestamp": "2026-07-07T10:00:00Z",
                "context": {"contextActivities": {kind: [{"id": iri}]}},
            })
    assert client.post_statements(statements).status_code == 200
    position = log_events(engine)[-1].position
    body = _read(client, "/programmes/tagged/evaluation", position, window="2026-Q3").json()
    assert body["levels"]["L0_inputs"]["enrolled"]["value"] == 6
    assert body["completion"]["status"] == "not-configured"


def test_an_observation_named_by_both_rules_counts_once(client: XapiClient, engine: Engine) -> None:
    """A statement that is application evidence (its type) and a business-metric
    observation (its id) is one observation of the metric (docs/kpi.md, Results):
    the count and the mean are those of the statements, not doubled."""
    tag, checklist = "https://example.com/themes/care", "https://example.com/checklists/1"
    checklist_type = "http://id.tincanapi.com/activitytype/checklist"
    assert _define(client, {
        "tags": [tag], "application": {"activityTypes": [checklist_type]},
        "businessMetrics": {"activities": [checklist]},
    }, "both").status_code == 200
    statements = []
    for i in range(6):
        actor = {"mbox": f"mailto:both{i}@example.com"}
        statements.append({
            "actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://example.com/a/care"}, "timestamp": "2026-07-07T10:00:00Z",
            "context": {"contextActivities": {"category": [{"id": tag}]}},
        })
        statements.append({
            "actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": checklist, "definition": {"type": checklist_type}}, "timestamp": "2026-07-08T10:00:00Z",
            "result": {"score": {"raw": 10 + i}},
        })
    assert client.post_statements(statements).status_code == 200
    position = log_events(engine)[-1].position
    results = _read(client, "/programmes/both/evaluation", position, window="2026-Q3").json()["levels"]["L4_results"]
    assert results["observations"] == 6
    assert results["learners"] == 6
    assert results["meanValue"] == 12.5


def test_an_objection_leaves_the_learner_out_of_the_counts_at_once(client: XapiClient, engine: Engine, loaded: int) -> None:
    """Design part d: an opt-out removes the person from aggregate counts, and the
    read layer filters with the objections in force now (answers about the past
    too); opting in again brings them back."""
    before = _read(client, "/programmes/onboarding-2026/evaluation", loaded, window="2026").json()
    assert before["completion"]["denominator"] == 12
    learner = {"mbox": "mailto:learner0@example.com"}
    assert client.post("/admin/people/opt-out", json={"agent": learner}).status_code == 200
    position = log_events(engine)[-1].position
    social = client.get("/views/social/overview", params={"minPosition": position, "window": "2026-Q3"})
    assert social.status_code == 200, social.text
    after = _read(client, "/programmes/onboarding-2026/evaluation", position, window="2026").json()
    assert after["completion"]["denominator"] == 11
    assert after["completion"]["numerator"] == before["completion"]["numerator"] - 1
    assert after["levels"]["L3_behaviour"]["applicationRate"]["numerator"] == 3
    listed = _read(client, "/programmes", position, window="2026").json()["programmes"][0]
    assert listed["enrolled"]["value"] == 11
    assert client.post("/admin/people/opt-in", json={"agent": learner}).status_code == 200
    position = log_events(engine)[-1].position
    assert client.get("/views/social/overview", params={"minPosition": position, "window": "2026-Q3"}).status_code == 200
    again = _read(client, "/programmes/onboarding-2026/evaluation", position, window="2026").json()
    assert again["completion"] == before["completion"]
