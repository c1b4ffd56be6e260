"""A source LRS full of what an export must carry, on each backend, and a second
database of the other backend (or a fresh one of either) to import into."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.multipart import build_mixed
from lrs.config import Settings
from lrs.credentials import bootstrap, create_credential, create_store, revoke
from lrs.db import make_engine
from tests.api.conftest import KEY, SECRET, XapiClient, _cheap_password_hashing, statement

__all__ = ["_cheap_password_hashing"]

TEXT = b"an attachment's bytes"
BINARY = bytes(range(256)) * 3
LEARNER = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
OTHER = {"objectType": "Agent", "name": "Bob", "mbox": "mailto:bob@example.com"}
ACTIVITY = "http://example.com/activities/course-1"


def _attachment(content: bytes) -> dict[str, Any]:
    return {
        "usageType": "http://example.com/usage/evidence",
        "display": {"en-US": "evidence"},
        "contentType": "application/octet-stream",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


def fill(client: XapiClient, engine: Engine) -> dict[str, Any]:
    """Statements (one with attachment bytes, one voided), JSON and binary documents
    (one deleted), a second store, and credential events (created, revoked)."""
    ids: dict[str, Any] = {}
    first = statement(actor=LEARNER, attachments=[_attachment(BINARY)])
    body, content_type = build_mixed([
        ({"Content-Type": "application/json"}, __import__("orjson").dumps(first)),
        ({"Content-Type": "application/octet-stream", "X-Experience-API-Hash": hashlib.sha256(BINARY).hexdigest(),
          "Content-Transfer-Encoding": "binary"}, BINARY),
    ])
    response = client.post("/xapi/statements", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    ids["attached"] = response.json()[0]
    response = client.post("/xapi/statements", json=[statement(actor=OTHER) for _ in range(5)])
    assert response.status_code == 200, response.text
    ids["others"] = response.json()
    victim = ids["others"][0]
    response = client.post("/xapi/statements", json={
        "actor": OTHER, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": victim},
    })
    assert response.status_code == 200, response.text
    ids["voided"] = victim
    agent = __import__("orjson").dumps(LEARNER).decode()
    state = {"activityId": ACTIVITY, "agent": agent, "stateId": "bookmark"}
    assert client.put("/xapi/activities/state", params=state, json={"page": 3},
                      headers={"If-None-Match": "*"}).status_code == 204
    binary_state = {**state, "stateId": "scorm-blob"}
    assert client.put("/xapi/activities/state", params=binary_state, content=TEXT,
                      headers={"Content-Type": "application/octet-stream"}).status_code == 204
    gone = {**state, "stateId": "gone"}
    assert client.put("/xapi/activities/state", params=gone, json={"x": 1}).status_code == 204
    assert client.delete("/xapi/activities/state", params=gone).status_code == 204
    profile = {"activityId": ACTIVITY, "profileId": "syllabus"}
    assert client.put("/xapi/activities/profile", params=profile, content=BINARY[:100],
                      headers={"Content-Type": "application/pdf", "If-None-Match": "*"}).status_code == 204
    create_store(engine, "other", "Other", actor="test")
    credential, _ = create_credential(engine, store_id="other", scopes=("all",), label="o",
                                      public_url="http://lrs.test", actor="test")
    revoke(engine, credential.key, actor="test")
    return ids


def make_settings(url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=url, public_url="http://lrs.test",
                    projections_in_process=False, auth_cache_seconds=300)


@pytest.fixture
def source(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, XapiClient, dict[str, Any]]]:
    """A filled source LRS (engine, client, ids) on each backend."""
    settings = make_settings(db_url, tmp_path)
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    app = create_app(settings, engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        client = XapiClient(http, "1.0.3")
        yield engine, client, fill(client, engine)


def open_engine(url: str) -> Engine:
    return make_engine(url)
