"""Voiding (Data 2.3.2) and how voided statements are answered (Communication 2.1.4)."""

from __future__ import annotations

from tests.api.conftest import statement
from tests.api.helpers import (
    STATEMENTS,
    VOIDED,
    activity,
    activity_id,
    agent,
    get_statement,
    mbox,
    new_id,
    post_one,
    query_ids,
    ref,
    voiding,
)


def _learner_statement(client, slug: str = "course-1") -> str:  # type: ignore[no-untyped-def]
    return post_one(client, statement(actor=agent("ann"), object=activity(slug)))


def test_a_voided_statement_is_returned_by_voided_statement_id_only(client):
    target = _learner_statement(client)
    post_one(client, voiding(target))
    assert client.get(STATEMENTS, params={"statementId": target}).status_code == 404
    got = client.get(STATEMENTS, params={"voidedStatementId": target})
    assert got.status_code == 200, got.text
    assert got.json()["id"] == target
    assert got.json()["actor"]["mbox"] == "mailto:ann@example.com"


def test_a_voided_statement_is_left_out_of_queries(client):
    target = _learner_statement(client)
    kept = _learner_statement(client, "course-2")
    voider = post_one(client, voiding(target))
    everything = query_ids(client)
    assert target not in everything
    assert kept in everything and voider in everything
    assert target not in query_ids(client, activity=activity_id("course-1"))


def test_voided_statement_id_of_a_statement_that_is_not_voided_is_404(client):
    target = _learner_statement(client)
    assert client.get(STATEMENTS, params={"voidedStatementId": target}).status_code == 404
    assert client.get(STATEMENTS, params={"voidedStatementId": new_id()}).status_code == 404


def test_statements_targeting_a_voided_statement_still_come_back_in_queries(client):
    target = _learner_statement(client)
    referrer = post_one(
        client,
        statement(
            actor=agent("teacher"),
            verb={"id": "http://example.com/verbs/confirmed"},
            object=ref(target),
        ),
    )
    voider = post_one(client, voiding(target))
    # Both target the voided statement, so they match its filters (2.1.4.s1.b2).
    assert set(query_ids(client, agent=mbox("ann"))) == {referrer, voider}
    assert set(query_ids(client, activity=activity_id("course-1"))) == {referrer, voider}
    assert get_statement(client, voider)["object"] == ref(target)


def test_a_voiding_statement_cannot_be_voided(client):
    target = _learner_statement(client)
    first_voider = post_one(client, voiding(target))
    second_voider = post_one(client, voiding(first_voider))
    # Voiding the voiding statement has no effect on it, nor on what it voided.
    assert get_statement(client, first_voider)["object"] == ref(target)
    assert client.get(STATEMENTS, params={"voidedStatementId": first_voider}).status_code == 404
    assert client.get(STATEMENTS, params={"statementId": target}).status_code == 404
    assert {first_voider, second_voider} <= set(query_ids(client, verb=VOIDED))


def test_a_voiding_statement_that_arrives_first_voids_its_target_when_it_arrives(client):
    target = new_id()
    voider = post_one(client, voiding(target))
    post_one(client, statement(id=target, actor=agent("ann")))
    assert client.get(STATEMENTS, params={"statementId": target}).status_code == 404
    assert client.get(STATEMENTS, params={"voidedStatementId": target}).json()["id"] == target
    assert query_ids(client) == [voider]
    # Also when both come in one batch, the voiding statement first.
    in_batch = new_id()
    assert client.post_statements([voiding(in_batch), statement(id=in_batch)]).status_code == 200
    assert client.get(STATEMENTS, params={"statementId": in_batch}).status_code == 404


def test_a_voiding_statement_whose_object_is_not_a_statement_ref_is_400(client):
    # Data 2.3.2.s2.b1: the object of a voiding statement MUST be a StatementRef.
    body = statement(verb={"id": VOIDED}, object=activity("course-1"))
    response = client.post_statements(body)
    assert response.status_code == 400
    assert response.json()["path"].startswith("object")
