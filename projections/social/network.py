"""Who learned with whom in a window: the social view's measures over valid facts
(pure; the rows come from SQL in projections.social.queries, or from memory in tests).

Definitions (design part a, "queries"), written down once here and served at
``/views/social/definitions``:

- *active learner*: an agent with any statement in the window;
- *gathering size*: distinct participants of the gathering in the window;
- *co-participation pair*: two agents in the same gathering of 2..cap people;
  w(a, b) = number of such gatherings; Newman weight = sum of 1/(size - 1);
- *social learner*: an active learner in a gathering of 2+ people or at either end
  of an interaction with another person; *isolated*: the other active learners;
- *consumption and reactions* are credited to the artifact's author at query time
  (the earliest valid authoring by log position), self-consumption ignored; a
  consumption whose context.statement names a share statement is credited to the
  sharer;
- *reach* of an artifact: distinct people who consumed, reacted to or replied to it;
- *team* of an agent at a moment: HR-imported memberships covering the moment's
  local date win; otherwise the last join (not followed by a leave) of a group
  activity before the moment; an agent's team in a window is the team at their
  last activity in it;
- *bridging*: distinct teams other than one's own among one's co-learners.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

from lrs.clock import parse_utc

Row = dict[str, Any]
NO_TEAM = "(no team)"


@dataclass
class Facts:
    """The valid facts of one store that a window's answer reads."""

    presence: list[Row]
    participation: list[Row]
    artifacts: list[Row]  # every valid authoring (authorship is not windowed)
    interactions: list[Row]
    memberships: list[Row]
    gatherings: dict[str, Row]
    settings: dict[str, Any]

    def without(self, agents: set[str]) -> Facts:
        """The facts with these agents left out (the current opt-outs)."""
        if not agents:
            return self
        return Facts(
            [r for r in self.presence if r["agent_key"] not in agents],
            [r for r in self.participation if r["agent_key"] not in agents],
            [r for r in self.artifacts if r["author_key"] not in agents],
            [r for r in self.interactions if r["src_key"] not in agents and r["dst_key"] not in agents],
            [r for r in self.memberships if r["agent_key"] not in agents],
            self.gatherings,
            self.settings,
        )


def valid_at(row: Row, at: int | None) -> bool:
    """A fact's validity interval contains position ``at`` (None: now)."""
    if at is None:
        return row["valid_to"] is None
    return bool(row["valid_from"] <= at and (row["valid_to"] is None or row["valid_to"] > at))


@dataclass
class Network:
    facts: Facts
    cap: int
    zone: str
    active: set[str] = field(default_factory=set)
    last_seen: dict[str, str] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # gathering -> agents
    pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    newman: dict[tuple[str, str], float] = field(default_factory=dict)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, src, dst, ts
    authors: dict[str, str] = field(default_factory=dict)
    reach: dict[str, set[str]] = field(default_factory=dict)  # artifact -> consumers
    replies_received: dict[str, int] = field(default_factory=dict)
    reactions_received: dict[str, int] = field(default_factory=dict)
    memberships: dict[str, list[Row]] = field(default_factory=dict)  # agent -> membership rows
    _teams: dict[str, str] | None = None

    # ------------------------------------------------------------ derived

    @property
    def social(self) -> set[str]:
        found = {a for agents in self.members.values() if len(agents) >= 2 for a in agents}
        found.update(a for _, src, dst, _ in self.edges for a in (src, dst))
        return found & self.active

    @property
    def isolated(self) -> set[str]:
        return self.active - self.social

    def degree(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for a, b in self.pairs:
            out[a] += 1
            out[b] += 1
        return out

    def co_learners(self, agent: str) -> set[str]:
        found = {b if a == agent else a for a, b in self.pairs if agent in (a, b)}
        found.update(dst if src == agent else src for _, src, dst, _ in self.edges if agent in (src, dst))
        found.discard(agent)
        return found

    def team(self, agent: str, ts: str | None = None) -> str:
        """The agent's team at ``ts`` (default: their last activity in the window)."""
        moment = ts or self.last_seen.get(agent)
        if moment is None:
            return NO_TEAM
        return team_at(self.memberships.get(agent, ()), agent, moment, self.zone)

    def teams(self) -> dict[str, str]:
        """Every active learner's team in the window (worked out once)."""
        if self._teams is None:
            self._teams = {agent: self.team(agent) for agent in sorted(self.active)}
        return self._teams


def team_at(memberships: Iterable[Row], agent: str, ts: str, zone: str) -> str:
    """Rule of design d: an HR import wins for its interval; statements fill the rest.
    Several teams at once: the first by name (a fixed, documented choice)."""
    day = parse_utc(ts).astimezone(ZoneInfo(zone)).date().isoformat()
    imported, joined = [], []
    for row in memberships:
        if row["agent_key"] != agent:
            continue
        if row["source"] == "import":
            if (row["from_ts"] is None or row["from_ts"] <= day) and (row["to_ts"] is None or day < row["to_ts"]):
                imported.append(row["team_key"])
        elif row["from_ts"] <= ts:
            joined.append(row)
    if imported:
        return sorted(imported)[0]
    state: dict[str, bool] = {}
    for row in sorted(joined, key=lambda r: (r["from_ts"], r["valid_from"], r["seq"])):
        state[row["team_key"]] = row["action"] == "join"
    current = sorted(team for team, member in state.items() if member)
    return current[0] if current else NO_TEAM


def authorship(artifacts: Iterable[Row]) -> dict[str, str]:
    """Artifact -> author: the earliest valid authoring by position (rule 5)."""
    best: dict[str, tuple[int, str, str]] = {}
    for row in artifacts:
        candidate = (row["valid_from"], row["statement_id"], row["author_key"])
        if row["artifact_id"] not in best or candidate < best[row["artifact_id"]]:
            best[row["artifact_id"]] = candidate
    return {artifact: found[2] for artifact, found in best.items()}


def build(facts: Facts, since: str | None, until: str | None) -> Network:
    """The network of the window [since, until) (UTC timestamps; None: open)."""

    def inside(row: Row) -> bool:
        return (since is None or row["ts"] >= since) and (until is None or row["ts"] < until)

    settings = facts.settings
    net = Network(facts, int(settings.get("coParticipationCap", 50)), str(settings.get("timezone", "UTC")))
    for row in facts.presence:
        if inside(row):
            net.active.add(row["agent_key"])
            if row["ts"] > net.last_seen.get(row["agent_key"], ""):
                net.last_seen[row["agent_key"]] = row["ts"]
    by_agent: dict[str, list[Row]] = defaultdict(list)
    for row in facts.memberships:
        by_agent[row["agent_key"]].append(row)
    net.memberships = dict(by_agent)
    members: dict[str, set[str]] = defaultdict(set)
    for row in facts.participation:
        if inside(row):
            members[row["gathering_key"]].add(row["agent_key"])
    net.members = dict(members)
    for agents in members.values():
        size = len(agents)
        if 2 <= size <= net.cap:
            for a, b in combinations(sorted(agents), 2):
                net.pairs[(a, b)] = net.pairs.get((a, b), 0) + 1
                net.newman[(a, b)] = net.newman.get((a, b), 0.0) + 1 / (size - 1)
    net.authors = authorship(facts.artifacts)
    sharers = {row["statement_id"]: row["src_key"] for row in facts.interactions if row["kind"] == "share"}
    reach: dict[str, set[str]] = defaultdict(set)
    for row in facts.interactions:
        if not inside(row):
            continue
        kind, src = row["kind"], row["src_key"]
        if kind in ("consume", "react"):
            credited = sharers.get(row["via_statement_id"] or "") or net.authors.get(row["artifact_id"] or "")
            author = net.authors.get(row["artifact_id"] or "")
            if author is not None and author != src:
                reach[row["artifact_id"]].add(src)
            if credited is not None and credited != src:
                net.edges.append((kind, src, credited, row["ts"]))
                if kind == "react":
                    net.reactions_received[credited] = net.reactions_received.get(credited, 0) + 1
        elif kind == "reply":
            if row["artifact_id"] and net.authors.get(row["artifact_id"]) not in (None, src):
                reach[row["artifact_id"]].add(src)
            if row["dst_key"]:
                net.edges.append(("reply", src, row["dst_key"], row["ts"]))
                net.replies_received[row["dst_key"]] = net.replies_received.get(row["dst_key"], 0) + 1
        elif kind in ("mentor", "talk", "instruct") and row["dst_key"]:
            net.edges.append((kind, src, row["dst_key"], row["ts"]))
    net.reach = dict(reach)
    return net


def median(values: list[float]) -> float | None:
    return None if not values else round(float(statistics.median(values)), 3)


def window_artifacts(net: Network, since: str | None, until: str | None) -> dict[str, Row]:
    """Artifacts first authored in the window, with the authoring row."""
    first: dict[str, Row] = {}
    for row in net.facts.artifacts:
        if net.authors.get(row["artifact_id"]) != row["author_key"]:
            continue
        held = first.get(row["artifact_id"])
        if held is None or (row["valid_from"], row["statement_id"]) < (held["valid_from"], held["statement_id"]):
            first[row["artifact_id"]] = row
    return {
        artifact: row for artifact, row in first.items()
        if (since is None or row["ts"] >= since) and (until is None or row["ts"] < until)
    }
