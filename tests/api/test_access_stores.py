"""Stores (tenants) are separate LRSs: documents, definitions, agents, attachments,
voiding, paging tokens and hash chains never cross from one store to another, even
with writers of both stores working at the same time."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.multipart import parse_mixed
from lrs import log
from lrs.credentials import create_credential, create_store
from lrs.log import GENESIS
from lrs.schema import statements as statements_table
from tests.api.access_helpers import all_events
from tests.api.conftest import XapiClient, basic, statement
from tests.api.documents_helpers import RESOURCES, each_resource
from tests.api.helpers import (
    STATEMENTS,
    activity,
    get_statement,
    new_id,
    post_one,
    query_ids,
    voiding,
)
from tests.api.test_attachments import TEXT, attachment, multipart, part


@pytest.fixture
def other(engine, make_client) -> XapiClient:  # type: ignore[no-untyped-def]
    """A full-rights client of a second store."""
    create_store(engine, "other")
    return make_client(store_id="other")


def _all_ids(client: XapiClient) -> list[str]:
    response = client.get(STATEMENTS, params={"limit": "0"})
    ids: list[str] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        ids.extend(s["id"] for s in body["statements"])
        if not body["more"]:
            return ids
        response = client.get(body["more"])


@each_resource
def test_another_store_sees_and_changes_none_of_the_documents(client, other, resource):
    headers = {"Content-Type": "application/json", "If-None-Match": "*"}
    put = client.put(resource.path, params=resource.params("doc"), content=b'{"store": "default"}',
                     headers=headers)
    assert put.status_code == 204, put.text
    assert other.get(resource.path, params=resource.params("doc")).status_code == 404
    assert other.head(resource.path, params=resource.params("doc")).status_code == 404
    assert other.get(resource.path, params=resource.params()).json() == []
    # The same document id in the other store is another document.
    assert other.put(resource.path, params=resource.params("doc"), content=b'{"store": "other"}',
                     headers=headers).status_code == 204
    assert other.post(resource.path, params=resource.params("doc"), content=b'{"more": 1}',
                      headers={"Content-Type": "application/json"}).status_code == 204
    deleted = other.delete(resource.path, params=resource.params(None if resource.kind == "state" else "doc"))
    assert deleted.status_code == 204
    assert other.get(resource.path, params=resource.params()).json() == []
    kept = client.get(resource.path, params=resource.params("doc"))
    assert kept.status_code == 200
    assert kept.json() == {"store": "default"}


def test_another_store_sees_no_activity_definition_nor_agent_name(client, other):
    named = {"objectType": "Agent", "name": "Ann Default", "mbox": "mailto:ann@example.com"}
    post_one(client, statement(actor=named, object=activity("shared", name={"en-US": "Default's"}),
                               verb={"id": "http://example.com/verbs/did", "display": {"en-US": "did"}}))
    theirs = post_one(other, statement(actor={"mbox": "mailto:ann@example.com"},
                                       object=activity("shared"),
                                       verb={"id": "http://example.com/verbs/did"}))
    got = other.get("/xapi/activities", params={"activityId": "http://example.com/activities/shared"})
    assert got.json() == {"objectType": "Activity", "id": "http://example.com/activities/shared"}
    person = other.get("/xapi/agents", params={"agent": json.dumps({"mbox": "mailto:ann@example.com"})})
    assert "name" not in person.json()
    canonical = get_statement(other, theirs, format="canonical")
    assert "definition" not in canonical["object"]
    assert "display" not in canonical["verb"]
    # The default store still knows them.
    assert client.get("/xapi/agents", params={"agent": json.dumps({"mbox": "mailto:ann@example.com"})}
                      ).json()["name"] == ["Ann Default"]


def test_another_store_never_gets_attachment_bytes_in_a_query(client, other):
    stmt = statement(attachments=[attachment(TEXT)])
    assert client.post(STATEMENTS, **multipart(stmt, part(TEXT))).status_code == 200
    by_url = statement(attachments=[attachment(TEXT, fileUrl="http://example.com/f.txt")])
    post_one(other, by_url)
    got = other.get(STATEMENTS, params={"attachments": "true"})
    assert got.status_code == 200
    parts = parse_mixed(got.content, got.headers["content-type"])
    assert len(parts) == 1
    assert TEXT not in got.content
    mine = client.get(STATEMENTS, params={"attachments": "true"})
    assert [p.body for p in parse_mixed(mine.content, mine.headers["content-type"])[1:]] == [TEXT]


def test_voiding_in_one_store_has_no_effect_in_another(client, other):
    statement_id = post_one(client, statement(object=activity("default-copy")))
    assert other.post_statements(statement(id=statement_id, object=activity("other-copy"))).status_code == 200
    post_one(other, voiding(statement_id))
    assert other.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    assert other.get(STATEMENTS, params={"voidedStatementId": statement_id}).status_code == 200
    assert get_statement(client, statement_id)["object"]["id"].endswith("/default-copy")
    assert client.get(STATEMENTS, params={"voidedStatementId": statement_id}).status_code == 404
    assert statement_id in query_ids(client)


def test_a_more_token_of_one_store_gives_nothing_of_it_in_another(client, other):
    early = post_one(other, statement())
    default_ids = [post_one(client, statement()) for _ in range(5)]
    late = post_one(other, statement())
    first = client.get(STATEMENTS, params={"limit": "2"}).json()
    assert first["more"]
    response = other.get(first["more"])
    assert response.status_code == 200
    got = {s["id"] for s in response.json()["statements"]}
    # Only the other store's own statements can show up (the one stored before the
    # token's bound), never one of the default store.
    assert not got & set(default_ids)
    assert got <= {early, late}
    assert set(_all_ids(client)) == set(default_ids)


def test_each_store_has_its_own_hash_chain_that_verifies_alone(client, other, engine, make_client):
    make_client(store_id="other", scopes=("state",))
    for body in (statement(), statement()):
        post_one(client, body)
        post_one(other, body)
    resource = RESOURCES[0]
    for who in (client, other):
        assert who.put(resource.path, params=resource.params("doc"), content=b"{}",
                       headers={"Content-Type": "application/json"}).status_code == 204
    counts = Counter(event.store_id for event in all_events(engine))
    assert set(counts) == {"default", "other"}
    heads = {}
    for store_id in ("default", "other"):
        report = log.verify(engine, store_id=store_id)
        assert report.events == counts[store_id]
        assert set(report.store_heads) == {store_id}
        heads[store_id] = report.store_heads[store_id]
        first = all_events(engine, store_id)[0]
        assert first.prev_hash == GENESIS
        assert first.type == "lrs.store.created"
    assert heads["default"] != heads["other"]
    whole = log.verify(engine)
    assert whole.store_heads == heads
    assert whole.events == sum(counts.values())


ROUNDS = 6
WORKERS_PER_STORE = 3


def test_concurrent_writers_of_two_stores_keep_their_statements_apart(app, engine, settings):
    """Threads write to both stores at once, reusing the same statement ids in both:
    each store ends with exactly its own statements, contents and chain."""
    create_store(engine, "other")
    auths = {}
    for store_id in ("default", "other"):
        credential, secret = create_credential(engine, store_id=store_id, scopes=("all",),
                                               public_url=settings.public_url)
        auths[store_id] = basic(credential.key, secret)
    plan = [[[new_id() for _ in range(3)] for _ in range(ROUNDS)] for _ in range(WORKERS_PER_STORE)]

    def work(http: TestClient, store_id: str, worker: int) -> list[str]:
        headers = {"Authorization": auths[store_id], "X-Experience-API-Version": "1.0.3"}
        written: list[str] = []
        for round_ids in plan[worker]:
            batch = [statement(id=i, object=activity(f"{store_id}-{worker}")) for i in round_ids]
            response = http.post(STATEMENTS, json=batch, headers=headers)
            assert response.status_code == 200, response.text
            written.extend(response.json())
        return written

    jobs = [(store_id, worker) for worker in range(WORKERS_PER_STORE) for store_id in ("default", "other")]
    # One app lifespan, as in a server process; the threads' requests run concurrently
    # on its event loop and in its thread pool.
    with TestClient(app, base_url="http://lrs.test") as http, ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(work, http, *job) for job in jobs]
        results = {job: future.result(timeout=120) for job, future in zip(jobs, futures, strict=True)}

    expected = {store_id: {i for (s, _), ids in results.items() if s == store_id for i in ids}
                for store_id in ("default", "other")}
    assert expected["default"] == expected["other"]  # the same ids, on purpose
    assert len(expected["default"]) == ROUNDS * WORKERS_PER_STORE * 3
    with engine.connect() as conn:
        for store_id in ("default", "other"):
            rows = conn.execute(
                select(statements_table.c.statement_id).where(statements_table.c.store_id == store_id)
            ).scalars().all()
            assert sorted(rows) == sorted(expected[store_id])
    stored: dict[str, dict[str, Any]] = {"default": {}, "other": {}}
    for event in all_events(engine):
        if event.type == "xapi.statement.stored":
            stored[event.store_id][event.payload()["id"]] = event.payload()
    for store_id in ("default", "other"):
        assert set(stored[store_id]) == expected[store_id]
        assert {s["object"]["id"].rsplit("/", 1)[1].split("-")[0] for s in stored[store_id].values()} == {
            store_id
        }
        assert log.verify(engine, store_id=store_id).events == len(all_events(engine, store_id))
    log.verify(engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        outsider = XapiClient(http, auth=auths["other"])
        assert set(_all_ids(outsider)) == expected["other"]
        one = sorted(expected["other"])[0]
        assert get_statement(outsider, one)["object"]["id"].split("/")[-1].startswith("other-")

