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
from tests.api.helpers import STATEMENTS

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
