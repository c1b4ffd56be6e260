"""``asOf`` by interval on real databases (SQLite and PostgreSQL): the competency reads
from the evidence rows valid at log position P (competency design §8, property
§11.5) equal the same reads of a replay of the log to P.

Histories: the cohort's statements in pieces, the configuration among them, some
statements voided, and alignments removed later (a retroactive change that closes
evidence rows). The cells as of P equal the replay's at every position drawn; the
answers (a learner's profile, evidence, history, assertions, gaps and
recommendations; experts, pairings, the heat map and coverage) too wherever the
configuration was already what it is now, which is when the API answers by interval.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from lrs import log
from lrs.clock import to_micros
from lrs.competency import config
from lrs.credentials import ensure_default_store
from projections.competency import CompetencyProjection, exports, people, queries
from projections.competency.schema import CELLS, LEARNERS
from projections.runner import Runner, replay
from tests.competency_helpers import (
    ALIGNMENTS,
    CHAT,
    DATA,
    FW,
    MEET,
    agent,
    cohort,
    voiding,
)
from tests.db.test_competency_view import configure
from tests.progress_helpers import Databases, databases, head, scratch_sqlite, write

PROPERTY = settings(max_examples=8, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
META = {"actor": "test"}
AT = datetime(2026, 9, 1, tzinfo=UTC)  # after the cohort's evidence
ISSUER = {"objectType": "Agent", "account": {"homePage": "http://lrs.test", "name": "default"}}


@pytest.fixture
def dbs(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Databases]:
    yield from databases(request, db_url, tmp_path)


def _configure(engine: Engine) -> None:
    configure(engine)  # the framework, its alignments and the role; then a team
    with log.writing(engine, store_id="default") as writer:
        config.team_in(writer, "default", "support", {"name": "Support", "members": [agent(n) for n in ("ann", "bob", "cy")]},
                       META)


def _unalign(engine: Engine, count: int) -> None:
    with log.writing(engine, store_id="default") as writer:
        config.align_in(writer, "default", {"alignments": ALIGNMENTS["alignments"][:count]}, META, removing=True)


def _answers(conn: Any, learners: dict[str, Any], at_us: int, as_of: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, who in sorted(learners.items()):
        out[key] = {
            "profile": queries.profile(conn, "default", key, who, None, at_us, as_of),
            "evidence": [queries.evidence(conn, "default", key, iri, at_us, True, as_of) for iri in (CHAT, MEET, DATA)],
            "history": queries.history(conn, "default", key, CHAT, at_us - 200 * 86_400_000_000, at_us,
                                       30 * 86_400_000_000, as_of),
            "xapi": exports.assertions(conn, "default", key, who, at_us, "xapi", ISSUER, "http://lrs.test", "tla", as_of),
            "ob3": exports.assertions(conn, "default", key, who, at_us, "ob3", ISSUER, "http://lrs.test", as_of=as_of),
            "gaps": people.gaps(conn, "default", key, who, "meeting-host", at_us, as_of=as_of),
        }
    items = people.scope_items(conn, "default", None, FW)
    members = {m["learner_key"]: m["agent"] for m in queries.team_members(conn, "default", "support")}
    out["store"] = {
        "experts": [people.experts(conn, "default", iri, at_us, as_of=as_of) for iri in (CHAT, MEET, DATA)],
        "pairings": people.pairings(conn, "default", MEET, "support", at_us, as_of=as_of),
        "heatmap": people.heatmap(conn, "default", members, items, at_us, as_of),
        "coverage": people.coverage(conn, "default", items, 2, at_us, as_of),
    }
    return out


@PROPERTY
@given(split=st.integers(0, 11), voided=st.lists(st.integers(0, 10), max_size=3, unique=True),
       unalign=st.integers(0, len(ALIGNMENTS["alignments"])), data=st.data())
def test_the_competency_reads_as_of_a_position_by_interval_equal_a_replay_to_it(
        dbs: Databases, tmp_path: Path, split: int, voided: list[int], unalign: int, data: st.DataObject) -> None:
    engine = dbs.new()
    scratch: list[Engine] = []
    try:
        ensure_default_store(engine)
        statements = cohort()
        write(engine, statements[:split])
        _configure(engine)
        write(engine, statements[split:])
        write(engine, [voiding(statements[i]["id"]) for i in voided])
        if unalign:
            _unalign(engine, unalign)
        write(engine, [voiding(str(uuid.uuid4()))])  # a statement after the last configuration
        projection = CompetencyProjection()
        runner = Runner(engine, [projection], batch=data.draw(st.sampled_from((1, 5, 500)), label="batch"))
        runner.catch_up()
        runner.release()
        at_us = to_micros(AT)
        with engine.connect() as conn:
            learners = {r.learner_key: r.agent for r in conn.execute(select(LEARNERS.sql))}
            configured = queries.configured(conn, "default")
        last = head(engine)
        positions = data.draw(st.lists(st.integers(0, last), min_size=1, max_size=3), label="positions")
        for position in [*positions, last]:
            target = scratch_sqlite(tmp_path / f"replay-{uuid.uuid4().hex}.sqlite3")
            scratch.append(target)
            replay(engine, projection, target, until=position, store_id="default")
            with engine.connect() as live, target.connect() as past:
                replayed = [dict(r._mapping) for r in past.execute(select(CELLS.sql).order_by(
                    CELLS.sql.c.learner_key, CELLS.sql.c.competency_hash))]
                by_interval = [c for key in sorted(learners) for c in queries.cells_as_of(live, "default", key, position)]
                assert by_interval == replayed, position
                if configured <= position:
                    assert _answers(live, learners, at_us, position) == _answers(past, learners, at_us, None), position
    finally:
        for target in scratch:
            target.dispose()
        dbs.drop(engine)
