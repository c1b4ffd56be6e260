"""PUT and POST /xapi/statements (Communication 2.1.1, 2.1.2; Data 2.3.1, 2.4)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.api.conftest import KEY, statement
from tests.api.helpers import (
    STATEMENTS,
    activity,
    agent,
    get_statement,
    key_of,
    new_id,
    parse_iso,
    position,
    post_ok,
    post_one,
)

# ------------------------------------------------------------------------ PUT


def test_put_with_statement_id_stores_the_statement(client):
    statement_id, with_body_id = new_id(), new_id()
    response = client.put(STATEMENTS, params={"statementId": statement_id}, json=statement())
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert get_statement(client, statement_id)["id"] == statement_id
    # The body may carry the id too, when it is the same (Communication 2.1.1.s3.b3).
    response = client.put(
        STATEMENTS, params={"statementId": with_body_id}, json=statement(id=with_body_id)
    )
    assert response.status_code == 204, response.text
    assert get_statement(client, with_body_id)["id"] == with_body_id


def test_put_without_a_valid_statement_id_is_400(client):
    assert client.put(STATEMENTS, json=statement(id=new_id())).status_code == 400
    response = client.put(STATEMENTS, params={"statementId": "not-a-uuid"}, json=statement())
    assert response.status_code == 400
    assert client.get(STATEMENTS).json()["statements"] == []


def test_put_with_a_body_id_other_than_statement_id_is_400(client):
    statement_id, other = new_id(), new_id()
    response = client.put(STATEMENTS, params={"statementId": statement_id}, json=statement(id=other))
    assert response.status_code == 400
    for candidate in (statement_id, other):
        assert client.get(STATEMENTS, params={"statementId": candidate}).status_code == 404


def test_put_with_an_array_body_is_400(client):
    statement_id = new_id()
    response = client.put(STATEMENTS, params={"statementId": statement_id}, json=[statement()])
    assert response.status_code == 400
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404


# ----------------------------------------------------------------------- POST


def test_post_one_statement_answers_its_id_in_an_array(client):
    statement_id = new_id()
    response = client.post_statements(statement(id=statement_id))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == [statement_id]


def test_post_an_array_answers_the_ids_in_request_order(client):
    given = [new_id(), new_id()]
    body = [statement(id=given[0]), statement(), statement(id=given[1]), statement()]
    ids = post_ok(client, body)
    assert len(ids) == 4
    assert ids[0] == given[0] and ids[2] == given[1]
    assert len(set(ids)) == 4
    for statement_id in ids:
        assert get_statement(client, statement_id)["id"] == statement_id


def test_generated_ids_are_lowercase_uuid4(client):
    ids = post_ok(client, [statement() for _ in range(5)])
    for statement_id in ids:
        parsed = uuid.UUID(statement_id)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == statement_id  # standard form, lowercase


def test_a_batch_with_one_invalid_statement_stores_nothing(client):
    before = position(client.post_statements(statement()))
    good, bad = new_id(), new_id()
    invalid = statement(id=bad, actor={"mbox": "not-an-email"})
    response = client.post_statements([statement(id=good), invalid])
    assert response.status_code == 400
    assert response.json()["path"] == "[1].actor.mbox"
    for statement_id in (good, bad):
        assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    # The log moved by exactly the one statement written after the failed batch.
    assert position(client.post_statements(statement())) == before + 1


# ------------------------------------------------------ re-sending an id (2.3.1)

_MEMBERS = [
    {"objectType": "Agent", "mbox": "mailto:ann@example.com"},
    {"objectType": "Agent", "mbox": "mailto:bob@Example.COM"},
]


def _original(statement_id: str) -> dict[str, Any]:
    return statement(
        id=statement_id,
        actor={"objectType": "Group", "name": "Pair", "member": copy.deepcopy(_MEMBERS)},
        object=activity("course-1", name={"en-US": "Course 1"}),
        timestamp="2024-03-01T12:00:00.000Z",
        version="1.0.0",
    )


def _with(key: str, value: Any):
    def change(s: dict[str, Any]) -> None:
        s[key] = value

    return change


def _reverse_members(s: dict[str, Any]) -> None:
    s["actor"]["member"].reverse()


def _lowercase_domain(s: dict[str, Any]) -> None:
    s["actor"]["member"][1]["mbox"] = "mailto:bob@example.com"


def _verb_display(s: dict[str, Any]) -> None:
    s["verb"]["display"] = {"fr-FR": "a terminé"}


def _definition(s: dict[str, Any]) -> None:
    s["object"]["definition"] = {"name": {"en-US": "Renamed"}, "type": "http://example.com/t"}


def _no_version(s: dict[str, Any]) -> None:
    del s["version"]


EQUIVALENT_CHANGES = {
    "authority": _with("authority", agent("someone-else")),
    "stored": _with("stored", "2020-01-01T00:00:00Z"),
    "version": _no_version,
    "verb display": _verb_display,
    "activity definition": _definition,
    "group member order": _reverse_members,
    "mbox domain case": _lowercase_domain,
    "timestamp in another zone": _with("timestamp", "2024-03-01T14:00:00.000+02:00"),
}


def test_an_equivalent_resend_is_accepted_and_stores_nothing(client):
    statement_id = new_id()
    first = client.post_statements(_original(statement_id))
    assert first.status_code == 200, first.text
    before = get_statement(client, statement_id)
    for name, change in EQUIVALENT_CHANGES.items():
        resent = _original(statement_id)
        change(resent)
        response = client.post_statements(resent)
        assert response.status_code == 200, f"{name}: {response.text}"
        assert response.json() == [statement_id], name
        assert position(response) == position(first), f"{name}: something was written"
        response = client.put(STATEMENTS, params={"statementId": statement_id}, json=resent)
        assert response.status_code == 204, f"PUT {name}: {response.text}"
        assert position(response) == position(first), f"PUT {name}: something was written"
    assert get_statement(client, statement_id) == before


def test_a_different_statement_under_an_existing_id_is_409_and_aborts_the_batch(client):
    statement_id = new_id()
    first = client.post_statements(_original(statement_id))
    assert first.status_code == 200
    conflicting = _original(statement_id)
    conflicting["verb"] = {"id": "http://adlnet.gov/expapi/verbs/failed"}
    fresh = new_id()
    response = client.post_statements([statement(id=fresh), conflicting])
    assert response.status_code == 409, response.text
    response = client.put(STATEMENTS, params={"statementId": statement_id}, json=conflicting)
    assert response.status_code == 409, response.text
    assert client.get(STATEMENTS, params={"statementId": fresh}).status_code == 404
    stored = get_statement(client, statement_id)
    assert stored["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert position(client.post_statements(statement())) == position(first) + 1


def test_duplicate_ids_in_one_batch_are_400_and_store_nothing(client):
    statement_id, other = new_id(), new_id()
    body = [statement(id=other), statement(id=statement_id), statement(id=statement_id.upper())]
    response = client.post_statements(body)
    assert response.status_code == 400
    for candidate in (statement_id, other):
        assert client.get(STATEMENTS, params={"statementId": candidate}).status_code == 404


# ------------------------------------------------------ what the LRS sets (2.4)


def test_the_lrs_sets_id_stored_timestamp_and_authority(client):
    statement_id = post_one(client, statement(stored="2001-01-01T00:00:00Z"))
    got = get_statement(client, statement_id)
    assert got["id"] == statement_id
    stored = parse_iso(got["stored"])
    assert stored.year > 2001  # a sent stored is overwritten (Data 2.4.8.s3.b2)
    assert parse_iso(got["timestamp"]) == stored  # Data 2.4.7.s3.b2
    assert got["authority"]["objectType"] == "Agent"
    assert got["authority"]["account"] == {"homePage": "http://lrs.test", "name": KEY}
    given = post_one(client, statement(timestamp="2015-11-18T12:17:00.123Z"))
    assert get_statement(client, given)["timestamp"] == "2015-11-18T12:17:00.123Z"


def test_a_sent_authority_is_replaced_by_the_credentials(client, make_client):
    other = make_client(scopes=("all",), label="other app")
    statement_id = post_one(other, statement(authority=agent("impostor")))
    got = get_statement(client, statement_id)
    assert got["authority"]["account"] == {"homePage": "http://lrs.test", "name": key_of(other)}
    assert "mbox" not in got["authority"]


def test_a_missing_version_is_1_0_0_in_1_0_3_and_2_0_0_in_2_0(client, client2):
    assert get_statement(client, post_one(client, statement()))["version"] == "1.0.0"
    assert get_statement(client2, post_one(client2, statement()))["version"] == "2.0.0"


def test_a_given_version_is_kept(make_client):
    for request_version, given in (("1.0.3", "1.0.2"), ("2.0.0", "1.0.0"), ("2.0.0", "2.0.0")):
        client = make_client(version=request_version)
        statement_id = post_one(client, statement(version=given))
        got = get_statement(client, statement_id)["version"]
        assert got == given, f"{request_version} request sent version {given}, got {got}"


def test_a_1_0_statement_version_is_accepted_and_kept(client, client2):
    # Data 2.4.10: the version is formatted as the version header, which names "1.0".
    for speaker in (client, client2):
        response = speaker.post_statements(statement(version="1.0"))
        assert response.status_code == 200, response.text
        assert get_statement(speaker, response.json()[0])["version"] == "1.0"


def test_a_2_0_statement_version_is_rejected_in_a_1_0_3_request(client):
    # Data 2.4.10.s3.b2 (1.0.3): reject a version that does not start with "1.0.".
    response = client.post_statements(statement(version="2.0.0"))
    assert response.status_code == 400
    assert response.json()["path"] == "version"


def test_context_activities_given_as_single_objects_come_back_as_arrays(client):
    parent, grouping = activity("parent"), activity("grouping")
    sub = {
        "objectType": "SubStatement",
        "actor": agent("sub"),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": activity("sub-object"),
        "context": {"contextActivities": {"category": activity("sub-category")}},
    }
    statement_id = post_one(
        client,
        statement(
            object=sub,
            context={"contextActivities": {"parent": parent, "grouping": [grouping]}},
        ),
    )
    got = get_statement(client, statement_id)
    assert got["context"]["contextActivities"] == {"parent": [parent], "grouping": [grouping]}
    assert got["object"]["context"]["contextActivities"] == {
        "category": [activity("sub-category")]
    }


def test_a_timestamp_with_an_offset_comes_back_as_the_same_instant_in_utc(client):
    statement_id = post_one(client, statement(timestamp="2024-03-01T12:00:00.123+02:00"))
    got = get_statement(client, statement_id)["timestamp"]
    assert got.endswith("Z")
    assert parse_iso(got) == parse_iso("2024-03-01T10:00:00.123Z")
    early = post_one(client, statement(timestamp="0500-01-01T00:30:00+01:00"))
    assert get_statement(client, early)["timestamp"] == "0499-12-31T23:30:00Z"
