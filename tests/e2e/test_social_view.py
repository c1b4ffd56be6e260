"""The social-learning view end to end: a real ``lrs serve``, statements sent with the
``tincan`` client shaped like Moodle forum and BigBlueButton output (a virtual-
classroom session), a Group-actor attendance and a mentoring statement; team
memberships and settings through the admin API; answers read over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    ContextActivities,
    Group,
    LanguageMap,
    RemoteLRS,
    Statement,
    StatementRef,
    Verb,
)

from tests.e2e.conftest import KEY, SECRET

MOODLE = "https://moodle.example.com"
JOIN = Verb(id="http://activitystrea.ms/join", display=LanguageMap({"en": "joined"}))
CREATE = Verb(id="http://activitystrea.ms/schema/1.0/create", display=LanguageMap({"en": "created"}))
REPLIED = Verb(id="http://id.tincanapi.com/verb/replied", display=LanguageMap({"en": "replied"}))
VIEWED = Verb(id="http://id.tincanapi.com/verb/viewed", display=LanguageMap({"en": "viewed"}))
ATTENDED = Verb(id="http://adlnet.gov/expapi/verbs/attended", display=LanguageMap({"en": "attended"}))
MENTORED = Verb(id="http://id.tincanapi.com/verb/mentored", display=LanguageMap({"en": "mentored"}))
VOIDED = Verb(id="http://adlnet.gov/expapi/verbs/voided", display=LanguageMap({"en": "voided"}))

SALES = [f"sales{i}" for i in range(6)]
SUPPORT = [f"support{i}" for i in range(6)]
TRAINER = "trainer"

BBB_ROOM = Activity(
    id=f"{MOODLE}/mod/bigbluebuttonbn/view.php?id=41",
    definition=ActivityDefinition(
        type="https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom",
        name=LanguageMap({"en": "Customer focus: live session"}),
    ),
)
DISCUSSION = Activity(
    id=f"{MOODLE}/mod/forum/discuss.php?d=812",
    definition=ActivityDefinition(
        type="http://id.tincanapi.com/activitytype/discussion", name=LanguageMap({"en": "How we handle returns"})
    ),
)
FORUM = Activity(
    id=f"{MOODLE}/mod/forum/view.php?id=9",
    definition=ActivityDefinition(type="http://id.tincanapi.com/activitytype/forum"),
)
WEBINAR = Activity(
    id="https://events.example.com/webinars/q3-theme",
    definition=ActivityDefinition(
        type="http://id.tincanapi.com/activitytype/webinar", name=LanguageMap({"en": "Q3 theme webinar"})
    ),
)


def person(name: str) -> Agent:
    return Agent(name=name.title(), mbox=f"mailto:{name}@example.com")


def remote(server: Any) -> RemoteLRS:
    return RemoteLRS(endpoint=server.endpoint, username=KEY, password=SECRET)


def base_url(server: Any) -> str:
    return str(server.endpoint).removesuffix("/xapi/")


def virtual_classroom(registration: str) -> list[Statement]:
    """BigBlueButton through the virtual-classroom profile: each learner joins the
    session (its registration), the trainer as instructor."""
    context = Context(
        registration=registration, instructor=person(TRAINER),
        context_activities=ContextActivities(category=[Activity(id="https://w3id.org/xapi/virtual-classroom")]),
    )
    return [
        Statement(actor=person(name), verb=JOIN, object=BBB_ROOM, context=context, timestamp="2026-07-09T08:00:00Z")
        for name in SALES[:3] + SUPPORT[:3]
    ]


def test_a_quarter_of_social_learning_end_to_end(server: Any) -> None:
    lrs = remote(server)
    http = httpx.Client(base_url=base_url(server), auth=(KEY, SECRET), timeout=30)

    csv = "agent,team,valid_from,valid_to\n" + "".join(
        f"mailto:{n}@example.com,{team},2026-01-01,\n"
        for team, names in (("sales-nl", SALES), ("support-nl", SUPPORT))
        for n in names
    )
    imported = http.post("/admin/people/memberships", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] == 12

    # A virtual-classroom session (BigBlueButton).
    assert lrs.save_statements(virtual_classroom(str(uuid.uuid4()))).success
    # A Moodle forum: a discussion started, replies naming the thread, views.
    started = Statement(actor=person(SALES[0]), verb=CREATE, object=DISCUSSION, timestamp="2026-07-10T09:00:00Z",
                        context=Context(context_activities=ContextActivities(parent=[FORUM])))
    saved = lrs.save_statement(started)
    assert saved.success, saved.data
    replies = [
        Statement(actor=person(name), verb=REPLIED, object=DISCUSSION, timestamp="2026-07-11T09:00:00Z",
                  context=Context(context_activities=ContextActivities(parent=[FORUM])))
        for name in SUPPORT
    ]
    saved_replies = lrs.save_statements(replies)
    assert saved_replies.success, saved_replies.data
    views = [
        Statement(actor=person(name), verb=VIEWED, object=DISCUSSION, timestamp="2026-07-12T09:00:00Z")
        for name in SALES[1:]
    ]
    assert lrs.save_statements(views).success
    # A Group actor attends the webinar: every listed member attended.
    team = Group(member=[person(n) for n in SALES[3:] + SUPPORT[3:]])
    assert lrs.save_statement(
        Statement(actor=team, verb=ATTENDED, object=WEBINAR, timestamp="2026-08-20T14:00:00Z")
    ).success
    # Mentoring: an Agent object.
    assert lrs.save_statement(
        Statement(actor=person(TRAINER), verb=MENTORED, object=person(SUPPORT[5]), timestamp="2026-08-21T10:00:00Z")
    ).success

    position = _head(http)
    overview = _get(http, "/views/social/overview", window="2026-Q3", minPosition=position)
    # One author and one mentoring pair are cells of fewer than 5 people: hidden.
    assert overview["privacy"] == {"mode": "aggregate", "minGroupSize": 5, "suppressedCells": 2}
    assert overview["knowledgeSharing"]["authors"] is None and overview["mentoringPairs"] is None
    assert overview["activeLearners"] == 13  # 12 learners and the trainer
    assert overview["gatherings"]["byKind"] == {"discussion": 1, "virtual-classroom": 1, "webinar": 1}
    assert overview["knowledgeSharing"]["artifacts"] == 1
    # All 13 learned with someone (the session, the thread, the webinar, mentoring).
    assert overview["socialLearners"]["n"] == 13 and overview["isolatedLearners"] == {"n": 0, "share": 0.0}

    teams = _get(http, "/views/social/teams", window="2026-Q3", minPosition=position)
    rows = {row["team"]: row for row in teams["teams"]}
    # The trainer has no team: a cell of one, hidden, and the next smallest team
    # with it (of two teams of 6, the first by name), else 13 - 6 - 6 would tell it.
    assert rows["(no team)"]["suppressed"] is True and rows["sales-nl"]["suppressed"] is True
    assert rows["support-nl"]["activeMembers"] == 6 and rows["support-nl"]["socialShare"] == 1.0
    assert teams["privacy"]["suppressedCells"] == 2

    contributions = _get(http, "/views/social/contributions", window="2026-Q3", minPosition=position)
    (thread,) = contributions["artifacts"]
    # Six replies and five views of the thread by people other than its author.
    assert thread["distinctConsumers"] == 11 and thread["teamsReached"] == 2

    # The graph needs identified mode (with its legal basis) and the scope.
    refused = http.get("/views/social/graph", params={"window": "2026-Q3"})
    assert refused.status_code == 403
    switched = http.put("/admin/analytics/settings", json={"mode": "identified", "legalBasis": "Works agreement 2026/4"})
    assert switched.status_code == 200, switched.text
    created = http.post("/admin/credentials", json={"scopes": ["all/read", "views/social/identified"], "label": "analyst"})
    assert created.status_code == 201, created.text
    analyst = httpx.Client(base_url=base_url(server), auth=(created.json()["key"], created.json()["secret"]), timeout=30)
    position = switched.json()["position"]
    graph = _get(analyst, "/views/social/graph", window="2026-Q3", kinds="reply,mentor", minPosition=position)
    labels = {node["id"]: node["label"] for node in graph["nodes"]}
    replies_to_starter = [e for e in graph["edges"] if e["kind"] == "reply"]
    # Moodle replies name the thread: each points at the thread's starter.
    assert len(replies_to_starter) == 6
    assert {labels[e["target"]] for e in replies_to_starter} == {f"mbox:mailto:{SALES[0]}@example.com"}
    assert [e for e in graph["edges"] if e["kind"] == "mentor"] == [
        {"kind": "mentor", "source": _id(labels, TRAINER), "target": _id(labels, SUPPORT[5]), "weight": 1,
         "directed": True}
    ]

    # Voiding a reply: the edge goes, and asOf before the voiding still has it.
    void = Statement(actor=person(SUPPORT[0]), verb=VOIDED, object=StatementRef(id=saved_replies.content[0].id))
    assert lrs.save_statement(void).success
    after = _head(http)  # the probe after the voiding: the voiding is at after - 1
    graph_now = _get(analyst, "/views/social/graph", window="2026-Q3", kinds="reply", minPosition=after)
    assert len(graph_now["edges"]) == 5
    graph_then = _get(analyst, "/views/social/graph", window="2026-Q3", kinds="reply", asOf=after - 2)
    assert len(graph_then["edges"]) == 6

    # An objection removes the person from every answer at once.
    out = http.post("/admin/people/opt-out", json={"agent": {"mbox": f"mailto:{SUPPORT[5]}@example.com"}})
    assert out.status_code == 200
    graph_out = _get(analyst, "/views/social/graph", window="2026-Q3", kinds="reply,mentor",
                     minPosition=out.json()["position"])
    assert f"mbox:mailto:{SUPPORT[5]}@example.com" not in {n["label"] for n in graph_out["nodes"]}
    assert not [e for e in graph_out["edges"] if e["kind"] == "mentor"]
    graphml = analyst.get("/views/social/graph", params={"window": "2026-Q3", "format": "graphml"})
    assert graphml.status_code == 200 and graphml.text.startswith("<?xml")


def _id(labels: dict[str, str], name: str) -> str:
    return next(i for i, label in labels.items() if label == f"mbox:mailto:{name}@example.com")


def _head(http: httpx.Client) -> int:
    """The log's head: the position of a statement written now."""
    response = http.post(
        "/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"},
        json={"actor": {"mbox": "mailto:probe@example.com"}, "verb": {"id": "http://example.com/verbs/probed"},
              "object": {"id": "http://example.com/probe"}, "timestamp": "2020-01-01T00:00:00Z"},
    )
    assert response.status_code == 200, response.text
    return int(response.headers["X-LRS-Position"])


def _get(http: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = http.get(path, params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    return dict(response.json())
