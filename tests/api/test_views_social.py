"""`/views/social/...` and `/admin/analytics|people/...`: the social-learning view
over HTTP, folded in process, on both backends; configuration as events."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.config import Settings
from tests.api.conftest import XapiClient
from tests.progress_helpers import head

VIEWS = "/views/social"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
WEBINAR = {
    "objectType": "Activity", "id": "https://lms.example.com/mod/bigbluebuttonbn/view.php?id=7",
    "definition": {"type": "http://id.tincanapi.com/activitytype/webinar", "name": {"en": "Q3 theme webinar"}},
}
SALES = [f"s{i}" for i in range(6)]
OPS = ["o1", "o2"]
SUPPORT = [f"u{i}" for i in range(7)]


def mbox(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "mbox": f"mailto:{name}@example.com"}


def key(name: str) -> str:
    return f"mbox:mailto:{name}@example.com"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=db_url, public_url="http://lrs.test", statements_page_max=50,
        max_statements_per_request=200, max_body_bytes=2_000_000, auth_cache_seconds=300,
        projections_in_process=True, view_wait_seconds=30.0, pseudonym_secret="test-pseudonym-secret",
    )


def attend(names: list[str], at: str = "2026-07-09T10:00:00Z") -> list[dict[str, Any]]:
    return [
        {"id": str(uuid.uuid4()), "actor": mbox(n), "verb": {"id": ATTENDED}, "object": WEBINAR, "timestamp": at}
        for n in names
    ]


def write(client: XapiClient, statements: list[dict[str, Any]]) -> int:
    response = client.post_statements(statements)
    assert response.status_code == 200, response.text
    return int(response.headers["X-LRS-Position"]) if "X-LRS-Position" in response.headers else 0


def read(client: XapiClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(VIEWS + path, params={"minPosition": str(head_of(client)), **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def head_of(client: XapiClient) -> int:
    engine = client.http.app.state.services.engine if hasattr(client.http.app.state, "services") else None
    return head(engine) if engine is not None else 0


def import_teams(client: XapiClient, rows: list[tuple[str, str]]) -> dict[str, Any]:
    text = "agent,team,valid_from,valid_to\n" + "".join(f"mailto:{n}@example.com,{t},2026-01-01,\n" for n, t in rows)
    response = client.post("/admin/people/memberships", content=text.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def seeded(client: XapiClient) -> XapiClient:
    import_teams(
        client, [(n, "sales-nl") for n in SALES] + [(n, "ops-de") for n in OPS] + [(n, "support-nl") for n in SUPPORT]
    )
    write(client, attend(SALES + OPS + SUPPORT))
    return client


def test_overview_counts_and_carries_the_privacy_block(seeded: XapiClient) -> None:
    body = read(seeded, "/overview", window="2026-Q3")
    assert body["privacy"] == {"mode": "aggregate", "minGroupSize": 5, "suppressedCells": 0}
    assert body["window"] == {"label": "2026-Q3", "from": "2026-07-01", "to": "2026-10-01", "timezone": "UTC"}
    assert body["activeLearners"] == 15
    assert body["socialLearners"] == {"n": 15, "share": 1.0}
    assert body["isolatedLearners"] == {"n": 0, "share": 0.0}
    assert body["gatherings"]["byKind"] == {"webinar": 1}
    assert body["coParticipation"]["pairs"] == 105
    assert isinstance(body["position"], int)
    # Outside the window nothing happened.
    assert read(seeded, "/overview", window="2026-W01")["activeLearners"] == 0


def test_teams_hide_a_small_team_and_its_ties(seeded: XapiClient) -> None:
    body = read(seeded, "/teams", window="2026-07")
    rows = {row["team"]: row for row in body["teams"]}
    assert rows["ops-de"] == {"team": "ops-de", "suppressed": True, "reason": "fewer than 5 people"}
    # ops-de alone would follow from the total (15 active learners, on the overview):
    # the next smallest team is hidden with it (complementary suppression).
    assert rows["sales-nl"] == {"team": "sales-nl", "suppressed": True, "reason": "fewer than 5 people"}
    support = rows["support-nl"]
    assert support["activeMembers"] == 7 and support["internalDensity"] == 1.0 and support["socialShare"] == 1.0
    assert body["privacy"]["suppressedCells"] == 2
    # Ties touching a hidden team are left out.
    assert body["ties"] == []


def test_a_filter_on_a_small_team_is_refused_naming_the_parameter(seeded: XapiClient) -> None:
    response = seeded.get(VIEWS + "/overview", params={"window": "2026-Q3", "team": "ops-de",
                                                      "minPosition": str(head_of(seeded))})
    assert response.status_code == 400
    assert "team" in response.text and "fewer than 5" in response.text
    assert read(seeded, "/overview", window="2026-Q3", team="support-nl")["activeLearners"] == 7


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"window": "2026-Q5"}, "window"), ({"window": "2026-W54"}, "window"), ({"from": "2026-07-01"}, "to"),
     ({"from": "2026-07-01", "to": "2026-06-01"}, "to"), ({"window": "2026-Q3", "from": "2026-07-01"}, "window"),
     ({"bogus": "1"}, "bogus")],
)
def test_bad_windows_are_400_naming_the_parameter(client: XapiClient, params: dict[str, str], parameter: str) -> None:
    response = client.get(VIEWS + "/overview", params=params)
    assert response.status_code == 400, response.text
    assert parameter in response.text


def test_settings_are_events_and_identified_mode_needs_a_legal_basis(client: XapiClient, engine: Engine) -> None:
    before = head(engine)
    refused = client.put("/admin/analytics/settings", json={"mode": "identified"})
    assert refused.status_code == 400 and "legalBasis" in refused.text
    for bad in ({"minGroupSize": 2}, {"timezone": "Mars/Olympus"}, {"colour": "red"}, {"fiscalYearStartMonth": 13}):
        response = client.put("/admin/analytics/settings", json=bad)
        assert response.status_code == 400, bad
        assert next(iter(bad)) in response.text
    assert head(engine) == before, "a refused change wrote an event"
    done = client.put("/admin/analytics/settings", json={"mode": "identified", "legalBasis": "Works agreement 2026/4",
                                                         "timezone": "Europe/Amsterdam"})
    assert done.status_code == 200, done.text
    assert done.json()["settings"]["timezone"] == "Europe/Amsterdam"
    assert client.get("/admin/analytics/settings").json()["mode"] == "identified"


TO = "https://lms.example.com/xapi/extensions/to"


def message_to(sender: str, members: list[str]) -> dict[str, Any]:
    """A group message as an LMS may send it: the recipients' Group in an extension."""
    group = {"objectType": "Group", "account": {"homePage": "https://lms.example.com", "name": "group-12"},
             "member": [mbox(n) for n in members]}
    return {"id": str(uuid.uuid4()), "actor": mbox(sender), "verb": {"id": "http://activitystrea.ms/schema/1.0/send"},
            "object": {"id": f"https://lms.example.com/message/{uuid.uuid4()}",
                       "definition": {"type": "http://id.tincanapi.com/activitytype/chat-message"}},
            "context": {"extensions": {TO: group}}, "timestamp": "2026-07-20T10:00:00Z"}


def test_groups_in_configured_extension_keys_are_gatherings_from_then_on(seeded: XapiClient) -> None:
    """Appendix A.3: a Group inside an extension counts once its key is configured; the
    setting is an event, so statements folded before it keep their facts."""
    write(seeded, [message_to("s0", SALES[1:])])
    assert read(seeded, "/overview", window="2026-Q3")["gatherings"]["byKind"] == {"webinar": 1}
    bad = seeded.put("/admin/analytics/settings", json={"groupExtensions": ["not an iri"]})
    assert bad.status_code == 400 and "groupExtensions[0]" in bad.text
    done = seeded.put("/admin/analytics/settings", json={"groupExtensions": [TO]})
    assert done.status_code == 200 and done.json()["settings"]["groupExtensions"] == [TO]
    write(seeded, [message_to("s0", SALES[1:])])
    body = read(seeded, "/overview", window="2026-Q3")
    assert body["gatherings"]["byKind"] == {"group": 1, "webinar": 1}
    assert body["gatherings"]["n"] == 2


COURSE = "https://lms.example.com/course/42"


def define(client: XapiClient, programme: str, roots: list[str]) -> None:
    body = {"name": {"en": programme}, "roots": roots, "modules": [], "tags": [], "completion": "any-root"}
    response = client.put(f"/admin/programmes/{programme}", json=body)
    assert response.status_code == 200, response.text


def test_the_overview_of_a_programmes_learners(seeded: XapiClient) -> None:
    """programme= (design part a): the people with a statement on the programme's
    activities in the window, as the KPI view defines them, like team= for a team."""
    define(seeded, "onboarding", [COURSE])
    define(seeded, "ops-only", [COURSE + "/ops"])
    completed = "http://adlnet.gov/expapi/verbs/completed"
    write(seeded, [
        {"id": str(uuid.uuid4()), "actor": mbox(n), "verb": {"id": completed},
         "object": {"id": COURSE + ("/ops" if n in OPS else "/m1")},
         "context": {"contextActivities": {"parent": [{"id": COURSE}]}}, "timestamp": "2026-07-15T10:00:00Z"}
        for n in SALES + OPS
    ])
    body = read(seeded, "/overview", window="2026-Q3", programme="onboarding")
    assert body["activeLearners"] == 8
    assert body["socialLearners"] == {"n": 8, "share": 1.0}
    # Pairs with at least one of them: among the 8, and each with the 7 others at the webinar.
    assert body["coParticipation"]["pairs"] == 8 * 7 // 2 + 8 * 7
    assert read(seeded, "/overview", window="2026-Q3")["activeLearners"] == 15
    # Outside the window the programme has no learners: nothing to count, nothing refused.
    assert read(seeded, "/overview", window="2026-Q1", programme="onboarding")["activeLearners"] == 0
    for params, reason in (({"programme": "ops-only"}, "programme"), ({"programme": "nope"}, "programme"),
                           ({"programme": "onboarding", "asOf": "1"}, "programme")):
        response = seeded.get(VIEWS + "/overview", params={"window": "2026-Q3", **params})
        assert response.status_code == 400, (params, response.text)
        assert reason in response.text


def test_person_level_answers_cover_the_retention_quarters_and_aggregates_all(
    seeded: XapiClient, make_client: Any
) -> None:
    """Appendix C.1.6: person-level facts for a rolling 4 quarters (configurable),
    counted back from the store's newest activity (2026-Q3 here); aggregates longer."""
    write(seeded, attend(["x1", "x2", "x3", "x4", "x5"], at="2025-03-10T10:00:00Z"))
    seeded.put("/admin/analytics/settings", json={"mode": "identified", "legalBasis": "DPIA 2026-11"})
    analyst = make_client(scopes=("all/read", "views/social/identified"))
    graph = read(analyst, "/graph")
    assert graph["window"]["from"] == "2025-10-01"
    assert {key(n) for n in ("x1", "x2")} & {node["label"] for node in graph["nodes"]} == set()
    assert read(analyst, "/graph", window="2025-Q1")["nodes"] == []
    person = read(analyst, "/metrics", level="person", measure="degree", **{"from": "2025-01-01", "to": "2025-07-01"})
    assert person["nodes"] == []
    assert person["window"]["from"] == person["window"]["to"] == "2025-07-01"  # wholly before: empty
    # Aggregates are not limited.
    assert read(seeded, "/overview", window="2025-Q1")["activeLearners"] == 5
    bad = seeded.put("/admin/analytics/settings", json={"personRetentionQuarters": 0})
    assert bad.status_code == 400 and "personRetentionQuarters" in bad.text
    assert seeded.put("/admin/analytics/settings", json={"personRetentionQuarters": 8}).status_code == 200
    graph = read(analyst, "/graph")
    assert graph["window"]["from"] == "2024-10-01"
    assert {key(n) for n in ("x1", "x2")} <= {node["label"] for node in graph["nodes"]}


def test_membership_csv_errors_name_the_row_and_column(client: XapiClient, engine: Engine) -> None:
    before = head(engine)
    text = "agent,team,valid_from,valid_to\nmailto:a@example.com,sales,2026-01-01,\nnot-an-agent,sales,,\n"
    response = client.post("/admin/people/memberships", content=text.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 400
    assert "csv.row[3].agent" in response.text
    response = client.post("/admin/people/memberships", content=b"agent\nmailto:a@example.com\n")
    assert response.status_code == 400 and "csv.header.team" in response.text
    assert head(engine) == before


def test_the_graph_needs_identified_mode_and_the_scope(seeded: XapiClient, make_client: Any) -> None:
    analyst = make_client(scopes=("all/read", "views/social/identified"))
    aggregate = analyst.get(VIEWS + "/graph", params={"window": "2026-Q3"})
    assert aggregate.status_code == 403 and "identified mode" in aggregate.text
    no_scope = seeded.get(VIEWS + "/graph", params={"window": "2026-Q3"})
    assert no_scope.status_code == 403 and "views/social/identified" in no_scope.text
    seeded.put("/admin/analytics/settings", json={"mode": "identified", "legalBasis": "DPIA 2026-11"})
    body = read(analyst, "/graph", window="2026-Q3")
    assert body["privacy"]["mode"] == "identified"
    ids = {node["id"] for node in body["nodes"]}
    assert len(ids) == 15 and all(i.startswith("p-") for i in ids)
    assert len(body["edges"]) == 105 and all(e["kind"] == "co_participation" for e in body["edges"])
    graphml = analyst.get(VIEWS + "/graph", params={"window": "2026-Q3", "format": "graphml",
                                                    "minPosition": str(head_of(analyst))})
    assert graphml.status_code == 200 and graphml.headers["content-type"].startswith("application/graphml+xml")
    assert graphml.text.count("<node ") == 15 and graphml.text.count("<edge ") == 105


def test_an_opt_out_removes_the_agent_everywhere_at_once(seeded: XapiClient, make_client: Any) -> None:
    seeded.put("/admin/analytics/settings", json={"mode": "identified", "legalBasis": "DPIA 2026-11"})
    analyst = make_client(scopes=("all/read", "views/social/identified"))
    before = read(analyst, "/graph", window="2026-Q3")
    response = seeded.post("/admin/people/opt-out", json={"agent": {"mbox": "mailto:s0@example.com"}})
    assert response.status_code == 200 and response.json()["optedOut"] is True
    after = read(analyst, "/graph", window="2026-Q3")
    assert len(after["nodes"]) == len(before["nodes"]) - 1
    assert key("s0") not in {node["label"] for node in after["nodes"]}
    assert read(seeded, "/overview", window="2026-Q3")["activeLearners"] == 14
    # Their later statements stay out too, until they opt in again.
    write(seeded, attend(["s0"], at="2026-08-01T10:00:00Z"))
    assert read(seeded, "/overview", window="2026-Q3")["activeLearners"] == 14
    seeded.post("/admin/people/opt-in", json={"agent": {"mbox": "mailto:s0@example.com"}})
    write(seeded, attend(["s0"], at="2026-08-02T10:00:00Z"))
    assert read(seeded, "/overview", window="2026-Q3")["activeLearners"] == 15


def test_me_answers_about_the_credentials_own_agent(seeded: XapiClient, make_client: Any, engine: Engine) -> None:
    learner = make_client(scopes=("statements/write", "statements/read/mine"), label="learner")
    me = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": _key_of(learner)}}
    statements = attend([])
    for statement in attend(["x"]):
        statement["actor"] = me
        statements.append(statement)
    write(learner, statements)
    body = read(learner, "/me", window="2026-Q3")
    assert body["active"] is True and body["coLearners"] == 15
    assert body["teamsReached"] == 3
    assert body["gatherings"] == [{"name": "Q3 theme webinar", "kind": "webinar", "date": "2026-07-09",
                                   "participants": 16}]
    assert body["privacy"]["self"] is True
    # A read/mine credential gets its own view only.
    assert learner.get(VIEWS + "/overview").status_code == 403


def test_contributions_name_authors_only_to_themselves_in_aggregate_mode(client: XapiClient, make_client: Any) -> None:
    author = "a0"
    thread = {"objectType": "Activity", "id": "https://lms.example.com/mod/forum/discuss.php?d=1",
              "definition": {"type": "http://id.tincanapi.com/activitytype/discussion", "name": {"en": "Returns"}}}
    posted = {"id": str(uuid.uuid4()), "actor": mbox(author), "object": thread, "timestamp": "2026-07-01T09:00:00Z",
              "verb": {"id": "https://w3id.org/xapi/acrossx/verbs/posted"}}
    viewed = [
        {"id": str(uuid.uuid4()), "actor": mbox(f"r{i}"), "object": thread, "timestamp": "2026-07-02T09:00:00Z",
         "verb": {"id": "http://id.tincanapi.com/verb/viewed"}}
        for i in range(6)
    ]
    write(client, [posted, *viewed])
    body = read(client, "/contributions", window="2026-Q3")
    assert body["total"] == 1
    (item,) = body["artifacts"]
    assert item["distinctConsumers"] == 6 and item["kind"] == "discussion" and item["name"] == "Returns"
    assert "author" not in item


def _key_of(client: XapiClient) -> str:
    import base64

    return base64.b64decode(client.auth.split()[1]).decode().split(":")[0]


def test_team_metrics_hide_small_teams_and_person_metrics_need_identified_mode(
    seeded: XapiClient, make_client: Any
) -> None:
    body = read(seeded, "/metrics", window="2026-Q3", level="team", measure="degree")
    nodes = {node["team"]: node for node in body["nodes"]}
    assert nodes["ops-de"]["suppressed"] is True and nodes["sales-nl"]["suppressed"] is True
    assert nodes["support-nl"]["value"] == 1.0
    assert body["algorithm"]["library"] == "networkx" and body["privacy"]["suppressedCells"] == 2
    analyst = make_client(scopes=("all/read", "views/social/identified"))
    refused = analyst.get(VIEWS + "/metrics", params={"level": "person"})
    assert refused.status_code == 403 and "identified mode" in refused.text
    assert seeded.get(VIEWS + "/metrics", params={"level": "person"}).status_code == 403
    bad = seeded.get(VIEWS + "/metrics", params={"measure": "pagerank"})
    assert bad.status_code == 400 and "measure" in bad.text
    seeded.put("/admin/analytics/settings", json={"mode": "identified", "legalBasis": "DPIA 2026-11"})
    people = read(analyst, "/metrics", window="2026-Q3", level="person", measure="communities")
    (community,) = people["communities"]
    assert len(community["members"]) == 15 and all(m["id"].startswith("p-") for m in community["members"])


def test_as_of_answers_with_the_settings_of_the_time(seeded: XapiClient) -> None:
    before = head_of(seeded)
    changed = seeded.put("/admin/analytics/settings", json={"timezone": "Europe/Amsterdam", "minGroupSize": 8})
    assert changed.status_code == 200
    now = read(seeded, "/overview", window="2026-Q3")
    assert now["window"]["timezone"] == "Europe/Amsterdam" and now["privacy"]["minGroupSize"] == 8
    then = seeded.get(VIEWS + "/overview", params={"window": "2026-Q3", "asOf": str(before)})
    assert then.status_code == 200, then.text
    assert then.json()["window"]["timezone"] == "UTC" and then.json()["privacy"]["minGroupSize"] == 5
    assert then.json()["position"] == before
