"""GET /admin/export: the export streamed, to admin credentials of the store."""

from __future__ import annotations

import io

from lrs import log
from lrs.audit.offline import verify_export
from lrs.credentials import create_credential
from tests.api.conftest import XapiClient, basic


def _client(client: XapiClient, engine, store: str, scopes: tuple[str, ...]) -> XapiClient:  # type: ignore[no-untyped-def]
    credential, secret = create_credential(engine, store_id=store, scopes=scopes, public_url="http://lrs.test")
    return XapiClient(client.http, "1.0.3", basic(credential.key, secret))


def test_admin_export_streams_a_verifiable_export(source):
    engine, client, _ = source
    response = client.get("/admin/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert 'filename="lrs-export-default.jsonl"' in response.headers["content-disposition"]
    report = verify_export(io.BytesIO(response.content))
    assert report.store == "default"
    assert report.store_heads == {"default": log.verify(engine, store_id="default").store_heads["default"]}
    assert report.attachments == 1

    everything = client.get("/admin/export", params={"all": "true"})
    assert everything.status_code == 200
    assert verify_export(io.BytesIO(everything.content)).store_heads == log.verify(engine).store_heads


def test_admin_export_needs_the_admin_scope_of_that_store(source):
    engine, client, _ = source
    reader = _client(client, engine, "default", ("all",))
    assert reader.get("/admin/export").status_code == 403
    other_admin = _client(client, engine, "other", ("all", "admin"))
    assert other_admin.get("/admin/export", params={"store": "default"}).status_code == 403
    assert other_admin.get("/admin/export", params={"all": "true"}).status_code == 403
    own = other_admin.get("/admin/export")
    assert own.status_code == 200
    assert verify_export(io.BytesIO(own.content)).store == "other"
    assert client.get("/admin/export", params={"store": "nowhere"}).status_code == 404
    assert client.get("/admin/export").status_code == 200
