"""Erasure (lrs.erasure): a person's data leaves everything readable, the log still
verifies (database, export offline, import), and views equal a fresh rebuild."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from api.app import create_app
from api.multipart import build_mixed
from lrs import erasure, log
from lrs.audit.export import export_lines
from lrs.audit.load import import_export
from lrs.audit.offline import ExportError, verify_export
from lrs.config import Settings
from lrs.credentials import bootstrap, create_credential
from lrs.db import make_engine
from lrs.documents import STATE, Scope, read_as_of
from lrs.errors import NotFound
from lrs.migrate import upgrade
from lrs.schema import attachment_blobs, blobs, event_redactions, events
from projections.erasure import refold
from projections.progress.schema import records as progress_records
from projections.registry import all_projections
from projections.runner import Runner
from tests.api.conftest import KEY, SECRET, XapiClient, basic, statement

ANN = {"objectType": "Agent", "name": "Ann Erased", "mbox": "mailto:ann@example.com"}
BOB = {"objectType": "Agent", "name": "Bob", "mbox": "mailto:bob@example.com"}
CAROL = {"objectType": "Agent", "name": "Carol", "account": {"homePage": "http://hr.example.com", "name": "c1"}}
ACTIVITY = "http://example.com/activities/course-1"
BYTES = b"Ann's essay, as an attachment" * 10
SECRET_KEY = "pseudonym-secret-for-tests"
# What must not be readable anywhere after the erasure.
TRACES = ("ann@example.com", "Ann Erased", hashlib.sha1(b"mailto:ann@example.com").hexdigest())


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=url, public_url="http://lrs.test",
                    projections_in_process=False, auth_cache_seconds=300,
                    pseudonym_secret=SECRET_KEY, statements_page_max=2)


@pytest.fixture
def lrs(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[tuple[XapiClient, dict[str, str]]]:
    """An LRS with Ann in every role, and statements and documents of others."""
    settings = _settings(db_url, tmp_path)
    bootstrap(engine, key=KEY, secret=SECRET, public_url=settings.public_url)
    with TestClient(create_app(settings, engine), base_url="http://lrs.test") as http:
        client = XapiClient(http, "1.0.3")
        yield client, _fill(client)


def _post(client: XapiClient, body: Any) -> str:
    response = client.post("/xapi/statements", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()[0])


def _fill(client: XapiClient) -> dict[str, str]:
    ids: dict[str, str] = {}
    attached = statement(actor=ANN, attachments=[{
        "usageType": "http://example.com/usage/essay", "display": {"en-US": "essay"},
        "contentType": "text/plain", "length": len(BYTES), "sha2": hashlib.sha256(BYTES).hexdigest(),
    }])
    body, content_type = build_mixed([
        ({"Content-Type": "application/json"}, orjson.dumps(attached)),
        ({"Content-Type": "text/plain", "X-Experience-API-Hash": hashlib.sha256(BYTES).hexdigest(),
          "Content-Transfer-Encoding": "binary"}, BYTES),
    ])
    response = client.post("/xapi/statements", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    ids["actor"] = response.json()[0]
    ids["object"] = _post(client, statement(actor=BOB, verb={"id": "http://example.com/verbs/mentored"}, object=ANN))
    ids["substatement"] = _post(client, statement(actor=BOB, object={
        "objectType": "SubStatement", "actor": ANN,
        "verb": {"id": "http://example.com/verbs/will-attend"},
        "object": {"objectType": "Activity", "id": ACTIVITY},
    }))
    ids["instructor"] = _post(client, statement(actor=BOB, context={"instructor": ANN}))
    ids["team"] = _post(client, statement(actor=CAROL, context={
        "team": {"objectType": "Group", "name": "Team A", "member": [BOB, ANN]},
        "instructor": {"objectType": "Agent", "mbox_sha1sum": hashlib.sha1(b"mailto:ann@example.com").hexdigest()},
    }))
    ids["other"] = _post(client, statement(actor=BOB))
    agent = orjson.dumps(ANN).decode()
    for state_id, content, kind in (("bookmark", b'{"page": 3}', "application/json"),
                                    ("blob", b"\x00\x01 Ann's SCORM suspend data", "application/octet-stream")):
        response = client.put("/xapi/activities/state", content=content, headers={"Content-Type": kind},
                              params={"activityId": ACTIVITY, "agent": agent, "stateId": state_id})
        assert response.status_code == 204, response.text
    response = client.put("/xapi/agents/profile", json={"likes": "erasure"},
                          params={"agent": agent, "profileId": "prefs"}, headers={"If-None-Match": "*"})
    assert response.status_code == 204, response.text
    bob_state = {"activityId": ACTIVITY, "agent": orjson.dumps(BOB).decode(), "stateId": "bookmark"}
    assert client.put("/xapi/activities/state", params=bob_state, json={"page": 9}).status_code == 204
    return ids


def _erase(client: XapiClient, agent: Any = ANN, **extra: Any) -> Any:
    body = {"agent": agent, "legalBasis": "GDPR Art. 17(1)(b), ticket 42", **extra}
    return client.post("/admin/erasures", json=body)


def _raw(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM events ORDER BY position"))]


def _readable_text(engine: Engine) -> str:
    """Every text column of the log, the index, documents and agents, as one string."""
    parts = []
    with engine.connect() as conn:
        for table in ("events", "statements", "agents", "document_heads", "activities"):
            parts += [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(parts)


def test_a_dry_run_lists_each_role_and_writes_nothing(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    client, ids = lrs
    before = _raw(engine)
    response = _erase(client, dryRun=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dryRun"] is True
    erased = {item["id"]: item["roles"] for item in body["statements"]["erased"]}
    redacted = {item["id"]: item["roles"] for item in body["statements"]["redacted"]}
    assert erased == {ids["actor"]: ["actor"], ids["object"]: ["object"], ids["substatement"]: ["substatement"]}
    # The team statement names Ann as a member and (by the SHA-1 of her mbox) as instructor.
    assert redacted == {ids["instructor"]: ["instructor"], ids["team"]: ["instructor", "team"]}
    assert sorted(body["documents"]) == ["agent_profile:prefs", "state:blob", "state:bookmark"]
    assert body["attachments"] == [hashlib.sha256(BYTES).hexdigest()]
    assert body["counts"]["events"] == 5 + 3
    assert set(body["viewRows"]) == {p.name for p in all_projections()}
    assert _raw(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(event_redactions)).scalar_one() == 0


def test_erasure_removes_the_person_and_the_log_still_verifies(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    client, ids = lrs
    head_before = log.verify(engine).store_heads["default"]
    response = _erase(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["counts"] == {"statementsErased": 3, "statementsRedacted": 2, "documents": 3,
                              "attachments": 1, "otherEvents": 0, "events": 8}

    # verify passes, says what was redacted and by which erasure; the chain grew by one.
    report = log.verify(engine)
    assert report.redacted == {body["erasure"]: 8}
    assert f"8 redacted (8 by erasure {body['erasure']})" in report.summary()
    with engine.connect() as conn:
        erasure_row = conn.execute(select(events).where(events.c.position == body["position"])).one()
    assert erasure_row.prev_hash == head_before
    recorded = orjson.loads(erasure_row.data)
    assert recorded["legalBasis"] == "GDPR Art. 17(1)(b), ticket 42"
    assert recorded["requestedBy"] == {"credential": recorded["requestedBy"]["credential"]}
    assert recorded["counts"] == body["counts"] and len(recorded["redacted"]) == 8
    assert len(recorded["agentFingerprint"]) == 64

    # Nothing of Ann is readable: log payloads, index, documents, known agents.
    readable = _readable_text(engine)
    for trace in TRACES:
        assert trace not in readable

    # xAPI reads: erased statements are gone, the partly redacted ones are there without her.
    for key in ("actor", "object", "substatement"):
        assert client.get("/xapi/statements", params={"statementId": ids[key]}).status_code == 404
    for key in ("instructor", "team"):
        response = client.get("/xapi/statements", params={"statementId": ids[key]})
        assert response.status_code == 200, response.text
        assert all(trace not in response.text for trace in TRACES)
        assert response.json()["context"]["instructor"]["account"]["homePage"] == "urn:lrs:erased"
    agent = orjson.dumps(ANN).decode()
    for params in ({"agent": agent}, {"agent": agent, "related_agents": "true"},
                   {"agent": orjson.dumps({"mbox_sha1sum": TRACES[2]}).decode(), "related_agents": "true"}):
        response = client.get("/xapi/statements", params=params)
        assert response.status_code == 200, response.text
        assert response.json()["statements"] == []

    # Every page a `more` link leads to (pages of two): the remaining statements, none of hers.
    seen: list[str] = []
    page = client.get("/xapi/statements").json()
    while True:
        seen += [s["id"] for s in page["statements"]]
        assert all(trace not in orjson.dumps(page).decode() for trace in TRACES)
        if not page.get("more"):
            break
        page = client.get(page["more"]).json()
    assert sorted(seen) == sorted([ids["instructor"], ids["team"], ids["other"]])

    # Documents: hers are gone (now and as of before), Bob's stays; bytes deleted.
    for path, params in (("/xapi/activities/state", {"activityId": ACTIVITY, "agent": agent, "stateId": "bookmark"}),
                         ("/xapi/activities/state", {"activityId": ACTIVITY, "agent": agent, "stateId": "blob"}),
                         ("/xapi/agents/profile", {"agent": agent, "profileId": "prefs"})):
        assert client.get(path, params=params).status_code == 404
    # As they stood before the erasure: not there either.
    with pytest.raises(NotFound, match="erased"):
        read_as_of(engine, "default", Scope(STATE, ACTIVITY, ANN), "bookmark", position=body["position"] - 1)
    bob = {"activityId": ACTIVITY, "agent": orjson.dumps(BOB).decode(), "stateId": "bookmark"}
    assert client.get("/xapi/activities/state", params=bob).json() == {"page": 9}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(attachment_blobs)).scalar_one() == 0
        assert conn.execute(
            select(func.count()).select_from(blobs).where(blobs.c.sha256 == hashlib.sha256(BYTES).hexdigest())
        ).scalar_one() == 0

    # Re-sending an erased statement does not bring it back.
    response = client.post("/xapi/statements", json={**statement(actor=ANN), "id": ids["actor"]})
    assert response.status_code == 409
    assert "erased" in response.json()["message"]
    assert client.get("/xapi/statements", params={"statementId": ids["actor"]}).status_code == 404
    # The log still takes statements and still verifies.
    _post(client, statement(actor=BOB))
    assert log.verify(engine).redacted == {body["erasure"]: 8}


def test_an_export_after_erasure_verifies_offline_and_imports_with_the_same_head(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine, tmp_path: Path
) -> None:
    client, _ = lrs
    erasure_id = _erase(client).json()["erasure"]
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(export_lines(engine)))
    with path.open("rb") as stream:
        offline = verify_export(stream)
    assert offline.redacted == {erasure_id: 8}
    assert "8 redacted" in offline.summary()
    assert all(trace.encode() not in path.read_bytes() for trace in TRACES)

    target = make_engine(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    try:
        upgrade(target)
        import_export(target, path)
        imported = log.verify(target)
        assert imported.store_heads == log.verify(engine).store_heads
        assert imported.redacted == {erasure_id: 8}
        with target.connect() as conn:
            assert conn.execute(select(func.count()).select_from(event_redactions)).scalar_one() == 8
        assert all(trace not in _readable_text(target) for trace in TRACES)
    finally:
        target.dispose()


def test_an_export_row_given_a_redaction_marker_without_an_erasure_does_not_verify(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    _, ids = lrs
    lines = list(export_lines(engine))
    at = next(i for i, line in enumerate(lines) if line.startswith(b"[") and ids["other"].encode() in line)
    row = orjson.loads(lines[at])
    row[8] = orjson.dumps({"id": ids["other"], "lrs:redacted": {"erasure": "made-up"}}).decode()
    lines[at] = orjson.dumps(row) + b"\n"
    with pytest.raises(ExportError, match=r"no later lrs\.erasure event"):
        verify_export(lines)


def test_views_after_erasure_equal_a_fresh_rebuild(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    runner = Runner(engine, all_projections())
    try:
        runner.catch_up()
        learners = select(progress_records.c.learner)
        with engine.connect() as conn:
            assert any("ann@example.com" in str(row[0]) for row in conn.execute(learners))
        outcome = erasure.erase(engine, erasure.Request("default", ANN, "test", {"operator": "t"}),
                                SECRET_KEY.encode())
        # The views as the erasure leaves them: reset, then folded again by a runner
        # whose cached rows predate the erasure.
        refold(Runner(engine, all_projections()))
        runner.catch_up()
        after = _view_rows(engine)
        for projection in all_projections():
            runner.rebuild(projection.name)
        assert _view_rows(engine) == after
        with engine.connect() as conn:
            assert not any("ann@example.com" in str(row[0]) for row in conn.execute(learners))
        assert outcome.plan.counts()["statementsErased"] == 3
    finally:
        runner.release()


def _view_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for projection in all_projections():
            for table in projection.tables:
                out[table.sql.name] = sorted(
                    (tuple(str(v) for v in row) for row in conn.execute(select(table.sql))), key=repr
                )
    return out


@pytest.mark.parametrize(("agent", "path"), [
    ({"mbox": "ann@example.com"}, "agent.mbox"),
    ({"objectType": "Agent"}, "agent"),
    ("not an object", "agent"),
    ({"account": {"homePage": "http://x.example.com"}}, "agent.account"),
])
def test_a_bad_agent_is_a_400_naming_the_path_and_writes_nothing(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine, agent: Any, path: str
) -> None:
    client, _ = lrs
    before = _raw(engine)
    response = _erase(client, agent=agent)
    assert response.status_code == 400, response.text
    assert path in response.text
    assert _raw(engine) == before


def test_the_legal_basis_is_required_and_the_admin_scope_too(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    client, _ = lrs
    credential, secret = create_credential(engine, store_id="default", scopes=("all",), label="x",
                                           public_url="http://lrs.test")
    before = _raw(engine)
    response = client.post("/admin/erasures", json={"agent": ANN})
    assert response.status_code == 400 and "legalBasis" in response.text
    for dry_run in (True, False):
        assert _erase(client, store="no-such-store", dryRun=dry_run).status_code == 404
    response = XapiClient(client.http, "1.0.3", basic(credential.key, secret)).post(
        "/admin/erasures", json={"agent": ANN, "legalBasis": "x"})
    assert response.status_code == 403
    assert _raw(engine) == before


def test_asof_replays_made_before_an_erasure_are_not_served_after_it(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine, tmp_path: Path
) -> None:
    from projections.progress import ProgressProjection
    from projections.replays import Replays

    replays = Replays(engine, {"progress": ProgressProjection()}, tmp_path / "replays", snapshot_every=1)
    try:
        with engine.connect() as conn:
            position = log.head(conn)[0]

        def learners() -> str:
            with replays.reading("progress", "default", position) as conn:
                return repr(conn.execute(select(progress_records.c.learner)).all())

        assert "ann@example.com" in learners()  # the replay, and its snapshots, hold her
        files_before = set((tmp_path / "replays").iterdir())
        assert any(path.name.startswith("snapshot-") for path in files_before)
        erasure.erase(engine, erasure.Request("default", ANN, "test", {"operator": "t"}), SECRET_KEY.encode())
        assert "ann@example.com" not in learners()
        # Files made before the erasure (snapshots, answers) are deleted, not only unused.
        assert not files_before & set((tmp_path / "replays").iterdir())
    finally:
        replays.close()


def test_the_erase_command_dry_run_then_erasure_then_verify(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine, db_url: str
) -> None:
    from tests.audit.cli import run_lrs

    env = {"LRS_PSEUDONYM_SECRET": SECRET_KEY}
    agent = orjson.dumps({"mbox": "mailto:ann@example.com"}).decode()
    bad = run_lrs(db_url, "erase", "--agent", '{"mbox": "ann@example.com"}', "--dry-run", env=env)
    assert bad.returncode == 2 and "agent.mbox" in bad.stderr

    before = _raw(engine)
    dry = run_lrs(db_url, "erase", "--agent", agent, "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    assert orjson.loads(dry.stdout)["counts"]["statementsErased"] == 3
    assert _raw(engine) == before

    missing = run_lrs(db_url, "erase", "--agent", agent, env=env)
    assert missing.returncode == 2 and "--legal-basis" in missing.stderr
    done = run_lrs(db_url, "erase", "--agent", agent, "--legal-basis", "Art. 17", "--operator", "dpo", env=env)
    assert done.returncode == 0, done.stderr
    assert "3 statement(s) whole, 2 with the person replaced" in done.stdout
    assert "views folded again" in done.stdout

    verified = run_lrs(db_url, "verify")
    assert verified.returncode == 0, verified.stderr
    assert "8 redacted (8 by erasure " in verified.stdout
    with engine.connect() as conn:
        data = conn.execute(select(events.c.data).where(events.c.type == "lrs.erasure")).scalar_one()
    assert orjson.loads(data)["requestedBy"] == {"operator": "dpo"}
    assert all(trace not in _readable_text(engine) for trace in TRACES)


def test_checkpoints_signed_before_an_erasure_still_verify_after_it(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lrs.audit.checkpoints import Checker, check_log, sign_heads

    client, _ = lrs
    key = Ed25519PrivateKey.generate()
    (signed,) = sign_heads(engine, key)
    assert _erase(client).status_code == 200
    log.verify(engine)
    assert check_log(engine, key.public_key()).signed == {"default": signed.position}
    checker = Checker(key.public_key())
    verify_export(b"".join(export_lines(engine)).splitlines(keepends=True), on_row=checker.row)
    assert checker.result.signed == {"default": signed.position}


def test_the_servers_views_after_an_api_erasure_equal_a_fresh_rebuild(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    """The server's own runner cached rows folded before the erasure; the erasure
    resets the views with a runner of its own: the server's must not keep its cache."""
    client, _ = lrs
    runner = client.http.app.state.services.views.runner
    runner.catch_up()
    runner.release()  # as if another worker folded the views next (below)
    assert _erase(client).status_code == 200
    # Another worker folds the views back to the head before the server's runner
    # looks: its checkpoints are where its cache was, only the erasure tells.
    other = Runner(engine, all_projections())
    try:
        other.catch_up()
    finally:
        other.release()
    _post(client, statement(actor=BOB))
    runner.catch_up()
    after = _view_rows(engine)
    assert "ann@example.com" not in repr(after)
    runner.release()  # its leases (PostgreSQL), for the fresh rebuild
    fresh = Runner(engine, all_projections())
    try:
        for projection in all_projections():
            fresh.rebuild(projection.name)
    finally:
        fresh.release()
    assert _view_rows(engine) == after


def _other_events(engine: Engine) -> None:
    """Ann (and Bob) in each other event type that can name a person."""
    from lrs import analytics
    from lrs.competency.config import team_in
    from lrs.forwarding import targets

    analytics.import_memberships(
        engine, "default", "agent,team\nmailto:ann@example.com,t1\nmailto:bob@example.com,t1\n", actor="t"
    )
    analytics.set_opt_out(engine, "default", {"mbox": "mailto:ann@example.com"}, opted_out=True, actor="t")
    analytics.set_opt_out(engine, "default", {"mbox": "mailto:ann@example.com"}, opted_out=False, actor="t")
    with log.writing(engine, store_id="default") as writer:
        team_in(writer, "default", "team-1", {"name": "T", "members": [ANN, BOB]}, {"actor": "t"})
    targets.add(engine, {"id": "ann-feed", "kind": "webhook", "url": "http://127.0.0.1:9/x",
                         "filter": {"agents": [ANN]}}, store_id="default", allow_private=True)


def test_other_events_naming_the_person_are_redacted_and_the_log_verifies(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    from lrs.schema import forwarding_targets

    client, _ = lrs
    _other_events(engine)
    dry = _erase(client, dryRun=True).json()
    assert [item.split("@")[0] for item in dry["otherEvents"]] == [
        "people.membership.imported", "social.agent.opted_out", "social.agent.opted_in",
        "competency.team.set", "lrs.forwarding.target.added",
    ]
    response = _erase(client)
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["otherEvents"] == 5
    assert log.verify(engine).redacted == {response.json()["erasure"]: 8 + 5}
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(
            "SELECT type, data FROM events WHERE type IN ('people.membership.imported', "
            "'social.agent.opted_out', 'social.agent.opted_in', 'competency.team.set', "
            "'lrs.forwarding.target.added')"))]
        config = conn.execute(select(forwarding_targets.c.config)).scalar_one()
    text_now = repr(rows) + config
    assert not any(trace in text_now for trace in TRACES)
    # Bob, the team and the target stay; Ann is the placeholder in each.
    memberships = orjson.loads(rows[0][1])["memberships"]
    assert [m["team"] for m in memberships] == ["t1", "t1"]
    assert memberships[1]["agent"] == {"mbox": "mailto:bob@example.com"}
    assert memberships[0]["agent"]["account"]["homePage"] == "urn:lrs:erased"
    assert orjson.loads(config)["filter"]["agents"][0]["account"]["homePage"] == "urn:lrs:erased"
    # The export verifies offline and imports.
    lines = list(export_lines(engine))
    assert verify_export(lines).redacted


def test_an_erased_voiding_statement_voids_a_target_stored_after_the_erasure(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine, tmp_path: Path, db_url: str
) -> None:
    from uuid import uuid4

    from lrs.index import reindex

    client, _ = lrs
    target = str(uuid4())
    _post(client, {"actor": ANN, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                   "object": {"objectType": "StatementRef", "id": target}})
    assert _erase(client).status_code == 200
    _post(client, statement(id=target, actor=BOB))

    def voided() -> bool:
        assert client.get("/xapi/statements", params={"statementId": target}).status_code == 404
        return client.get("/xapi/statements", params={"voidedStatementId": target}).status_code == 200

    assert voided()
    reindex(engine)
    assert voided()
    # An import settles voiding the same way.
    path = tmp_path / "after.jsonl"
    path.write_bytes(b"".join(export_lines(engine)))
    other = make_engine(f"sqlite:///{tmp_path / 'imported.sqlite3'}")
    upgrade(other)
    import_export(other, path)
    with other.connect() as conn:
        assert conn.execute(text("SELECT voided FROM statements WHERE statement_id = :i"),
                            {"i": target}).scalar_one()
    other.dispose()


def test_the_dry_run_counts_the_view_rows_the_erasure_changes(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    from collections import Counter

    client, _ = lrs
    _other_events(engine)
    runner = Runner(engine, all_projections())
    try:
        runner.catch_up()
        before = _view_rows(engine)
        dry = _erase(client, dryRun=True).json()["viewChanges"]
        assert _erase(client).status_code == 200
        refold(runner)
        after = _view_rows(engine)
    finally:
        runner.release()
    for projection in all_projections():
        old = Counter(row for t in projection.tables for row in before[t.sql.name])
        new = Counter(row for t in projection.tables for row in after[t.sql.name])
        assert dry[projection.name] == {"removed": sum((old - new).values()),
                                        "added": sum((new - old).values())}, projection.name
    assert sum(n["removed"] for n in dry.values()) > 0


def test_erase_before_any_store_exists_says_so(engine: Engine, db_url: str) -> None:
    from lrs.credentials import create_store
    from tests.audit.cli import run_lrs

    env = {"LRS_PSEUDONYM_SECRET": SECRET_KEY}
    agent = orjson.dumps({"mbox": "mailto:ann@example.com"}).decode()
    empty = run_lrs(db_url, "erase", "--agent", agent, "--dry-run", env=env)
    assert empty.returncode == 1
    assert "holds no store yet, so no personal data to erase" in empty.stderr
    create_store(engine, "north", "North", actor="test")
    other = run_lrs(db_url, "erase", "--agent", agent, "--legal-basis", "x", env=env)
    assert other.returncode == 1 and "stores here: north; choose one with --store" in other.stderr


def test_the_index_an_erasure_leaves_is_the_one_a_rebuild_gives(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    """The erasure re-indexes only what it touches (lrs.index.redaction)."""
    from lrs.index import reindex
    from lrs.schema import INDEX_TABLES, agents

    client, ids = lrs
    # What only Ann's statements said: Bob's other name, an Activity's definition, a
    # SubStatement's Verb display; statements targeting erased and redacted ones.
    _post(client, statement(actor=ANN, context={"instructor": {**BOB, "name": "Bobby"}}, object={
        "id": "http://example.com/only-ann", "definition": {"name": {"en-US": "Ann's own"}}}))
    _post(client, statement(actor=BOB, object={
        "objectType": "SubStatement", "actor": BOB, "object": {"objectType": "Agent", **ANN},
        "verb": {"id": "http://example.com/verbs/sub", "display": {"en-US": "sub"}}}))
    referrer = _post(client, statement(actor=CAROL, verb={"id": "http://example.com/verbs/cites"},
                                       object={"objectType": "StatementRef", "id": ids["actor"]}))
    _post(client, statement(actor=BOB, verb={"id": "http://example.com/verbs/cites"},
                            object={"objectType": "StatementRef", "id": referrer}))
    _post(client, statement(actor=BOB, verb={"id": "http://example.com/verbs/cites"},
                            object={"objectType": "StatementRef", "id": ids["team"]}))
    _post(client, {"actor": ANN, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                   "object": {"objectType": "StatementRef", "id": ids["other"]}})

    def index() -> dict[str, list[tuple[Any, ...]]]:
        with engine.connect() as conn:
            return {t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
                    for t in (*INDEX_TABLES, agents)}

    assert _erase(client).status_code == 200
    after = index()
    reindex(engine)
    assert index() == after
    assert not any(trace in repr(after) for trace in TRACES)


def test_migration_0018_finds_the_voiding_statements_earlier_erasures_removed(
    lrs: tuple[XapiClient, dict[str, str]], engine: Engine
) -> None:
    from alembic import command

    from lrs.migrate import alembic_config
    from lrs.schema import erased_voiding

    client, ids = lrs
    voiding = _post(client, {"actor": ANN, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                             "object": {"objectType": "StatementRef", "id": ids["other"]}})
    assert _erase(client).status_code == 200
    with engine.connect() as conn:
        before = conn.execute(select(erased_voiding)).all()
    assert before == [("default", voiding, ids["other"])]
    config = alembic_config()
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "0017")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(erased_voiding)).all() == before
