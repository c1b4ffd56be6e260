"""An LRS app on each backend, and an xAPI client for it (httpx over ASGI)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from lrs import credentials
from lrs.config import Settings
from lrs.credentials import bootstrap, create_credential

KEY, SECRET = "test-key", "test-secret"


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


class XapiClient:
    """A TestClient that sends credentials and a version header unless told otherwise."""

    def __init__(self, client: TestClient, version: str = "1.0.3", auth: str | None = None) -> None:
        self.http = client
        self.version = version
        self.auth = auth or basic(KEY, SECRET)

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                version: str | None = ..., auth: str | None = ..., **kwargs: Any):  # type: ignore[no-untyped-def,assignment]
        sent = {}
        chosen_version = self.version if version is ... else version
        chosen_auth = self.auth if auth is ... else auth
        if chosen_version is not None:
            sent["X-Experience-API-Version"] = chosen_version
        if chosen_auth is not None:
            sent["Authorization"] = chosen_auth
        sent.update(headers or {})
        return self.http.request(method, url, headers=sent, **kwargs)

    def get(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.request("DELETE", url, **kwargs)

    def options(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.request("OPTIONS", url, **kwargs)

    def post_statements(self, statements: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.post("/xapi/statements", json=statements, **kwargs)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its production cost takes about a second per hash or check on a
    small machine, and nearly every API test creates and checks a credential. The
    same algorithm and code path run here, at the smallest cost argon2 allows."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(credentials, "_hasher", cheap)
    monkeypatch.setattr(credentials, "_DUMMY_HASH", cheap.hash("unknown key"))


@pytest.fixture
def settings(db_url: str, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(
        data_dir=tmp_path,
        database_url=db_url,
        public_url="http://lrs.test",
        statements_page_max=50,
        max_statements_per_request=200,
        max_body_bytes=2_000_000,
        auth_cache_seconds=300,
        # Most API tests do not read views; tests/api/test_views_* turn this on.
        projections_in_process=False,
        # Forwarding is tested in tests/db/test_forwarding_delivery.py and tests/e2e.
        forwarding_in_process=False,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    return create_app(settings, engine)


@pytest.fixture
def http(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://lrs.test") as client:
        yield client


@pytest.fixture
def client(http: TestClient) -> XapiClient:
    """Speaks xAPI 1.0.3 with full rights."""
    return XapiClient(http, "1.0.3")


@pytest.fixture
def client2(http: TestClient) -> XapiClient:
    """Speaks xAPI 2.0.0 with full rights."""
    return XapiClient(http, "2.0.0")


@pytest.fixture
def make_client(http: TestClient, engine: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    """A client for a new credential: make_client(scopes=(...), store_id=..., version=...)."""

    def make(scopes: tuple[str, ...] = ("all",), store_id: str = "default",
             version: str = "1.0.3", label: str = "") -> XapiClient:
        credential, secret = create_credential(
            engine, store_id=store_id, scopes=scopes, label=label, public_url=settings.public_url
        )
        return XapiClient(http, version, basic(credential.key, secret))

    return make


def statement(**overrides: Any) -> dict[str, Any]:
    """A small valid statement; keyword arguments replace top-level properties."""
    base: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Learner", "mbox": "mailto:learner@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": "http://example.com/activities/course-1",
            "definition": {"name": {"en-US": "Course 1"}},
        },
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}
