"""``/views/competency/roles`` and ``/teams``: what a competency reader picks from
(the dashboard's role and team choices), over HTTP on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from lrs.config import Settings
from lrs.credentials import create_credential
from tests.api.conftest import XapiClient, basic
from tests.competency_helpers import ROLE, agent, case_package

VIEWS, ADMIN = "/views/competency", "/admin/competency"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=db_url, public_url="http://lrs.test",
                    max_body_bytes=5_000_000, auth_cache_seconds=300, projections_in_process=True,
                    view_wait_seconds=30.0)


def test_roles_and_teams_are_listed_with_their_sizes_and_follow_changes(client: XapiClient, engine: Engine) -> None:
    assert client.get(f"{VIEWS}/roles").json()["roles"] == []
    assert client.post(f"{ADMIN}/frameworks", json=case_package()).status_code == 202  # what roles require
    for path, body in ((f"{ADMIN}/roles/meeting-host", ROLE),
                       (f"{ADMIN}/roles/a-first", {"name": "A first role", "requirements": ROLE["requirements"][:1]}),
                       (f"{ADMIN}/teams/support", {"name": "Support", "members": [agent(n) for n in ("ann", "bob", "cy")]})):
        response = client.put(path, json=body)
        assert response.status_code == 202, response.text
    written = client.put(f"{ADMIN}/teams/empty", json={"name": "Nobody yet", "members": []})
    assert written.status_code == 202, written.text
    position = written.json()["position"]

    roles = client.get(f"{VIEWS}/roles", params={"minPosition": position}).json()
    assert roles["position"] >= position and "at" in roles
    assert roles["roles"] == [
        {"id": "a-first", "name": "A first role", "source": None, "requirements": 1},
        {"id": "meeting-host", "name": "Meeting host", "source": "esco:occupation/example", "requirements": 3},
    ]
    teams = client.get(f"{VIEWS}/teams", params={"minPosition": position}).json()
    assert teams["teams"] == [{"id": "empty", "name": "Nobody yet", "members": 0},
                              {"id": "support", "name": "Support", "members": 3}]

    removed = client.delete(f"{ADMIN}/teams/support").json()["position"]
    assert [t["id"] for t in client.get(f"{VIEWS}/teams", params={"minPosition": removed}).json()["teams"]] == ["empty"]
    # asOf: the list as it stood before the removal.
    before = client.get(f"{VIEWS}/teams", params={"asOf": position}).json()
    assert [t["id"] for t in before["teams"]] == ["empty", "support"]


def test_any_competency_reader_may_list_them_and_nobody_else(client: XapiClient, engine: Engine) -> None:
    _, secret = create_credential(engine, key="mine-key", scopes=("competency/read/mine",))
    mine = XapiClient(client.http, auth=basic("mine-key", secret))
    assert mine.get(f"{VIEWS}/roles").status_code == 200
    assert mine.get(f"{VIEWS}/teams").status_code == 200
    _, secret = create_credential(engine, key="writer-key", scopes=("statements/write",))
    writer = XapiClient(client.http, auth=basic("writer-key", secret))
    refused = writer.get(f"{VIEWS}/roles")
    assert refused.status_code == 403 and "competency/read" in refused.text
    assert client.get(f"{VIEWS}/teams", params={"team": "x"}).status_code == 400  # unknown parameter
