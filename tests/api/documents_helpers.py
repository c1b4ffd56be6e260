"""Builders shared by the document resource tests (State, Activity Profile, Agent Profile)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine

from lrs import documents, log
from lrs.events import RecordedEvent

ACTIVITY = "http://example.com/activities/doc-course"
OTHER_ACTIVITY = "http://example.com/activities/other-course"
LEARNER = {"objectType": "Agent", "name": "Learner", "mbox": "mailto:learner@example.com"}
OTHER_LEARNER = {"objectType": "Agent", "mbox": "mailto:someone-else@example.com"}
REGISTRATION = "6f0c9d1e-4a3b-4c2d-8e1f-0a1b2c3d4e5f"
OTHER_REGISTRATION = "1c4e7a2b-9d8f-4e6a-b5c3-2d1e0f9a8b7c"

# A complete 1x1 PNG: binary content that is not valid UTF-8.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def agent_param(agent: dict[str, Any]) -> str:
    return json.dumps(agent)


@dataclass(frozen=True)
class Resource:
    """One document resource: its path, its id parameter and the parameters naming its scope."""

    kind: str
    path: str
    id_param: str
    scope: dict[str, str] = field(default_factory=dict)

    def params(self, doc_id: str | None = None, **extra: str) -> dict[str, str]:
        out = dict(self.scope)
        if doc_id is not None:
            out[self.id_param] = doc_id
        out.update(extra)
        return out

    def service_scope(self) -> documents.Scope:
        """The ``lrs.documents.Scope`` these parameters name (no registration)."""
        agent = json.loads(self.scope["agent"]) if "agent" in self.scope else None
        return documents.Scope(self.kind, self.scope.get("activityId"), agent)


STATE = Resource(
    documents.STATE,
    "/xapi/activities/state",
    "stateId",
    {"activityId": ACTIVITY, "agent": agent_param(LEARNER)},
)
ACTIVITY_PROFILE = Resource(
    documents.ACTIVITY_PROFILE, "/xapi/activities/profile", "profileId", {"activityId": ACTIVITY}
)
AGENT_PROFILE = Resource(
    documents.AGENT_PROFILE, "/xapi/agents/profile", "profileId", {"agent": agent_param(LEARNER)}
)
RESOURCES = (STATE, ACTIVITY_PROFILE, AGENT_PROFILE)
PROFILES = (ACTIVITY_PROFILE, AGENT_PROFILE)
each_resource = pytest.mark.parametrize("resource", RESOURCES, ids=[r.kind for r in RESOURCES])
each_profile = pytest.mark.parametrize("resource", PROFILES, ids=[r.kind for r in PROFILES])


def sha1(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def quoted_etag(content: bytes) -> str:
    return f'"{sha1(content)}"'


def put(client: Any, resource: Resource, doc_id: str, content: bytes,
        content_type: str = "application/json", headers: dict[str, str] | None = None, **extra: str):
    return client.put(
        resource.path,
        params=resource.params(doc_id, **extra),
        content=content,
        headers={"Content-Type": content_type, **(headers or {})},
    )


def post(client: Any, resource: Resource, doc_id: str, content: bytes,
         content_type: str = "application/json", headers: dict[str, str] | None = None, **extra: str):
    return client.post(
        resource.path,
        params=resource.params(doc_id, **extra),
        content=content,
        headers={"Content-Type": content_type, **(headers or {})},
    )


def get(client: Any, resource: Resource, doc_id: str | None = None, **extra: str):
    return client.get(resource.path, params=resource.params(doc_id, **extra))


def delete(client: Any, resource: Resource, doc_id: str | None = None,
           headers: dict[str, str] | None = None, **extra: str):
    return client.delete(resource.path, params=resource.params(doc_id, **extra), headers=headers)


def put_ok(client: Any, resource: Resource, doc_id: str, content: bytes,
           content_type: str = "application/json", **extra: str) -> int:
    """PUT a document that may already exist (sends If-Match when it does); its log position."""
    current = get(client, resource, doc_id, **extra)
    headers = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {"If-None-Match": "*"}
    response = put(client, resource, doc_id, content, content_type, headers, **extra)
    assert response.status_code == 204, response.text
    return int(response.headers["X-LRS-Position"])


def events_after(engine: Engine, position: int) -> list[RecordedEvent]:
    with engine.connect() as conn:
        return log.read_forward(conn, position)


def head_position(engine: Engine) -> int:
    with engine.connect() as conn:
        return log.head(conn)[0]


def recorded_at(engine: Engine, position: int) -> str:
    with engine.connect() as conn:
        (event,) = log.read_forward(conn, position - 1, 1)
    return event.recorded_at
