"""Edges of access control: token scopes and settings, key characters, the schema."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from lrs.config import Settings
from lrs.credentials import create_credential
from lrs.errors import BadRequest, InvalidToken
from lrs.tokens import TokenVerifier, credential_from_claims


def test_tokens_never_carry_the_admin_scope() -> None:
    claims = {"iss": "https://issuer.test", "sub": "u", "scope": "statements/read admin"}
    assert credential_from_claims(claims, Settings()).scopes == frozenset(["statements/read"])


def test_bearer_tokens_need_an_issuer_to_be_enabled(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1"}]}))
    assert not TokenVerifier(Settings(oidc_jwks_file=str(jwks))).enabled
    assert TokenVerifier(Settings(oidc_jwks_file=str(jwks), oidc_issuer="https://issuer.test")).enabled


def test_a_refused_token_gets_a_bearer_challenge(client) -> None:  # type: ignore[no-untyped-def]
    # Tokens are off in this app: the refusal is a plain 401 with the Basic challenge;
    # a token refused by an enabled verifier raises InvalidToken, whose challenge is Bearer.
    response = client.get("/xapi/statements", auth="Bearer abc.def.ghi")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic")
    assert InvalidToken.challenge.startswith("Bearer") and 'error="invalid_token"' in InvalidToken.challenge


@pytest.mark.parametrize("key", ["a:b", "a/b", "a%41", "tab\there"])
def test_keys_that_could_not_be_used_or_revoked_are_refused(engine, key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequest):
        create_credential(engine, key=key, public_url="http://lrs.test")


def test_the_schema_says_400_not_422_and_names_the_auth_schemes(http) -> None:  # type: ignore[no-untyped-def]
    schema = http.get("/openapi.json").json()
    codes = {code for item in schema["paths"].values() for op in item.values() for code in op["responses"]}
    assert "422" not in codes and "400" in codes
    assert set(schema["components"]["securitySchemes"]) == {"basic", "bearer"}
