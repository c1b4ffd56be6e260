"""``lrs stores`` and ``lrs credentials``, run as the separate processes they are,
against the SQLite database an in-process app serves: their JSON output parses,
secrets are printed once, and a revocation or rotation made by the CLI holds on
the app's next request although the app caches verified secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from lrs.config import Settings
from lrs.credentials import CredentialVerifier, list_credentials, list_stores
from lrs.db import make_engine
from lrs.events import CREDENTIAL_CREATED, CREDENTIAL_REVOKED, CREDENTIAL_ROTATED, STORE_CREATED
from tests.api.access_helpers import all_events, credential_row
from tests.api.conftest import XapiClient, basic, statement
from tests.api.helpers import STATEMENTS, post_one, query_ids

ROOT = Path(__file__).resolve().parents[2]
# Each command is a fresh interpreter (about 1.5 s of imports and argon2 at its
# production cost), so every test here takes several seconds.
pytestmark = pytest.mark.slow


@pytest.fixture
def cli_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def lrs_cli(sqlite_url: str):  # type: ignore[no-untyped-def]
    env = {name: value for name, value in os.environ.items() if not name.startswith("LRS_")}
    env.update(LRS_DATABASE_URL=sqlite_url, LRS_PUBLIC_URL="http://lrs.test")

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args], env=env, cwd=ROOT, capture_output=True,
            text=True, timeout=120, check=False,
        )
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    return run


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)


@pytest.fixture
def sqlite_http(sqlite_url: str, cli_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=sqlite_url, public_url="http://lrs.test",
                        auth_cache_seconds=300)
    with TestClient(create_app(settings, cli_engine), base_url="http://lrs.test") as http:
        yield http


def test_stores_create_and_list_print_json(lrs_cli, cli_engine):
    assert _json(lrs_cli("stores", "create", "sales", "--name", "Sales", "--json")) == {
        "id": "sales", "name": "Sales",
    }
    assert _json(lrs_cli("stores", "create", "plain", "--json")) == {"id": "plain", "name": "plain"}
    listed = _json(lrs_cli("stores", "list", "--json"))
    assert [(s["id"], s["name"]) for s in listed] == [("sales", "Sales"), ("plain", "plain")]
    assert all(set(s) == {"id", "name", "created_at"} for s in listed)
    created = [e for e in all_events(cli_engine) if e.type == STORE_CREATED]
    assert [(e.store_id, e.meta()) for e in created] == [("sales", {"actor": "cli"}), ("plain", {"actor": "cli"})]
    for bad in (["stores", "create", "Bad Id", "--json"], ["stores", "create", "sales", "--json"]):
        failed = lrs_cli(*bad, ok=False)
        assert failed.returncode == 1
        assert failed.stdout == ""
        assert failed.stderr.startswith("error: ")
    assert [s["id"] for s in list_stores(cli_engine)] == ["sales", "plain"]


def test_credentials_through_the_cli_from_creation_to_revocation(lrs_cli, cli_engine, sqlite_http):
    lrs_cli("stores", "create", "sales")
    created = _json(lrs_cli(
        "credentials", "create", "--store", "sales", "--scope", "statements/write",
        "--scope", "statements/read", "--label", "from the cli", "--json",
    ))
    assert set(created) == {"key", "secret", "store", "scopes", "id"}
    assert created["store"] == "sales"
    assert created["scopes"] == ["statements/read", "statements/write"]
    key, secret = created["key"], created["secret"]
    event = [e for e in all_events(cli_engine) if e.type == CREDENTIAL_CREATED][-1]
    assert (event.store_id, event.meta(), event.payload()["id"]) == ("sales", {"actor": "cli"}, created["id"])

    # The secret works over HTTP, in its store; the app now has it cached.
    user = XapiClient(sqlite_http, auth=basic(key, secret))
    statement_id = post_one(user, statement())
    assert query_ids(user) == [statement_id]
    assert user.get("/xapi/activities/state", params={"activityId": "http://example.com/a",
                                                       "agent": '{"mbox": "mailto:a@example.com"}'}
                    ).status_code == 403

    listed = lrs_cli("credentials", "list", "--json")
    entries = json.loads(listed.stdout)
    (entry,) = [c for c in entries if c["key"] == key]
    assert entry["store"] == "sales"
    assert entry["label"] == "from the cli"
    assert entry["revoked_at"] is None
    assert secret not in listed.stdout
    assert credential_row(cli_engine, key).secret_hash not in listed.stdout
    assert "secret" not in entry and "secret_hash" not in entry
    assert [c["key"] for c in _json(lrs_cli("credentials", "list", "--store", "sales", "--json"))] == [key]

    rotated = _json(lrs_cli("credentials", "rotate", key, "--json"))
    assert set(rotated) == {"key", "secret"}
    assert rotated["key"] == key
    assert rotated["secret"] != secret
    assert user.get(STATEMENTS).status_code == 401
    renewed = XapiClient(sqlite_http, auth=basic(key, rotated["secret"]))
    assert renewed.get(STATEMENTS).status_code == 200
    chosen = _json(lrs_cli("credentials", "rotate", key, "--secret", "picked-by-hand", "--json"))
    assert chosen == {"key": key, "secret": "picked-by-hand"}
    assert renewed.get(STATEMENTS).status_code == 401
    picked = XapiClient(sqlite_http, auth=basic(key, "picked-by-hand"))
    assert picked.get(STATEMENTS).status_code == 200

    assert _json(lrs_cli("credentials", "revoke", key, "--json")) == {"key": key, "revoked": True}
    response = picked.get(STATEMENTS)
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    (entry,) = [c for c in list_credentials(cli_engine, "sales") if c["key"] == key]
    assert entry["revoked_at"] is not None
    kinds = [(e.type, e.meta().get("actor")) for e in all_events(cli_engine) if e.store_id == "sales"]
    assert kinds[-3:] == [(CREDENTIAL_ROTATED, "cli"), (CREDENTIAL_ROTATED, "cli"), (CREDENTIAL_REVOKED, "cli")]
    log_text = "".join(e.data + e.metadata for e in all_events(cli_engine))
    for leaked in (secret, rotated["secret"], "picked-by-hand"):
        assert leaked not in log_text


def test_plain_revoke_and_unknown_keys(lrs_cli, cli_engine, sqlite_http):
    created = _json(lrs_cli("credentials", "create", "--json"))
    assert created["store"] == "default"
    assert created["scopes"] == ["admin", "all"]
    # Verified like the app does (argon2 at the CLI's production cost).
    assert CredentialVerifier(cli_engine).verify(created["key"], created["secret"]) is not None
    admin = XapiClient(sqlite_http, auth=basic(created["key"], created["secret"]))
    assert admin.get("/admin/credentials").status_code == 200
    done = lrs_cli("credentials", "revoke", created["key"])
    assert done.stdout.strip() == f"credential {created['key']} revoked"
    assert admin.get("/admin/credentials").status_code == 401
    for command in (["revoke", "no-such-key"], ["rotate", "no-such-key", "--json"]):
        failed = lrs_cli("credentials", *command, ok=False)
        assert failed.returncode == 1
        assert "no credential with key 'no-such-key'" in failed.stderr
    failed = lrs_cli("credentials", "create", "--scope", "everything", "--json", ok=False)
    assert failed.returncode == 1
    assert "unknown scope" in failed.stderr
