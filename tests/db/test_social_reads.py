"""The social view's SQL reads give the answers of the plain computation.

projections.social.queries.load groups presence in the database, groups the
participants of each gathering as it reads them (not as a dict per row), reads
only the interaction columns the network uses, and on SQLite scans the table for
a window holding most of it. Every answer built on those reads must equal the
answer built from every valid fact held in memory (the computation the property
tests check against their oracle), window by window, on both backends.
"""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine, insert

from lrs import analytics
from projections.social import metrics as graph_metrics
from projections.social import queries
from projections.social.schema import (
    ARTIFACT,
    GATHERING,
    INTERACTION,
    MEMBERSHIP,
    OPT_OUTS,
    PARTICIPATION,
    PRESENCE,
)
from projections.windows import Window, parse
from tests.unit.test_social_properties import events_of, facts, folded, items, key

PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TABLES = (PRESENCE, PARTICIPATION, GATHERING, ARTIFACT, INTERACTION, MEMBERSHIP, OPT_OUTS)
# All time; quarters; a range over two of the generator's days; a single day (read
# through the ts index on SQLite, where the wider ones are scanned).
WINDOWS: list[tuple[str | None, str | None, str | None]] = [
    (None, None, None), ("2026-Q1", None, None), ("2026-Q3", None, None),
    (None, "2026-02-10", "2026-05-13"), (None, "2026-05-12", "2026-05-13"),
]


def _answers(f: Any, window: Window | None, people: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "overview": queries.overview(f, window),
        "teams": queries.teams(f, window),
        "contributions": queries.contributions(f, window, sort="reach", viewer=None, limit=50, offset=0),
        "me": [queries.me(f, window, person) for person in people],
    }
    for measure in graph_metrics.MEASURES:
        out[measure] = graph_metrics.compute(queries.network(f, window), level="team", measure=measure)
    net = queries.network(f, window)
    out["network"] = (net.active, net.last_seen, net.members, net.pairs, sorted(net.edges), net.reach)
    return out


@PROPERTY
@given(stream=items())
def test_sql_reads_answer_as_the_facts_in_memory(engine: Engine, stream: list[Any]) -> None:
    snap = folded(events_of(stream))
    store = f"s-{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        for table in TABLES:
            rows = [{**row, "store_id": store} for row in snap[table.name].values()]
            if rows:
                conn.execute(insert(table.sql), rows)
    out = {row["agent_key"] for row in snap[OPT_OUTS.name].values() if row["opted_out"]}
    plain = facts(snap).without(out)
    people = sorted({key(f"a{i}") for i in range(6)})
    with engine.connect() as conn:
        assert queries.opted_out(conn, store) == out
        for name, start, end in WINDOWS:
            window = parse(name, start, end, analytics.DEFAULTS["timezone"])
            read = queries.load(conn, store, window, out)
            assert _answers(read, window, people) == _answers(plain, window, people), (name, start, end)
