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
from collections import defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from lrs import analytics
from projections.disclosure import Disclosure, share
from projections.social import metrics as graph_metrics
from projections.social import queries
from projections.social.network import Facts, build
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


# ---------------------------------------------------------------- the team network

TEAM_GATHERINGS = st.lists(st.lists(st.integers(0, 13), min_size=1, max_size=8, unique=True), max_size=10)


@settings(max_examples=60, deadline=None)
@given(gatherings=TEAM_GATHERINGS, teams=st.lists(st.sampled_from("abcd"), min_size=14, max_size=14))
def test_team_answers_equal_counting_the_pairs(gatherings: list[list[int]], teams: list[str]) -> None:
    """/teams counts with per-person team tallies of the co-participation bitsets;
    density, bridging and each tie's pairs and people equal counting the pairs."""
    ts = "2026-07-01T00:00:00.000000Z"
    participation = [{"gathering_key": f"g{g}", "agent_key": f"p{a:02d}", "ts": ts}
                     for g, people in enumerate(gatherings) for a in people]
    presence = [{"agent_key": f"p{a:02d}", "ts": ts} for a in range(14)]
    memberships = [{"agent_key": f"p{a:02d}", "team_key": team, "source": "import", "action": "member",
                    "from_ts": None, "to_ts": None, "valid_from": 1, "seq": a} for a, team in enumerate(teams)]
    f = Facts(presence, participation, [], [], memberships, {}, {**analytics.DEFAULTS, "minGroupSize": 3})
    answer = queries.teams(f, None)
    team_of = {f"p{a:02d}": team for a, team in enumerate(teams)}
    pairs = build(f, None, None).pairs
    disclosure = Disclosure(queries.policy_of(f.settings))
    for row in answer["teams"]:
        if row.get("suppressed"):
            continue
        team, n = row["team"], row["activeMembers"]
        inside = sum(1 for a, b in pairs if team_of[a] == team_of[b] == team)
        others: dict[str, set[str]] = defaultdict(set)
        for a, b in pairs:
            others[a].add(team_of[b])
            others[b].add(team_of[a])
        bridging = sum(1 for a, t in team_of.items() if t == team and len(others[a] - {t}) >= 3)
        assert row["internalDensity"] == (share(inside, n * (n - 1) // 2) if n > 1 else None)
        assert row["membersBridging3Plus"] == disclosure.count(bridging)
    shown = {(tie["a"], tie["b"]): tie["pairs"] for tie in answer["ties"]}
    hidden = {row["team"] for row in answer["teams"] if row.get("suppressed")}
    expected = {}
    for ta, tb in {(x, y) for x in "abcd" for y in "abcd" if x < y}:
        between = [(a, b) for a, b in pairs if {team_of[a], team_of[b]} == {ta, tb}]
        people = {a for pair in between for a in pair}
        if between and ta not in hidden and tb not in hidden and disclosure.count(len(people)) is not None:
            expected[(ta, tb)] = len(between)
    assert shown == expected
