"""A seeded, property-based pass over every operation of the OpenAPI schema.

Schemathesis generates requests from /openapi.json for every operation: the
schema's examples, values that fit it (boundaries included) and values that break
it on purpose. Each is sent with a valid Basic credential; no answer may be a
server error, and each must be a status code, content type, header set and body
that the schema documents. The run is derandomized with a fixed seed and a bounded
number of examples per operation: the same requests every time, in seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.app import create_app
from lrs.config import Settings
from lrs.credentials import bootstrap
from lrs.db import make_engine
from tests.api.conftest import KEY, SECRET, basic, statement

SEED = 20260302
EXAMPLES_PER_OPERATION = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BASE_URL = "http://lrs.test"
BOUNDARY = "fuzz-2f9c61d0"


def _schema_document() -> dict[str, Any]:
    """The app's OpenAPI document: it depends on the routes alone, not on a database."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/unused.sqlite3")
        settings = Settings(
            data_dir=Path(folder), database_url=str(engine.url), projections_in_process=False
        )
        app = create_app(settings, engine)
        document = app.openapi()
        app.state.services.views.stop()
        engine.dispose()
    return document


schema = schemathesis.openapi.from_dict(
    _schema_document(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "deterministic": True,
                "database": "none",
                # Every request carries the valid credential (see _request).
                "with-security-parameters": False,
            },
            "phases": {
                # Boundary values that fit the schema; values that break it come from
                # the fuzzing phase. The coverage phase's own negative cases run to
                # thousands of requests: a minute more for little news.
                "coverage": {"unexpected-methods": [], "generation": {"mode": "positive"}},
                "stateful": {"enabled": False},
            },
        }
    ),
# The change feeds are endless Server-Sent Event streams: tests/e2e/test_feed.py
# reads them from a real server.
).exclude(path_regex="^/feed/")


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """SQLite alone, to stay quick: tests/api/test_hostile_inputs.py covers what
    PostgreSQL refuses that SQLite takes."""
    return sqlite_url


@pytest.fixture
def fuzz_http(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    # A minPosition the view has not reached waits this long before its 503.
    quick = dataclasses.replace(settings, view_wait_seconds=0.05)
    with TestClient(create_app(quick, engine), base_url=BASE_URL) as http:
        yield http


def _multipart_mixed(content: Any) -> tuple[bytes, str]:
    """A statement whose attachment is the generated content, as multipart/mixed
    (Communication 1.5.2): schemathesis encodes multipart bodies as forms only."""
    if not isinstance(content, bytes):
        content = str(content).encode()
    sha2 = hashlib.sha256(content).hexdigest()
    attachment = {
        "usageType": "http://example.com/usage/fuzz", "display": {"en-US": "fuzz"},
        "contentType": "application/octet-stream", "length": len(content), "sha2": sha2,
    }
    body = (
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode()
        + orjson.dumps(statement(attachments=[attachment]))
        + f"\r\n--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, f"multipart/mixed; boundary={BOUNDARY}"


def _request(case: schemathesis.Case) -> dict[str, Any]:
    """The case as keyword arguments of an httpx request, with the credential."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL)
    kwargs.pop("cookies", None)
    headers = {
        name: value for name, value in (kwargs.pop("headers", None) or {}).items()
        if name.lower() != "authorization"
    }
    headers["Authorization"] = basic(KEY, SECRET)
    if case.media_type == "multipart/mixed":
        for name in ("data", "files", "json"):
            kwargs.pop(name, None)
        kwargs["content"], headers["Content-Type"] = _multipart_mixed(case.body)
    data = kwargs.pop("data", None)
    if isinstance(data, str | bytes):
        kwargs["content"] = data  # httpx takes raw bodies as content
    elif data is not None:
        kwargs["data"] = data
    kwargs["headers"] = headers
    return kwargs


def _view_catching_up(case: schemathesis.Case, response: Any) -> bool:
    """A view asked for a log position it has not reached answers 503, as documented."""
    return (
        response.status_code == 503
        and case.path.startswith("/views/")
        and "minPosition" in (case.query or {})
        and response.json()["error"] == "unavailable"
    )


@schema.parametrize()
# One app and database per operation, shared by its examples on purpose: later
# examples meet the statements and documents that earlier ones stored.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_operation_answers_only_what_the_schema_documents(
    case: schemathesis.Case, fuzz_http: TestClient
) -> None:
    response = fuzz_http.request(**_request(case))
    checks = CHECKS
    if _view_catching_up(case, response):
        checks = [check for check in CHECKS if check is not not_a_server_error]
    case.validate_response(response, checks=checks)


def test_the_fuzzing_covers_every_documented_operation() -> None:
    operations = {
        (operation.method.upper(), operation.path)
        for result in schema.get_all_operations()
        for operation in [result.ok()]
    }
    documented = {
        (method.upper(), path)
        for path, item in _schema_document()["paths"].items()
        for method in item
        if not path.startswith("/feed/")
    }
    assert operations == documented
    assert len(operations) == 89
