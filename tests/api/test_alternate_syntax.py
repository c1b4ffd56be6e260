"""The alternate request syntax of xAPI 1.0.3 (Communication 1.3): everything in a
form-encoded POST body, the intended method in the only query parameter."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from tests.api.conftest import KEY, SECRET, basic, statement
from tests.api.helpers import ATTEMPTED, STATEMENTS, agent, get_statement, new_id, post_one

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form_post(client, method: str, fields: dict[str, str], **query: str):  # type: ignore[no-untyped-def]
    """A request a browser without CORS could send: no custom headers at all."""
    return client.post(
        STATEMENTS, params={"method": method, **query}, content=urlencode(fields),
        headers=FORM, auth=None, version=None,
    )


def _headers_as_fields(version: str = "1.0.3") -> dict[str, str]:
    return {"Authorization": basic(KEY, SECRET), "X-Experience-API-Version": version}


def test_put_and_post_through_the_alternate_syntax_store_statements(client):
    statement_id = new_id()
    fields = {
        "statementId": statement_id,
        "content": json.dumps(statement(actor=agent("ann"))),
        "Content-Type": "application/json",
        **_headers_as_fields(),
    }
    response = _form_post(client, "PUT", fields)
    assert response.status_code == 204, response.text
    assert get_statement(client, statement_id)["actor"] == agent("ann")
    fields = {
        "content": json.dumps([statement(), statement()]),
        "Content-Type": "application/json",
        **_headers_as_fields(),
    }
    response = _form_post(client, "POST", fields)
    assert response.status_code == 200, response.text
    for posted in response.json():
        get_statement(client, posted)


def test_get_through_the_alternate_syntax_queries_with_form_filters(client):
    wanted = post_one(client, statement(verb={"id": ATTEMPTED}))
    post_one(client, statement())
    fields = {"verb": ATTEMPTED, "limit": "5", **_headers_as_fields()}
    response = _form_post(client, "GET", fields)
    assert response.status_code == 200, response.text
    assert [s["id"] for s in response.json()["statements"]] == [wanted]
    one = _form_post(client, "GET", {"statementId": wanted, **_headers_as_fields()})
    assert one.status_code == 200
    assert one.json()["id"] == wanted


def test_other_query_parameters_besides_method_are_400(client):
    statement_id = new_id()
    fields = {"content": json.dumps(statement()), "Content-Type": "application/json",
              **_headers_as_fields()}
    response = _form_post(client, "PUT", fields, statementId=statement_id)
    assert response.status_code == 400
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404


def test_the_alternate_syntax_claiming_2_0_is_400(client):
    statement_id = new_id()
    fields = {"statementId": statement_id, "content": json.dumps(statement()),
              "Content-Type": "application/json", **_headers_as_fields("2.0.0")}
    response = _form_post(client, "PUT", fields)
    assert response.status_code == 400
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    fields = {"verb": ATTEMPTED, **_headers_as_fields("2.0.0")}
    assert _form_post(client, "GET", fields).status_code == 400


def test_the_alternate_syntax_still_needs_credentials(client):
    statement_id = new_id()
    fields = {"statementId": statement_id, "content": json.dumps(statement()),
              "Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"}
    assert _form_post(client, "PUT", fields).status_code == 401
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
