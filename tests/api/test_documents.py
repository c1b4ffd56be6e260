"""What the three document resources share (Communication 2.2, 2.3, 2.6, 2.7, 3.1.s4).

Every test runs for State, Activity Profile and Agent Profile, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import pytest

from lrs.clock import http_date, parse_utc
from tests.api.documents_helpers import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    PNG,
    STATE,
    Resource,
    each_resource,
    get,
    put,
    put_ok,
    quoted_etag,
    recorded_at,
)

CONTENTS = {
    "json": (b'{"x": "foo", "y": [1, 2.50, {"z": null}]}', "application/json"),
    "png": (PNG, "image/png"),
    "text": ("Grüße, plain text\n".encode(), "text/plain"),
}


@each_resource
def test_put_then_get_returns_the_exact_bytes_and_content_type(client, resource):
    for doc_id, (content, content_type) in CONTENTS.items():
        assert put(client, resource, doc_id, content, content_type).status_code == 204
    for doc_id, (content, content_type) in CONTENTS.items():
        got = get(client, resource, doc_id)
        assert got.status_code == 200
        assert got.content == content
        assert got.headers["Content-Type"] == content_type


@each_resource
def test_get_of_a_missing_document_is_404(client, resource):
    assert get(client, resource, "never-stored").status_code == 404


@each_resource
def test_a_deleted_document_can_be_stored_again(client, resource):
    for method, body in (("PUT", b'{"v": 2}'), ("POST", b'{"v": 3}')):
        assert put(client, resource, "doc-1", b'{"v": 1}', headers={"If-None-Match": "*"}).status_code == 204
        assert client.delete(resource.path, params=resource.params("doc-1")).status_code == 204
        response = client.request(method, resource.path, params=resource.params("doc-1"), content=body,
                                  headers={"Content-Type": "application/json"})
        assert response.status_code == 204, (method, response.text)
        assert get(client, resource, "doc-1").content == body
        assert client.delete(resource.path, params=resource.params("doc-1")).status_code == 204


@each_resource
def test_head_answers_like_get_without_a_body(client, resource):
    put(client, resource, "doc-1", b'{"a": 1}')
    for doc_id in ("doc-1", None):
        got = get(client, resource, doc_id)
        head = client.head(resource.path, params=resource.params(doc_id))
        assert head.status_code == 200
        assert head.content == b""
        for name in ("Content-Type", "ETag", "Last-Modified"):
            assert head.headers[name] == got.headers[name]
    missing = client.head(resource.path, params=resource.params("never-stored"))
    assert missing.status_code == 404
    assert missing.content == b""


@each_resource
def test_get_without_the_id_lists_the_ids(client, resource):
    assert get(client, resource).json() == []
    for doc_id in ("b", "a", "c"):
        put(client, resource, doc_id, b"{}")
    listed = get(client, resource)
    assert listed.status_code == 200
    assert listed.headers["Content-Type"] == "application/json"
    assert sorted(listed.json()) == ["a", "b", "c"]


@each_resource
def test_since_lists_only_documents_updated_after_it_exclusive(client, engine, resource):
    first = put_ok(client, resource, "first", b"{}")
    second = put_ok(client, resource, "second", b"{}")
    third = put_ok(client, resource, "third", b"{}")
    assert get(client, resource, since=recorded_at(engine, first)).json() == ["second", "third"]
    assert get(client, resource, since=recorded_at(engine, second)).json() == ["third"]
    assert get(client, resource, since=recorded_at(engine, third)).json() == []
    # An update moves a document past ``since``.
    put_ok(client, resource, "first", b'{"v": 2}')
    assert sorted(get(client, resource, since=recorded_at(engine, third)).json()) == ["first"]


@each_resource
def test_last_modified_of_one_document_is_its_last_update(client, engine, resource):
    put_ok(client, resource, "doc-1", b'{"v": 1}')
    position = put_ok(client, resource, "doc-1", b'{"v": 2}')
    header = get(client, resource, "doc-1").headers["Last-Modified"]
    assert header == http_date(parse_utc(recorded_at(engine, position)))
    assert header.endswith(" GMT")
    assert parsedate_to_datetime(header).tzinfo is not None


@each_resource
def test_last_modified_of_the_id_list_is_the_newest_document(client, engine, resource):
    put_ok(client, resource, "older", b"{}")
    newest = put_ok(client, resource, "newer", b"{}")
    header = get(client, resource).headers["Last-Modified"]
    assert header == http_date(parse_utc(recorded_at(engine, newest)))


@each_resource
def test_etag_is_the_quoted_lowercase_sha1_of_the_content(client, resource):
    for doc_id, (content, content_type) in CONTENTS.items():
        put(client, resource, doc_id, content, content_type)
        got = get(client, resource, doc_id)
        assert got.headers["ETag"] == quoted_etag(content)
        assert got.headers["ETag"] == got.headers["ETag"].lower()
    listed = get(client, resource)
    assert listed.headers["ETag"] == quoted_etag(listed.content)


def _required(resource: Resource) -> list[tuple[str, str, dict[str, str]]]:
    """(method, missing parameter, the parameters sent) for every required parameter."""
    cases = []
    for method in ("GET", "PUT", "POST", "DELETE"):
        needs_id = method in ("PUT", "POST") or (method == "DELETE" and resource.kind != "state")
        full = resource.params("doc-1" if needs_id else None)
        for name in full:
            cases.append((method, name, {k: v for k, v in full.items() if k != name}))
    return cases


@each_resource
def test_a_missing_required_parameter_is_400(client, resource):
    for method, missing, params in _required(resource):
        response = client.request(method, resource.path, params=params, content=b"{}",
                                  headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (method, missing, response.text)
        assert response.json()["parameter"] == missing


@each_resource
def test_unknown_and_wrong_case_parameters_are_400(client, resource):
    id_wrong_case = resource.id_param[:-2] + "ID"  # stateID, profileID
    for extra in ({"color": "blue"}, {id_wrong_case: "doc-1"}, {"Since": "2024-01-01T00:00:00Z"}):
        for method in ("GET", "PUT", "DELETE"):
            response = client.request(method, resource.path, params={**resource.params("doc-1"), **extra},
                                      content=b"{}", headers={"Content-Type": "application/json"})
            assert response.status_code == 400, (method, extra, response.text)
    assert get(client, resource, "doc-1").status_code == 404


@each_resource
def test_since_must_be_a_timestamp_and_only_lists(client, resource):
    assert get(client, resource, since="yesterday").status_code == 400
    assert get(client, resource, "doc-1", since="2024-01-01T00:00:00Z").status_code == 400


@pytest.mark.parametrize("resource", [STATE, AGENT_PROFILE], ids=["state", "agent_profile"])
def test_agent_must_be_an_agent(client, resource):
    group = {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com",
             "member": [{"mbox": "mailto:a@example.com"}]}
    two_ifis = {"mbox": "mailto:a@example.com", "openid": "http://openid.example.com/a"}
    for bad in (json.dumps(group), json.dumps(two_ifis), json.dumps({"name": "no identifier"}),
                "mailto:a@example.com", "{not json"):
        for method in ("GET", "PUT"):
            response = client.request(method, resource.path, params=resource.params("doc-1", agent=bad),
                                      content=b"{}", headers={"Content-Type": "application/json"})
            assert response.status_code == 400, (bad, method, response.text)


@pytest.mark.parametrize("resource", [STATE, ACTIVITY_PROFILE], ids=["state", "activity_profile"])
def test_activity_id_must_be_an_iri(client, resource):
    for bad in ("not an iri", "course-1", ""):
        assert put(client, resource, "doc-1", b"{}", activityId=bad).status_code == 400, bad
        assert get(client, resource, "doc-1", activityId=bad).status_code == 400, bad


@each_resource
def test_documents_of_other_activities_or_agents_are_separate(client, resource):
    put(client, resource, "doc-1", b'{"mine": true}')
    other = {"activityId": "http://example.com/activities/elsewhere"} if "activityId" in resource.scope \
        else {"agent": json.dumps({"mbox": "mailto:elsewhere@example.com"})}
    assert get(client, resource, "doc-1", **other).status_code == 404
    assert get(client, resource, **other).json() == []


def test_an_overlong_content_type_is_400_and_stores_nothing(client):
    # Longer than the stored column: a 400 on both backends, never a server error.
    response = put(client, STATE, "doc-1", b"{}", "application/" + "x" * 300)
    assert response.status_code == 400, response.text
    assert get(client, STATE, "doc-1").status_code == 404
