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

from tests.api.access_helpers import head_position
from tests.api.conftest import statement
from tests.api.documents_helpers import RESOURCES, Resource
from tests.api.helpers import STATEMENTS, post_one

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
