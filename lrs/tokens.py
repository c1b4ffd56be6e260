"""Bearer tokens: JWTs from an external OpenID Connect / OAuth 2 issuer.

A token is verified against the issuer's JWKS (a URL, fetched and cached by
PyJWT, or a file), must name the configured issuer and audience, and must not be
expired. Claims map to the LRS's world: ``LRS_OIDC_STORE_CLAIM`` names the store
(default store when absent), ``LRS_OIDC_SCOPE_CLAIM`` the xAPI scopes (a space
separated string or a list). The statement authority follows xAPI Data 2.4.9: the
application alone, or a Group of the application and the user when the token
names a user (``sub``) other than the client (``azp``/``client_id``).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import get_default_algorithms

from lrs.config import Settings
from lrs.credentials import SCOPES, STORE_ID_PATTERN, Credential
from lrs.errors import InvalidToken, Unauthorized
from lrs.events import DEFAULT_STORE


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._client: jwt.PyJWKClient | None = None
        self._file_keys: jwt.PyJWKSet | None = None
        if settings.oidc_jwks_url:
            self._client = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=300)
        elif settings.oidc_jwks_file:
            self._file_keys = jwt.PyJWKSet.from_dict(json.loads(Path(settings.oidc_jwks_file).read_text()))

    @property
    def enabled(self) -> bool:
        # Without an issuer to check, a token from any issuer the JWKS signs for
        # would do: bearer tokens need both.
        has_keys = self._client is not None or self._file_keys is not None
        return has_keys and bool(self.settings.oidc_issuer)

    def _key_for(self, token: str) -> Any:
        try:
            if self._client is not None:
                return self._client.get_signing_key_from_jwt(token).key
            header = jwt.get_unverified_header(token)
        except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
            raise InvalidToken(f"bearer token: {exc}") from None
        assert self._file_keys is not None
        kid = header.get("kid")
        for key in self._file_keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise InvalidToken("bearer token: no key in the JWKS matches its kid")

    def _check_alg_fits(self, token: str, key: Any) -> None:
        """A header's alg must suit the type of the key its kid names (an RS256 token
        naming an EC key, say). PyJWT takes such a pair for a programming error and
        raises TypeError or InvalidKeyError: here it is the token's fault, a 401."""
        alg = jwt.get_unverified_header(token).get("alg")
        if not isinstance(alg, str) or alg not in self.settings.oidc_algorithms:
            return  # jwt.decode refuses an algorithm that is not allowed
        algorithm = get_default_algorithms().get(alg)
        if algorithm is None:
            return
        try:
            algorithm.prepare_key(key)
        except (TypeError, ValueError, jwt.InvalidKeyError):
            raise InvalidToken(
                f"bearer token: its alg {alg} cannot be verified with the {_key_kind(key)} key "
                "its kid names in the JWKS"
            ) from None

    def verify(self, token: str) -> Credential:
        if not self.enabled:
            raise Unauthorized("bearer tokens are not enabled on this LRS; use Basic credentials")
        settings = self.settings
        key = self._key_for(token)
        self._check_alg_fits(token, key)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(settings.oidc_algorithms),
                audience=settings.oidc_audience,
                issuer=settings.oidc_issuer,
                options={
                    "require": ["exp", "iss", "sub"] + (["aud"] if settings.oidc_audience else []),
                    # With no audience configured, a token's aud claim is not checked.
                    "verify_aud": bool(settings.oidc_audience),
                },
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("bearer token has expired") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("bearer token comes from another issuer") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("bearer token is meant for another audience") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"bearer token rejected: {exc}") from None
        return credential_from_claims(claims, settings)


def _key_kind(key: Any) -> str:
    curve = getattr(key, "curve", None)
    if curve is not None:
        return f"EC {curve.name}"
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RSA"
    return type(key).__name__.lstrip("_")


def _scopes(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        items = value.split()
    elif isinstance(value, list):
        items = [str(v) for v in value]
    else:
        items = []
    # Tokens carry xAPI scopes; administering the LRS takes one of its own credentials.
    return frozenset(item for item in items if item in SCOPES and item != "admin")


def credential_from_claims(claims: dict[str, Any], settings: Settings) -> Credential:
    issuer = str(claims["iss"])
    subject = str(claims["sub"])
    client = str(claims.get("azp") or claims.get("client_id") or subject)
    scopes = _scopes(claims.get(settings.oidc_scope_claim))
    if not scopes:
        # Communication 4.2: with no scope given, statements/write and read/mine.
        scopes = frozenset(("statements/write", "statements/read/mine"))
    application = {"objectType": "Agent", "account": {"homePage": issuer, "name": client}}
    if client != subject:
        user = {"objectType": "Agent", "account": {"homePage": issuer, "name": subject}}
        if isinstance(claims.get("name"), str):
            user["name"] = claims["name"]
        authority: dict[str, Any] = {"objectType": "Group", "member": [application, user]}
    else:
        authority = application
    store = claims.get(settings.oidc_store_claim) or DEFAULT_STORE
    if not isinstance(store, str) or not re.match(STORE_ID_PATTERN, store):
        # Not a store id, so no store: and a NUL in it would fail the lookup on PostgreSQL.
        raise InvalidToken(
            f"the token's {settings.oidc_store_claim} claim {store!r} is not a store id"
        )
    return Credential(
        id=f"token:{issuer}:{client}:{subject}",
        store_id=store,
        key=f"{client}:{subject}",
        scopes=scopes,
        authority=authority,
        label="bearer token",
    )
