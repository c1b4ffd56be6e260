"""The challenge a 401 carries (RFC 7235 3.1, 4.1). A browser answers a Basic
challenge with a login prompt that content in a page cannot dismiss, and keeps what
is typed there for later requests; so requests made by content in a page (they carry
Origin) get a challenge no browser prompts for. Every other client keeps Basic."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from lrs.config import Settings
from lrs.credentials import bootstrap
from tests.api.conftest import KEY, SECRET, XapiClient, basic, statement
from tests.api.helpers import STATEMENTS

ORIGIN = "http://course.example"
STATE = "/xapi/activities/state"
STATE_PARAMS = {"activityId": "http://example.com/a", "agent": '{"mbox": "mailto:a@example.com"}',
                "stateId": "s"}
PAGE_CHALLENGE = 'xBasic realm="LRS", charset="UTF-8"'
REFUSED = {
    "no credentials": None,
    "wrong secret": basic(KEY, "wrong-secret"),
    "unknown key": basic("no-such-key", "x"),
    "malformed": "Basic not-base64!",
    "unknown scheme": "Digest username=x",
}


def _refusals(client: XapiClient, headers: dict[str, str]) -> list:  # type: ignore[type-arg]
    answers = []
    for auth in REFUSED.values():
        answers += [
            client.get(STATEMENTS, auth=auth, headers=headers),
            client.post_statements(statement(), auth=auth, headers=headers),
            client.get(STATE, params=STATE_PARAMS, auth=auth, headers=headers),
            client.get("/admin/stores", auth=auth, headers=headers),
            client.get("/views/progress/learners", params={"agent": '{"mbox": "mailto:a@b.c"}'},
                       auth=auth, headers=headers),
        ]
    return answers


def test_content_in_a_page_gets_a_challenge_browsers_do_not_prompt_for(client):
    for response in _refusals(client, {"Origin": ORIGIN}):
        assert response.status_code == 401, (response.request.url, response.text)
        assert response.headers["WWW-Authenticate"] == PAGE_CHALLENGE, response.request.url
        # The page can still tell what happened.
        assert response.headers["access-control-allow-origin"] in ("*", ORIGIN)
        assert response.json()["error"] == "unauthorized"


def test_other_clients_get_the_basic_challenge(client):
    for response in _refusals(client, {}):
        assert response.status_code == 401, (response.request.url, response.text)
        assert response.headers["WWW-Authenticate"] == 'Basic realm="LRS", charset="UTF-8"'


@pytest.fixture
def oidc_client(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[XapiClient]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid="key-1", use="sig", alg="RS256")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    configured = dataclasses.replace(
        settings, oidc_issuer="https://issuer.test", oidc_jwks_file=str(jwks)
    )
    with TestClient(create_app(configured, engine), base_url="http://lrs.test") as http:
        yield XapiClient(http)


def test_a_refused_bearer_token_keeps_its_bearer_challenge_from_a_page(oidc_client):
    # RFC 6750 3.1; no browser prompts for Bearer.
    for headers in ({"Origin": ORIGIN}, {}):
        response = oidc_client.get(STATEMENTS, auth="Bearer a.b.c", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="LRS", error="invalid_token"'
