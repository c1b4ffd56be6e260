"""Small builders and readers shared by the Statement Resource API tests."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from tests.api.conftest import XapiClient, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
STATEMENTS = "/xapi/statements"


def new_id() -> str:
    return str(uuid.uuid4())


def agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name, "mbox": f"mailto:{name}@example.com"}


def mbox(name: str) -> dict[str, str]:
    """An agent filter value: the identifier only."""
    return {"mbox": f"mailto:{name}@example.com"}


def activity(slug: str, **definition: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"objectType": "Activity", "id": f"http://example.com/activities/{slug}"}
    if definition:
        out["definition"] = definition
    return out


def activity_id(slug: str) -> str:
    return f"http://example.com/activities/{slug}"


def ref(statement_id: str) -> dict[str, str]:
    return {"objectType": "StatementRef", "id": statement_id}


def voiding(target_id: str, **overrides: Any) -> dict[str, Any]:
    return statement(
        actor=agent("admin"),
        verb={"id": VOIDED, "display": {"en-US": "voided"}},
        object=ref(target_id),
        **overrides,
    )


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert moment.tzinfo is not None, text
    return moment


def position(response: Any) -> int:
    """The log position a write answered with (X-LRS-Position)."""
    return int(response.headers["X-LRS-Position"])


def post_ok(client: XapiClient, body: Any) -> list[str]:
    response = client.post_statements(body)
    assert response.status_code == 200, response.text
    return response.json()


def post_one(client: XapiClient, body: dict[str, Any]) -> str:
    (statement_id,) = post_ok(client, body)
    return statement_id


def get_statement(client: XapiClient, statement_id: str, **params: str) -> dict[str, Any]:
    sent = {k: v for k, v in {"statementId": statement_id, **params}.items() if v is not None}
    response = client.get(STATEMENTS, params=sent)
    assert response.status_code == 200, response.text
    return response.json()


def query(client: XapiClient, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    """GET /statements with filters; dict or list values are sent as JSON."""
    sent = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in params.items()}
    response = client.get(STATEMENTS, params=sent, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def query_ids(client: XapiClient, **params: Any) -> list[str]:
    return [s["id"] for s in query(client, **params)["statements"]]


def key_of(client: XapiClient) -> str:
    """The credential key a client authenticates with."""
    decoded = base64.b64decode(client.auth.removeprefix("Basic ")).decode()
    return decoded.partition(":")[0]
