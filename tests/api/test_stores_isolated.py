"""Stores (tenants) are separate LRSs: a credential only ever sees its own store."""

from __future__ import annotations

import pytest

from lrs.credentials import create_store
from tests.api.conftest import statement
from tests.api.helpers import (
    STATEMENTS,
    activity,
    agent,
    get_statement,
    post_one,
    query_ids,
    voiding,
)


@pytest.fixture
def other(engine, make_client):  # type: ignore[no-untyped-def]
    """A full-rights client of a second store."""
    create_store(engine, "other")
    return make_client(store_id="other")


def test_another_store_does_not_see_the_statements(client, other):
    statement_id = post_one(client, statement(actor=agent("ann")))
    assert other.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    assert other.get(STATEMENTS).json() == {"statements": [], "more": ""}
    assert query_ids(other, agent={"mbox": "mailto:ann@example.com"}) == []
    assert query_ids(client) == [statement_id]


def test_another_store_cannot_void_the_statements(client, other):
    statement_id = post_one(client, statement())
    voider = post_one(other, voiding(statement_id))
    assert get_statement(client, statement_id)["id"] == statement_id
    assert client.get(STATEMENTS, params={"voidedStatementId": statement_id}).status_code == 404
    assert query_ids(client) == [statement_id]
    assert query_ids(other) == [voider]


def test_another_store_can_store_a_statement_with_the_same_id(client, other):
    statement_id = post_one(client, statement(object=activity("mine")))
    different = statement(id=statement_id, object=activity("theirs"))
    response = other.post_statements(different)
    assert response.status_code == 200, response.text
    assert get_statement(client, statement_id)["object"]["id"].endswith("/mine")
    assert get_statement(other, statement_id)["object"]["id"].endswith("/theirs")
