"""Secrets: kept as argon2id hashes, never in the log; revocation and rotation take
effect on the next request although verified secrets are cached."""

from __future__ import annotations

import base64
import hashlib

import pytest

from lrs import credentials
from lrs.db import make_engine
from lrs.events import CREDENTIAL_CREATED, CREDENTIAL_ROTATED
from tests.api.access_helpers import all_events, credential_row
from tests.api.conftest import KEY, SECRET, XapiClient, basic, statement
from tests.api.helpers import STATEMENTS


def _fingerprint(secret_hash: str) -> str:
    return hashlib.sha256(secret_hash.encode()).hexdigest()[:16]


def test_secrets_are_argon2id_hashes_and_neither_secret_nor_hash_reaches_the_log(
    client, engine, http
):
    secrets: list[str] = [SECRET]
    hashes: list[str] = [credential_row(engine, KEY).secret_hash]
    fingerprints: dict[str, list[str]] = {}

    def remember(key: str, secret: str) -> None:
        row = credential_row(engine, key)
        assert row.secret_hash.startswith("$argon2id$")
        assert secret not in row.secret_hash
        secrets.append(secret)
        hashes.append(row.secret_hash)
        fingerprints.setdefault(row.id, []).append(_fingerprint(row.secret_hash))

    by_api = client.post("/admin/credentials", json={"scopes": ["all"], "secret": "chosen-secret-1"})
    assert by_api.status_code == 201
    remember(by_api.json()["key"], "chosen-secret-1")
    random = client.post("/admin/credentials", json={"scopes": ["all"]}).json()
    remember(random["key"], random["secret"])
    direct, secret = credentials.create_credential(engine, scopes=("state",))
    remember(direct.key, secret)
    for key in (by_api.json()["key"], random["key"]):
        rotated = client.post(f"/admin/credentials/{key}/rotate").json()["secret"]
        remember(key, rotated)
    chosen = client.post(f"/admin/credentials/{random['key']}/rotate", json={"secret": "chosen-secret-2"})
    remember(random["key"], chosen.json()["secret"])
    remember(direct.key, credentials.rotate(engine, direct.key))
    credentials.revoke(engine, direct.key)

    assert len(set(hashes)) == len(hashes)  # a new salt every time
    logged: dict[str, list[str]] = {}
    for event in all_events(engine):
        for secret_or_hash in (*secrets, *hashes):
            assert secret_or_hash not in event.data, (event.type, event.position)
            assert secret_or_hash not in event.metadata, (event.type, event.position)
        if event.type in (CREDENTIAL_CREATED, CREDENTIAL_ROTATED):
            logged.setdefault(event.payload()["id"], []).append(event.payload()["secret_fingerprint"])
    # The log keeps a fingerprint of each hash in turn: enough to tell rotations apart.
    for credential_id, expected in fingerprints.items():
        assert logged[credential_id] == expected


@pytest.fixture
def user(make_client) -> XapiClient:  # type: ignore[no-untyped-def]
    """A credential that has just been used once: its secret is in the verifier's cache."""
    made = make_client(scopes=("all",))
    assert made.get(STATEMENTS).status_code == 200
    return made


def _key_and_secret(client: XapiClient) -> tuple[str, str]:
    key, _, secret = base64.b64decode(client.auth.removeprefix("Basic ")).decode().partition(":")
    return key, secret


def _cached(app, key: str) -> bool:  # type: ignore[no-untyped-def]
    return key in app.state.services.verifier._cache


def _refused(client: XapiClient) -> None:
    for response in (client.get(STATEMENTS), client.post_statements(statement())):
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"].lower().startswith("basic")


def test_revoking_through_the_admin_api_refuses_the_next_request(client, user, app):
    key, _ = _key_and_secret(user)
    assert _cached(app, key)
    assert client.post(f"/admin/credentials/{key}/revoke").status_code == 204
    _refused(user)


def test_revoking_directly_in_the_database_refuses_the_next_request(user, app, db_url):
    """Another process (its own engine) revokes: this process's cache does not help."""
    key, _ = _key_and_secret(user)
    assert _cached(app, key)
    elsewhere = make_engine(db_url)
    try:
        credentials.revoke(elsewhere, key, actor="another process")
    finally:
        elsewhere.dispose()
    _refused(user)


def test_a_write_proven_from_the_cache_is_refused_once_revoked_elsewhere(user, app, db_url, engine):
    """Statement writes trust the cached proof of the secret and confirm the
    credential inside the write transaction: a revocation committed by another
    process still refuses the next write, stores nothing, and a bad body from the
    revoked credential gets its 401 before any 400."""
    key, secret = _key_and_secret(user)
    assert user.post_statements(statement()).status_code == 200
    assert _cached(app, key)
    app.state.services.verifier.proven(key, secret)  # the write path needs no database
    elsewhere = make_engine(db_url)
    try:
        credentials.revoke(elsewhere, key, actor="another process")
    finally:
        elsewhere.dispose()
    before = len(all_events(engine))
    refused = user.post_statements([statement(), statement()])
    assert refused.status_code == 401, refused.text
    invalid = user.post_statements({"actor": {"mbox": "not-an-email"}})
    assert invalid.status_code == 401, invalid.text
    assert len(all_events(engine)) == before


@pytest.mark.parametrize("how", ["admin-api", "function", "function-other-engine"])
def test_after_rotation_the_old_secret_fails_and_the_new_one_works(client, user, app, db_url, how):
    key, old = _key_and_secret(user)
    assert _cached(app, key)
    if how == "admin-api":
        new = client.post(f"/admin/credentials/{key}/rotate").json()["secret"]
    elif how == "function":
        new = credentials.rotate(app.state.services.engine, key)
    else:
        elsewhere = make_engine(db_url)
        try:
            new = credentials.rotate(elsewhere, key, "a-secret-chosen-elsewhere")
        finally:
            elsewhere.dispose()
    assert new != old
    _refused(user)
    renewed = XapiClient(user.http, auth=basic(key, new))
    for _ in range(2):  # first through argon2, then through the cache
        assert renewed.get(STATEMENTS).status_code == 200
    _refused(user)


def test_rotating_back_to_an_old_secret_makes_it_work_again(client, user):
    key, old = _key_and_secret(user)
    client.post(f"/admin/credentials/{key}/rotate")
    _refused(user)
    client.post(f"/admin/credentials/{key}/rotate", json={"secret": old})
    assert user.get(STATEMENTS).status_code == 200


def test_a_revoked_credential_stays_revoked_when_rotated(client, user):
    key, secret = _key_and_secret(user)
    assert client.post(f"/admin/credentials/{key}/revoke").status_code == 204
    # Rotation would hand out a secret that can never work: it is refused.
    rotated = client.post(f"/admin/credentials/{key}/rotate")
    assert rotated.status_code == 409 and "secret" not in rotated.json()
    _refused(XapiClient(user.http, auth=basic(key, secret)))


def test_a_wrong_secret_for_a_cached_key_is_refused(user):
    key, secret = _key_and_secret(user)
    for wrong in (secret + "x", secret[:-1], "", secret.upper()):
        _refused(XapiClient(user.http, auth=basic(key, wrong)))
    assert user.get(STATEMENTS).status_code == 200


def test_bootstrapping_again_never_resets_a_rotated_secret(client, engine, settings):
    """`lrs serve` bootstraps on every start with LRS_BOOTSTRAP_SECRET: a secret rotated
    since (for whatever reason) must stay, or a restart would bring the old one back."""
    rotated = client.post(f"/admin/credentials/{KEY}/rotate").json()["secret"]
    done = credentials.bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    assert done.demo is None
    assert done.notice is not None and "rotate" in done.notice
    _refused(XapiClient(client.http, auth=basic(KEY, SECRET)))
    assert XapiClient(client.http, auth=basic(KEY, rotated)).get(STATEMENTS).status_code == 200
    # Nothing was appended to the log either: no rotation happened.
    assert [e.type for e in all_events(engine)].count(CREDENTIAL_ROTATED) == 1
    credentials.revoke(engine, KEY)
    done = credentials.bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    assert done.notice is not None and "revoked" in done.notice
    assert credential_row(engine, KEY).revoked_at is not None


def test_bootstrapping_with_the_same_secret_changes_nothing(client, engine, settings):
    before = len(all_events(engine))
    done = credentials.bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    assert done == credentials.Bootstrapped()
    assert len(all_events(engine)) == before
    assert client.get(STATEMENTS).status_code == 200
