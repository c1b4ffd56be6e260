"""/admin/forwarding: who may configure targets, what a bad target is told, what
the log records (never a secret), pause / resume / remove."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from lrs.credentials import create_credential, create_store
from lrs.forwarding.targets import TARGET_ADDED, TARGET_PAUSED, TARGET_REMOVED, TARGET_RESUMED
from tests.api.access_helpers import events_after, head_position
from tests.api.conftest import XapiClient, basic

PUBLIC = "http://93.184.216.34/xapi/"  # a public address: no DNS, not private
LRS_TARGET = {"id": "enterprise-lrs", "kind": "lrs", "url": PUBLIC,
              "auth": {"basic": ["remote-key", "remote-very-secret"]}, "xapiVersion": "1.0.3",
              "filter": {"verbs": ["http://adlnet.gov/expapi/verbs/passed"]}}


def _admin(http: Any, engine: Engine, store_id: str = "default", scopes=("admin",)) -> XapiClient:  # type: ignore[no-untyped-def]
    credential, secret = create_credential(engine, store_id=store_id, scopes=scopes,
                                           public_url="http://lrs.test")
    return XapiClient(http, auth=basic(credential.key, secret))


@pytest.fixture
def admin(http, engine) -> XapiClient:  # type: ignore[no-untyped-def]
    return _admin(http, engine)


def test_add_list_status_pause_resume_remove_each_an_event_without_secrets(admin, engine):
    before = head_position(engine)
    created = admin.post("/admin/forwarding", json=LRS_TARGET)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["auth"] == {"type": "basic", "key": "remote-key"}
    assert "remote-very-secret" not in created.text
    assert body["secretFingerprint"] and body["paused"] is False
    (added,) = events_after(engine, before)
    assert added.type == TARGET_ADDED and added.stream_id == "forwarding:enterprise-lrs"
    assert "remote-very-secret" not in added.data + added.metadata
    assert added.payload()["secretFingerprint"] == body["secretFingerprint"]

    assert [t["id"] for t in admin.get("/admin/forwarding").json()] == ["enterprise-lrs"]
    one = admin.get("/admin/forwarding/enterprise-lrs").json()
    assert one["status"]["lag"]["events"] >= 0 and one["status"]["delivered"] == 0
    assert one["status"]["lastError"] is None and "remote-very-secret" not in str(one)

    assert admin.post("/admin/forwarding/enterprise-lrs/pause",
                      json={"reason": "maintenance at the target"}).status_code == 204
    one = admin.get("/admin/forwarding/enterprise-lrs").json()
    assert one["paused"] is True and one["pausedReason"] == "maintenance at the target"
    assert admin.post("/admin/forwarding/enterprise-lrs/resume").status_code == 204
    assert admin.get("/admin/forwarding/enterprise-lrs").json()["paused"] is False
    assert admin.delete("/admin/forwarding/enterprise-lrs").status_code == 204
    assert admin.get("/admin/forwarding/enterprise-lrs").status_code == 404
    types = [e.type for e in events_after(engine, before)]
    assert types == [TARGET_ADDED, TARGET_PAUSED, TARGET_RESUMED, TARGET_REMOVED]


def test_a_webhook_without_a_secret_gets_one_shown_once(admin, engine):
    before = head_position(engine)
    created = admin.post("/admin/forwarding", json={"id": "hr", "kind": "webhook",
                                                    "url": "https://93.184.216.34/hook"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert len(secret) >= 32
    assert "secret" not in admin.get("/admin/forwarding/hr").json()
    assert all(secret not in e.data for e in events_after(engine, before))


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"kind": "ftp"}, "kind", "lrs or webhook"),
        ({"url": "ftp://93.184.216.34/"}, "url", "http or https"),
        ({"url": "http://127.0.0.1:8000/xapi/"}, "url", "LRS_FORWARDING_ALLOW_PRIVATE"),
        ({"url": "http://10.1.2.3/xapi/"}, "url", "private"),
        ({"url": "http://169.254.169.254/latest/"}, "url", "private"),
        ({"url": "http://localhost/xapi/"}, "url", "loopback"),
        ({"url": "http://user:pw@93.184.216.34/"}, "url", "credentials"),
        ({"xapiVersion": "0.95"}, "xapiVersion", "1.0.3"),
        ({"auth": {"basic": ["only-key"]}}, "auth.basic", "KEY, SECRET"),
        ({"auth": {"digest": "x"}}, "auth.digest", "basic or bearer"),
        ({"filter": {"verbs": ["not an iri"]}}, "filter.verbs[0]", "IRI"),
        ({"filter": {"agents": [{"name": "no identifier"}]}}, "filter.agents[0]", "mbox"),
        ({"filter": {"colour": "red"}}, "filter.colour", "not a filter property"),
        ({"filter": {"statements": "some"}}, "filter.statements", "voiding"),
        ({"id": "Has Spaces"}, "id", "lowercase"),
        ({"secret": "0123456789abcdef"}, "secret", "webhooks"),
    ],
)
def test_a_bad_target_is_refused_naming_the_property_and_nothing_is_stored(
    admin, engine, change, path, words
):
    before = head_position(engine)
    answer = admin.post("/admin/forwarding", json={**LRS_TARGET, **change})
    assert answer.status_code == 400, answer.text
    assert answer.json()["path"] == path
    assert words in answer.json()["message"]
    assert head_position(engine) == before
    assert admin.get("/admin/forwarding").json() == []


def test_only_admins_manage_targets_and_each_store_its_own(http, engine, admin):
    assert admin.post("/admin/forwarding", json=LRS_TARGET).status_code == 201
    everything = _admin(http, engine, scopes=("all",))
    assert everything.get("/admin/forwarding").status_code == 403
    assert everything.post("/admin/forwarding", json={**LRS_TARGET, "id": "x"}).status_code == 403
    create_store(engine, "sales")
    sales = _admin(http, engine, "sales")
    assert sales.get("/admin/forwarding").json() == []
    assert sales.get("/admin/forwarding/enterprise-lrs").status_code == 403
    assert sales.delete("/admin/forwarding/enterprise-lrs").status_code == 403
    widened = {**LRS_TARGET, "id": "sales-wide", "filter": {"stores": ["default", "sales"]}}
    assert sales.post("/admin/forwarding", json=widened).status_code == 403
    mine = sales.post("/admin/forwarding", json={**LRS_TARGET, "id": "sales-lrs"})
    assert mine.status_code == 201 and mine.json()["store"] == "sales"
    assert [t["id"] for t in admin.get("/admin/forwarding").json()] == ["enterprise-lrs", "sales-lrs"]


def test_a_second_target_with_the_same_id_is_a_conflict(admin):
    assert admin.post("/admin/forwarding", json=LRS_TARGET).status_code == 201
    assert admin.post("/admin/forwarding", json=LRS_TARGET).status_code == 409


def test_metrics_show_each_targets_lag_and_health(admin, client):
    assert admin.post("/admin/forwarding", json=LRS_TARGET).status_code == 201
    assert admin.post("/admin/forwarding/enterprise-lrs/pause").status_code == 204
    assert client.post_statements([{"actor": {"mbox": "mailto:a@example.com"},
                                    "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
                                    "object": {"id": "http://example.com/c"}}]).status_code == 200
    text = admin.get("/metrics").text
    lag = [line for line in text.splitlines()
           if line.startswith('lrs_forwarding_lag_events{target="enterprise-lrs"}')]
    assert lag and float(lag[0].split()[-1]) >= 1
    assert 'lrs_forwarding_paused{target="enterprise-lrs"} 1.0' in text
    assert 'lrs_forwarding_rejected_total{target="enterprise-lrs"} 0.0' in text
    assert 'lrs_forwarding_retries{target="enterprise-lrs"} 0.0' in text


def test_the_openapi_schema_documents_every_forwarding_operation(http):
    from api.routers.forwarding import router

    paths = http.get("/openapi.json").json()["paths"]
    documented = {(path, method): operation for path, methods in paths.items()
                  if path.startswith("/admin/forwarding") for method, operation in methods.items()}
    routed = {(route.path, method.lower()) for route in router.routes for method in route.methods}
    assert routed == set(documented) and len(routed) == 6
    for (path, method), operation in documented.items():
        assert operation["summary"] and "forwarding" in operation["tags"]
        assert {"400", "401", "403"} <= set(operation["responses"]), (path, method)
        if "{target_id}" in path:
            assert "404" in operation["responses"]
    assert "201" in documented[("/admin/forwarding", "post")]["responses"]
