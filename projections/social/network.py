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

import math
import statistics
from collections import Counter, defaultdict
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
    # The participants of each gathering in the window, when the reader grouped the
    # participation rows itself (projections.social.queries.load: 50,000 rows are
    # grouped faster than they become dicts); ``participation`` is then empty.
    members: dict[str, set[str]] | None = None
    # The networks built from these facts, by window bounds (queries.network): facts
    # reused at an unchanged checkpoint (projections.social.reuse) bring theirs along.
    networks: dict[tuple[str | None, str | None], Network] = field(default_factory=dict, compare=False, repr=False)
    # The view's checkpoint, version and the store's latest erasure the facts are
    # exactly those of (projections.social.reuse); None when unknown.
    state: tuple[int, int, int | None] | None = field(default=None, compare=False, repr=False)
    # The facts these were patched from (projections.social.delta): their networks'
    # team tallies are carried forward (Network.previous); None once built.
    previous: Facts | None = field(default=None, compare=False, repr=False)

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
            None if self.members is None else {
                key: kept for key, found in self.members.items() if (kept := found - agents)
            },
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
    # Co-participation as bitsets: people numbered in sorted key order, co[a] has
    # the bit of everyone sharing a gathering of 2..cap people with a. Counting
    # pairs, degrees and team ties is then a few big-integer operations per person,
    # not a dictionary of every pair (a quarter of a large organisation has millions).
    index: dict[str, int] = field(default_factory=dict)
    co: dict[str, int] = field(default_factory=dict)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # kind, src, dst, ts
    authors: dict[str, str] = field(default_factory=dict)
    reach: dict[str, set[str]] = field(default_factory=dict)  # artifact -> consumers
    replies_received: dict[str, int] = field(default_factory=dict)
    reactions_received: dict[str, int] = field(default_factory=dict)
    memberships: dict[str, list[Row]] = field(default_factory=dict)  # agent -> membership rows
    # Worked out once, when first asked for (a network is only read once built).
    _social: set[str] | None = None
    _teams: dict[str, str] | None = None
    _pairs: dict[tuple[str, str], int] | None = None
    _ties: dict[tuple[str, str], tuple[int, float, int]] | None = None
    _tie_sums: dict[tuple[str, str], tuple[int, int, int]] | None = None
    _tallies: TeamTallies | None = None
    # The network of the same window at an earlier position, built from the facts
    # these were patched from: what of its team work still holds is carried
    # forward (projections.social.carry) instead of worked out again.
    previous: Network | None = None

    # ------------------------------------------------------------ derived

    @property
    def social(self) -> set[str]:
        if self._social is None:
            found = {a for agents in self.members.values() if len(agents) >= 2 for a in agents}
            found.update(a for _, src, dst, _ in self.edges for a in (src, dst))
            self._social = found & self.active
        return self._social

    @property
    def isolated(self) -> set[str]:
        return self.active - self.social

    def pairable(self) -> list[set[str]]:
        """The gatherings that make pairs (2..cap people)."""
        return [agents for agents in self.members.values() if 2 <= len(agents) <= self.cap]

    @property
    def pairs(self) -> dict[tuple[str, str], int]:
        """w(a, b) for a < b: gatherings holding both (person-level answers only)."""
        if self._pairs is None:
            pairs: dict[tuple[str, str], int] = defaultdict(int)
            for agents in self.pairable():
                for a, b in combinations(sorted(agents), 2):
                    pairs[(a, b)] += 1
            self._pairs = dict(pairs)
        return self._pairs

    @property
    def newman(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = defaultdict(float)
        for agents in self.pairable():
            for a, b in combinations(sorted(agents), 2):
                out[(a, b)] += 1 / (len(agents) - 1)
        return dict(out)

    def mask(self, agents: Iterable[str]) -> int:
        bits = 0
        for agent in agents:
            if agent in self.index:
                bits |= 1 << self.index[agent]
        return bits

    def degree(self) -> dict[str, int]:
        return {agent: bits.bit_count() for agent, bits in self.co.items()}

    def pair_count(self, among: set[str] | None = None) -> int:
        """Distinct pairs (with at least one of ``among``; None: all)."""
        if among is None:
            return sum(bits.bit_count() for bits in self.co.values()) // 2
        inside = self.mask(among)
        both = sum((self.co.get(a, 0) & inside).bit_count() for a in among)
        one = sum((self.co.get(a, 0) & ~inside).bit_count() for a in among)
        return both // 2 + one

    def people_in(self, bits: int) -> list[str]:
        return [self.keys[i] for i in range(bits.bit_length()) if bits >> i & 1]

    @property
    def keys(self) -> list[str]:
        return sorted(self.index, key=self.index.__getitem__)

    def co_learners(self, agent: str) -> set[str]:
        found = set(self.people_in(self.co.get(agent, 0)))
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
            from projections.social import carry

            # Read once: a read in another thread may let go of it meanwhile.
            previous = self.previous
            self._teams = carry.teams(self, previous) if previous is not None else {
                agent: self.team(agent) for agent in sorted(self.active)
            }
        return self._teams

    def ties(self) -> dict[tuple[str, str], tuple[int, float, int]]:
        """team_ties over every active learner's team (worked out once)."""
        if self._ties is None:
            if self._tie_sums is None:
                from projections.social import carry

                previous = self.previous
                self._tie_sums = (
                    carry.tie_sums(self, previous) if previous is not None else None
                ) or tie_sums(self, self.teams(), self.pairable())
            self._ties = ties_of(self._tie_sums, self.cap)
            self._release()
        return self._ties

    def tallies(self) -> TeamTallies:
        """Per-person team tallies of co-learners (worked out once)."""
        if self._tallies is None:
            from projections.social import carry

            previous = self.previous
            self._tallies = (
                carry.tallies(self, previous) if previous is not None else None
            ) or team_tallies(self, self.teams())
            self._release()
        return self._tallies

    def _release(self) -> None:
        """Let go of the earlier network once everything carried from it is here."""
        if self._teams is not None and self._tallies is not None and self._tie_sums is not None:
            self.previous = None


@dataclass(frozen=True)
class TeamTallies:
    """How many co-learners each active person has in each team, and their sums
    by pair of teams: /teams reads density, bridging and the ties' pairs from these."""

    members: dict[str, set[str]]  # team -> active members
    reached: dict[str, dict[str, int]]  # person -> team -> co-learners in it
    pairs: dict[tuple[str, str], int]  # (team a, team b) -> co-learner pairs of a's members in b
    people: dict[tuple[str, str], int]  # (team a, team b) -> a's members with a co-learner in b


def team_tallies(net: Network, team_of: dict[str, str]) -> TeamTallies:
    members: dict[str, set[str]] = defaultdict(set)
    for agent, team in team_of.items():
        members[team].add(agent)
    masks = {team: net.mask(agents) for team, agents in members.items()}
    # One AND per person and team; density, bridging and the ties' pairs are sums of these.
    reached: dict[str, dict[str, int]] = {}
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    people: dict[tuple[str, str], int] = defaultdict(int)
    for agent, own in team_of.items():
        bits = net.co.get(agent, 0)
        found = {team: n for team, mask in masks.items() if bits and (n := (bits & mask).bit_count())}
        reached[agent] = found
        for team, n in found.items():
            pairs[(own, team)] += n
            people[(own, team)] += 1
    return TeamTallies(dict(members), reached, dict(pairs), dict(people))


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


def build(facts: Facts, since: str | None, until: str | None, previous: Network | None = None) -> Network:
    """The network of the window [since, until) (UTC timestamps; None: open);
    ``previous``: the same window's network at an earlier position, whose work
    still holding is carried forward (projections.social.carry)."""

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
    if members:
        for key, agents in (facts.members or {}).items():
            members[key] |= agents
    else:
        # Grouped by the reader already: the facts' sets are shared, never changed
        # (a patch copies the sets it changes: projections.social.delta).
        members = facts.members or {}
    # In gathering-key order: the team ties' Newman weights are float sums, the same
    # whatever order the database returned the rows in.
    net.members = dict(sorted(members.items()))
    net.index = {agent: i for i, agent in enumerate(sorted({a for agents in members.values() for a in agents}))}
    carried = None
    if previous is not None:
        from projections.social import carry

        net.previous = previous
        carried = carry.co(net, previous)
    if carried is None:
        co: dict[str, int] = defaultdict(int)
        for agents in net.pairable():
            bits = net.mask(agents)
            for agent in agents:
                co[agent] |= bits
        carried = {agent: bits & ~(1 << net.index[agent]) for agent, bits in co.items()}
    net.co = carried
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


def team_ties(net: Network, team_of: dict[str, str]) -> dict[tuple[str, str], tuple[int, float, int]]:
    """Per pair of teams (active members only), over gatherings of 2..cap people:
    the gatherings both took part in, the Newman weight summed over their
    cross-team pairs (n_a * n_b / (size - 1) per gathering), and the cross-team
    pair incidences (n_a * n_b per gathering)."""
    return ties_of(tie_sums(net, team_of, net.pairable()), net.cap)


def newman_unit(cap: int) -> int:
    """A multiple of every 1 / (size - 1) a gathering of 2..cap people adds: the
    Newman weights are summed as exact integers in this unit, so a sum is the
    same whatever order its gatherings come in, and a gathering's terms can be
    taken out again (projections.social.carry)."""
    return math.lcm(*range(1, max(cap, 2)))


def tie_sums(
    net: Network, team_of: dict[str, str], gatherings: Iterable[set[str]], sign: int = 1,
    into: dict[tuple[str, str], list[int]] | None = None,
) -> dict[tuple[str, str], tuple[int, int, int]]:
    """team_ties' sums over ``gatherings`` (added, or taken out with sign -1, to
    ``into``): gatherings, Newman weight in newman_unit, incidences."""
    unit = newman_unit(net.cap)
    out: dict[tuple[str, str], list[int]] = into if into is not None else {}
    for agents in gatherings:
        present = sorted(Counter([team_of[agent] for agent in agents if agent in team_of]).items())
        step = unit // (len(agents) - 1) * sign
        for i, (ta, ca) in enumerate(present):
            for tb, cb in present[i + 1:]:
                n = ca * cb
                tie = out.get((ta, tb))
                if tie is None:
                    out[(ta, tb)] = [sign, n * step, n * sign]
                else:
                    tie[0] += sign
                    tie[1] += n * step
                    tie[2] += n * sign
    return {key: (v[0], v[1], v[2]) for key, v in out.items() if v[0]}


def ties_of(sums: dict[tuple[str, str], tuple[int, int, int]], cap: int) -> dict[tuple[str, str], tuple[int, float, int]]:
    unit = newman_unit(cap)
    return {key: (shared, weight / unit, n) for key, (shared, weight, n) in sums.items()}


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
