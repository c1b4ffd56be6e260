"""Every endpoint and method against every scope (Communication 4.2 and this LRS's policy).

One app per backend serves the whole module; each cell of the table below is one
test that sends one request with one credential and expects exactly one status:
the success code of the endpoint (or 404 where the scope hides the target) when the
scope allows it, 403 when it does not, 401 without valid credentials. A refused
request must not append anything to the log.
"""

from __future__ import annotations

import itertools
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.routers import (
    about,
    activities,
    admin,
    competency,
    competency_admin,
    competency_directory,
    competency_people,
    documents,
    progress,
    statements,
)
from lrs.config import Settings
from lrs.credentials import SCOPES, bootstrap, create_credential, create_store
from lrs.db import make_engine
from tests.api.access_helpers import cheapen_password_hashing, head_position
from tests.api.conftest import KEY, SECRET, basic, statement
from tests.api.documents_helpers import (
    ACTIVITY_PROFILE,
    AGENT_PROFILE,
    LEARNER,
    STATE,
    Resource,
    agent_param,
)
from tests.api.helpers import voiding

ANONYMOUS = "anonymous"
WRONG_SECRET = "wrong-secret"
OTHER_ADMIN = "admin@other"  # an admin credential of another store than "default"
# Columns: no credentials, a wrong secret, one credential per scope (all of the
# default store), and a store admin. "define" alone is the "no useful scope" column.
COLUMNS = (ANONYMOUS, WRONG_SECRET, *SCOPES, OTHER_ADMIN)

SEEDED_STATEMENT = "6a1d7c7e-0b5e-4d1b-9a49-1f3f8e0c0001"
SEEDED_VOIDED = "6a1d7c7e-0b5e-4d1b-9a49-1f3f8e0c0002"
SEEDED_DOC = "seeded"
ACTIVITY_ID = "http://example.com/activities/course-1"

STATEMENT_READERS = ("statements/read", "statements/read/mine", "all/read", "all")
FULL_READERS = ("statements/read", "all/read", "all")
COMPETENCY_READERS = ("competency/read", "all/read", "all")
COMPETENCY_ADMINS = ("competency/admin", "admin")
MATRIX_FRAMEWORK = "urn:matrix:framework"
MATRIX_COMPETENCY = "urn:matrix:competency"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Row:
    """One endpoint and method, and the status each allowed column gets."""

    name: str
    method: str
    path: str
    allowed: dict[str, int]
    params: Callable[[], dict[str, str]] = dict
    json: Callable[[], Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def expected(self, column: str) -> int:
        if column in self.allowed:
            return self.allowed[column]
        if column in (ANONYMOUS, WRONG_SECRET):
            return 401
        return 403


def allow(code: int, *columns: str) -> dict[str, int]:
    return dict.fromkeys(columns, code)


def _document_rows(resource: Resource, scope: str) -> list[Row]:
    name = resource.path.removeprefix("/xapi/")
    readers = (scope, "all/read", "all")
    writers = (scope, "all")
    json_body = {"Content-Type": "application/json"}
    return [
        Row(f"GET-{name}", "GET", resource.path, allow(200, *readers),
            params=lambda: resource.params(SEEDED_DOC)),
        Row(f"HEAD-{name}", "HEAD", resource.path, allow(200, *readers),
            params=lambda: resource.params(SEEDED_DOC)),
        Row(f"GET-{name}-ids", "GET", resource.path, allow(200, *readers),
            params=lambda: resource.params()),
        # 1.0.3 needs a precondition on a profile PUT (Communication 3.1): always give one.
        Row(f"PUT-{name}", "PUT", resource.path, allow(204, *writers),
            params=lambda: resource.params(unique("doc")), content=b'{"put": 1}',
            headers={**json_body, "If-None-Match": "*"}),
        Row(f"POST-{name}", "POST", resource.path, allow(204, *writers),
            params=lambda: resource.params(unique("doc")), content=b'{"posted": 1}',
            headers=json_body),
        # Deleting a document that does not exist is a 204 that changes nothing.
        Row(f"DELETE-{name}", "DELETE", resource.path, allow(204, *writers),
            params=lambda: resource.params(unique("doc"))),
    ]


ROWS: list[Row] = [
    # Statement Resource
    Row("PUT-statements", "PUT", "/xapi/statements", allow(204, "statements/write", "all"),
        params=lambda: {"statementId": str(uuid.uuid4())}, json=statement),
    Row("POST-statements", "POST", "/xapi/statements", allow(200, "statements/write", "all"),
        json=statement),
    Row("GET-statements-query", "GET", "/xapi/statements", allow(200, *STATEMENT_READERS)),
    Row("HEAD-statements-query", "HEAD", "/xapi/statements", allow(200, *STATEMENT_READERS)),
    # Stored by another credential: read/mine may ask, and is told it does not exist.
    Row("GET-statements-by-id", "GET", "/xapi/statements",
        {**allow(200, *FULL_READERS), "statements/read/mine": 404},
        params=lambda: {"statementId": SEEDED_STATEMENT}),
    Row("HEAD-statements-by-id", "HEAD", "/xapi/statements",
        {**allow(200, *FULL_READERS), "statements/read/mine": 404},
        params=lambda: {"statementId": SEEDED_STATEMENT}),
    Row("GET-statements-voided-id", "GET", "/xapi/statements",
        {**allow(200, *FULL_READERS), "statements/read/mine": 404},
        params=lambda: {"voidedStatementId": SEEDED_VOIDED}),
    # Document resources
    *_document_rows(STATE, "state"),
    *_document_rows(ACTIVITY_PROFILE, "profile"),
    *_document_rows(AGENT_PROFILE, "profile"),
    # Activities and Agents resources
    *(
        Row(f"{method}-activities", method, "/xapi/activities",
            allow(200, "statements/read", "statements/read/mine", "all/read", "state",
                  "profile", "define", "all"),
            params=lambda: {"activityId": ACTIVITY_ID})
        for method in ("GET", "HEAD")
    ),
    *(
        Row(f"{method}-agents", method, "/xapi/agents",
            allow(200, "statements/read", "all/read", "profile", "all"),
            params=lambda: {"agent": agent_param(LEARNER)})
        for method in ("GET", "HEAD")
    ),
    # Views: read models of the store, for credentials that may read all its statements.
    Row("GET-views-learners", "GET", "/views/progress/learners", allow(200, *FULL_READERS),
        params=lambda: {"agent": agent_param(LEARNER)}),
    Row("GET-views-activities", "GET", "/views/progress/activities", allow(200, *FULL_READERS),
        params=lambda: {"activityId": ACTIVITY_ID}),
    Row("GET-views-detail", "GET", "/views/progress/detail", allow(200, *FULL_READERS),
        params=lambda: {"agent": agent_param(LEARNER), "activityId": ACTIVITY_ID}),
    Row("GET-views-cohort", "GET", "/views/progress/cohort", allow(200, *FULL_READERS),
        params=lambda: {"activityId": ACTIVITY_ID}),
    # Competency view: whole-store readers; frameworks also for competency/read/mine (the
    # learner here is not that credential's own agent: 403 for it).
    Row("GET-competency-frameworks", "GET", "/views/competency/frameworks",
        allow(200, *COMPETENCY_READERS, "competency/read/mine")),
    *(Row(f"GET-competency-{name}", "GET", f"/views/competency/{name}",
          allow(200, *COMPETENCY_READERS, "competency/read/mine")) for name in ("roles", "teams")),
    *(Row(f"GET-competency-{name}", "GET", f"/views/competency/{name}", allow(200, *COMPETENCY_READERS),
          params=params)
      for name, params in (
          ("profile", lambda: {"agent": agent_param(LEARNER)}),
          ("evidence", lambda: {"agent": agent_param(LEARNER), "competency": MATRIX_COMPETENCY}),
          ("history", lambda: {"agent": agent_param(LEARNER), "competency": MATRIX_COMPETENCY}),
          ("assertions", lambda: {"agent": agent_param(LEARNER), "format": "ob3"}),
          ("experts", lambda: {"competency": MATRIX_COMPETENCY}),
          ("pairings", lambda: {"competency": MATRIX_COMPETENCY, "team": "matrix-team"}),
          ("gaps", lambda: {"agent": agent_param(LEARNER), "role": "matrix-role"}),
          ("recommendations", lambda: {"agent": agent_param(LEARNER), "role": "matrix-role"}),
          ("heatmap", lambda: {"team": "matrix-team", "framework": MATRIX_FRAMEWORK}),
          ("coverage", lambda: {"framework": MATRIX_FRAMEWORK}),
      )),
    # Competency configuration: competency/admin or admin, in the credential's own store
    # (the other store's admin has no such competency there: 400).
    Row("POST-competency-frameworks", "POST", "/admin/competency/frameworks",
        allow(202, *COMPETENCY_ADMINS, OTHER_ADMIN),
        json=lambda: {"id": f"urn:matrix:{unique('fw')}", "items": [{"id": f"urn:matrix:{unique('c')}"}]}),
    Row("DELETE-competency-frameworks", "DELETE", "/admin/competency/frameworks",
        allow(404, *COMPETENCY_ADMINS, OTHER_ADMIN), params=lambda: {"framework": "urn:matrix:never"}),
    *(Row(f"{method}-competency-alignments", method, "/admin/competency/alignments",
          {**allow(202, *COMPETENCY_ADMINS), OTHER_ADMIN: 400},
          json=lambda: {"alignments": [{"activity": ACTIVITY_ID, "competency": MATRIX_COMPETENCY}]})
      for method in ("PUT", "DELETE")),
    Row("PUT-competency-role", "PUT", "/admin/competency/roles/matrix-role",
        {**allow(202, *COMPETENCY_ADMINS), OTHER_ADMIN: 400},
        json=lambda: {"requirements": [{"competency": MATRIX_COMPETENCY}]}),
    Row("PUT-competency-team", "PUT", "/admin/competency/teams/matrix-team",
        allow(202, *COMPETENCY_ADMINS, OTHER_ADMIN), json=lambda: {"members": [LEARNER]}),
    Row("DELETE-competency-role", "DELETE", "/admin/competency/roles/never-set",
        allow(404, *COMPETENCY_ADMINS, OTHER_ADMIN)),
    Row("DELETE-competency-team", "DELETE", "/admin/competency/teams/never-set",
        allow(404, *COMPETENCY_ADMINS, OTHER_ADMIN)),
    Row("GET-competency-settings", "GET", "/admin/competency/settings", allow(200, *COMPETENCY_ADMINS, OTHER_ADMIN)),
    Row("PUT-competency-settings", "PUT", "/admin/competency/settings", allow(202, *COMPETENCY_ADMINS, OTHER_ADMIN),
        json=lambda: {"negativeEvidence": True}),
    # About: no credentials needed, and wrong ones are not even looked at.
    *(Row(f"{method}-about", method, "/xapi/about", allow(200, *COLUMNS)) for method in ("GET", "HEAD")),
    # Administration
    Row("GET-admin-stores", "GET", "/admin/stores", allow(200, "admin")),
    Row("POST-admin-stores", "POST", "/admin/stores", allow(201, "admin"),
        json=lambda: {"id": unique("store")}),
    Row("GET-admin-credentials", "GET", "/admin/credentials", allow(200, "admin", OTHER_ADMIN)),
    Row("GET-admin-credentials-of-default", "GET", "/admin/credentials", allow(200, "admin"),
        params=lambda: {"store": "default"}),
    Row("GET-admin-credentials-of-other", "GET", "/admin/credentials",
        allow(200, "admin", OTHER_ADMIN), params=lambda: {"store": "other"}),
    Row("POST-admin-credentials", "POST", "/admin/credentials", allow(201, "admin", OTHER_ADMIN),
        json=lambda: {"scopes": ["statements/read"]}),
    Row("POST-admin-credentials-in-default", "POST", "/admin/credentials", allow(201, "admin"),
        json=lambda: {"store": "default", "scopes": ["statements/read"]}),
    Row("POST-admin-revoke-default-key", "POST", "/admin/credentials/victim-default/revoke",
        allow(204, "admin")),
    Row("POST-admin-rotate-default-key", "POST", "/admin/credentials/rotated-default/rotate",
        allow(200, "admin")),
    Row("POST-admin-revoke-other-key", "POST", "/admin/credentials/victim-other/revoke",
        allow(204, "admin", OTHER_ADMIN)),
    Row("POST-admin-rotate-other-key", "POST", "/admin/credentials/rotated-other/rotate",
        allow(200, "admin", OTHER_ADMIN)),
    # An unknown key is 404 for an admin, and still 403 for a credential without admin.
    Row("POST-admin-revoke-unknown-key", "POST", "/admin/credentials/no-such-key/revoke",
        allow(404, "admin", OTHER_ADMIN)),
    Row("POST-admin-rotate-unknown-key", "POST", "/admin/credentials/no-such-key/rotate",
        allow(404, "admin", OTHER_ADMIN)),
]


@dataclass
class MatrixLrs:
    engine: Engine
    http: TestClient
    auths: dict[str, str | None]

    def send(self, row: Row, column: str) -> Any:
        headers = {"X-Experience-API-Version": "1.0.3", **row.headers}
        auth = self.auths[column]
        if auth is not None:
            headers["Authorization"] = auth
        kwargs: dict[str, Any] = {"params": row.params(), "headers": headers}
        if row.json is not None:
            kwargs["json"] = row.json()
        if row.content is not None:
            kwargs["content"] = row.content
        return self.http.request(row.method, row.path, **kwargs)


def _database(request: pytest.FixtureRequest, directory: Any) -> tuple[str, Callable[[], None]]:
    if request.param == "sqlite":
        path = directory / "matrix.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}", lambda: None
    server = request.getfixturevalue("_postgres")
    name = server.create()
    return server.url_for(name), lambda: server.drop(name)


def _seed(http: TestClient, auth: str) -> None:
    headers = {"X-Experience-API-Version": "1.0.3", "Authorization": auth}
    for body in (statement(id=SEEDED_STATEMENT), statement(id=SEEDED_VOIDED), voiding(SEEDED_VOIDED)):
        assert http.post("/xapi/statements", json=body, headers=headers).status_code == 200
    for resource in (STATE, ACTIVITY_PROFILE, AGENT_PROFILE):
        response = http.put(
            resource.path, params=resource.params(SEEDED_DOC), content=b'{"seeded": true}',
            headers={**headers, "Content-Type": "application/json", "If-None-Match": "*"},
        )
        assert response.status_code == 204, response.text
    framework = {"id": MATRIX_FRAMEWORK, "items": [{"id": MATRIX_COMPETENCY, "name": "Matrix"}]}
    for method, path, body in (
        ("POST", "/admin/competency/frameworks", framework),
        ("PUT", "/admin/competency/roles/matrix-role", {"requirements": [{"competency": MATRIX_COMPETENCY}]}),
        ("PUT", "/admin/competency/teams/matrix-team", {"members": [LEARNER]}),
    ):
        assert http.request(method, path, json=body, headers=headers).status_code == 202


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def matrix_lrs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MatrixLrs]:
    directory = tmp_path_factory.mktemp("matrix")
    url, drop = _database(request, directory)
    engine = make_engine(url, lock_timeout_seconds=30)
    try:
        with pytest.MonkeyPatch.context() as patch:
            cheapen_password_hashing(patch)
            public_url = "http://lrs.test"
            bootstrap(engine, key=KEY, secret=SECRET, public_url=public_url)
            create_store(engine, "other")
            auths: dict[str, str | None] = {
                ANONYMOUS: None,
                WRONG_SECRET: basic(KEY, "not-the-secret"),
            }
            for scope in SCOPES:
                key = "matrix-" + scope.replace("/", "-")
                _, secret = create_credential(engine, key=key, scopes=(scope,), public_url=public_url)
                auths[scope] = basic(key, secret)
            _, secret = create_credential(
                engine, store_id="other", key="matrix-other-admin", scopes=("admin",),
                public_url=public_url,
            )
            auths[OTHER_ADMIN] = basic("matrix-other-admin", secret)
            create_credential(engine, key="victim-default", scopes=("statements/read",))
            create_credential(engine, store_id="other", key="victim-other", scopes=("statements/read",))
            # Rotation gets its own credentials: a revoked one cannot be rotated (409),
            # whatever order the revoke cells run in.
            create_credential(engine, key="rotated-default", scopes=("statements/read",))
            create_credential(engine, store_id="other", key="rotated-other", scopes=("statements/read",))
            # Every row sends its wrong secret to this one app: the limit on failed
            # logins (tests/api/test_access_login_failures.py) would turn them into 429s.
            settings = Settings(
                data_dir=directory, database_url=url, public_url=public_url,
                auth_failures_per_key=0, auth_failures_per_address=0,
            )
            app = create_app(settings, engine)
            with TestClient(app, base_url=public_url) as http:
                _seed(http, basic(KEY, SECRET))
                yield MatrixLrs(engine, http, auths)
    finally:
        engine.dispose()
        drop()


CELLS = [pytest.param(row, column, id=f"{row.name}[{column}]")
         for row, column in itertools.product(ROWS, COLUMNS)]


@pytest.mark.parametrize(("row", "column"), CELLS)
def test_scope_matrix(matrix_lrs: MatrixLrs, row: Row, column: str) -> None:
    before = head_position(matrix_lrs.engine)
    response = matrix_lrs.send(row, column)
    expected = row.expected(column)
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers.get("WWW-Authenticate", "").lower().startswith("basic")
    if expected in (401, 403):
        assert head_position(matrix_lrs.engine) == before, "a refused request changed the log"
    if row.method == "HEAD":
        assert response.content == b""


def test_the_matrix_covers_every_route_and_method() -> None:
    """A new route or method must get its row (path parameters as in the table)."""
    routes = {
        (method, route.path)
        for router in (about.router, statements.router, documents.router, activities.router,
                       admin.router, progress.router, competency.router, competency_people.router,
                       competency_admin.router, competency_directory.router)
        for route in router.routes
        for method in getattr(route, "methods", None) or ()
    }
    # statements 4, documents 3 x 5, activities 2, agents 2, about 2, admin 6, views 4,
    # competency views 11 (and the roles and teams to pick from, 2) and configuration 8 (+ settings 2)
    assert len(routes) == 58
    covered = {
        (row.method, re.sub(r"^/admin/competency/(roles|teams)/[^/]+$", lambda m: f"/admin/competency/{m[1]}/{{{m[1][:-1]}_id}}",
                            re.sub(r"^/admin/credentials/[^/]+/", "/admin/credentials/{key}/", row.path)))
        for row in ROWS
    }
    assert routes <= covered, sorted(routes - covered)
