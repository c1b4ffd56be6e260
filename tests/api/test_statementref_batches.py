"""The StatementRef filter rule inside one batch (Communication 2.1.3.s3)."""

from __future__ import annotations

import uuid

from tests.api.conftest import statement

TARGET_VERB = "http://example.com/verbs/target-only"


def ref(target: str, **overrides):  # type: ignore[no-untyped-def]
    return statement(
        id=str(uuid.uuid4()),
        verb={"id": "http://example.com/verbs/commented"},
        object={"objectType": "StatementRef", "id": target},
        **overrides,
    )


def ids_for_verb(client) -> set[str]:  # type: ignore[no-untyped-def]
    got = client.get("/xapi/statements", params={"verb": TARGET_VERB})
    return {s["id"] for s in got.json()["statements"]}


def test_referrers_before_their_target_in_one_batch_match_its_filters(client):
    target = statement(id=str(uuid.uuid4()), verb={"id": TARGET_VERB})
    first = ref(target["id"])
    second = ref(first["id"])  # a chain: second -> first -> target
    assert client.post_statements([second, first, target]).status_code == 200
    assert ids_for_verb(client) == {target["id"], first["id"], second["id"]}


def test_a_chain_split_over_requests_matches_whatever_the_order(client):
    target = statement(id=str(uuid.uuid4()), verb={"id": TARGET_VERB})
    first = ref(target["id"])
    second = ref(first["id"])
    assert client.post_statements(second).status_code == 200
    assert client.post_statements(first).status_code == 200
    assert ids_for_verb(client) == set()
    assert client.post_statements(target).status_code == 200
    assert ids_for_verb(client) == {target["id"], first["id"], second["id"]}

