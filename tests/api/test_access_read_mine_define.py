"""The ``statements/read/mine`` and ``define`` scopes (Communication 4.2), and the
authority the LRS gives a statement from the credentials that stored it (Data 2.4.9)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select

from lrs.events import STATEMENT_STORED
from lrs.index import reindex
from lrs.schema import activities, agents, verbs
from tests.api.access_helpers import all_events
from tests.api.conftest import XapiClient, basic, statement
from tests.api.helpers import (
    STATEMENTS,
    agent,
    get_statement,
    key_of,
    mbox,
    new_id,
    post_ok,
    post_one,
    query_ids,
    voiding,
)

MINE = ("statements/read/mine", "statements/write")


def _all_pages(client: XapiClient, **params: str) -> tuple[list[str], int]:
    """Every id a query returns, following ``more``; and the number of pages."""
    response = client.get(STATEMENTS, params=params)
    ids: list[str] = []
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        ids.extend(s["id"] for s in body["statements"])
        pages += 1
        if not body["more"]:
            return ids, pages
        response = client.get(body["more"])


# ------------------------------------------------------------ statements/read/mine


@pytest.fixture
def mine_and_others(client: XapiClient, make_client: Any) -> tuple[XapiClient, list[str], list[str]]:
    """A read/mine credential, its three statements and four of others, interleaved."""
    mine = make_client(scopes=MINE)
    writer = make_client(scopes=("statements/write",))
    own: list[str] = []
    others: list[str] = []
    for _ in range(3):
        others.append(post_one(writer, statement()))
        own.append(post_one(mine, statement()))
    others.append(post_one(client, statement()))
    return mine, own, others


def test_read_mine_queries_and_pages_return_only_its_own_statements(mine_and_others):
    mine, own, _ = mine_and_others
    assert query_ids(mine) == own[::-1]
    # Pages are full: the filter is part of the query, not applied to a page afterwards.
    ids, pages = _all_pages(mine, limit="1")
    assert ids == own[::-1]
    assert pages == 3
    ids, _ = _all_pages(mine, limit="2", ascending="true")
    assert ids == own
    assert query_ids(mine, agent=mbox("learner")) == own[::-1]
    assert query_ids(mine, verb="http://adlnet.gov/expapi/verbs/completed", limit="2") == own[:0:-1]


def test_read_mine_gets_404_for_a_statement_of_another_credential(mine_and_others):
    mine, own, others = mine_and_others
    for statement_id in others:
        assert mine.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
        assert mine.head(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    for statement_id in own:
        assert get_statement(mine, statement_id)["id"] == statement_id


def test_read_mine_sees_only_its_own_voided_statements(client, make_client):
    mine = make_client(scopes=MINE)
    writer = make_client(scopes=("statements/write",))
    theirs = post_one(writer, statement())
    post_one(writer, voiding(theirs))
    own = post_one(mine, statement())
    own_voiding = post_one(mine, voiding(own))
    assert mine.get(STATEMENTS, params={"voidedStatementId": theirs}).status_code == 404
    assert client.get(STATEMENTS, params={"voidedStatementId": theirs}).status_code == 200
    got = mine.get(STATEMENTS, params={"voidedStatementId": own})
    assert got.status_code == 200
    assert got.json()["id"] == own
    assert mine.get(STATEMENTS, params={"statementId": own}).status_code == 404
    assert query_ids(mine) == [own_voiding]


def test_a_more_token_of_a_full_reader_shows_read_mine_only_its_own(mine_and_others, client):
    mine, own, others = mine_and_others
    first = client.get(STATEMENTS, params={"limit": "1"}).json()
    assert first["statements"][0]["id"] == others[-1]
    rest = mine.get(first["more"])
    assert rest.status_code == 200
    assert {s["id"] for s in rest.json()["statements"]} <= set(own)


def test_two_read_mine_credentials_do_not_see_each_other(client, make_client):
    first, second = make_client(scopes=MINE), make_client(scopes=MINE)
    one = post_one(first, statement())
    two = post_one(second, statement())
    assert query_ids(first) == [one]
    assert query_ids(second) == [two]
    # Only read/mine, no write: nothing of its own, so nothing at all.
    reader = make_client(scopes=("statements/read/mine",))
    assert query_ids(reader) == []
    assert reader.get(STATEMENTS, params={"statementId": one}).status_code == 404


def test_read_mine_with_a_wider_read_scope_reads_everything(mine_and_others, make_client):
    _, own, others = mine_and_others
    for wider in ("statements/read", "all/read"):
        reader = make_client(scopes=("statements/read/mine", wider))
        assert set(query_ids(reader)) == set(own + others)


# ------------------------------------------------------------------------ define

ACTIVITY = "http://example.com/activities/defined"
VERB = "http://example.com/verbs/defined"
PERSON = {"mbox": "mailto:person@example.com"}
NOT_DEFINING = [("statements/write",),
                ("statements/write", "statements/read", "state", "profile", "all/read")]
DEFINING = [("statements/write", "define"), ("all",)]


def _described(activity_name: str, verb_display: str, person_name: str, **definition: Any) -> dict[str, Any]:
    return statement(
        actor={"objectType": "Agent", "name": person_name, **PERSON},
        verb={"id": VERB, "display": {"en-US": verb_display}},
        object={"objectType": "Activity", "id": ACTIVITY,
                "definition": {"name": {"en-US": activity_name}, **definition}},
    )


def _canonical(client: XapiClient, statement_id: str) -> dict[str, Any]:
    """What the LRS says of the Activity, the Verb (through a canonical statement) and the Person."""
    activity = client.get("/xapi/activities", params={"activityId": ACTIVITY})
    person = client.get("/xapi/agents", params={"agent": json.dumps(PERSON)})
    canonical = get_statement(client, statement_id, format="canonical")
    assert activity.status_code == person.status_code == 200
    return {
        "activity": activity.json(),
        "verb": canonical["verb"],
        "object": canonical["object"],
        "person": person.json().get("name"),
    }


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(r) for r in conn.execute(select(t))) for t in (activities, verbs, agents)}


@pytest.mark.parametrize("scopes", NOT_DEFINING, ids=["write", "everything-but-define"])
def test_without_define_a_first_statement_saves_ids_but_no_definitions(client, make_client, engine, scopes):
    writer = make_client(scopes=scopes)
    statement_id = post_one(writer, _described("Undefined", "undefined", "Nobody"))
    assert client.get("/xapi/activities", params={"activityId": ACTIVITY}).json() == {
        "objectType": "Activity", "id": ACTIVITY,
    }
    assert "name" not in client.get("/xapi/agents", params={"agent": json.dumps(PERSON)}).json()
    # Ids are saved: the statement is found by its Activity, Verb and Agent.
    assert query_ids(client, activity=ACTIVITY, verb=VERB, agent=PERSON) == [statement_id]
    assert _snapshot(engine) == {"activities": [], "verbs": [], "agents": []}


@pytest.mark.parametrize("defining", DEFINING, ids=["write+define", "all"])
@pytest.mark.parametrize("not_defining", NOT_DEFINING, ids=["write", "everything-but-define"])
def test_only_a_credential_with_define_changes_canonical_definitions(
    client, make_client, engine, defining, not_defining
):
    definer, other = make_client(scopes=defining), make_client(scopes=not_defining)
    first = post_one(definer, _described("Defined", "defined", "Person One"))
    defined = _canonical(client, first)
    assert defined["activity"]["definition"] == {"name": {"en-US": "Defined"}}
    assert defined["verb"]["display"] == {"en-US": "defined"}
    assert defined["person"] == ["Person One"]

    ignored = post_one(other, _described(
        "Redefined", "redefined", "Impostor", description={"en-US": "a new description"},
        type="http://example.com/types/changed",
    ))
    # The canonical statement shows the Activity and Verb as first defined, not as sent.
    assert _canonical(client, ignored) == defined
    # Stored as sent all the same (format=exact).
    assert get_statement(client, ignored)["object"]["definition"]["name"] == {"en-US": "Redefined"}

    changed = post_one(definer, _described("Renamed", "renamed", "Person Renamed"))
    now = _canonical(client, changed)
    assert now["activity"]["definition"] == {"name": {"en-US": "Renamed"}}
    assert now["verb"]["display"] == {"en-US": "renamed"}
    assert now["person"] == ["Person One", "Person Renamed"]


def test_the_define_flag_is_in_the_log_and_reindex_decides_the_same(client, make_client, engine):
    definer = make_client(scopes=("statements/write", "define"))
    other = make_client(scopes=("statements/write",))
    first = post_one(definer, _described("Defined", "defined", "Person One"))
    ignored = post_one(other, _described("Redefined", "redefined", "Impostor",
                                         description={"en-US": "ignored"}))
    # A batch of both kinds, and an Activity only a non-defining credential ever named.
    post_ok(other, [
        _described("Again", "again", "Impostor Two"),
        statement(object={"objectType": "Activity", "id": "http://example.com/activities/never",
                          "definition": {"name": {"en-US": "Never"}}}),
    ])
    flags = {
        event.payload()["id"]: event.meta()["define"]
        for event in all_events(engine)
        if event.type == STATEMENT_STORED
    }
    assert flags[first] is True
    assert flags[ignored] is False
    before = (_snapshot(engine), _canonical(client, ignored))
    assert reindex(engine) == len(flags)
    assert (_snapshot(engine), _canonical(client, ignored)) == before
    never = client.get("/xapi/activities", params={"activityId": "http://example.com/activities/never"})
    assert "definition" not in never.json()


# --------------------------------------------------------------------- authority


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_basic_credentials_give_their_own_authority_whatever_was_sent(
    client, make_client, engine, version
):
    writer = make_client(scopes=("statements/write",), label="Course player", version=version)
    key = key_of(writer)
    expected = {
        "objectType": "Agent",
        "name": "Course player",
        "account": {"homePage": "http://lrs.test", "name": key},
    }
    put_id = new_id()
    put = writer.put(STATEMENTS, params={"statementId": put_id},
                     json=statement(authority=agent("impostor")))
    assert put.status_code == 204, put.text
    batch = post_ok(writer, [
        statement(authority={"objectType": "Group", "member": [agent("a"), agent("b")]}),
        statement(),
    ])
    for statement_id in [put_id, *batch]:
        assert get_statement(client, statement_id)["authority"] == expected
    stored = {e.payload()["id"]: e.payload() for e in all_events(engine) if e.type == STATEMENT_STORED}
    assert all(stored[i]["authority"] == expected for i in [put_id, *batch])
    assert query_ids(client, agent={"account": expected["account"]}, related_agents="true") == [
        *batch[::-1], put_id,
    ]


def test_read_mine_still_sees_its_statements_after_its_secret_is_rotated(client, make_client, http):
    mine = make_client(scopes=MINE)
    own = post_one(mine, statement())
    key = key_of(mine)
    new = client.post(f"/admin/credentials/{key}/rotate").json()["secret"]
    rotated = XapiClient(http, auth=basic(key, new))
    assert query_ids(rotated) == [own]
    assert get_statement(rotated, own)["id"] == own


# -------------------------------------------- the alternate syntax (Communication 1.3)


def _form(client: XapiClient, path: str, method: str, **fields: str) -> Any:
    """Everything in a form, the credentials too; no header a browser could not send."""
    body = {"Authorization": client.auth, "X-Experience-API-Version": "1.0.3", **fields}
    return client.post(path, params={"method": method}, content=urlencode(body),
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       auth=None, version=None)


def test_the_alternate_syntax_applies_the_same_scopes(client, make_client, engine):
    reader = make_client(scopes=("statements/read",))
    writer = make_client(scopes=("statements/write",))
    mine = make_client(scopes=MINE)
    theirs = post_one(client, statement())
    statement_id = new_id()
    content = {"content": json.dumps(statement()), "Content-Type": "application/json"}
    assert _form(reader, STATEMENTS, "PUT", statementId=statement_id, **content).status_code == 403
    assert _form(reader, STATEMENTS, "POST", **content).status_code == 403
    assert _form(writer, STATEMENTS, "GET").status_code == 403
    assert _form(mine, STATEMENTS, "GET", statementId=theirs).status_code == 404
    assert _form(mine, STATEMENTS, "GET").json()["statements"] == []
    state = {"activityId": "http://example.com/a", "agent": json.dumps(PERSON), "stateId": "s"}
    assert _form(writer, "/xapi/activities/state", "PUT", content="x", **state).status_code == 403
    assert _form(writer, "/xapi/activities/state", "DELETE", **state).status_code == 403
    assert _form(reader, "/xapi/activities/state", "GET", **state).status_code == 403
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    assert _form(writer, STATEMENTS, "PUT", statementId=statement_id, **content).status_code == 204
