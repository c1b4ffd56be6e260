"""Optimistic concurrency of the document resources (Communication 3.1, RFC 7232)."""

from __future__ import annotations

import threading

import pytest

from lrs import documents, log
from lrs.errors import PreconditionFailed
from tests.api.documents_helpers import (
    STATE,
    delete,
    each_profile,
    each_resource,
    events_after,
    get,
    head_position,
    post,
    put,
    quoted_etag,
    sha1,
)

STALE = quoted_etag(b"an older version")


@pytest.fixture(params=["1.0.3", "2.0.0"])
def versioned(request, client, client2):
    """The client of each xAPI version (same LRS)."""
    return client if request.param == "1.0.3" else client2


def _state(client, resource, doc_id="doc"):
    got = get(client, resource, doc_id)
    return (got.status_code, got.content, got.headers.get("ETag"))


@each_resource
def test_if_match_with_the_current_etag_succeeds(client, resource):
    put(client, resource, "doc", b'{"v": 1}')
    etag = get(client, resource, "doc").headers["ETag"]
    response = put(client, resource, "doc", b'{"v": 2}', headers={"If-Match": etag})
    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == quoted_etag(b'{"v": 2}')
    assert get(client, resource, "doc").content == b'{"v": 2}'
    # POST and DELETE honour it too.
    etag = get(client, resource, "doc").headers["ETag"]
    assert post(client, resource, "doc", b'{"w": 3}', headers={"If-Match": etag}).status_code == 204
    etag = get(client, resource, "doc").headers["ETag"]
    assert delete(client, resource, "doc", headers={"If-Match": etag}).status_code == 204
    assert get(client, resource, "doc").status_code == 404


@each_resource
def test_a_stale_if_match_is_412_and_changes_nothing(client, resource):
    put(client, resource, "doc", b'{"v": 1}')
    before = _state(client, resource)
    for method in ("PUT", "POST", "DELETE"):
        response = client.request(method, resource.path, params=resource.params("doc"), content=b'{"v": 2}',
                                  headers={"Content-Type": "application/json", "If-Match": STALE})
        assert response.status_code == 412, (method, response.text)
        assert _state(client, resource) == before, method


@each_resource
def test_if_none_match_star_creates_only(client, resource):
    created = put(client, resource, "doc", b'{"v": 1}', headers={"If-None-Match": "*"})
    assert created.status_code == 204, created.text
    before = _state(client, resource)
    for method in ("PUT", "POST"):
        response = client.request(method, resource.path, params=resource.params("doc"), content=b'{"v": 2}',
                                  headers={"Content-Type": "application/json", "If-None-Match": "*"})
        assert response.status_code == 412, (method, response.text)
    assert _state(client, resource) == before


@each_resource
def test_if_match_star_on_a_missing_document_is_412(client, resource):
    for method in ("PUT", "POST"):
        response = client.request(method, resource.path, params=resource.params("doc"), content=b'{"v": 1}',
                                  headers={"Content-Type": "application/json", "If-Match": "*"})
        assert response.status_code == 412, method
    assert get(client, resource, "doc").status_code == 404
    # On an existing document "*" matches.
    put(client, resource, "doc", b'{"v": 1}')
    assert put(client, resource, "doc", b'{"v": 2}', headers={"If-Match": "*"}).status_code == 204


@each_resource
def test_a_list_of_etags_matches_any_of_them_and_weak_tags_never(client, resource):
    put(client, resource, "doc", b'{"v": 1}')
    current = sha1(b'{"v": 1}')
    weak = put(client, resource, "doc", b'{"v": 2}', headers={"If-Match": f'W/"{current}"'})
    assert weak.status_code == 412
    listed = put(client, resource, "doc", b'{"v": 2}', headers={"If-Match": f'{STALE}, "{current}"'})
    assert listed.status_code == 204


@each_profile
def test_put_without_precondition_on_an_existing_profile_is_409(versioned, resource):
    client = versioned
    put(client, resource, "doc", b'{"v": 1}')
    before = _state(client, resource)
    response = put(client, resource, "doc", b'{"v": 2}')
    assert response.status_code == 409
    message = response.json()["message"]
    assert "If-Match" in message and "current state" in message
    assert _state(client, resource) == before


@each_profile
def test_put_without_precondition_creates_a_profile_that_does_not_exist(versioned, resource):
    # Communication 3.1 asks for 409 only when the document exists; TinCanPython saves
    # a new profile with no precondition header (the official 1.0.3 tests expect 400
    # here: README, decisions).
    response = put(versioned, resource, "new-doc", b'{"v": 1}')
    assert response.status_code == 204, response.text
    assert get(versioned, resource, "new-doc").json() == {"v": 1}


def test_put_without_precondition_on_an_existing_state_follows_the_version(versioned):
    client = versioned
    status = 204 if client.version == "1.0.3" else 409
    put(client, STATE, "doc", b'{"v": 1}')
    response = put(client, STATE, "doc", b'{"v": 2}')
    assert response.status_code == status, response.text
    expected = b'{"v": 2}' if status == 204 else b'{"v": 1}'
    assert get(client, STATE, "doc").content == expected


@each_resource
def test_post_and_delete_need_no_precondition(versioned, resource):
    client = versioned
    put(client, resource, "doc", b'{"v": 1}')
    assert post(client, resource, "doc", b'{"w": 2}').status_code == 204
    assert get(client, resource, "doc").json() == {"v": 1, "w": 2}
    assert delete(client, resource, "doc").status_code == 204
    assert get(client, resource, "doc").status_code == 404
    # Deleting what is not there is not an error.
    assert delete(client, resource, "doc").status_code == 204


def test_two_writers_with_the_same_if_match_one_wins(engine):
    """Two threads race to replace the same version: exactly one write lands."""
    scope = STATE.service_scope()

    def write(content: bytes, if_match: str | None, if_none_match: str | None = None) -> documents.WriteResult:
        return documents.write(
            engine, "default", scope, "raced", content, "application/json", merge=False,
            if_match=if_match, if_none_match=if_none_match, precondition_required=True, metadata={},
        )

    first = write(b'{"v": 0}', None, "*")
    before = head_position(engine)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def racer(name: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = write(f'{{"writer": "{name}"}}'.encode(), f'"{first.etag}"')
        except Exception as exc:  # the loser's error is the result under test
            outcomes[name] = exc

    threads = [threading.Thread(target=racer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    won = [name for name, outcome in outcomes.items() if isinstance(outcome, documents.WriteResult)]
    lost = [name for name, outcome in outcomes.items() if isinstance(outcome, PreconditionFailed)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    new_events = events_after(engine, before)
    assert [e.type for e in new_events] == ["xapi.state.written"]
    assert new_events[0].payload()["text"] == f'{{"writer": "{won[0]}"}}'
    stored = documents.read(engine, "default", scope, "raced")
    assert stored.content == f'{{"writer": "{won[0]}"}}'.encode()
    log.verify(engine)


def test_two_http_clients_with_the_same_if_match_one_wins(client, engine):
    put(client, STATE, "raced", b'{"v": 0}')
    etag = get(client, STATE, "raced").headers["ETag"]
    before = head_position(engine)
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def racer(name: str) -> None:
        barrier.wait()
        response = put(client, STATE, "raced", f'{{"writer": "{name}"}}'.encode(), headers={"If-Match": etag})
        statuses[name] = response.status_code

    threads = [threading.Thread(target=racer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses.values()) == [204, 412], statuses
    assert len(events_after(engine, before)) == 1
