"""Team-level graph measures kept in social_metric_snapshot (design part a).

A result is computed once per checkpoint of the view and read back while the
view stands still; it is recomputed when the view moved on, the objections in
force changed, or networkx is another version; person-level results are never
kept. Folded by the real runner from the real log, on both backends.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest
from sqlalchemy import Engine, select, update

from lrs import analytics
from lrs.credentials import ensure_default_store
from projections.runner import Runner
from projections.social import SocialProjection, queries, snapshots
from projections.social import metrics as graph_metrics
from projections.social.reuse import Reuse
from projections.social.schema import METRIC_SNAPSHOT
from projections.windows import parse
from tests.db.test_social_reuse import PEOPLE, STORE, TEAMS, traffic
from tests.progress_helpers import write

WINDOW = parse("2026-Q3", None, None, "UTC")


@pytest.fixture
def runner(engine: Engine) -> Runner:
    ensure_default_store(engine)
    csv = "agent,team,valid_from,valid_to\n" + "".join(
        f"mailto:{name}@example.com,{TEAMS[i % 3]},2026-01-01,\n" for i, name in enumerate(PEOPLE)
    )
    analytics.import_memberships(engine, STORE, csv, actor="test")
    analytics.change_settings(engine, STORE, {"minGroupSize": 3}, actor="test")
    write(engine, traffic(7, 60))
    folded = Runner(engine, [SocialProjection()])
    folded.catch_up()
    return folded


def answer(engine: Engine, reuse: Reuse, measure: str, *, level: str = "team", fresh: bool = False) -> dict[str, Any]:
    """The route's computation: the facts (reused or fresh), kept or computed measures."""
    with engine.connect() as conn:
        current = queries.opted_out(conn, STORE)
        facts = (queries.load if fresh else reuse.facts)(conn, STORE, WINDOW, current, *(() if fresh else (queries.load,)))

        def kept(compute: Any) -> dict[str, Any]:
            return snapshots.kept(conn, STORE, WINDOW, facts, level=level, measure=measure, approximate=False,
                                  current_opt_outs=current, compute=compute)

        return queries.metrics(facts, WINDOW, level=level, measure=measure, approximate=False, pseudonym=str,
                               kept=None if fresh else kept)


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(METRIC_SNAPSHOT.sql)).all())


def checkpoint(engine: Engine) -> int:
    """The store's position the view reflects: its last event at or before the checkpoint."""
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(
            "SELECT max(position) FROM events WHERE store_id = 'default' AND position <= "
            "(SELECT position FROM projection_checkpoints WHERE name = 'social')").scalar_one())


def test_a_result_is_kept_with_its_checkpoint_and_library_and_read_back(engine: Engine, runner: Runner) -> None:
    for measure in graph_metrics.MEASURES:
        assert answer(engine, Reuse(), measure) == answer(engine, Reuse(), measure, fresh=True)
    kept = rows(engine)
    assert {row.measure for row in kept} == set(graph_metrics.MEASURES)
    assert {(row.store_id, row.window, row.level, row.position, row.library_version) for row in kept} == {
        (STORE, "2026-Q3", "team", checkpoint(engine), nx.__version__)
    }
    # Read back, not computed again: a row changed by hand shows.
    mark(engine, "degree")
    assert answer(engine, Reuse(), "degree")["approximate"] == "kept"
    # Another networkx version computed it: computed again, and kept anew.
    with engine.begin() as conn:
        conn.execute(update(METRIC_SNAPSHOT.sql).values(library_version="0.0"))
    assert answer(engine, Reuse(), "degree") == answer(engine, Reuse(), "degree", fresh=True)
    runner.release()


def test_a_result_is_computed_again_once_the_view_moved_on(engine: Engine, runner: Runner) -> None:
    reuse = Reuse()
    answer(engine, reuse, "betweenness")
    mark(engine, "betweenness")
    assert answer(engine, reuse, "betweenness")["approximate"] == "kept"
    write(engine, traffic(8, 60))
    runner.catch_up()
    after = answer(engine, reuse, "betweenness")
    assert after == answer(engine, reuse, "betweenness", fresh=True)
    assert [row.position for row in rows(engine) if row.measure == "betweenness"] == [checkpoint(engine)]
    # The objections in force are a parameter: a result kept without an objection
    # does not answer once it is in force, even at the same checkpoint.
    mark(engine, "betweenness")
    with engine.connect() as conn:
        facts = reuse.facts(conn, STORE, WINDOW, {"mbox:mailto:p0@example.com"}, queries.load)
        objected = snapshots.kept(conn, STORE, WINDOW, facts, level="team", measure="betweenness",
                                  approximate=False, current_opt_outs={"mbox:mailto:p0@example.com"},
                                  compute=lambda: {"computed": True})
    assert objected == {"computed": True}
    assert len([row for row in rows(engine) if row.measure == "betweenness"]) == 1  # replaced, not added
    runner.release()


def mark(engine: Engine, measure: str) -> None:
    """Change a kept result by hand, to see whether an answer reads it back."""
    table = METRIC_SNAPSHOT.sql
    with engine.begin() as conn:
        for row in conn.execute(select(table).where(table.c.measure == measure)).all():
            conn.execute(update(table).where(table.c.measure == measure, table.c.params_hash == row.params_hash)
                         .values(result_json={**row.result_json, "approximate": "kept"}))


def test_person_level_results_are_never_kept(engine: Engine, runner: Runner) -> None:
    analytics.change_settings(engine, STORE, {"mode": "identified", "legalBasis": "DPIA 7"}, actor="test")
    runner.catch_up()
    answer(engine, Reuse(), "degree", level="person")
    assert rows(engine) == []
    runner.release()
