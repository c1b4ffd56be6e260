"""Rejected statement requests kept per credential for integrators:
GET /admin/rejections and `lrs rejections list` (both backends)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from api.app import create_app
from lrs.credentials import create_credential
from lrs.schema import rejections, statements
from tests.api.conftest import KEY, XapiClient, basic, statement


@contextmanager
def _app(settings, engine, **changes) -> Iterator[XapiClient]:  # type: ignore[no-untyped-def]
    app = create_app(dataclasses.replace(settings, **changes), engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        yield XapiClient(http, "1.0.3")


def _refused(client: XapiClient, **overrides) -> None:  # type: ignore[no-untyped-def]
    bad = statement(**overrides)
    bad["verb"] = {"id": "not an IRI"}
    response = client.post_statements(bad)
    assert response.status_code == 400, response.text


def test_a_refused_statement_is_kept_with_its_reason_and_body(client, engine):
    bad = statement()
    bad["verb"] = {"id": "not an IRI"}
    assert client.post_statements(bad).status_code == 400
    kept = client.get("/admin/rejections").json()
    assert len(kept) == 1
    (one,) = kept
    assert one["key"] == KEY and one["store"] == "default" and one["status"] == 400
    assert "verb.id" in one["reason"] and one["details"]["path"] == "verb.id"
    assert orjson.loads(one["body"]) == bad and one["truncated"] is False
    with engine.connect() as conn:
        assert conn.execute(select(statements)).all() == []
    # Accepted statements are not kept.
    assert client.post_statements(statement()).status_code == 200
    assert len(client.get("/admin/rejections").json()) == 1


def test_only_the_last_n_per_credential_cut_to_the_body_limit(settings, engine, app):
    with _app(settings, engine, rejections_keep=3, rejections_body_bytes=50) as client:
        for index in range(5):
            _refused(client, id=f"00000000-0000-4000-8000-00000000000{index}")
        with engine.connect() as conn:
            everything = conn.execute(select(rejections.c.at).order_by(rejections.c.at.desc())).all()
        kept = client.get("/admin/rejections").json()
        assert [k["at"] for k in kept] == [row[0] for row in everything]
        assert len(kept) == 3
        assert all(len(k["body"].encode()) <= 50 and k["truncated"] for k in kept)
        assert [k["at"] for k in kept] == sorted((k["at"] for k in kept), reverse=True)


def test_stores_that_ask_keep_none(settings, engine, app):
    with _app(settings, engine, rejections_off_stores=("default",)) as client:
        _refused(client)
        assert client.get("/admin/rejections").json() == []
    with _app(settings, engine, rejections_keep=0) as client:
        _refused(client)
        assert client.get("/admin/rejections").json() == []


def test_old_refusals_are_dropped(client, engine):
    _refused(client)
    with engine.begin() as conn:
        conn.execute(insert(rejections).values(
            id="old", store_id="default", credential_id="x", key="k", at="2000-01-01T00:00:00.000000Z",
            method="POST", status=400, reason="old", details="{}", body="", body_length=0,
        ))
    assert [k["reason"] for k in client.get("/admin/rejections").json()] != ["old"]
    with engine.connect() as conn:
        assert conn.execute(select(rejections).where(rejections.c.id == "old")).first() is None


def test_admins_see_their_store_only(client, engine, settings):
    _refused(client)
    reader, secret = create_credential(engine, store_id="default", scopes=("all",), public_url="x")
    as_reader = XapiClient(client.http, "1.0.3", basic(reader.key, secret))
    assert as_reader.get("/admin/rejections").status_code == 403
    from lrs.credentials import create_store

    create_store(engine, "other")
    admin, secret = create_credential(engine, store_id="other", scopes=("all", "admin"), public_url="x")
    other = XapiClient(client.http, "1.0.3", basic(admin.key, secret))
    assert other.get("/admin/rejections", params={"store": "default"}).status_code == 403
    assert other.get("/admin/rejections").json() == []
    _refused(other)
    assert [k["key"] for k in other.get("/admin/rejections").json()] == [admin.key]
    assert len(client.get("/admin/rejections", params={"key": KEY}).json()) == 1


def test_cli_lists_them(client, db_url):
    from tests.audit.cli import run_lrs

    _refused(client)
    done = run_lrs(db_url, "rejections", "list", "--json")
    assert done.returncode == 0, done.stderr
    (one,) = orjson.loads(done.stdout)
    assert one["key"] == KEY and "verb.id" in one["reason"]
    text = run_lrs(db_url, "rejections", "list", "--key", "nobody")
    assert text.returncode == 0 and text.stdout == ""
