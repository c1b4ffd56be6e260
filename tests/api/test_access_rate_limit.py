"""Per-credential rate limits over HTTP: 429 with Retry-After, nothing done for a
refused request, other credentials unaffected, and the bucket refills."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from lrs.credentials import bootstrap, create_credential
from tests.api.access_helpers import head_position
from tests.api.conftest import KEY, SECRET, XapiClient, basic, statement
from tests.api.helpers import STATEMENTS, new_id


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(settings, engine, clock) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An app allowing bursts of 3 requests, then one every 2 seconds, per credential."""
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    app = create_app(dataclasses.replace(settings, rate_limit_per_second=0.5, rate_limit_burst=3), engine)
    app.state.services.limiter.clock = clock
    with TestClient(app, base_url="http://lrs.test") as http:
        yield http


def _client(http: TestClient, engine, scopes=("all",)) -> XapiClient:  # type: ignore[no-untyped-def]
    credential, secret = create_credential(engine, scopes=scopes)
    return XapiClient(http, auth=basic(credential.key, secret))


def _assert_limited(response, seconds: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.text
    assert response.headers["Retry-After"] == str(seconds)
    assert response.json()["error"] == "too_many_requests"


def test_a_burst_beyond_the_limit_is_429_and_does_nothing(limited, engine, clock):
    user = _client(limited, engine)
    assert [user.get(STATEMENTS).status_code for _ in range(3)] == [200] * 3
    before = head_position(engine)
    refused_id = new_id()
    _assert_limited(user.post_statements(statement(id=refused_id)), 2)
    _assert_limited(user.put(STATEMENTS, params={"statementId": new_id()}, json=statement()), 2)
    _assert_limited(user.delete("/xapi/activities/state", params={
        "activityId": "http://example.com/a", "agent": '{"mbox": "mailto:a@example.com"}'}), 2)
    assert head_position(engine) == before
    clock.now += 2
    assert user.get(STATEMENTS, params={"statementId": refused_id}).status_code == 404


def test_other_credentials_and_credential_free_requests_are_not_affected(limited, engine):
    first, second = _client(limited, engine), _client(limited, engine)
    for _ in range(3):
        assert first.get(STATEMENTS).status_code == 200
    _assert_limited(first.get(STATEMENTS), 2)
    assert [second.get(STATEMENTS).status_code for _ in range(3)] == [200] * 3
    _assert_limited(second.get(STATEMENTS), 2)
    # /about needs no credentials, so nothing limits it; wrong credentials are 401.
    assert first.get("/xapi/about").status_code == 200
    assert XapiClient(limited, auth=basic(KEY, "wrong")).get(STATEMENTS).status_code == 401
    assert XapiClient(limited).get(STATEMENTS).status_code == 200


def test_the_limit_refills_at_its_rate_up_to_the_burst(limited, engine, clock):
    user = _client(limited, engine)
    for _ in range(3):
        user.get(STATEMENTS)
    _assert_limited(user.get(STATEMENTS), 2)
    clock.now += 1
    _assert_limited(user.get(STATEMENTS), 1)
    clock.now += 1
    assert user.get(STATEMENTS).status_code == 200
    _assert_limited(user.get(STATEMENTS), 2)
    clock.now += 600  # long idle: a full burst again, and no more
    assert [user.get(STATEMENTS).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_forbidden_request_still_counts(limited, engine):
    """The limit applies to authenticated requests, whatever their scope allows."""
    writer = _client(limited, engine, scopes=("statements/write",))
    assert [writer.get(STATEMENTS).status_code for _ in range(3)] == [403] * 3
    _assert_limited(writer.post_statements(statement()), 2)


def test_with_the_real_clock_retry_after_is_a_whole_number_of_seconds(settings, engine):
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    app = create_app(dataclasses.replace(settings, rate_limit_per_second=0.01, rate_limit_burst=2), engine)
    with TestClient(app, base_url="http://lrs.test") as http:
        user = XapiClient(http)
        assert [user.get(STATEMENTS).status_code for _ in range(2)] == [200, 200]
        response = user.get(STATEMENTS)
        assert response.status_code == 429
        wait = response.headers["Retry-After"]
        assert wait.isdigit()
        assert 1 <= int(wait) <= 100


@pytest.mark.parametrize("proven", [False, True], ids=["cold", "cached secret"])
def test_a_refused_statement_write_is_charged_and_checked_once(limited, engine, monkeypatch, proven):
    """One way through the write: a refused request takes one token and is validated
    once, however its credential was confirmed."""
    from lrs import statements as service

    user = _client(limited, engine)
    if proven:
        assert user.get(STATEMENTS).status_code == 200  # proves the secret: 2 tokens left
    checks: list[int] = []
    original = service.prepare
    monkeypatch.setattr(service, "prepare", lambda *a, **k: (checks.append(1), original(*a, **k))[1])
    refused = user.post_statements(statement(verb={"id": "not an IRI"}))
    assert refused.status_code == 400, refused.text
    assert len(checks) == 1
    left = 1 if proven else 2
    assert [user.post_statements(statement()).status_code for _ in range(left)] == [200] * left
    _assert_limited(user.post_statements(statement()), 2)


def test_a_revoked_credential_is_401_before_a_bad_body_even_when_its_secret_is_cached(limited, engine):
    from lrs.credentials import revoke

    credential, secret = create_credential(engine, scopes=("all",))
    user = XapiClient(limited, auth=basic(credential.key, secret))
    assert user.get(STATEMENTS).status_code == 200
    revoke(engine, credential.key)
    assert user.post_statements({"verb": "broken"}).status_code == 401
