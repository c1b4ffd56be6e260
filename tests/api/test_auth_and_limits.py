"""Authentication and scopes (Communication 4.0, 4.2, 3.2.s3.b10) and size limits
(Communication 3.2.s3.b11: 413, and nothing stored)."""

from __future__ import annotations

from tests.api.conftest import KEY, basic, statement
from tests.api.helpers import STATEMENTS, new_id, position, post_one


def test_a_request_without_credentials_is_401_with_a_challenge(client):
    for response in (
        client.get(STATEMENTS, auth=None),
        client.post_statements(statement(), auth=None),
        client.put(STATEMENTS, params={"statementId": new_id()}, json=statement(), auth=None),
    ):
        assert response.status_code == 401, response.request.method
        assert response.headers["WWW-Authenticate"].lower().startswith("basic")
    assert client.get(STATEMENTS).json()["statements"] == []


def test_a_wrong_secret_is_401(client):
    for auth in (basic(KEY, "wrong-secret"), basic("no-such-key", "x"), "Basic not-base64!",
                 "Bearer abc"):
        assert client.get(STATEMENTS, auth=auth).status_code == 401, auth
        assert client.post_statements(statement(), auth=auth).status_code == 401, auth
    assert client.get(STATEMENTS).json()["statements"] == []


def test_a_read_only_credential_cannot_store_statements(client, make_client):
    reader = make_client(scopes=("statements/read",))
    statement_id = new_id()
    assert reader.post_statements(statement(id=statement_id)).status_code == 403
    put = reader.put(STATEMENTS, params={"statementId": statement_id}, json=statement())
    assert put.status_code == 403
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    assert reader.get(STATEMENTS).status_code == 200


def test_a_write_only_credential_cannot_read_statements(make_client):
    writer = make_client(scopes=("statements/write",))
    statement_id = post_one(writer, statement())
    assert writer.get(STATEMENTS).status_code == 403
    assert writer.get(STATEMENTS, params={"statementId": statement_id}).status_code == 403
    assert writer.head(STATEMENTS).status_code == 403


def test_more_statements_than_the_request_limit_is_413_and_stores_nothing(client):
    at_limit = client.post_statements([statement() for _ in range(200)])  # the fixture's limit
    assert at_limit.status_code == 200
    before = position(at_limit)
    too_many = [statement(id=new_id()) for _ in range(201)]
    response = client.post_statements(too_many)
    assert response.status_code == 413
    assert client.get(STATEMENTS, params={"statementId": too_many[0]["id"]}).status_code == 404
    assert position(client.post_statements(statement())) == before + 1


def test_a_body_larger_than_the_limit_is_413_and_stores_nothing(client):
    before = position(client.post_statements(statement()))
    big = statement(id=new_id(), result={"response": "x" * 2_000_100})
    response = client.post_statements(big)
    assert response.status_code == 413
    put = client.put(STATEMENTS, params={"statementId": big["id"]}, json=big)
    assert put.status_code == 413
    assert client.get(STATEMENTS, params={"statementId": big["id"]}).status_code == 404
    assert position(client.post_statements(statement())) == before + 1
