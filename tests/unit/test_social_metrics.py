"""Graph measures of the social view (projections.social.metrics): the same bytes in
every process (P8), and equal to networkx over the plain graph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs import analytics
from lrs.errors import InvalidParameter
from projections.social import metrics
from projections.social.network import Facts, build

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import random, sys, orjson
from lrs import analytics
from projections.social import metrics
from projections.social.network import Facts, build
rng = random.Random(int(sys.argv[1]))
people = {f"mbox:mailto:person{i}@example.com" for i in range(120)}
rows = []
for g in range(60):
    for agent in rng.sample(sorted(people), rng.randint(2, 8)):
        rows.append({"gathering_key": f"g{g}", "agent_key": agent, "ts": "2026-07-01T00:00:00.000000Z"})
presence = [{"agent_key": a, "ts": "2026-07-01T00:00:00.000000Z"} for a in people]  # set order
net = build(Facts(presence, rows, [], [], [], {}, dict(analytics.DEFAULTS)), None, None)
out = [metrics.compute(net, level="person", measure=m) for m in ("communities", "betweenness", "degree")]
sys.stdout.write(orjson.dumps(out, option=orjson.OPT_SORT_KEYS).decode())
"""


def _run(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, "11"], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def test_measures_are_byte_identical_across_hash_seeds() -> None:
    """P8: Python salts str hashes per process; the recipe makes that irrelevant."""
    first, second, third = _run("1"), _run("2"), _run("3")
    assert first == second == third
    assert '"louvain_communities"' in first


GATHERINGS = st.lists(st.lists(st.integers(0, 9), min_size=1, max_size=5, unique=True), max_size=8)


def _network(gatherings: list[list[int]]):  # type: ignore[no-untyped-def]
    rows = [
        {"gathering_key": f"g{g}", "agent_key": f"p{a}", "ts": "2026-07-01T00:00:00.000000Z"}
        for g, members in enumerate(gatherings) for a in members
    ]
    presence = [{"agent_key": r["agent_key"], "ts": r["ts"]} for r in rows]
    return build(Facts(presence, rows, [], [], [], {}, dict(analytics.DEFAULTS)), None, None)


@settings(max_examples=40, deadline=None)
@given(gatherings=GATHERINGS)
def test_betweenness_equals_networkx_over_the_plain_graph(gatherings: list[list[int]]) -> None:
    net = _network(gatherings)
    plain = nx.Graph()
    plain.add_nodes_from(net.active)
    for members in gatherings:
        for i, a in enumerate(sorted(set(members))):
            for b in sorted(set(members))[i + 1:]:
                plain.add_edge(f"p{a}", f"p{b}")
    expected = {node: round(value, 6) for node, value in nx.betweenness_centrality(plain, normalized=True).items()}
    found = metrics.compute(net, level="person", measure="betweenness")
    assert {node["id"]: node["value"] for node in found["nodes"]} == expected
    assert found["algorithm"]["function"] == "betweenness_centrality" and found["approximate"] is False


def test_unknown_measures_and_levels_are_400_naming_the_parameter() -> None:
    net = _network([[1, 2]])
    with pytest.raises(InvalidParameter) as bad:
        metrics.compute(net, level="planet", measure="degree")
    assert bad.value.parameter == "level"
    with pytest.raises(InvalidParameter) as bad:
        metrics.compute(net, level="team", measure="pagerank")
    assert bad.value.parameter == "measure"


def test_person_level_betweenness_above_the_limit_needs_approximate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "PERSON_LIMIT", 5)
    monkeypatch.setattr(metrics, "SAMPLE_K", 3)
    net = _network([[0, 1, 2, 3], [3, 4, 5, 6, 7]])
    with pytest.raises(InvalidParameter) as refused:
        metrics.compute(net, level="person", measure="betweenness")
    assert "approximate=true" in refused.value.rule
    sampled = metrics.compute(net, level="person", measure="betweenness", approximate=True)
    assert sampled["approximate"] is True and sampled["algorithm"]["k"] == 3 and sampled["algorithm"]["seed"] == 7
    assert sampled == metrics.compute(net, level="person", measure="betweenness", approximate=True)
    # Team level is always allowed.
    assert metrics.compute(net, level="team", measure="betweenness")["approximate"] is False
