"""Parameters the Statement Resource refuses with 400.

Communication 3.2.s3.b7 (unknown parameters), 3.2.s3.b8 (wrong case), 2.1.3.s2.b1-b2
(statementId / voidedStatementId combinations), Data 2.2.s4.b4 (parameter values are
validated like statement values), Data 2.5.s3 (more links are the LRS's own).
"""

from __future__ import annotations

import base64
import json

from tests.api.conftest import statement
from tests.api.helpers import COMPLETED, STATEMENTS, new_id, post_one, query


def _assert_400(client, params, what: str = "") -> None:  # type: ignore[no-untyped-def]
    response = client.get(STATEMENTS, params=params)
    assert response.status_code == 400, f"{what or params}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["message"]


def test_an_unknown_parameter_is_400(client):
    _assert_400(client, {"actor": '{"mbox": "mailto:a@example.com"}'})
    _assert_400(client, {"statementId": new_id(), "foo": "bar"})
    response = client.get(STATEMENTS, params={"sort": "stored"})
    assert "sort" in response.json()["message"]
    # PUT and POST take no filters either.
    statement_id = new_id()
    response = client.put(
        STATEMENTS, params={"statementId": statement_id, "verb": COMPLETED}, json=statement()
    )
    assert response.status_code == 400
    response = client.post(STATEMENTS, params={"statementId": statement_id}, json=statement())
    assert response.status_code == 400
    assert client.get(STATEMENTS).json()["statements"] == []


def test_a_parameter_name_in_the_wrong_case_is_400(client):
    for name, value in (("Verb", COMPLETED), ("statementID", new_id()), ("LIMIT", "1"),
                        ("Ascending", "true"), ("related_Agents", "true")):
        _assert_400(client, {name: value})


def test_a_parameter_given_twice_is_400(client):
    for name, value in (("verb", COMPLETED), ("limit", "1"), ("statementId", new_id())):
        _assert_400(client, [(name, value), (name, value)], name)


def test_statement_id_together_with_voided_statement_id_is_400(client):
    statement_id = post_one(client, statement())
    _assert_400(client, {"statementId": statement_id, "voidedStatementId": statement_id})


def test_statement_id_with_any_other_filter_is_400(client):
    statement_id = post_one(client, statement())
    for extra in ({"verb": COMPLETED}, {"limit": "1"}, {"ascending": "true"},
                  {"since": "2020-01-01T00:00:00Z"}, {"agent": '{"mbox": "mailto:a@e.com"}'}):
        _assert_400(client, {"statementId": statement_id, **extra})
        _assert_400(client, {"voidedStatementId": statement_id, **extra})
    # Only format and attachments go with it (Communication 2.1.3.s2.b2).
    response = client.get(
        STATEMENTS, params={"statementId": statement_id, "format": "ids", "attachments": "false"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == statement_id


def test_an_agent_that_is_not_a_json_agent_is_400(client):
    for value in ("mailto:ann@example.com", '{"mbox": ', "[]", "{}", '"ann"',
                  '{"mbox": "ann@example.com"}', '{"name": "Ann"}',
                  '{"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}'):
        _assert_400(client, {"agent": value})


def test_an_agent_with_two_identifiers_is_400(client):
    value = json.dumps({"mbox": "mailto:ann@example.com", "openid": "http://ann.example.com/"})
    _assert_400(client, {"agent": value})


def test_a_verb_or_activity_that_is_not_an_iri_is_400(client):
    for name in ("verb", "activity"):
        for value in ("completed", "", "http://exa mple.com/x", "/relative/path"):
            _assert_400(client, {name: value}, f"{name}={value!r}")


def test_a_registration_or_statement_id_that_is_not_a_uuid_is_400(client):
    for name in ("registration", "statementId", "voidedStatementId"):
        for value in ("123", "", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", new_id() + "0"):
            _assert_400(client, {name: value}, f"{name}={value!r}")


def test_a_since_or_until_that_is_not_a_timestamp_is_400(client):
    for name in ("since", "until"):
        for value in ("yesterday", "2024-13-01T00:00:00Z", "2024-01-01", "1700000000",
                      "0001-01-01T00:00:00+01:00"):
            _assert_400(client, {name: value}, f"{name}={value!r}")


def test_a_limit_that_is_not_a_non_negative_integer_is_400(client):
    for value in ("-1", "1.5", "ten", "", " 5", "²", "1e3"):
        _assert_400(client, {"limit": value}, f"limit={value!r}")


def test_a_format_other_than_ids_exact_or_canonical_is_400(client):
    for value in ("IDS", "full", "", "exact "):
        _assert_400(client, {"format": value}, f"format={value!r}")


def test_a_boolean_other_than_true_or_false_is_400(client):
    for name in ("ascending", "related_agents", "related_activities", "attachments"):
        for value in ("True", "1", "yes", ""):
            _assert_400(client, {name: value}, f"{name}={value!r}")


def _token(state: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _issued_more(client) -> str:  # type: ignore[no-untyped-def]
    for _ in range(3):
        post_one(client, statement())
    more = query(client, limit="1")["more"]
    assert more.startswith("/xapi/statements?more=")
    return more.removeprefix("/xapi/statements?more=")


def test_more_together_with_other_parameters_is_400(client):
    token = _issued_more(client)
    assert client.get(STATEMENTS, params={"more": token}).status_code == 200
    for extra in ({"limit": "1"}, {"format": "ids"}, {"verb": COMPLETED}):
        _assert_400(client, {"more": token, **extra})


def test_more_that_the_lrs_did_not_issue_is_400(client):
    _issued_more(client)
    for value in ("", "garbage!!", "e30", _token([1, 2]), _token({"after": 1}),
                  _token({"after": "x", "bound": 10}), _token({"after": 1, "bound": 10, "limit": "x"}),
                  _token({"after": 1, "bound": 10, "limit": -1}),
                  _token({"after": 1, "bound": 10, "agent": {"mbox": 5}}),
                  _token({"after": 1, "bound": 10, "format": "everything"}),
                  _token({"after": 1, "bound": 10, "unknown": True})):
        _assert_400(client, {"more": value}, f"more={value!r}")
