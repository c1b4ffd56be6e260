"""Reads from a read replica (LRS_DATABASE_READ_URL), on both backends.

The replica is a second database the test copies the primary into at chosen
moments (``Replica.sync``): a replica lagging by exactly what was written since the
last copy. Each copy is atomic and of one snapshot of the primary, as a streaming
replica applies whole commits in commit order. Which database answered shows in
X-Experience-API-Consistent-Through: on the replica it is exactly the ``stored`` of
the newest event it has (lrs.log.consistent_through), on the primary a later
instant (the present, as no write is in flight).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, delete, event, insert, select, text
from sqlalchemy.engine import make_url

from api.app import create_app
from lrs.config import Settings
from lrs.credentials import bootstrap
from lrs.db import make_engine
from tests.api.conftest import KEY, SECRET, XapiClient, statement
from tests.api.helpers import STATEMENTS, activity, agent, new_id, voiding
from tests.progress_helpers import ANN, COURSE, MODULE_1, learner_statement

EPOCH = "1970-01-01T00:00:00.000000Z"
THROUGH = "X-Experience-API-Consistent-Through"
ANN_PARAM = json.dumps({"mbox": ANN["mbox"]})


class Replica:
    """A database that holds what the primary held at the last ``sync``."""

    def __init__(self, primary: Engine, url: str) -> None:
        self.primary = primary
        self.url = url
        self._tables: list[Any] | None = None

    def sync(self) -> None:
        if self.primary.dialect.name == "sqlite":
            self._sync_sqlite()
        else:
            self._sync_postgresql()

    def _sync_sqlite(self) -> None:
        # The backup API copies one consistent snapshot, atomically for readers.
        source = sqlite3.connect(str(self.primary.url.database))
        target = sqlite3.connect(str(make_url(self.url).database))
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()

    def _sync_postgresql(self) -> None:
        if self._tables is None:
            reflected = MetaData()
            reflected.reflect(self.primary)
            self._tables = [t for t in reflected.sorted_tables if t.name != "alembic_version"]
        copier = make_engine(self.url)
        try:
            with self.primary.connect() as source:
                source.execution_options(isolation_level="REPEATABLE READ")
                rows = {t.name: [dict(r) for r in source.execute(select(t)).mappings()] for t in self._tables}
            with copier.begin() as target:
                # As a logical replica applies rows: without the append-only triggers.
                target.execute(text("SET LOCAL session_replication_role = replica"))
                for table in reversed(self._tables):
                    target.execute(delete(table))
                for table in self._tables:
                    if rows[table.name]:
                        target.execute(insert(table), rows[table.name])
        finally:
            copier.dispose()


@pytest.fixture
def replica_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if db_url.startswith("sqlite"):
        path = tmp_path / "replica.sqlite3"
        shutil.copyfile(str(make_url(db_url).database), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("_postgres")
    name = server.create()
    try:
        yield server.url_for(name)
    finally:
        server.drop(name)


WAIT = 0.3


@pytest.fixture
def settings(db_url: str, replica_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=db_url, database_read_url=replica_url,
        read_replica_wait_seconds=WAIT, public_url="http://lrs.test", statements_page_max=50,
        auth_cache_seconds=300, projections_in_process=False, view_wait_seconds=3.0,
    )


@pytest.fixture
def replica(engine: Engine, replica_url: str, app: Any) -> Replica:
    # After the app fixture: the bootstrap credential is on the primary, and the
    # replica starts as a copy of it.
    found = Replica(engine, replica_url)
    found.sync()
    return found


def _through(response: Any) -> str:
    value: str = response.headers[THROUGH]
    return value


def _stored(client: XapiClient, statement_id: str) -> str:
    # From the primary: a statement the replica has not replayed is looked up there.
    response = client.get(STATEMENTS, params={"statementId": statement_id})
    assert response.status_code == 200, response.text
    value: str = response.json()["stored"]
    return value


def _post(client: XapiClient, body: Any) -> list[str]:
    response = client.post_statements(body)
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()
    return ids


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["statements"]]


# ------------------------------------------------------------- statement queries


def test_queries_answer_from_the_replica_with_what_it_has_replayed(
    client: XapiClient, replica: Replica
) -> None:
    (first,) = _post(client, statement())
    replica.sync()
    (second,) = _post(client, statement())
    first_stored, second_stored = _stored(client, first), _stored(client, second)

    lagging = client.get(STATEMENTS)
    # The second statement is not on the replica: not in the answer, and the
    # consistency promise stops at the newest event the replica has.
    assert _ids(lagging) == [first]
    assert _through(lagging) == first_stored
    assert _through(lagging) < second_stored

    replica.sync()
    caught_up = client.get(STATEMENTS)
    assert _ids(caught_up) == [second, first]
    assert _through(caught_up) == second_stored


def test_a_replica_without_statements_promises_none(client: XapiClient, replica: Replica) -> None:
    (posted,) = _post(client, statement())
    # The replica was copied before any statement (after the bootstrap credential's
    # event): no statements, and a promise that stops before the one posted.
    response = client.get(STATEMENTS)
    assert _ids(response) == []
    assert EPOCH < _through(response) < _stored(client, posted)


def test_a_filtered_query_reads_the_replica_index(client: XapiClient, replica: Replica) -> None:
    ann, bob = agent("ann"), agent("bob")
    (ann_first,) = _post(client, statement(actor=ann))
    _post(client, statement(actor=bob))
    replica.sync()
    (ann_second,) = _post(client, statement(actor=ann))
    params = {"agent": json.dumps({"mbox": ann["mbox"]})}
    assert _ids(client.get(STATEMENTS, params=params)) == [ann_first]
    replica.sync()
    assert _ids(client.get(STATEMENTS, params=params)) == [ann_second, ann_first]


def test_a_more_link_bounded_beyond_the_replica_is_answered_by_the_primary(
    client: XapiClient, replica: Replica, settings: Settings, engine: Engine
) -> None:
    ids = _post(client, [statement() for _ in range(3)])
    # Another server of the deployment, without a replica (or with one further
    # ahead), gave the first page: its more link is bounded at the primary's head.
    with TestClient(create_app(replace_read_url(settings), engine), base_url="http://lrs.test") as other:
        first_page = XapiClient(other).get(STATEMENTS, params={"limit": 2})
    assert _ids(first_page) == list(reversed(ids))[:2]
    more = first_page.json()["more"]
    assert more

    # This server's replica has none of them: after its short wait, the primary
    # answers the page, with nothing the chain promised left out.
    rest = client.get(more)
    assert _ids(rest) == [ids[0]]
    assert _through(rest) > _stored(client, ids[2])


def test_a_more_link_waits_for_a_replica_that_catches_up(
    client: XapiClient, replica: Replica, settings: Settings, engine: Engine, app: Any
) -> None:
    ids = _post(client, [statement() for _ in range(3)])
    with TestClient(create_app(replace_read_url(settings), engine), base_url="http://lrs.test") as other:
        more = XapiClient(other).get(STATEMENTS, params={"limit": 2}).json()["more"]
    app.state.services.reads = type(app.state.services.reads)(
        engine, app.state.services.reads.replica, wait_seconds=10.0
    )
    timer = threading.Timer(0.2, replica.sync)
    timer.start()
    try:
        rest = client.get(more)
    finally:
        timer.join()
    assert _ids(rest) == [ids[0]]
    # Answered by the replica once it had replayed the bound: its head's stored.
    assert _through(rest) == _stored(client, ids[2])


def replace_read_url(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, database_read_url=None)


# ------------------------------------------------------------- single statements


def test_a_statement_the_replica_has_not_replayed_comes_from_the_primary(
    client: XapiClient, replica: Replica
) -> None:
    body = statement(id=new_id())
    _post(client, body)
    response = client.get(STATEMENTS, params={"statementId": body["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == body["id"]
    # The primary answered: its promise reaches at least the statement's stored.
    assert _through(response) >= response.json()["stored"]

    replica.sync()
    again = client.get(STATEMENTS, params={"statementId": body["id"]})
    assert again.status_code == 200
    assert _through(again) == again.json()["stored"]  # the replica answered


def test_an_unknown_statement_is_a_404_after_both_were_asked(client: XapiClient, replica: Replica) -> None:
    missing = new_id()
    response = client.get(STATEMENTS, params={"statementId": missing})
    assert response.status_code == 404
    assert missing in response.text
    assert THROUGH in response.headers


def test_voiding_the_replica_has_not_replayed(client: XapiClient, replica: Replica) -> None:
    target = statement(id=new_id())
    _post(client, target)
    replica.sync()
    (void_id,) = _post(client, voiding(target["id"]))
    void_stored = _stored(client, void_id)

    # By voidedStatementId: the replica has no voided statement of that id, the
    # primary has: answered.
    voided = client.get(STATEMENTS, params={"voidedStatementId": target["id"]})
    assert voided.status_code == 200, voided.text
    assert voided.json()["id"] == target["id"]

    # By statementId: the replica still shows it, with a promise that stops before
    # the voiding (Communication 2.1.3: consistent through that instant only).
    stale = client.get(STATEMENTS, params={"statementId": target["id"]})
    assert stale.status_code == 200
    assert _through(stale) < void_stored

    replica.sync()
    assert client.get(STATEMENTS, params={"statementId": target["id"]}).status_code == 404


def test_attachments_come_with_the_statements_from_the_replica(
    client: XapiClient, replica: Replica
) -> None:
    content = b"certificate bytes"
    import hashlib

    sha2 = hashlib.sha256(content).hexdigest()
    body = statement(
        id=new_id(),
        attachments=[{
            "usageType": "http://example.com/attachment-usage/certificate",
            "display": {"en-US": "Certificate"}, "contentType": "text/plain",
            "length": len(content), "sha2": sha2,
        }],
    )
    boundary = "abc123replica"
    payload = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(body)}\r\n"
        f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
        f"X-Experience-API-Hash: {sha2}\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    stored = client.post(
        STATEMENTS, content=payload, headers={"Content-Type": f"multipart/mixed; boundary={boundary}"}
    )
    assert stored.status_code == 200, stored.text
    for _ in range(2):  # from the primary (not replayed), then from the replica
        response = client.get(STATEMENTS, params={"statementId": body["id"], "attachments": "true"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("multipart/mixed")
        assert content in response.content
        replica.sync()


# ---------------------------------------------------------- activities and agents


def test_activities_and_agents_read_the_replica(client: XapiClient, replica: Replica) -> None:
    course = activity("replicated", name={"en-US": "Replicated course"})
    person = agent("carol")
    _post(client, statement(actor=person, object=course))
    params = {"activityId": course["id"]}
    # Not replayed: the Activity is returned by its id alone (Communication 2.5),
    # the Person with the identifier asked for only.
    assert client.get("/xapi/activities", params=params).json() == {
        "objectType": "Activity", "id": course["id"]
    }
    agent_params = {"agent": json.dumps({"mbox": person["mbox"]})}
    assert "name" not in client.get("/xapi/agents", params=agent_params).json()
    replica.sync()
    assert client.get("/xapi/activities", params=params).json()["definition"] == course["definition"]
    assert client.get("/xapi/agents", params=agent_params).json()["name"] == [person["name"]]


# --------------------------------------------------------------------- views


@pytest.fixture
def view_settings(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, projections_in_process=True)


@pytest.fixture
def view_client(view_settings: Settings, engine: Engine) -> Iterator[tuple[XapiClient, Any]]:
    bootstrap(engine, key=KEY, secret=SECRET, public_url=view_settings.public_url)
    view_app = create_app(view_settings, engine)
    with TestClient(view_app, base_url="http://lrs.test") as http:
        yield XapiClient(http), view_app


def _view(client: XapiClient, **params: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/views/progress/learners", params={"agent": ANN_PARAM, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert int(response.headers["X-LRS-Position"]) == body["position"]
    return body["position"], body


def _activities(body: dict[str, Any]) -> set[str]:
    return {a["activityId"] for a in body["activities"]}


def _write(client: XapiClient, activity_id: str) -> int:
    response = client.post_statements(learner_statement(ANN, "attempted", activity_id))
    assert response.status_code == 200, response.text
    return int(response.headers["X-LRS-Position"])


def test_views_answer_from_the_replica_and_min_position_falls_back(
    view_client: tuple[XapiClient, Any], engine: Engine, replica_url: str
) -> None:
    client, _ = view_client
    replica = Replica(engine, replica_url)
    first = _write(client, COURSE)
    # No checkpoint on the replica yet: the primary answers, after its fold.
    position, body = _view(client, minPosition=first)
    assert position >= first and _activities(body) == {COURSE}
    replica.sync()
    replicated, _ = _view(client)
    assert replicated >= first

    second = _write(client, MODULE_1)
    # Without minPosition: the replica's copy, at the position it reflects.
    stale_position, stale = _view(client)
    assert stale_position == replicated < second
    assert _activities(stale) == {COURSE}
    # With it: the replica is behind, so after its short wait the primary answers.
    fresh_position, fresh = _view(client, minPosition=second)
    assert fresh_position >= second
    assert _activities(fresh) == {COURSE, MODULE_1}


def test_a_view_read_waits_for_a_replica_that_catches_up(
    view_client: tuple[XapiClient, Any], engine: Engine, replica_url: str
) -> None:
    client, view_app = view_client
    views = view_app.state.services.views
    views.replica_wait_seconds = 10.0
    replica = Replica(engine, replica_url)
    position = _write(client, COURSE)
    _view(client, minPosition=position)  # folded on the primary
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement_text: str, *_: Any) -> None:
        seen.append(statement_text)

    event.listen(views.replica, "before_cursor_execute", record)
    timer = threading.Timer(0.2, replica.sync)
    timer.start()
    try:
        answered, body = _view(client, minPosition=position)
    finally:
        timer.join()
        event.remove(views.replica, "before_cursor_execute", record)
    assert answered >= position and _activities(body) == {COURSE}
    # The view's own query ran on the replica, once it had caught up.
    assert any("progress" in sql for sql in seen), seen


def test_an_unreachable_position_still_ends_in_503(
    view_client: tuple[XapiClient, Any], engine: Engine
) -> None:
    client, _ = view_client
    position = _write(client, COURSE)
    response = client.get(
        "/views/progress/learners", params={"agent": ANN_PARAM, "minPosition": position + 1000}
    )
    assert response.status_code == 503
    assert "behind the requested minPosition" in response.text


# ------------------------------------------------------------------- settings


def test_the_read_url_setting() -> None:
    env = {"LRS_DATABASE_READ_URL": "postgresql+psycopg://reader@replica:5432/lrs",
           "LRS_READ_REPLICA_WAIT_SECONDS": "0.25"}
    settings = Settings.from_env(env)
    assert settings.database_read_url == "postgresql+psycopg://reader@replica:5432/lrs"
    assert settings.read_replica_wait_seconds == 0.25
    assert Settings.from_env({"LRS_DATABASE_READ_URL": ""}).database_read_url is None
    assert Settings.from_env({}).database_read_url is None
    with pytest.raises(ValueError, match="LRS_READ_REPLICA_WAIT_SECONDS"):
        Settings.from_env({"LRS_READ_REPLICA_WAIT_SECONDS": "-1"})


# -------------------------------------------------------- a replica that is down


@pytest.fixture
def down_settings(settings: Settings, tmp_path: Path, db_url: str) -> Settings:
    from dataclasses import replace

    if db_url.startswith("sqlite"):
        unreachable = f"sqlite:///{tmp_path}"  # a directory: SQLite cannot open it
    else:
        unreachable = make_url(db_url).set(database="lrs_no_such_replica").render_as_string(
            hide_password=False
        )
    return replace(settings, database_read_url=unreachable, projections_in_process=True)


def test_a_replica_that_does_not_answer_is_passed_over(
    down_settings: Settings, engine: Engine
) -> None:
    bootstrap(engine, key=KEY, secret=SECRET, public_url=down_settings.public_url)
    with TestClient(create_app(down_settings, engine), base_url="http://lrs.test") as http:
        client = XapiClient(http)
        (posted,) = _post(client, statement())
        assert _ids(client.get(STATEMENTS)) == [posted]
        assert client.get(STATEMENTS, params={"statementId": posted}).status_code == 200
        activity_id = statement()["object"]["id"]
        assert client.get("/xapi/activities", params={"activityId": activity_id}).json()["definition"]
        learner = {"mbox": statement()["actor"]["mbox"]}
        assert client.get("/xapi/agents", params={"agent": json.dumps(learner)}).json()["name"]
        position = _write(client, COURSE)
        answered, _ = _view(client, minPosition=position)
        assert answered >= position
        ready = http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["replica"] == "unreachable"


def test_ready_reports_the_replica_lag(
    client: XapiClient, replica: Replica, http: TestClient, app: Any
) -> None:
    def lag() -> Any:
        app.state.services._ready_cache = None  # answers are reused for a second
        response = http.get("/ready")
        assert response.status_code == 200, response.text
        return response.json()["checks"]["replica"]

    assert lag() == {"lag": 0}
    _post(client, [statement(), statement()])
    assert lag() == {"lag": 2}
    replica.sync()
    assert lag() == {"lag": 0}
