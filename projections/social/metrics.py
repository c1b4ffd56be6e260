"""Graph measures of the social view, reproducible to the byte (design appendix B).

networkx orders nodes by insertion, and Python salts ``str`` hashes per process,
so a graph built from sets of agent keys can give a different Louvain partition
in each process. The recipe: node keys mapped to integers 0..n-1 in sorted key
order; nodes, then edges, inserted in sorted order; an explicit seed; exact
betweenness up to PERSON_LIMIT people (beyond: team level, or ``approximate``
with a seeded sample of k pivots, flagged); floats rounded to 6 digits;
communities' members sorted and communities labelled by their smallest member;
library, version, function and parameters recorded with the result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import networkx as nx

from lrs.errors import InvalidParameter
from projections.social.network import NO_TEAM, Network

MEASURES = ("degree", "betweenness", "closeness", "communities")
LEVELS = ("person", "team")
PERSON_LIMIT = 3000
SAMPLE_K = 500
SEED = 7


def edge_list(net: Network, level: str) -> dict[tuple[str, str], float]:
    """The canonical undirected, weighted edge list: co-participation pairs (their
    count) plus person-to-person interactions (one each), by person or by team."""
    weights: dict[tuple[str, str], float] = defaultdict(float)
    team_of = net.teams() if level == "team" else {}

    def node(agent: str) -> str:
        return team_of.get(agent, NO_TEAM) if level == "team" else agent

    if level == "team":
        for pair, (_, _, incidences) in net.ties().items():
            weights[pair] += incidences
    else:
        for (a, b), count in net.pairs.items():
            weights[(a, b)] += count
    for _, src, dst, _ in net.edges:
        x, y = node(src), node(dst)
        if x != y:
            weights[(min(x, y), max(x, y))] += 1
    return dict(weights)


def _graph(nodes: list[str], weights: dict[tuple[str, str], float]) -> tuple[Any, dict[str, int]]:
    index = {key: i for i, key in enumerate(sorted(nodes))}
    graph = nx.Graph()
    graph.add_nodes_from(range(len(index)))
    for (a, b), weight in sorted(weights.items()):
        graph.add_edge(index[a], index[b], weight=weight)
    return graph, index


def compute(
    net: Network, *, level: str, measure: str, approximate: bool = False, name: Callable[[str], str] = str,
) -> dict[str, Any]:
    """The measure over the window's graph, as canonical JSON-ready data."""
    if level not in LEVELS:
        raise InvalidParameter("level", f"must be one of {', '.join(LEVELS)}")
    if measure not in MEASURES:
        raise InvalidParameter("measure", f"must be one of {', '.join(MEASURES)}")
    weights = edge_list(net, level)
    if level == "team":
        nodes = sorted(set(net.teams().values()) | {x for pair in weights for x in pair})
    else:
        nodes = sorted(net.active | {x for pair in weights for x in pair})
    sampled = False
    k: int | None = None
    if level == "person" and measure in ("betweenness", "closeness") and len(nodes) > PERSON_LIMIT:
        if not approximate:
            raise InvalidParameter(
                "level",
                f"person-level {measure} over {len(nodes)} people (more than {PERSON_LIMIT}) takes minutes: "
                "ask for level=team, or approximate=true (a seeded sample)",
            )
        if measure == "closeness":
            raise InvalidParameter("measure", "closeness has no sampled form: use level=team")
        sampled, k = True, SAMPLE_K
    graph, index = _graph(nodes, weights)
    params: dict[str, Any] = {"normalized": None, "weight": None, "k": k, "seed": None}
    values: dict[int, float] = {}
    communities: list[list[int]] = []
    if measure == "degree":
        function = "degree_centrality"
        values = nx.degree_centrality(graph)
    elif measure == "betweenness":
        function = "betweenness_centrality"
        params.update(normalized=True, seed=SEED if sampled else None)
        values = nx.betweenness_centrality(graph, k=k, normalized=True, seed=SEED if sampled else None)
    elif measure == "closeness":
        function = "closeness_centrality"
        values = nx.closeness_centrality(graph)
    else:
        function = "louvain_communities"
        params.update(weight="weight", seed=SEED)
        found = nx.community.louvain_communities(graph, weight="weight", seed=SEED)
        communities = sorted(sorted(c) for c in found)
    keys = sorted(index, key=index.__getitem__)
    field = "team" if level == "team" else "id"
    label: Callable[[str], str] = (lambda key: key) if level == "team" else name
    out: dict[str, Any] = {
        "measure": measure, "level": level,
        "algorithm": {"library": "networkx", "version": nx.__version__, "function": function, **params},
        "approximate": sampled,
        "size": {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()},
    }
    if measure == "communities":
        out["communities"] = [
            {"community": i, "members": [{field: label(keys[m])} for m in members]}
            for i, members in enumerate(communities)
        ]
    else:
        out["nodes"] = [{field: label(keys[i]), "value": round(float(values[i]), 6)} for i in range(len(keys))]
    return out
