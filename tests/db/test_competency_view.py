"""The competency view on real databases (SQLite and PostgreSQL): configuration events
written through the log, statements through the write path; the SQL view equals the
in-memory fold for any batch size, a replay to a past position equals the view then,
and a framework of 10,000 items imports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from lrs import log
from lrs.competency import config, frameworks
from lrs.credentials import ensure_default_store
from lrs.errors import BadRequest, NotFound
from projections.competency import CompetencyProjection, queries
from projections.competency.schema import CELLS, ITEMS
from projections.runner import Runner
from tests.competency_helpers import ALIGNMENTS, ROLE, case_package, cohort
from tests.progress_helpers import (
    Databases,
    databases,
    diff,
    folded,
    log_events,
    sql_snapshot,
    write,
)

PROPERTY = settings(max_examples=6, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
META = {"actor": "test"}


@pytest.fixture
def dbs(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Databases]:
    yield from databases(request, db_url, tmp_path)


def configure(engine: Engine) -> None:
    package = case_package()
    with log.writing(engine, store_id="default") as writer:
        config.import_in(writer, "default", frameworks.case_package(package), json.dumps(package).encode(), META)
    with log.writing(engine, store_id="default") as writer:
        config.align_in(writer, "default", ALIGNMENTS, META)
        config.role_in(writer, "default", "meeting-host", ROLE, META)


@PROPERTY
@given(split=st.integers(0, 11), batch=st.sampled_from((1, 4, 500)))
def test_sql_view_equals_the_memory_fold_with_configuration_anywhere(dbs: Databases, split: int, batch: int) -> None:
    engine = dbs.new()
    try:
        ensure_default_store(engine)
        statements = cohort()
        projection = CompetencyProjection()
        runner = Runner(engine, [projection], batch=batch)
        write(engine, statements[:split])
        runner.catch_up()
        configure(engine)
        write(engine, statements[split:])
        runner.catch_up()
        runner.release()
        sql = sql_snapshot(engine, projection)
        memory = folded(log_events(engine), projection)
        assert sql == memory, diff(sql, memory)
        assert len(sql["competency_cells"]) == 5
    finally:
        dbs.drop(engine)


def test_the_view_as_of_before_the_configuration_has_no_cells(dbs: Databases) -> None:
    engine = dbs.new()
    try:
        ensure_default_store(engine)
        write(engine, cohort())
        with engine.connect() as conn:
            before = log.head(conn)[0]
        configure(engine)
        projection = CompetencyProjection()
        assert folded(log_events(engine, until=before), projection)["competency_cells"] == {}
        runner = Runner(engine, [projection])
        runner.catch_up()
        runner.release()
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(CELLS.sql)).scalar() == 5
    finally:
        dbs.drop(engine)


def test_a_framework_of_10000_items_imports(dbs: Databases) -> None:
    engine = dbs.new()
    try:
        ensure_default_store(engine)
        items = [{"id": f"urn:big:{i}", "parent": f"urn:big:{i // 10}" if i >= 10 else "", "name": f"Skill {i}",
                  "code": f"B{i}"} for i in range(10_000)]
        body = json.dumps({"id": "urn:big", "title": "Big", "items": items}).encode()
        parsed = frameworks.parse(body)
        with log.writing(engine, store_id="default") as writer:
            config.import_in(writer, "default", parsed, body, META)
        runner = Runner(engine, [CompetencyProjection()])
        runner.catch_up()
        runner.release()
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ITEMS.sql)).scalar() == 10_000
            tree = queries.framework_tree(conn, "default", "urn:big")
        assert len(tree["items"]) == 10 and len(tree["items"][1]["children"]) == 10
    finally:
        dbs.drop(engine)


def test_refused_configuration_writes_nothing(dbs: Databases) -> None:
    engine = dbs.new()
    try:
        ensure_default_store(engine)
        configure(engine)
        with engine.connect() as conn:
            head = log.head(conn)[0]
        bad: list[Any] = [
            lambda w: config.role_in(w, "default", "r", {"requirements": [{"competency": "urn:none"}]}, META),
            lambda w: config.align_in(w, "default", {"alignments": [{"activity": "urn:a", "competency": "urn:x"}]}, META),
            lambda w: config.retire_in(w, "default", "urn:not-a-framework", META),
            lambda w: config.remove_in(w, "default", "team", "nobody", META),
        ]
        for job in bad:
            with pytest.raises((BadRequest, NotFound)), log.writing(engine, store_id="default") as writer:
                job(writer)
        with engine.connect() as conn:
            assert log.head(conn)[0] == head
    finally:
        dbs.drop(engine)
