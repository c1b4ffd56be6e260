"""Inputs found by outside testing to end in a 500: each is a 400 (or 401) that names
the parameter or property and the rule, on both backends.

Python's int() refuses strings of more than 4,300 digits, the SQL integers hold 63
bits, str.isdigit() accepts digits such as '²' that int() refuses, and PostgreSQL
refuses the NUL character in text.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
import pytest

from lrs.credentials import create_credential
from tests.api.access_helpers import head_position
from tests.api.conftest import XapiClient, basic, statement
from tests.api.documents_helpers import RESOURCES, Resource
from tests.api.helpers import STATEMENTS, get_statement, post_one

MAX_63 = 2**63 - 1
THOUSANDS_OF_DIGITS = ("9" * 5000, "9" * 4000)
TOO_BIG = (str(MAX_63 + 1), "9" * 30, *THOUSANDS_OF_DIGITS)
NOT_ASCII_DIGITS = ("²", "١٢", "12³")
VIEWS = "/views/progress"
ANN = json.dumps({"mbox": "mailto:ann@example.com"})


def _refused(response: Any, parameter: str, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert parameter in body["message"], body
    return body


# --------------------------------------------------------------------- multipart


def _multipart(boundary: str) -> dict[str, Any]:
    body = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()
        + orjson.dumps(statement())
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {"content": body, "headers": {"Content-Type": f'multipart/mixed; boundary="{boundary}"'}}


@pytest.mark.parametrize("length", [71, 256, 257, 4000])
def test_a_multipart_boundary_longer_than_rfc_2046_allows_is_400(client, engine, length):
    before = head_position(engine)
    boundary = "b" * length
    posted = client.post(STATEMENTS, **_multipart(boundary))
    body = _refused(posted, "boundary")
    assert "70" in body["message"] and "RFC 2046" in body["message"]
    put = client.put(STATEMENTS, params={"statementId": str(uuid.uuid4())}, **_multipart(boundary))
    _refused(put, "boundary")
    assert head_position(engine) == before


# Boundaries as client libraries make them: browsers (WebKit), Go's mime/multipart,
# urllib3/requests, Node's form-data, curl, .NET (a GUID), ADL's xAPIWrapper, and
# the longest RFC 2046 allows, with every character it allows.
REAL_BOUNDARIES = [
    "----WebKitFormBoundary7MA4YWxkTrZu0gW",
    "f2d9c1b0a7e5c3d1f9b7a5e3c1d9b7f5a3e1c9d7b5f3a1e9c7d5b3f1a9e7",
    "9051914041544843365972754266",
    "--------------------------515890814546601021194782",
    "------------------------d74496d66958873e",
    "5c1a2b3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
    "-------314159265358979323846",
    "x" * 70,
    "'()+_,-./:=? 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU",
]


@pytest.mark.parametrize("boundary", REAL_BOUNDARIES)
def test_boundaries_of_real_clients_stay_accepted(client, boundary):
    assert len(boundary) <= 70
    response = client.post(STATEMENTS, **_multipart(boundary))
    assert response.status_code == 200, response.text


# --------------------------------------------------------------- limit / offset


@pytest.mark.parametrize("value", TOO_BIG)
def test_a_statements_limit_beyond_63_bits_is_400(client, value):
    body = _refused(client.get(STATEMENTS, params={"limit": value}), "limit")
    assert body["parameter"] == "limit"


def test_a_statements_limit_at_the_63_bit_bound_is_the_page_maximum(client):
    post_one(client, statement())
    assert len(client.get(STATEMENTS, params={"limit": str(MAX_63)}).json()["statements"]) == 1
    assert len(client.get(STATEMENTS, params={"limit": "0" * 5000 + "1"}).json()["statements"]) == 1


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("value", TOO_BIG)
def test_view_limit_and_offset_beyond_63_bits_are_400(client, name, value):
    for view, params in (("learners", {"agent": ANN}), ("cohort", {"activityId": "http://example.com/c"})):
        _refused(client.get(f"{VIEWS}/{view}", params={**params, name: value}), name)


def test_a_view_offset_at_the_63_bit_bound_is_an_empty_page(client):
    got = client.get(f"{VIEWS}/learners", params={"agent": ANN, "offset": str(MAX_63)})
    assert got.status_code == 200, got.text
    assert got.json()["activities"] == []


# -------------------------------------------------------------------------- asOf


@pytest.mark.parametrize("value", NOT_ASCII_DIGITS + TOO_BIG)
def test_a_view_as_of_that_is_not_a_63_bit_position_is_400(client, value):
    _refused(client.get(f"{VIEWS}/learners", params={"agent": ANN, "asOf": value}), "asOf")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.kind)
@pytest.mark.parametrize("value", NOT_ASCII_DIGITS + TOO_BIG)
def test_a_document_as_of_that_is_not_a_63_bit_position_is_400(client, resource: Resource, value):
    assert client.put(resource.path, params=resource.params("doc"), content=b"v1").status_code == 204
    _refused(client.get(resource.path, params=resource.params("doc", asOf=value)), "asOf")


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.kind)
def test_a_document_as_of_the_largest_position_is_the_current_document(client, resource: Resource):
    assert client.put(resource.path, params=resource.params("doc"), content=b"v1").status_code == 204
    got = client.get(resource.path, params=resource.params("doc", asOf=str(MAX_63)))
    assert (got.status_code, got.content) == (200, b"v1")


# --------------------------------------------------------------------------- NUL


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.kind)
def test_a_document_id_with_nul_is_400_for_every_method(client, engine, resource: Resource):
    before = head_position(engine)
    params = resource.params("a\x00b")
    for method in ("PUT", "POST", "GET", "DELETE"):
        response = client.request(method, resource.path, params=params, content=b"{}",
                                  headers={"Content-Type": "application/json"})
        body = _refused(response, resource.id_param)
        assert "NUL" in body["rule"], body
    assert head_position(engine) == before


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.kind)
def test_a_document_content_type_with_nul_is_400(client, engine, resource: Resource):
    before = head_position(engine)
    for method in ("PUT", "POST"):
        response = client.request(method, resource.path, params=resource.params("doc"), content=b"x",
                                  headers={"Content-Type": "text/plain\x00"})
        body = _refused(response, "Content-Type")
        assert "NUL" in body["message"], body
    assert head_position(engine) == before


@pytest.fixture
def admin(http, engine) -> XapiClient:  # type: ignore[no-untyped-def]
    credential, secret = create_credential(engine, scopes=("admin",), public_url="http://lrs.test")
    return XapiClient(http, auth=basic(credential.key, secret))


def test_a_credential_label_or_store_name_with_nul_is_400(admin, engine):
    before = head_position(engine)
    label = admin.post("/admin/credentials", json={"scopes": ["all"], "label": "app\x00"})
    assert "NUL" in _refused(label, "label")["message"]
    name = admin.post("/admin/stores", json={"id": "sales", "name": "Sales\x00"})
    assert "NUL" in _refused(name, "name")["message"]
    key = admin.post("/admin/credentials", json={"scopes": ["all"], "key": "k\x00"})
    _refused(key, "key")
    assert head_position(engine) == before


def test_a_key_with_nul_in_an_admin_path_is_400(admin):
    for action in ("rotate", "revoke"):
        _refused(admin.post(f"/admin/credentials/a%00b/{action}"), "key")


def test_basic_credentials_whose_key_has_a_control_character_are_401(client, http):
    for key in ("k\x00", "k\x1f"):
        stranger = XapiClient(http, auth=basic(key, "secret"))
        for response in (stranger.get(STATEMENTS), stranger.post_statements(statement()),
                         stranger.get("/admin/credentials")):
            assert response.status_code == 401, response.text
            assert "control character" in response.json()["message"]
            assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_nul_inside_statement_strings_is_stored_and_read_back(client):
    """JSON's \\u0000 escape is text PostgreSQL stores; the statement comes back whole."""
    stmt = statement(
        actor={"objectType": "Agent", "name": "A\x00nn", "mbox": "mailto:ann@example.com"},
        verb={"id": "http://example.com/verbs/said", "display": {"en-US": "sa\x00id"}},
        result={"response": "r\x00", "extensions": {"http://example.com/ext": {"k\x00": "v\x00"}}},
    )
    statement_id = post_one(client, stmt)
    got = get_statement(client, statement_id)
    assert got["result"] == stmt["result"]
    assert got["verb"] == stmt["verb"]
    assert got["actor"]["name"] == "A\x00nn"
    person = client.get("/xapi/agents", params={"agent": json.dumps({"mbox": "mailto:ann@example.com"})})
    assert person.status_code == 200 and "A\x00nn" in person.json()["name"]


# ------------------------------------------------------------------- found by fuzzing


@pytest.mark.parametrize("value", [str(MAX_63 + 1), "-1", *THOUSANDS_OF_DIGITS])
def test_a_view_min_position_outside_63_bits_is_400_at_once(client, value):
    """It was a 503 after the whole wait: no write can ever have such a position."""
    _refused(client.get(f"{VIEWS}/learners", params={"agent": ANN, "minPosition": value}), "minPosition")
