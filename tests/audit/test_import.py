"""`lrs import`: an export put into an empty database (of either backend) gives the
same chain heads, the same statement answers and the same views as its source."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from lrs import log
from lrs.audit.export import export_lines
from lrs.audit.load import ImportRefused, import_export
from lrs.audit.offline import ExportError
from lrs.credentials import create_credential, ensure_default_store
from lrs.db import make_engine
from lrs.schema import attachment_blobs, attachment_uploads, document_heads, log_gaps, stores
from projections.registry import all_projections
from projections.runner import Runner
from projections.schema import metadata as projection_metadata
from tests.api.conftest import XapiClient, basic
from tests.audit.conftest import make_settings


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """fresh("sqlite" | "postgresql") -> the URL of a new migrated database."""
    made: list[tuple[Any, str]] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            template = request.getfixturevalue("_sqlite_template")
            path = tmp_path / f"target-{len(made)}.sqlite3"
            shutil.copyfile(template, path)
            made.append((None, ""))
            return f"sqlite:///{path}"
        server = request.getfixturevalue("_postgres")
        name = server.create()
        made.append((server, name))
        return str(server.url_for(name))

    yield make
    for server, name in made:
        if server is not None:
            server.drop(name)


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _other(url: str) -> str:
    return "postgresql" if url.startswith("sqlite") else "sqlite"


def _write(engine: Engine, path: Path, store: str | None = None) -> Path:
    with path.open("wb") as stream:
        for line in export_lines(engine, store, batch=5):
            stream.write(line)
    return path


def _statements(engine: Engine, url: str, tmp_path: Path, **params: str) -> list[dict[str, Any]]:
    """GET /statements (every page) through a new read credential."""
    ensure_default_store(engine)
    credential, secret = create_credential(engine, store_id="default", scopes=("all/read",),
                                           public_url="http://lrs.test")
    app = create_app(make_settings(url, tmp_path), engine)
    found: list[dict[str, Any]] = []
    with TestClient(app, base_url="http://lrs.test") as http:
        client = XapiClient(http, "1.0.3", basic(credential.key, secret))
        answer = client.get("/xapi/statements", params={**params, "limit": "2"}).json()
        found += answer["statements"]
        while answer.get("more"):
            answer = client.get(answer["more"]).json()
            found += answer["statements"]
        for one in found:
            assert client.get("/xapi/statements", params={"statementId": one["id"]}).json() == one
    return found


def _views(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    runner = Runner(engine, all_projections())
    try:
        runner.catch_up()
    finally:
        runner.release()
    with engine.connect() as conn:
        return {
            table.name: sorted(conn.execute(select(table)).all(), key=repr)
            for table in projection_metadata.sorted_tables
            if table.name != "projection_checkpoints"
        }


def _derived(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            name: sorted(conn.execute(select(table)).all(), key=repr)
            for name, table in (("documents", document_heads), ("attachments", attachment_blobs),
                                ("uploads", attachment_uploads))
        } | {"stores": sorted(r[0] for r in conn.execute(select(stores.c.id)))}


def test_round_trip_through_the_other_backend_and_back(source, fresh, tmp_path, db_url):
    engine, _, ids = source
    before = log.verify(engine)
    views = _views(engine)
    derived = _derived(engine)
    first = _write(engine, tmp_path / "first.jsonl")

    middle_url = fresh(_other(db_url))
    middle = make_engine(middle_url)
    report = import_export(middle, first)
    assert report.export.events == before.events
    assert log.verify(middle).store_heads == before.store_heads
    assert _derived(middle) == derived
    assert _views(middle) == views

    second = _write(middle, tmp_path / "second.jsonl")
    # The same rows, blobs and attachments, byte for byte (the header's time and so
    # the manifest's digest differ).
    assert first.read_bytes().splitlines()[1:-1] == second.read_bytes().splitlines()[1:-1]

    back_url = fresh(_backend(db_url))
    back = make_engine(back_url)
    import_export(back, second)
    assert log.verify(back).store_heads == before.store_heads
    assert _derived(back) == derived
    assert _views(back) == views

    answers = {
        name: _statements(eng, url, tmp_path)
        for name, eng, url in (("source", engine, db_url), ("back", back, back_url))
    }
    assert answers["source"] == answers["back"]
    voided_ids = {s["id"] for s in answers["back"]}
    assert ids["voided"] not in voided_ids and ids["attached"] in voided_ids
    middle.dispose()
    back.dispose()


def test_a_store_export_goes_into_a_fresh_database_leaving_recorded_gaps(source, fresh, tmp_path, db_url):
    engine, _, _ = source
    path = _write(engine, tmp_path / "other.jsonl", "other")
    target = make_engine(fresh(_backend(db_url)))
    report = import_export(target, path)
    verified = log.verify(target)
    assert verified.store_heads == {"other": log.verify(engine, store_id="other").store_heads["other"]}
    assert verified.head_position == report.export.last_position
    with target.connect() as conn:
        assert conn.execute(select(log_gaps)).all()
    # An export of everything the target holds states its gaps, verifies offline,
    # and imports again.
    again = _write(target, tmp_path / "again.jsonl")
    assert b'"t":"gap"' in again.read_bytes()
    third = make_engine(fresh("sqlite"))
    import_export(third, again)
    assert log.verify(third).store_heads == verified.store_heads
    third.dispose()
    # The target writes on after the import.
    ensure_default_store(target)
    assert log.verify(target).head_position == report.export.last_position + 1
    target.dispose()


def test_import_refuses_stores_that_already_hold_events(source, tmp_path):
    engine, _, _ = source
    path = _write(engine, tmp_path / "all.jsonl")
    with pytest.raises(ImportRefused, match="already hold events"):
        import_export(engine, path)
    other = _write(engine, tmp_path / "other.jsonl", "other")
    with pytest.raises(ImportRefused, match="already hold events"):
        import_export(engine, other)


def test_import_refuses_a_log_that_already_reaches_the_export(source, fresh, tmp_path, db_url):
    engine, _, _ = source
    path = _write(engine, tmp_path / "other.jsonl", "other")
    target = make_engine(fresh("sqlite"))
    ensure_default_store(target)
    for _ in range(40):
        create_credential(target, store_id="default", scopes=("all",), public_url="http://x")
    with pytest.raises(ImportRefused, match="already reaches position"):
        import_export(target, path)
    assert log.verify(target).store_heads.keys() == {"default"}
    target.dispose()


def test_import_refuses_an_export_that_does_not_verify_and_writes_nothing(source, fresh, tmp_path):
    engine, _, _ = source
    path = _write(engine, tmp_path / "all.jsonl")
    data = path.read_bytes()
    at = data.index(b"completed")
    path.write_bytes(data[:at] + b"C" + data[at + 1 :])
    target = make_engine(fresh("sqlite"))
    with pytest.raises(ExportError, match="hash mismatch"):
        import_export(target, path)
    assert log.verify(target).events == 0
    target.dispose()


def test_an_import_in_small_batches_is_the_same_and_fails_whole(source, fresh, tmp_path, db_url):
    """Batches are written while the next is read (PostgreSQL, a thread of its
    own): many batches give the rows one batch gives, and a row that does not
    verify after several batches were written still leaves nothing behind."""
    engine, _, _ = source
    path = _write(engine, tmp_path / "all.jsonl")
    whole = make_engine(fresh(_backend(db_url)))
    import_export(whole, path)
    small = make_engine(fresh(_backend(db_url)))
    written: list[int] = []
    import_export(small, path, batch=2, progress=written.append)
    assert len(written) > 5
    assert log.verify(small).store_heads == log.verify(whole).store_heads
    assert _index(small) == _index(whole)
    assert _derived(small) == _derived(whole)

    data = path.read_bytes()
    at = data.rindex(b"completed")
    path.write_bytes(data[:at] + b"C" + data[at + 1 :])
    broken = make_engine(fresh(_backend(db_url)))
    with pytest.raises(ExportError, match="hash mismatch"):
        import_export(broken, path, batch=2)
    assert log.verify(broken).events == 0
    for engine_ in (whole, small, broken):
        engine_.dispose()


def test_cli_import_then_verify(source, fresh, tmp_path, db_url):
    from tests.audit.cli import run_lrs

    engine, _, _ = source
    path = _write(engine, tmp_path / "all.jsonl")
    target = fresh(_other(db_url))
    done = run_lrs(target, "import", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported")
    verified = run_lrs(target, "verify")
    assert verified.returncode == 0, verified.stderr
    for head in log.verify(engine).store_heads.values():
        assert head[:16] in verified.stdout
    again = run_lrs(target, "import", str(path))
    assert again.returncode == 1 and "already hold events" in again.stderr


def _index(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    from lrs.schema import INDEX_TABLES, agents

    with engine.connect() as conn:
        return {
            table.name: sorted(conn.execute(select(table)).all(), key=repr)
            for table in (*INDEX_TABLES, agents)
        }


def test_the_imported_index_is_the_one_a_rebuild_gives(source, fresh, tmp_path, db_url):
    """The import settles voiding, StatementRef keys and canonical definitions in
    bulk; `lrs reindex` replays the log statement by statement: the same rows."""
    from uuid import uuid4

    from lrs.index import reindex
    from tests.api.conftest import statement

    engine, client, _ = source
    late, later, early = str(uuid4()), str(uuid4()), str(uuid4())
    ref = {"id": "http://adlnet.gov/expapi/verbs/attempted"}
    batch = [
        # A chain of StatementRefs whose targets arrive later, one of them voided by
        # a statement stored before it.
        statement(id=str(uuid4()), verb=ref, object={"objectType": "StatementRef", "id": late}),
        statement(id=late, verb=ref, object={"objectType": "StatementRef", "id": later}),
        {"actor": LEARNER_B, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
         "object": {"objectType": "StatementRef", "id": early}},
    ]
    assert client.post("/xapi/statements", json=batch).status_code == 200
    assert client.post("/xapi/statements", json=[
        statement(id=later, actor=LEARNER_B, context={"instructor": {"name": "Cy", "mbox": "mailto:cy@example.com"}},
                  object={"id": "http://example.com/a/2", "definition": {"name": {"de": "Zwei"}}}),
        statement(id=early, object={"id": "http://example.com/a/2",
                                    "definition": {"name": {"en-US": "Two"}, "type": "http://example.com/t"}}),
    ]).status_code == 200
    target = make_engine(fresh(_other(db_url)))
    import_export(target, _write(engine, tmp_path / "index.jsonl"))
    imported = _index(target)
    assert any(row.voided for row in imported["statements"])
    reindex(target)
    assert _index(target) == imported
    target.dispose()


LEARNER_B = {"objectType": "Agent", "name": "Dee", "mbox": "mailto:dee@example.com"}
