"""What the Statement Resource refuses: always 400 with a JSON explanation, never 422/500.

Communication 3.2.s2.b1 (400 for malformed JSON or invalid structures), 3.2.s3.b6
(content type must match), Data 2.2.s4.b1 (invalid values), xAPI 2.0 (duplicate keys).
"""

from __future__ import annotations

import json

from tests.api.conftest import statement
from tests.api.helpers import STATEMENTS, new_id

JSON = {"Content-Type": "application/json"}


def _assert_stored_nothing(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get(STATEMENTS).json()["statements"] == []


def test_an_invalid_property_is_400_naming_its_path_and_rule(client):
    response = client.post_statements(statement(actor={"mbox": "learner@example.com"}))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["path"] == "actor.mbox"
    assert isinstance(body["rule"], str) and body["rule"]
    bad = statement(context={"contextActivities": {"parent": [{"id": "not an iri"}]}})
    response = client.put(STATEMENTS, params={"statementId": new_id()}, json=bad)
    assert response.status_code == 400
    assert response.json()["path"] == "context.contextActivities.parent[0].id"
    _assert_stored_nothing(client)


def test_a_duplicated_key_in_a_2_0_request_is_400_naming_the_path(client2):
    body = (
        '{"actor": {"objectType": "Agent", "mbox": "mailto:a@example.com",'
        ' "mbox": "mailto:b@example.com"},'
        ' "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},'
        ' "object": {"id": "http://example.com/activities/course-1"}}'
    )
    response = client2.post(STATEMENTS, content=body, headers=JSON)
    assert response.status_code == 400
    assert response.json()["path"] == "actor.mbox"
    good = json.dumps(statement())
    dup = '{"actor": {"mbox": "mailto:a@example.com"}, "verb": {"id": "http://e.com/v"},' \
        ' "object": {"id": "http://e.com/a"}, "object": {"id": "http://e.com/b"}}'
    response = client2.post(STATEMENTS, content=f"[{good}, {dup}]", headers=JSON)
    assert response.status_code == 400
    assert response.json()["path"] == "[1].object"
    _assert_stored_nothing(client2)


def test_a_duplicated_key_in_a_1_0_3_request_is_accepted_and_the_last_value_wins(client):
    # Data 2.2.s3.b7 (1.0.3): the LRS's behaviour is undefined; this LRS keeps the last.
    body = (
        '{"actor": {"objectType": "Agent", "mbox": "mailto:a@example.com",'
        ' "mbox": "mailto:b@example.com"},'
        ' "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},'
        ' "object": {"id": "http://example.com/activities/first",'
        ' "id": "http://example.com/activities/last"}}'
    )
    response = client.post(STATEMENTS, content=body, headers=JSON)
    assert response.status_code == 200, response.text
    (statement_id,) = response.json()
    got = client.get(STATEMENTS, params={"statementId": statement_id}).json()
    assert got["actor"]["mbox"] == "mailto:b@example.com"
    assert got["object"]["id"] == "http://example.com/activities/last"


def test_malformed_json_is_400(client):
    for body in ('{"actor": ', "{'single': 'quotes'}", "", "[1,]", "NaN"):
        response = client.post(STATEMENTS, content=body, headers=JSON)
        assert response.status_code == 400, f"{body!r}: {response.status_code}"
        assert "error" in response.json()
    _assert_stored_nothing(client)


def test_a_content_type_other_than_json_is_400_and_json_with_a_charset_is_fine(client):
    text = json.dumps(statement())
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        response = client.post(STATEMENTS, content=text, headers={"Content-Type": content_type})
        assert response.status_code == 400, content_type
        put = client.put(
            STATEMENTS, params={"statementId": new_id()}, content=text,
            headers={"Content-Type": content_type},
        )
        assert put.status_code == 400, content_type
    response = client.post(STATEMENTS, content=text)  # no Content-Type at all
    assert response.status_code == 400
    _assert_stored_nothing(client)
    response = client.post(
        STATEMENTS, content=text, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200, response.text


def test_a_statement_that_is_not_an_object_is_400(client):
    for body, path in (('"statement"', ""), ("42", ""), ("null", ""), ('[{"a": 1}, 7]', "[0]")):
        response = client.post(STATEMENTS, content=body, headers=JSON)
        assert response.status_code == 400, body
        assert response.json()["path"].startswith(path), body
    put = client.put(STATEMENTS, params={"statementId": new_id()}, content='"x"', headers=JSON)
    assert put.status_code == 400
    _assert_stored_nothing(client)


def test_a_body_nested_deeper_than_the_lrs_can_store_is_400_not_500(client, client2):
    deep: dict = {}
    cursor = deep
    for _ in range(300):
        cursor["a"] = {}
        cursor = cursor["a"]
    body = statement(result={"extensions": {"http://example.com/ext": deep}})
    assert client.post_statements(body).status_code == 400
    assert client2.post(STATEMENTS, content="[" * 1000 + "]" * 1000, headers=JSON).status_code == 400
    _assert_stored_nothing(client)


def test_a_timestamp_outside_the_representable_range_is_400_not_500(client):
    for value in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        response = client.post_statements(statement(timestamp=value))
        assert response.status_code == 400, value
        assert response.json()["path"] == "timestamp"
    _assert_stored_nothing(client)
