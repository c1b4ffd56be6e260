"""The administration API: stores and credentials, who may manage them, the events
every change appends, and the OpenAPI document that describes it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import Engine

from lrs.credentials import bootstrap, create_credential, create_store
from lrs.errors import BadRequest
from lrs.events import CREDENTIAL_CREATED, CREDENTIAL_REVOKED, CREDENTIAL_ROTATED, STORE_CREATED
from tests.api.access_helpers import credential_row, events_after, head_position
from tests.api.conftest import KEY, XapiClient, basic, statement
from tests.api.helpers import STATEMENTS, post_one, query_ids


class Admin:
    """An admin client and the id of its credential (the ``actor`` of its events)."""

    def __init__(self, client: XapiClient, credential_id: str, key: str) -> None:
        self.client = client
        self.id = credential_id
        self.key = key


def _admin(http: Any, engine: Engine, store_id: str = "default") -> Admin:
    credential, secret = create_credential(engine, store_id=store_id, scopes=("admin",),
                                           public_url="http://lrs.test")
    return Admin(XapiClient(http, auth=basic(credential.key, secret)), credential.id, credential.key)


@pytest.fixture
def admin(http, engine) -> Admin:  # type: ignore[no-untyped-def]
    return _admin(http, engine)


@pytest.fixture
def sales_admin(http, engine) -> Admin:  # type: ignore[no-untyped-def]
    create_store(engine, "sales")
    return _admin(http, engine, "sales")


def _one_event(engine: Engine, before: int) -> Any:
    (event,) = events_after(engine, before)
    return event


# ------------------------------------------------------------------------ stores


def test_an_admin_of_the_default_store_creates_and_lists_stores(admin, engine):
    before = head_position(engine)
    created = admin.client.post("/admin/stores", json={"id": "sales-academy", "name": "Sales academy"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "name", "created_at"}
    assert (body["id"], body["name"]) == ("sales-academy", "Sales academy")
    event = _one_event(engine, before)
    assert (event.type, event.store_id) == (STORE_CREATED, "sales-academy")
    assert event.payload() == {"id": "sales-academy", "name": "Sales academy"}
    assert event.meta() == {"actor": admin.id}
    unnamed = admin.client.post("/admin/stores", json={"id": "unnamed"})
    assert unnamed.json()["name"] == "unnamed"
    listed = admin.client.get("/admin/stores")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()] == ["default", "sales-academy", "unnamed"]
    assert listed.json()[1] == body


@pytest.mark.parametrize(
    "store_id", ["Bad Id", "UPPER", "-starts-with-dash", "", "x" * 65, "dots.in.id", "ünïcode"]
)
def test_a_bad_store_id_is_400_and_creates_nothing(admin, engine, store_id):
    before = head_position(engine)
    response = admin.client.post("/admin/stores", json={"id": store_id})
    assert response.status_code == 400, response.text
    assert head_position(engine) == before
    assert [s["id"] for s in admin.client.get("/admin/stores").json()] == ["default"]


def test_a_duplicate_store_is_409_and_appends_nothing(admin, engine):
    assert admin.client.post("/admin/stores", json={"id": "sales"}).status_code == 201
    before = head_position(engine)
    for store_id in ("sales", "default"):
        response = admin.client.post("/admin/stores", json={"id": store_id, "name": "again"})
        assert response.status_code == 409, response.text
    assert head_position(engine) == before


def test_a_new_store_is_usable_at_once(admin, http):
    assert admin.client.post("/admin/stores", json={"id": "fresh"}).status_code == 201
    created = admin.client.post("/admin/credentials", json={"store": "fresh", "scopes": ["all"]})
    assert created.status_code == 201, created.text
    writer = XapiClient(http, auth=basic(created.json()["key"], created.json()["secret"]))
    statement_id = post_one(writer, statement())
    assert query_ids(writer) == [statement_id]


def test_a_store_admin_cannot_create_or_list_stores(sales_admin, engine):
    before = head_position(engine)
    assert sales_admin.client.post("/admin/stores", json={"id": "mine"}).status_code == 403
    assert sales_admin.client.get("/admin/stores").status_code == 403
    assert head_position(engine) == before


# ------------------------------------------------------------------- credentials


def test_creating_a_credential_returns_its_secret_once_and_logs_the_change(admin, engine, http):
    before = head_position(engine)
    response = admin.client.post("/admin/credentials", json={
        "scopes": ["statements/write", "state"], "label": "Course player",
    })
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "key", "secret", "store", "scopes"}
    assert created["store"] == "default"
    assert created["scopes"] == ["state", "statements/write"]
    event = _one_event(engine, before)
    assert (event.type, event.store_id) == (CREDENTIAL_CREATED, "default")
    assert event.meta() == {"actor": admin.id}
    data = event.payload()
    assert set(data) == {"id", "key", "scopes", "authority", "label", "secret_fingerprint"}
    assert (data["id"], data["key"], data["label"]) == (created["id"], created["key"], "Course player")
    assert data["authority"] == {
        "objectType": "Agent", "name": "Course player",
        "account": {"homePage": "http://lrs.test", "name": created["key"]},
    }
    # The secret works, with exactly the scopes given.
    writer = XapiClient(http, auth=basic(created["key"], created["secret"]))
    assert writer.post_statements(statement()).status_code == 200
    assert writer.get(STATEMENTS).status_code == 403
    # Listing never shows it again, nor its hash.
    listed = admin.client.get("/admin/credentials")
    assert listed.status_code == 200
    row_hash = credential_row(engine, created["key"]).secret_hash
    assert created["secret"] not in listed.text
    assert row_hash not in listed.text
    (entry,) = [c for c in listed.json() if c["key"] == created["key"]]
    assert entry == {
        "id": created["id"], "key": created["key"], "store": "default",
        "scopes": ["state", "statements/write"], "label": "Course player",
        "created_at": entry["created_at"], "revoked_at": None,
    }
    assert {c["key"] for c in listed.json()} == {KEY, admin.key, created["key"]}


def test_chosen_key_and_secret_and_their_conflicts(admin, http, engine):
    response = admin.client.post("/admin/credentials", json={
        "key": "player-1", "secret": "a-chosen-secret", "scopes": ["all"],
    })
    assert response.status_code == 201, response.text
    assert (response.json()["key"], response.json()["secret"]) == ("player-1", "a-chosen-secret")
    assert XapiClient(http, auth=basic("player-1", "a-chosen-secret")).get(STATEMENTS).status_code == 200
    before = head_position(engine)
    cases = [
        ({"key": "player-1", "scopes": ["all"]}, 409),
        ({"key": KEY, "scopes": ["all"]}, 409),
        ({"scopes": ["statements/everything"]}, 400),
        ({"scopes": []}, 400),
        ({"scopes": ["all"], "secret": "short"}, 400),
        ({"scopes": ["all"], "store": "Not A Store"}, 400),
        ({"scopes": ["all"], "store": "missing"}, 404),
        # HTTP Basic could never send the first key, the admin URLs never name the second.
        ({"scopes": ["all"], "key": "with:colon"}, 400),
        ({"scopes": ["all"], "key": "with/slash"}, 400),
        ({"scopes": ["all"], "key": "new\nline"}, 400),
    ]
    for body, status in cases:
        got = admin.client.post("/admin/credentials", json=body)
        assert got.status_code == status, (body, got.text)
    assert head_position(engine) == before


@pytest.mark.parametrize("key", ["with space", "ünïcödé", "dots.and_under~scores"])
def test_every_key_the_lrs_accepts_can_be_used_rotated_and_revoked(admin, http, key):
    secret = "pass:word:wïth:colons"  # only the first ':' separates key and secret
    created = admin.client.post("/admin/credentials", json={"key": key, "secret": secret, "scopes": ["all"]})
    assert created.status_code == 201, created.text
    assert XapiClient(http, auth=basic(key, secret)).get(STATEMENTS).status_code == 200
    path = f"/admin/credentials/{quote(key, safe='')}"
    new = admin.client.post(f"{path}/rotate").json()["secret"]
    assert XapiClient(http, auth=basic(key, secret)).get(STATEMENTS).status_code == 401
    assert XapiClient(http, auth=basic(key, new)).get(STATEMENTS).status_code == 200
    assert admin.client.post(f"{path}/revoke").status_code == 204
    assert XapiClient(http, auth=basic(key, new)).get(STATEMENTS).status_code == 401


def test_unusable_keys_are_refused_by_every_way_in(engine):
    for key in ("a:b", "a/b", "tab\there"):
        with pytest.raises(BadRequest):
            create_credential(engine, key=key)
        with pytest.raises(BadRequest):
            bootstrap(engine, key=key, secret="s", public_url="http://lrs.test")


def test_revoking_and_rotating_log_their_events_with_the_admin_as_actor(admin, engine, http):
    created = admin.client.post("/admin/credentials", json={"scopes": ["all"]}).json()
    key = created["key"]
    before = head_position(engine)
    rotated = admin.client.post(f"/admin/credentials/{key}/rotate")
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == {"key", "secret"}
    assert rotated.json()["key"] == key
    assert rotated.json()["secret"] != created["secret"]
    event = _one_event(engine, before)
    assert (event.type, event.store_id, event.meta()) == (CREDENTIAL_ROTATED, "default", {"actor": admin.id})
    assert set(event.payload()) == {"id", "secret_fingerprint"}
    assert event.payload()["id"] == created["id"]

    chosen = admin.client.post(f"/admin/credentials/{key}/rotate", json={"secret": "my-new-secret"})
    assert chosen.json() == {"key": key, "secret": "my-new-secret"}
    assert XapiClient(http, auth=basic(key, "my-new-secret")).get(STATEMENTS).status_code == 200

    before = head_position(engine)
    assert admin.client.post(f"/admin/credentials/{key}/revoke").status_code == 204
    event = _one_event(engine, before)
    assert (event.type, event.meta(), event.payload()) == (
        CREDENTIAL_REVOKED, {"actor": admin.id}, {"id": created["id"]},
    )
    # Revoking again changes nothing and appends nothing.
    assert admin.client.post(f"/admin/credentials/{key}/revoke").status_code == 204
    assert head_position(engine) == before + 1
    (entry,) = [c for c in admin.client.get("/admin/credentials").json() if c["key"] == key]
    assert entry["revoked_at"] is not None


def test_unknown_keys_are_404(admin, engine):
    before = head_position(engine)
    assert admin.client.post("/admin/credentials/no-such-key/revoke").status_code == 404
    assert admin.client.post("/admin/credentials/no-such-key/rotate").status_code == 404
    assert head_position(engine) == before


def test_a_store_admin_manages_its_own_store_only(sales_admin, admin, engine, http):
    own = sales_admin.client.post("/admin/credentials", json={"scopes": ["all"], "label": "sales app"})
    assert own.status_code == 201, own.text
    assert own.json()["store"] == "sales"
    default_key = admin.client.post("/admin/credentials", json={"scopes": ["all"]}).json()["key"]
    before = head_position(engine)
    refused = [
        sales_admin.client.get("/admin/credentials", params={"store": "default"}),
        sales_admin.client.post("/admin/credentials", json={"store": "default", "scopes": ["all"]}),
        sales_admin.client.post(f"/admin/credentials/{default_key}/revoke"),
        sales_admin.client.post(f"/admin/credentials/{default_key}/rotate"),
        sales_admin.client.post(f"/admin/credentials/{KEY}/revoke"),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert head_position(engine) == before
    listed = sales_admin.client.get("/admin/credentials").json()
    assert {c["key"] for c in listed} == {sales_admin.key, own.json()["key"]}
    assert {c["store"] for c in listed} == {"sales"}
    rotated = sales_admin.client.post(f"/admin/credentials/{own.json()['key']}/rotate")
    assert rotated.status_code == 200
    event = _one_event(engine, before)
    assert (event.store_id, event.meta()) == ("sales", {"actor": sales_admin.id})
    assert sales_admin.client.post(f"/admin/credentials/{own.json()['key']}/revoke").status_code == 204
    # Admin of its store, not of the xAPI: "admin" grants no xAPI scope.
    assert sales_admin.client.get(STATEMENTS).status_code == 403


def test_the_default_admin_manages_every_store(admin, sales_admin, engine, http):
    created = admin.client.post("/admin/credentials", json={"store": "sales", "scopes": ["all"]})
    assert created.status_code == 201
    before = head_position(engine)
    assert admin.client.post(f"/admin/credentials/{sales_admin.key}/rotate").status_code == 200
    event = _one_event(engine, before)
    assert (event.type, event.store_id, event.meta()) == (CREDENTIAL_ROTATED, "sales", {"actor": admin.id})
    listed = admin.client.get("/admin/credentials", params={"store": "sales"}).json()
    assert {c["key"] for c in listed} == {sales_admin.key, created.json()["key"]}
    # The new credential belongs to the sales store: it sees the sales store only.
    seller = XapiClient(http, auth=basic(created.json()["key"], created.json()["secret"]))
    post_one(XapiClient(http), statement())
    assert query_ids(seller) == []


def test_all_is_not_admin(client, make_client, engine):
    everything = make_client(scopes=("all",))
    before = head_position(engine)
    assert everything.get("/admin/credentials").status_code == 403
    assert everything.post("/admin/credentials", json={"scopes": ["admin"]}).status_code == 403
    assert everything.post("/admin/stores", json={"id": "x"}).status_code == 403
    assert head_position(engine) == before


# ----------------------------------------------------------------------- OpenAPI

ADMIN_OPERATIONS = {
    ("/admin/stores", "get"): "200",
    ("/admin/stores", "post"): "201",
    ("/admin/credentials", "get"): "200",
    ("/admin/credentials", "post"): "201",
    ("/admin/credentials/{key}/revoke", "post"): "204",
    ("/admin/credentials/{key}/rotate", "post"): "200",
}


def test_the_openapi_schema_documents_every_admin_operation(http):
    from api.routers.admin import router

    response = http.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {
        (path, method): operation
        # The stores and credentials router; the other admin routers (forwarding,
        # competency, analytics, programmes, export, rejections) have tests of their own.
        for path, methods in paths.items()
        if path.startswith(("/admin/stores", "/admin/credentials"))
        for method, operation in methods.items()
    }
    routed = {(route.path, method.lower()) for route in router.routes for method in route.methods}
    assert routed == set(ADMIN_OPERATIONS) == set(documented)
    for (path, method), success in ADMIN_OPERATIONS.items():
        operation = documented[(path, method)]
        assert operation["summary"], (path, method)
        assert "administration" in operation["tags"]
        assert success in operation["responses"], (path, method, operation["responses"])
    for path, method in [("/admin/stores", "post"), ("/admin/credentials", "post"),
                         ("/admin/credentials/{key}/rotate", "post")]:
        assert "requestBody" in documented[(path, method)], path
    schemas = response.json()["components"]["schemas"]
    # The secret appears in the answers that create it, and in no listing.
    assert "secret" in schemas["CredentialCreated"]["properties"]
    assert "secret" not in schemas["CredentialOut"]["properties"]
    assert not any("hash" in name for s in schemas.values() for name in s.get("properties", {}))


def test_web_pages_of_other_origins_cannot_administer(admin, engine):
    """A form or a no-cors fetch from any site would carry a browser's cached Basic
    credentials: admin writes from an origin not in LRS_CORS_ORIGINS are 403."""
    victim = admin.client.post("/admin/credentials", json={"scopes": ["statements/write"]}).json()
    before = head_position(engine)
    for origin in ("http://evil.example", "null"):
        headers = {"Origin": origin}
        for path in (f"/admin/credentials/{victim['key']}/revoke",
                     f"/admin/credentials/{victim['key']}/rotate"):
            response = admin.client.post(path, headers=headers)
            assert response.status_code == 403, (origin, path, response.text)
            assert "LRS_CORS_ORIGINS" in response.json()["message"]
        refused = admin.client.post("/admin/stores", json={"id": "evil"}, headers=headers)
        assert refused.status_code == 403
    assert head_position(engine) == before
    # Reading is not a change; a script (no Origin) administers as before.
    assert admin.client.get("/admin/credentials", headers={"Origin": "http://evil.example"}).status_code == 200
    assert admin.client.post(f"/admin/credentials/{victim['key']}/revoke").status_code == 204


def test_an_allowed_origin_may_administer(http, engine, settings):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(replace(settings, cors_origins=("https://console.example",)), engine)
    with TestClient(app, base_url="http://lrs.test") as client:
        admin = _admin(client, engine)
        created = admin.client.post(
            "/admin/credentials", json={"scopes": ["state"]}, headers={"Origin": "https://console.example"}
        )
        assert created.status_code == 201, created.text
