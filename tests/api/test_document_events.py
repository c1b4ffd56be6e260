"""Documents are event sourced: every write is an event, any past version can be read back."""

from __future__ import annotations

import json

import orjson
import pytest

from lrs import documents, log
from tests.api.documents_helpers import (
    LEARNER,
    OTHER_REGISTRATION,
    PNG,
    REGISTRATION,
    STATE,
    delete,
    each_resource,
    events_after,
    get,
    head_position,
    post,
    put,
    quoted_etag,
    recorded_at,
    sha1,
)


def _position(response) -> int:
    assert response.status_code == 204, response.text
    return int(response.headers["X-LRS-Position"])


@each_resource
def test_a_put_and_a_delete_append_one_event_each(client, engine, resource):
    before = head_position(engine)
    position = _position(put(client, resource, "doc", b'{"v": 1}'))
    (written,) = events_after(engine, before)
    assert written.position == position
    assert written.type == f"xapi.{resource.kind}.written"
    data = written.payload()
    assert data[resource.id_param] == "doc"
    assert (data["contentType"], data["etag"], data["length"], data["text"]) == (
        "application/json", sha1(b'{"v": 1}'), 8, '{"v": 1}'
    )
    if "agent" in resource.scope:
        assert data["agent"] == {"objectType": "Agent", "mbox": LEARNER["mbox"]}
    if "activityId" in resource.scope:
        assert data["activityId"] == resource.scope["activityId"]

    position = _position(delete(client, resource, "doc"))
    (deleted,) = events_after(engine, written.position)
    assert (deleted.position, deleted.type) == (position, f"xapi.{resource.kind}.deleted")
    assert deleted.stream_id == written.stream_id
    assert deleted.stream_version == written.stream_version + 1
    log.verify(engine)


def test_a_post_merge_appends_one_event_carrying_the_merged_document(client, engine):
    put(client, STATE, "vars", b'{"x": "foo", "y": "bar"}')
    before = head_position(engine)
    _position(post(client, STATE, "vars", b'{"x": "bash", "z": "faz"}'))
    (merged,) = events_after(engine, before)
    assert merged.type == "xapi.state.written"
    data = merged.payload()
    assert json.loads(data["text"]) == {"x": "bash", "y": "bar", "z": "faz"}
    assert data["etag"] == sha1(data["text"].encode())
    assert get(client, STATE, "vars").content == data["text"].encode()


def test_a_binary_document_is_kept_by_hash_not_inline(client, engine):
    before = head_position(engine)
    put(client, STATE, "picture", PNG, "image/png")
    (written,) = events_after(engine, before)
    data = written.payload()
    assert "text" not in data
    assert data["length"] == len(PNG) and data["contentType"] == "image/png"
    assert len(data["sha256"]) == 64


def test_delete_all_appends_one_event_per_document(client, engine):
    put(client, STATE, "a", b"{}")
    put(client, STATE, "b", b"{}", registration=REGISTRATION)
    put(client, STATE, "c", b"{}", registration=OTHER_REGISTRATION)
    before = head_position(engine)
    _position(delete(client, STATE))
    deleted = events_after(engine, before)
    assert [e.type for e in deleted] == ["xapi.state.deleted"] * 3
    assert sorted(e.payload()["stateId"] for e in deleted) == ["a", "b", "c"]
    assert sorted(e.payload().get("registration", "") for e in deleted) == sorted(
        ["", REGISTRATION, OTHER_REGISTRATION]
    )
    # Deleting an empty context writes nothing.
    before = head_position(engine)
    assert delete(client, STATE).status_code == 204
    assert events_after(engine, before) == []
    log.verify(engine)


def test_rejected_requests_append_nothing(client, client2, engine):
    put(client, STATE, "doc", b'{"v": 1}')
    put(client, STATE, "text", b"plain", "text/plain")
    before = head_position(engine)
    stale = {"If-Match": quoted_etag(b"old")}
    rejected = [
        (400, put(client, STATE, "doc", b"{}", registration="not-a-uuid")),
        (400, post(client, STATE, "text", b'{"a": 1}')),
        (400, post(client, STATE, "doc", b"[1]")),
        (400, client.put(STATE.path, params={**STATE.params("doc"), "bogus": "1"}, content=b"{}")),
        (409, put(client2, STATE, "doc", b'{"v": 2}')),
        (412, put(client, STATE, "doc", b'{"v": 2}', headers=stale)),
        (412, post(client, STATE, "doc", b'{"v": 2}', headers=stale)),
        (412, delete(client, STATE, "doc", headers=stale)),
        (412, put(client, STATE, "doc", b'{"v": 2}', headers={"If-None-Match": "*"})),
    ]
    assert [r.status_code for _, r in rejected] == [status for status, _ in rejected]
    assert events_after(engine, before) == []
    assert get(client, STATE, "doc").content == b'{"v": 1}'


@pytest.fixture
def timeline(client):
    """One state document through five writes; the position of each."""
    positions = {
        "v1": _position(put(client, STATE, "doc", b'{"v": 1}')),
        "v2": _position(put(client, STATE, "doc", b'{"v": 2}')),
        "merged": _position(post(client, STATE, "doc", b'{"w": 3}')),
        "deleted": _position(delete(client, STATE, "doc")),
        "v4": _position(put(client, STATE, "doc", PNG, "image/png")),
    }
    return positions


EXPECTED = {"v1": b'{"v": 1}', "v2": b'{"v": 2}', "merged": orjson.dumps({"v": 2, "w": 3}), "v4": PNG}


def test_as_of_a_position_reads_the_document_as_it_stood(client, timeline):
    for name, position in timeline.items():
        got = get(client, STATE, "doc", asOf=str(position))
        if name == "deleted":
            assert got.status_code == 404
            continue
        assert got.status_code == 200, (name, got.text)
        assert got.content == EXPECTED[name], name
        assert got.headers["ETag"] == quoted_etag(EXPECTED[name])
    assert get(client, STATE, "doc", asOf=str(timeline["v1"] - 1)).status_code == 404
    assert get(client, STATE, "doc", asOf="0").status_code == 404
    assert get(client, STATE, "doc", asOf=str(timeline["v4"] + 100)).content == PNG


def test_as_of_a_timestamp_reads_the_document_as_it_stood(client, engine, timeline):
    for name, position in timeline.items():
        moment = recorded_at(engine, position)
        got = get(client, STATE, "doc", asOf=moment)
        if name == "deleted":
            assert got.status_code == 404
            continue
        assert got.content == EXPECTED[name], name
        assert got.headers["Content-Type"] == ("image/png" if name == "v4" else "application/json")
    first = recorded_at(engine, timeline["v1"])
    assert get(client, STATE, "doc", asOf="2000-01-01T00:00:00Z").status_code == 404
    assert get(client, STATE, "doc", asOf=first.replace("Z", "+00:00")).content == EXPECTED["v1"]


def test_as_of_is_checked(client):
    put(client, STATE, "doc", b"{}")
    assert get(client, STATE, "doc", asOf="yesterday").status_code == 400
    assert get(client, STATE, "doc", asOf="2024-01-01T00:00:00").status_code == 400  # no time zone
    assert get(client, STATE, asOf="1").status_code == 400  # asOf reads one document
    assert client.put(STATE.path, params={**STATE.params("doc"), "asOf": "1"}, content=b"{}").status_code == 400


def test_history_lists_every_version(client, engine, timeline):
    versions = documents.history(engine, "default", STATE.service_scope(), "doc")
    assert [v["position"] for v in versions] == list(timeline.values())
    assert [v["version"] for v in versions] == [1, 2, 3, 4, 5]
    assert [v["deleted"] for v in versions] == [False, False, False, True, False]
    assert [v["etag"] for v in versions if not v["deleted"]] == [
        sha1(EXPECTED[name]) for name in ("v1", "v2", "merged", "v4")
    ]
    assert versions[-1]["contentType"] == "image/png" and versions[-1]["length"] == len(PNG)
    assert [v["recorded_at"] for v in versions] == sorted(v["recorded_at"] for v in versions)
    assert documents.history(engine, "default", STATE.service_scope(), "never") == []
    log.verify(engine)
