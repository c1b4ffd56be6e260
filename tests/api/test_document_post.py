"""POST merges JSON objects (Communication 2.2.s7, 2.2.s8) on every document resource."""

from __future__ import annotations

import json

from tests.api.documents_helpers import each_resource, get, post, put


@each_resource
def test_post_merges_top_level_properties_posted_side_wins(client, resource):
    put(client, resource, "vars", json.dumps({"x": "foo", "y": "bar", "nested": {"a": 1, "b": 2}}).encode())
    response = post(client, resource, "vars", json.dumps({"x": "bash", "z": "faz", "nested": {"c": 3}}).encode())
    assert response.status_code == 204, response.text
    got = get(client, resource, "vars")
    assert got.headers["Content-Type"] == "application/json"
    # Keys of both sides; the posted value wins; a nested object is replaced, not merged.
    assert got.json() == {"x": "bash", "y": "bar", "z": "faz", "nested": {"c": 3}}


@each_resource
def test_post_without_a_stored_document_stores_the_posted_one(client, resource):
    body = b'{"first": [1, 2, 3]}'
    assert post(client, resource, "fresh", body).status_code == 204
    got = get(client, resource, "fresh")
    assert got.content == body
    assert got.headers["Content-Type"] == "application/json"


@each_resource
def test_post_with_a_non_json_side_is_400_and_changes_nothing(client, resource):
    cases = [
        # (stored content, stored type, posted content, posted type)
        (b"plain words", "text/plain", b'{"a": 1}', "application/json"),
        (b'{"a": 1}', "application/json", b'{"b": 2}', "text/plain"),
        (b'{"a": 1}', "application/json", b'{"b": 2}', "application/octet-stream"),
        (b"[1, 2]", "application/json", b'{"b": 2}', "application/json"),
        (b'{"a": 1}', "application/json", b"[1, 2]", "application/json"),
        (b'{"a": 1}', "application/json", b'"a string"', "application/json"),
        (b'{"a": 1}', "application/json", b"{not json", "application/json"),
        (b"{not json", "application/json", b'{"b": 2}', "application/json"),
    ]
    for n, (stored, stored_type, posted, posted_type) in enumerate(cases):
        doc_id = f"doc-{n}"
        assert put(client, resource, doc_id, stored, stored_type).status_code == 204
        before = get(client, resource, doc_id)
        response = post(client, resource, doc_id, posted, posted_type)
        assert response.status_code == 400, (n, response.text)
        after = get(client, resource, doc_id)
        assert (after.content, after.headers["Content-Type"], after.headers["ETag"]) == (
            before.content, before.headers["Content-Type"], before.headers["ETag"]
        ), n


@each_resource
def test_a_json_post_without_a_stored_document_must_be_an_object(client, resource):
    assert post(client, resource, "fresh", b"[1, 2]").status_code == 400
    assert get(client, resource, "fresh").status_code == 404


@each_resource
def test_a_content_type_with_parameters_is_still_json(client, resource):
    put(client, resource, "vars", b'{"x": 1}', "application/json; charset=utf-8")
    assert post(client, resource, "vars", b'{"y": 2}', "Application/JSON; charset=UTF-8").status_code == 204
    assert get(client, resource, "vars").json() == {"x": 1, "y": 2}
