"""The social view's answers: valid facts read with SQL, measures worked out by
projections.social.network, everything passed through the disclosure layer
(projections.disclosure) before it leaves.

Aggregate mode (the default) shows teams and distributions, never people; people
appear only in identified mode (pseudonymous ids, with their agent identifier as
label), and each learner sees their own view (``me``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from sys import intern
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson
from sqlalchemy import ColumnElement, Connection, and_, distinct, func, or_, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from lrs import analytics
from lrs.clock import parse_utc
from lrs.errors import Forbidden, InvalidParameter
from lrs.xapi.agents import key_hash
from projections.disclosure import Disclosure, Policy, share, suppressed_row
from projections.social.network import (
    NO_TEAM,
    Facts,
    Network,
    build,
    median,
    window_artifacts,
)
from projections.social.reuse import REUSE
from projections.social.schema import (
    ARTIFACT,
    GATHERING,
    INTERACTION,
    MEMBERSHIP,
    OPT_OUTS,
    PARTICIPATION,
    PRESENCE,
    SETTINGS,
)
from projections.windows import Window

Pseudonym = Callable[[str], str]
# Person-level graphs and measures above this many people need approximate=true.
PERSON_LIMIT = 3000


def _windowed(query: Any, table: SqlTable, store: str, since: str | None, until: str | None, *,
              conn: Connection | None = None) -> Any:
    store_id: ColumnElement[str] = table.c.store_id
    ts: ColumnElement[str] = table.c.ts
    if conn is not None and (since is not None or until is not None) and _mostly_covered(conn, table, store, since, until):
        # SQLite has no statistics to see that a window holding most of the rows is
        # read faster by a table scan than through an index (three times faster at
        # 100,000 statements): SQLite's unary + on the indexed columns keeps the
        # indexes out (sqlite.org/optoverview.html, "Disqualifying WHERE clause terms").
        store_id, ts = _unindexed(store_id), _unindexed(ts)
    query = query.where(store_id == store, table.c.valid_to.is_(None))
    if since is not None:
        query = query.where(ts >= since)
    if until is not None:
        query = query.where(ts < until)
    return query


def _unindexed(column: ColumnElement[str]) -> ColumnElement[str]:
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


# A window holding at least this share of a table's time span is scanned (SQLite).
SCAN_SHARE = 0.25


def _mostly_covered(conn: Connection, table: SqlTable, store: str, since: str | None, until: str | None) -> bool:
    """Whether [since, until) covers most of the table's time span (SQLite only:
    PostgreSQL's planner decides from its statistics). Two index look-ups."""
    if conn.dialect.name != "sqlite":
        return False
    where = (table.c.store_id == store,)
    first = conn.execute(select(func.min(table.c.ts)).where(*where)).scalar()
    last = conn.execute(select(func.max(table.c.ts)).where(*where)).scalar()
    if first is None or last is None:
        return False
    span = (parse_utc(last) - parse_utc(first)).total_seconds()
    low = max(parse_utc(since), parse_utc(first)) if since is not None else parse_utc(first)
    high = min(parse_utc(until), parse_utc(last)) if until is not None else parse_utc(last)
    covered = (high - low).total_seconds()
    return span <= 0 or covered >= SCAN_SHARE * span


def _dicts(conn: Connection, query: Any) -> list[dict[str, Any]]:
    """The rows of a query as plain dicts, fetched at once (a Row's mapping per row
    costs more than the query itself at 100,000 statements)."""
    result = conn.execute(query)
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _interned(rows: list[dict[str, Any]], *columns: str) -> list[dict[str, Any]]:
    """The rows with their agent keys interned: the network looks every agent up in
    sets and dicts many times, and one string object per agent makes each look-up
    an identity check (a third off the network's time at 100,000 statements)."""
    for row in rows:
        for column in columns:
            if row[column] is not None:
                row[column] = intern(row[column])
    return rows


def _rows(conn: Connection, table: SqlTable, store: str, since: str | None, until: str | None, *,
          windowed: bool = True) -> list[dict[str, Any]]:
    query = select(table).where(table.c.store_id == store, table.c.valid_to.is_(None))
    if windowed and since is not None:
        query = query.where(table.c.ts >= since)
    if windowed and until is not None:
        query = query.where(table.c.ts < until)
    return _dicts(conn, query)


def settings(conn: Connection, store: str) -> dict[str, Any]:
    row = conn.execute(select(SETTINGS.sql.c.settings).where(SETTINGS.sql.c.store_id == store)).first()
    return {**analytics.DEFAULTS, **(row[0] if row else {})}


def opted_out(conn: Connection, store: str) -> set[str]:
    """The agents whose objection is in force (read from the live view: an objection
    applies to answers about the past at once)."""
    table = OPT_OUTS.sql
    return {
        row.agent_key
        for row in conn.execute(select(table.c.agent_key).where(table.c.store_id == store, table.c.opted_out))
    }


# What the network reads of an interaction.
INTERACTION_COLUMNS = ("statement_id", "kind", "src_key", "dst_key", "artifact_id", "via_statement_id", "ts")


def load(conn: Connection, store: str, window: Window | None, current_opt_outs: set[str]) -> Facts:
    since, until = (window.since, window.until) if window else (None, None)
    gatherings = GATHERING.sql
    interactions = INTERACTION.sql
    # Shares are read whatever their time: a consumption in the window credits a
    # sharer who shared before it.
    interaction_rows = _interned(_dicts(
        conn,
        select(*(interactions.c[name] for name in INTERACTION_COLUMNS)).where(
            interactions.c.store_id == store, interactions.c.valid_to.is_(None),
            or_(
                interactions.c.kind == "share",
                and_(
                    interactions.c.ts >= (since or ""),
                    interactions.c.ts < until if until is not None else interactions.c.ts.is_not(None),
                ),
            ),
        ),
    ), "src_key", "dst_key")
    # Presence and participation are the big tables (a row per statement): the
    # measures need each agent's last moment, so the database groups presence.
    presence = PRESENCE.sql
    facts = Facts(
        presence=_interned(_dicts(
            conn,
            _windowed(select(presence.c.agent_key, func.max(presence.c.ts).label("ts")), presence, store,
                      since, until, conn=conn).group_by(presence.c.agent_key),
        ), "agent_key"),
        participation=[],
        artifacts=_interned(_rows(conn, ARTIFACT.sql, store, since, until, windowed=False), "author_key"),
        interactions=interaction_rows,
        memberships=_interned(_rows(conn, MEMBERSHIP.sql, store, since, until, windowed=False), "agent_key"),
        gatherings={
            row["gathering_key"]: row for row in _dicts(conn, select(gatherings).where(gatherings.c.store_id == store))
        },
        settings=settings(conn, store),
        members=_members(conn, store, since, until),
    )
    return facts.without(current_opt_outs)


def _members(conn: Connection, store: str, since: str | None, until: str | None) -> dict[str, set[str]]:
    """Who took part in each gathering in the window: one row per gathering, its
    distinct participants as a JSON array (a row per participation costs twice as
    much to fetch at 100,000 statements)."""
    participation = PARTICIPATION.sql
    sqlite = conn.dialect.name == "sqlite"
    agents = (func.json_group_array if sqlite else func.json_agg)(distinct(participation.c.agent_key))
    query = _windowed(select(participation.c.gathering_key, agents), participation, store, since, until, conn=conn)
    members: dict[str, set[str]] = {}
    for gathering, found in conn.execute(query.group_by(participation.c.gathering_key)).all():
        # SQLite answers with the array's text, psycopg with the decoded list.
        members[gathering] = {intern(agent) for agent in (orjson.loads(found) if sqlite else found)}
    return members


def policy_of(settings_: dict[str, Any]) -> Policy:
    return Policy(
        mode=settings_["mode"], min_group_size=settings_["minGroupSize"],
        min_group_size_performance=settings_["minGroupSizePerformance"],
    )


def network(facts: Facts, window: Window | None) -> Network:
    """The window's network, built once per facts (answers only read it)."""
    bounds = _bounds(window)
    net = facts.networks.get(bounds)
    if net is None:
        previous = facts.previous  # read once: another read may let go of it meanwhile
        earlier = previous.networks.get(bounds) if previous is not None else None
        if earlier is not None:
            # One step back at most: the earlier network lets go of its own.
            earlier.previous = None
        built = build(facts, *bounds, previous=earlier)
        facts.previous = None
        net = facts.networks.setdefault(bounds, built)
    return net


def read(conn: Connection, store: str, window: Window | None, current_opt_outs: set[str]) -> Facts:
    """The window's facts less the objections in force, reused while the view's
    checkpoint stands and patched when it moves on (projections.social.reuse)."""
    # Imported here: the patch reads with this module's helpers.
    from projections.social.delta import patch

    return REUSE.facts(conn, store, window, current_opt_outs, load, patch)


def _window_block(window: Window | None, zone: str) -> dict[str, Any] | None:
    return window.describe() if window else {"label": "all", "from": None, "to": None, "timezone": zone}


# ------------------------------------------------------------------ overview

def overview(
    facts: Facts, window: Window | None, *, team: str | None = None, programme: set[str] | None = None,
) -> dict[str, Any]:
    """``team``: the team's members only; ``programme``: the agent hashes of a
    programme's learners in the window only (projections.social.programmes). A
    filter whose population is below the minimum group size is refused."""
    net = network(facts, window)
    disclosure = Disclosure(policy_of(facts.settings))
    active = net.active
    if team is not None:
        teams = net.teams()
        active = {agent for agent in active if teams[agent] == team}
        disclosure.require_population(len(active), "team")
    if programme is not None:
        active = {agent for agent in active if key_hash(agent) in programme}
        disclosure.require_population(len(active), "programme")
    filtered = team is not None or programme is not None
    social = net.social & active
    split = disclosure.breakdown({"social": len(social), "isolated": len(active - social)})
    shown = disclosure.count(len(active))

    def part(label: str, n: int) -> dict[str, Any]:
        if label in split.suppressed:
            return {"suppressed": True}
        return {"n": n, "share": share(n, len(active)) if shown is not None else None}

    gatherings = {key: agents for key, agents in net.members.items() if agents & active}
    by_kind: dict[str, int] = defaultdict(int)
    for key in gatherings:
        by_kind[facts.gatherings.get(key, {}).get("kind", key.split(":")[0])] += 1
    degree = net.degree()
    artifacts = {a: row for a, row in window_artifacts(net, *_bounds(window)).items() if row["author_key"] in active}
    authors = {row["author_key"] for row in artifacts.values()}
    teams = net.teams()
    cross, reached = 0, 0
    for artifact, row in artifacts.items():
        for consumer in net.reach.get(artifact, ()):
            reached += 1
            cross += teams.get(consumer, NO_TEAM) != teams.get(row["author_key"], NO_TEAM)
    mentoring = {(src, dst) for kind, src, dst, _ in net.edges if kind == "mentor" and (src in active or dst in active)}
    mentoring_people = {a for pair in mentoring for a in pair}
    return {
        "window": _window_block(window, net.zone),
        "privacy": None,  # filled below, once every cell is decided
        "activeLearners": shown,
        "socialLearners": part("social", len(social)),
        "isolatedLearners": part("isolated", len(active - social)),
        "gatherings": {
            "n": len(gatherings), "byKind": dict(sorted(by_kind.items())),
            "medianSize": median([len(agents & active) for agents in gatherings.values()]),
        },
        "coParticipation": {
            "pairs": net.pair_count(active if filtered else None),
            "medianDegree": median([degree.get(agent, 0) for agent in active]) if shown is not None else None,
        },
        "knowledgeSharing": {
            "artifacts": len(artifacts), "authors": disclosure.count(len(authors)),
            "medianDistinctConsumers": median([len(net.reach.get(a, ())) for a in artifacts]),
            "crossTeamReachShare": share(cross, reached),
        },
        "mentoringPairs": len(mentoring) if disclosure.count(len(mentoring_people)) is not None else None,
        "definitions": "/views/social/definitions",
    } | {"privacy": disclosure.block()}


def _bounds(window: Window | None) -> tuple[str | None, str | None]:
    return (window.since, window.until) if window else (None, None)


# ------------------------------------------------------------------ teams

def teams(facts: Facts, window: Window | None) -> dict[str, Any]:
    """The team-level network: each team's activity, social share, internal density
    and bridging members; ties between teams."""
    net = network(facts, window)
    disclosure = Disclosure(policy_of(facts.settings))
    k = disclosure.k()
    tallies = net.tallies()
    members, reached = tallies.members, tallies.reached
    outcome = disclosure.breakdown({team: len(agents) for team, agents in members.items()})
    social = net.social
    rows = []
    for team in sorted(members):
        if team in outcome.suppressed:
            rows.append(suppressed_row("team", team, k))
            continue
        agents = members[team]
        n = len(agents)
        inside = tallies.pairs.get((team, team), 0) // 2
        bridging = sum(1 for a in agents if len(reached[a]) - (team in reached[a]) >= 3)
        rows.append({
            "team": team, "activeMembers": n, "socialShare": share(len(agents & social), n),
            "internalDensity": share(inside, n * (n - 1) // 2) if n > 1 else None,
            "membersBridging3Plus": disclosure.count(bridging),
        })
    tie_rows = []
    for (ta, tb), (shared, newman, _) in sorted(net.ties().items()):
        if ta in outcome.suppressed or tb in outcome.suppressed:
            continue
        pairs = tallies.pairs.get((ta, tb), 0)
        people = tallies.people.get((ta, tb), 0) + tallies.people.get((tb, ta), 0)
        if pairs == 0 or disclosure.count(people) is None:
            continue
        tie_rows.append({
            "a": ta, "b": tb, "sharedGatherings": shared, "pairs": pairs, "newmanWeight": round(newman, 3),
        })
    return {"window": _window_block(window, net.zone), "privacy": disclosure.block(), "teams": rows, "ties": tie_rows}


# ------------------------------------------------------------------ me

def me(facts: Facts, window: Window | None, agent: str) -> dict[str, Any]:
    """The learner's own view: with whom they learned, where, what their
    contributions reached. Nobody else is named in it."""
    net = network(facts, window)
    disclosure = Disclosure(policy_of(facts.settings))
    co = net.co_learners(agent)
    team_of = net.teams()
    own_team = net.team(agent) if agent in net.active else NO_TEAM
    gatherings = []
    for key, agents in sorted(net.members.items()):
        if agent in agents:
            info = facts.gatherings.get(key, {})
            gatherings.append({
                "name": info.get("name") or None, "kind": info.get("kind"),
                "date": (info.get("first_ts") or "")[:10] or None, "participants": len(agents),
            })
    mine = [a for a, author in net.authors.items() if author == agent]
    mine_window = window_artifacts(net, *_bounds(window))
    consumers = {c for a in mine for c in net.reach.get(a, ())}
    mentors = {src for kind, src, dst, _ in net.edges if kind == "mentor" and dst == agent}
    mentees = {dst for kind, src, dst, _ in net.edges if kind == "mentor" and src == agent}
    return {
        "window": _window_block(window, net.zone),
        "privacy": disclosure.block() | {"self": True},
        "active": agent in net.active,
        "team": own_team,
        "coLearners": len(co),
        "teamsReached": len({team_of.get(c, NO_TEAM) for c in co if team_of.get(c, NO_TEAM) != own_team}),
        "gatherings": gatherings,
        "contributions": {
            "artifacts": sum(1 for a in mine if a in mine_window), "distinctConsumers": len(consumers),
            "repliesReceived": net.replies_received.get(agent, 0), "reactions": net.reactions_received.get(agent, 0),
        },
        "mentoring": {"mentors": len(mentors), "mentees": len(mentees)},
    }


# ------------------------------------------------------------------ contributions

SORTS = ("reach", "teams", "recent")


def contributions(
    facts: Facts, window: Window | None, *, sort: str, viewer: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """Artifacts first authored in the window, by reach. Authors are named only in
    identified mode, or to the author themself."""
    if sort not in SORTS:
        raise InvalidParameter("sort", f"must be one of {', '.join(SORTS)}")
    net = network(facts, window)
    policy = policy_of(facts.settings)
    disclosure = Disclosure(policy)
    team_of = net.teams()
    items = []
    for artifact, row in window_artifacts(net, *_bounds(window)).items():
        reached = net.reach.get(artifact, set())
        items.append((artifact, row, len(reached), len({team_of.get(c, NO_TEAM) for c in reached})))
    if sort == "reach":
        items.sort(key=lambda item: (-item[2], -item[3], item[0]))
    elif sort == "teams":
        items.sort(key=lambda item: (-item[3], -item[2], item[0]))
    else:
        items.sort(key=lambda item: (item[1]["ts"], item[0]), reverse=True)
    out = []
    for artifact, row, consumers, teams_reached in items[offset: offset + limit]:
        entry: dict[str, Any] = {
            "artifact": artifact, "kind": row["kind"], "name": row["name"] or None, "authoredAt": row["ts"],
            "distinctConsumers": disclosure.count(consumers),
        }
        entry["teamsReached"] = teams_reached if entry["distinctConsumers"] is not None else None
        if policy.identified or row["author_key"] == viewer:
            entry["author"] = row["author_key"]
        out.append(entry)
    return {
        "window": _window_block(window, net.zone), "privacy": disclosure.block(), "total": len(items),
        "artifacts": out,
    }


# ------------------------------------------------------------------ graph

GRAPH_KINDS = ("co_participation", "reply", "react", "consume", "mentor", "talk", "instruct")


def graph(facts: Facts, window: Window | None, *, kinds: list[str], pseudonym: Pseudonym) -> dict[str, Any]:
    """The person-level graph (identified mode only): nodes with pseudonymous ids,
    labels, team, degree and bridging; edges by kind with weights."""
    policy = policy_of(facts.settings)
    if not policy.identified:
        raise Forbidden(
            "the person-level graph needs identified mode: an admin switches it on with a legal-basis "
            "reference (PUT /admin/analytics/settings)"
        )
    for kind in kinds:
        if kind not in GRAPH_KINDS:
            raise InvalidParameter("kinds", f"{kind!r} is not one of {', '.join(GRAPH_KINDS)}")
    net = network(facts, window)
    disclosure = Disclosure(policy)
    team_of = net.teams()
    weights: dict[tuple[str, str, str], float] = defaultdict(float)
    if "co_participation" in kinds:
        for (a, b), count in net.pairs.items():
            weights[("co_participation", a, b)] += count
    for kind, src, dst, _ in net.edges:
        if kind in kinds:
            weights[(kind, src, dst)] += 1
    degree: dict[str, set[str]] = defaultdict(set)
    for _, a, b in weights:
        degree[a].add(b)
        degree[b].add(a)
    people = sorted(net.active | set(degree))
    nodes = []
    for agent in people:
        others = {team_of.get(x, NO_TEAM) for x in degree[agent]} - {team_of.get(agent, NO_TEAM)}
        nodes.append({
            "id": pseudonym(agent), "label": agent, "team": team_of.get(agent, NO_TEAM),
            "degree": len(degree[agent]), "bridging": len(others),
        })
    edges = [
        {"kind": kind, "source": pseudonym(a), "target": pseudonym(b), "weight": round(weight, 6),
         "directed": kind != "co_participation"}
        for (kind, a, b), weight in sorted(weights.items())
    ]
    return {"window": _window_block(window, net.zone), "privacy": disclosure.block(), "nodes": nodes, "edges": edges}


def graphml(answer: dict[str, Any]) -> str:
    """The graph as GraphML (for Gephi, yEd, networkx.read_graphml)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
        '  <key id="label" for="node" attr.name="label" attr.type="string"/>',
        '  <key id="team" for="node" attr.name="team" attr.type="string"/>',
        '  <key id="degree" for="node" attr.name="degree" attr.type="int"/>',
        '  <key id="bridging" for="node" attr.name="bridging" attr.type="int"/>',
        '  <key id="kind" for="edge" attr.name="kind" attr.type="string"/>',
        '  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>',
        f'  <graph id="social" edgedefault="directed"><!-- position {answer.get("position", "")} -->',
    ]
    for node in answer["nodes"]:
        lines.append(
            f'    <node id={quoteattr(node["id"])}><data key="label">{escape(node["label"])}</data>'
            f'<data key="team">{escape(node["team"])}</data><data key="degree">{node["degree"]}</data>'
            f'<data key="bridging">{node["bridging"]}</data></node>'
        )
    for edge in answer["edges"]:
        lines.append(
            f'    <edge source={quoteattr(edge["source"])} target={quoteattr(edge["target"])} '
            f'directed="{"true" if edge["directed"] else "false"}"><data key="kind">{edge["kind"]}</data>'
            f'<data key="weight">{edge["weight"]}</data></edge>'
        )
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


def team_gathering_weights(net: Network, team_of: dict[str, str]) -> dict[tuple[str, str], tuple[int, float]]:
    """Per pair of teams (active members only): gatherings of 2..cap people both
    took part in, and the Newman weight summed over their cross-team pairs
    (n_a * n_b / (size - 1) per gathering)."""
    out: dict[tuple[str, str], list[float]] = {}
    for agents in net.pairable():
        counts: dict[str, int] = defaultdict(int)
        for agent in agents:
            if agent in team_of:
                counts[team_of[agent]] += 1
        present = sorted(counts)
        for i, ta in enumerate(present):
            for tb in present[i + 1:]:
                tie = out.setdefault((ta, tb), [0, 0.0])
                tie[0] += 1
                tie[1] += counts[ta] * counts[tb] / (len(agents) - 1)
    return {key: (int(v[0]), v[1]) for key, v in out.items()}


# ------------------------------------------------------------------ metrics

Kept = Callable[[Callable[[], dict[str, Any]]], dict[str, Any]]


def metrics(
    facts: Facts, window: Window | None, *, level: str, measure: str, approximate: bool, pseudonym: Pseudonym,
    kept: Kept | None = None,
) -> dict[str, Any]:
    """Graph measures (projections.social.metrics). Team level always; person level
    only in identified mode, with pseudonymous ids. Teams below the minimum group
    size (and their complements) are listed as suppressed, without a value.
    ``kept``: where a result computed before for the same facts may come from
    (projections.social.snapshots)."""
    from projections.social import metrics as graph_metrics

    policy = policy_of(facts.settings)
    if level == "person" and not policy.identified:
        raise Forbidden(
            "person-level measures need identified mode: an admin switches it on with a legal-basis "
            "reference (PUT /admin/analytics/settings); level=team is always available"
        )
    net = network(facts, window)
    disclosure = Disclosure(policy)

    def compute() -> dict[str, Any]:
        return graph_metrics.compute(net, level=level, measure=measure, approximate=approximate, name=pseudonym)

    result = kept(compute) if kept is not None else compute()
    if level == "team":
        sizes: dict[str, int] = defaultdict(int)
        for team in net.teams().values():
            sizes[team] += 1
        hidden = disclosure.breakdown(dict(sizes)).suppressed
        k = disclosure.k()
        if "nodes" in result:
            result["nodes"] = [
                suppressed_row("team", node["team"], k) if node["team"] in hidden else node for node in result["nodes"]
            ]
        for community in result.get("communities", ()):
            community["members"] = [
                {"team": m["team"], "suppressed": True} if m["team"] in hidden else m for m in community["members"]
            ]
    return {"window": _window_block(window, net.zone), "privacy": disclosure.block(), **result}
