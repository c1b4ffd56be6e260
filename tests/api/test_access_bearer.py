"""Bearer tokens: JWTs of an OpenID Connect issuer, checked against its JWKS (served
here by a small HTTP server, or read from a file). Scopes come from the ``scope``
claim (Communication 4.2, with its default), the store from ``lrs_store``, and the
authority is the client and the user as a Group (Data 2.4.9)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from lrs.config import Settings
from lrs.credentials import bootstrap, create_store
from lrs.events import STATEMENT_STORED
from tests.api.access_helpers import events_after, head_position
from tests.api.conftest import KEY, SECRET, XapiClient, statement
from tests.api.helpers import STATEMENTS, get_statement, post_one, query_ids

ISSUER = "https://issuer.test"
AUDIENCE = "lrs"
KID = "key-1"
EC_KID = "key-ec"
STATE = "/xapi/activities/state"
STATE_PARAMS = {"activityId": "http://example.com/a", "agent": '{"mbox": "mailto:a@example.com"}',
                "stateId": "s"}


@dataclasses.dataclass(frozen=True)
class Keys:
    private: rsa.RSAPrivateKey
    stranger: rsa.RSAPrivateKey  # the same kid, another key: a forged signature
    ec: ec.EllipticCurvePrivateKey  # the issuer's second key, under EC_KID
    jwks: dict[str, Any]


@pytest.fixture(scope="module")
def keys() -> Keys:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid=KID, use="sig", alg="RS256")
    ec_private = ec.generate_private_key(ec.SECP256R1())
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_private.public_key()))
    ec_jwk.update(kid=EC_KID, use="sig")
    return Keys(private, stranger, ec_private, {"keys": [jwk, ec_jwk]})


@pytest.fixture(scope="module")
def jwks_url(keys: Keys) -> Iterator[str]:
    body = json.dumps(keys.jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/jwks.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _oidc_http(settings: Settings, engine: Engine, **oidc: Any) -> Iterator[TestClient]:
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    configured = dataclasses.replace(
        settings, oidc_issuer=ISSUER, oidc_audience=AUDIENCE, **oidc
    )
    with TestClient(create_app(configured, engine), base_url="http://lrs.test") as http:
        yield http


@pytest.fixture
def oidc_http(settings: Settings, engine: Engine, jwks_url: str) -> Iterator[TestClient]:
    yield from _oidc_http(settings, engine, oidc_jwks_url=jwks_url)


def token(keys: Keys, *, key: Any = None, kid: str | None = KID, algorithm: str = "RS256",
          **claims: Any) -> str:
    """A token of the issuer for user-1 through app-1; a claim given as None is left out."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "azp": "app-1", "iat": now,
        "exp": now + 300, "scope": "statements/write statements/read",
    }
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, keys.private if key is None else key, algorithm=algorithm, headers=headers)


def bearer(http: TestClient, value: str, version: str = "1.0.3") -> XapiClient:
    return XapiClient(http, version, auth=f"Bearer {value}")


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _hs256_with_the_public_key(keys: Keys) -> str:
    """The classic algorithm confusion: HMAC keyed with the issuer's public key."""
    now = int(time.time())
    head = _segment({"alg": "HS256", "typ": "JWT", "kid": KID})
    body = _segment({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + 300, "scope": "all"})
    pem = keys.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _with_payload_changed(keys: Keys) -> str:
    head, _, signature = token(keys).split(".")
    now = int(time.time())
    forged = _segment({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + 300, "scope": "all"})
    return f"{head}.{forged}.{signature}"


def _with_alg(signed: str, alg: str) -> str:
    """The token with another alg in its header (PyJWT will not sign such a pair)."""
    _, body, signature = signed.split(".")
    return f"{_segment({'alg': alg, 'typ': 'JWT', 'kid': EC_KID})}.{body}.{signature}"


APPLICATION = {"objectType": "Agent", "account": {"homePage": ISSUER, "name": "app-1"}}


def test_a_valid_token_writes_and_reads_with_the_client_and_user_as_authority(
    oidc_http, keys, client, engine
):
    user = bearer(oidc_http, token(keys, name="Ann User"))
    before = head_position(engine)
    statement_id = post_one(user, statement(authority={"mbox": "mailto:impostor@example.com"}))
    got = get_statement(user, statement_id)
    assert got["authority"] == {
        "objectType": "Group",
        "member": [
            APPLICATION,
            {"objectType": "Agent", "account": {"homePage": ISSUER, "name": "user-1"}, "name": "Ann User"},
        ],
    }
    assert query_ids(user) == [statement_id]
    assert get_statement(client, statement_id)["authority"] == got["authority"]
    (event,) = events_after(engine, before)
    assert event.type == STATEMENT_STORED
    assert event.store_id == "default"
    assert event.meta()["credential"] == f"token:{ISSUER}:app-1:user-1"
    assert event.meta()["define"] is False
    # The scopes are those of the token: no State.
    assert user.get(STATE, params=STATE_PARAMS).status_code == 403


def test_a_token_of_the_client_alone_gives_the_application_as_authority(oidc_http, keys):
    for claims in ({"azp": None}, {"azp": None, "client_id": "user-1"}, {"azp": "user-1"}):
        app_only = bearer(oidc_http, token(keys, **claims))
        statement_id = post_one(app_only, statement())
        assert get_statement(app_only, statement_id)["authority"] == {
            "objectType": "Agent", "account": {"homePage": ISSUER, "name": "user-1"},
        }


def test_the_store_claim_selects_the_store(oidc_http, keys, client, engine):
    create_store(engine, "sales")
    seller = bearer(oidc_http, token(keys, lrs_store="sales"))
    statement_id = post_one(seller, statement())
    assert query_ids(seller) == [statement_id]
    assert client.get(STATEMENTS, params={"statementId": statement_id}).status_code == 404
    assert query_ids(client) == []
    default_user = bearer(oidc_http, token(keys))
    assert query_ids(default_user) == []


def test_a_store_that_does_not_exist_is_401(oidc_http, keys, engine):
    before = head_position(engine)
    for store in ("missing", "Bad Id", ["default"], "default\x00", "a" * 1000):
        lost = bearer(oidc_http, token(keys, lrs_store=store))
        response = lost.post_statements(statement())
        assert response.status_code == 401, (store, response.text)
        assert "WWW-Authenticate" in response.headers
    assert head_position(engine) == before


BAD_TOKENS = {
    "expired": lambda k: token(k, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "wrong-issuer": lambda k: token(k, iss="https://evil.test"),
    "wrong-audience": lambda k: token(k, aud="another-service"),
    "no-audience": lambda k: token(k, aud=None),
    "no-expiry": lambda k: token(k, exp=None),
    "no-subject": lambda k: token(k, sub=None),
    "signed-by-another-key": lambda k: token(k, key=k.stranger),
    "unknown-kid": lambda k: token(k, kid="key-2"),
    "alg-none": lambda k: token(k, key="", algorithm="none"),
    "alg-none-without-kid": lambda k: jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "exp": int(time.time()) + 300}, None, algorithm="none"
    ),
    "hs256-with-the-public-key": _hs256_with_the_public_key,
    "payload-changed": _with_payload_changed,
    # A header whose alg is not of the type of the key its kid names.
    "rs256-with-the-ec-kid": lambda k: token(k, kid=EC_KID),
    "es256-with-the-rsa-kid": lambda k: token(k, key=k.ec, algorithm="ES256"),
    "ps256-with-the-ec-kid": lambda k: token(k, kid=EC_KID, algorithm="PS256"),
    "es384-with-the-p256-kid": lambda k: _with_alg(
        token(k, key=k.ec, kid=EC_KID, algorithm="ES256"), "ES384"
    ),
    "garbage": lambda k: "garbage",
    "three-garbage-segments": lambda k: "a.b.c",
    "empty": lambda k: "",
}


@pytest.mark.parametrize("make", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_a_bad_token_is_401_with_a_challenge_and_changes_nothing(oidc_http, keys, engine, make):
    before = head_position(engine)
    client = bearer(oidc_http, make(keys))
    for response in (client.post_statements(statement()), client.get(STATEMENTS)):
        assert response.status_code == 401, response.text
        # RFC 6750 3.1: a refused token is answered with a Bearer challenge.
        challenge = response.headers.get("WWW-Authenticate", "")
        if make(keys):
            assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge
        else:
            assert challenge
    assert head_position(engine) == before


def test_the_bad_token_cases_are_bad_only_in_their_own_way(oidc_http, keys):
    """The valid token the cases are made from works (so each case tests its defect)."""
    assert bearer(oidc_http, token(keys)).get(STATEMENTS).status_code == 200
    ec_token = token(keys, key=keys.ec, kid=EC_KID, algorithm="ES256")
    assert bearer(oidc_http, ec_token).get(STATEMENTS).status_code == 200


@pytest.mark.parametrize("case", ["rs256-with-the-ec-kid", "es256-with-the-rsa-kid"])
def test_an_alg_that_does_not_fit_the_key_is_named_in_the_refusal(oidc_http, file_http, keys, case):
    make = BAD_TOKENS[case]
    for http in (oidc_http, file_http):
        response = bearer(http, make(keys)).get(STATEMENTS)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_token"
        alg = jwt.get_unverified_header(make(keys))["alg"]
        assert alg in response.json()["message"] and "key" in response.json()["message"]


@pytest.mark.parametrize("scope", [None, ""], ids=["no-scope-claim", "empty-scope"])
def test_without_scopes_a_token_writes_and_reads_its_own_statements_only(oidc_http, keys, scope):
    """Communication 4.2.s6.b2: statements/write and statements/read/mine."""
    other = bearer(oidc_http, token(keys, sub="user-2"))
    theirs = post_one(other, statement())
    plain = bearer(oidc_http, token(keys, scope=scope))
    own = post_one(plain, statement())
    assert query_ids(plain) == [own]
    assert plain.get(STATEMENTS, params={"statementId": theirs}).status_code == 404
    assert get_statement(plain, own)["id"] == own
    assert plain.get(STATE, params=STATE_PARAMS).status_code == 403
    assert plain.get("/admin/credentials").status_code == 403
    assert set(query_ids(other)) == {own, theirs}


def test_scopes_may_be_a_list_and_unknown_ones_are_ignored(oidc_http, keys):
    reader = bearer(oidc_http, token(keys, scope=["statements/read", "openid", "write:everything"]))
    assert reader.get(STATEMENTS).status_code == 200
    assert reader.post_statements(statement()).status_code == 403
    state = bearer(oidc_http, token(keys, scope="state openid"))
    assert state.put(STATE, params=STATE_PARAMS, content=b"x").status_code == 204
    assert state.get(STATEMENTS).status_code == 403


@pytest.fixture
def jwks_file(tmp_path: Path, keys: Keys) -> str:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(keys.jwks))
    return str(path)


@pytest.fixture
def file_http(settings: Settings, engine: Engine, jwks_file: str) -> Iterator[TestClient]:
    yield from _oidc_http(settings, engine, oidc_jwks_file=jwks_file)


def test_a_jwks_file_verifies_tokens_too(file_http, keys, engine):
    user = bearer(file_http, token(keys))
    statement_id = post_one(user, statement())
    assert query_ids(user) == [statement_id]
    assert query_ids(bearer(file_http, token(keys, kid=None))) == [statement_id]
    before = head_position(engine)
    for name in ("signed-by-another-key", "unknown-kid", "alg-none", "hs256-with-the-public-key",
                 "expired", "wrong-audience", "garbage"):
        response = bearer(file_http, BAD_TOKENS[name](keys)).post_statements(statement())
        assert response.status_code == 401, (name, response.text)
        assert response.headers.get("WWW-Authenticate")
    assert head_position(engine) == before


def test_an_unreachable_jwks_is_401_not_an_error(settings, engine, keys):
    for http in _oidc_http(settings, engine, oidc_jwks_url="http://127.0.0.1:9/jwks.json"):
        response = bearer(http, token(keys)).get(STATEMENTS)
        assert response.status_code == 401, response.text
        assert response.headers.get("WWW-Authenticate")
        assert XapiClient(http).get(STATEMENTS).status_code == 200  # Basic still works
