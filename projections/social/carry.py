"""A network's team work carried forward from the network of the same window at an
earlier position (the facts were patched: projections.social.delta).

Between two reads of a live store a few statements arrive: most people's last
moment, memberships and co-learners are unchanged, and so are their team, their
per-team tallies and most gatherings' team ties. What changed is worked out again;
what did not is taken over. Each function answers exactly what the network's own
computation answers (tests/db/test_social_reuse.py compares them), or None when
the earlier network cannot say (then the network works it out whole).
"""

from __future__ import annotations

from collections import defaultdict

from projections.social.network import Network, TeamTallies
from projections.social.network import tie_sums as summed


def _comparable(net: Network, old: Network) -> bool:
    return old.cap == net.cap and old.zone == net.zone


def co(net: Network, old: Network) -> dict[str, int] | None:
    """A person's co-learner bits change only with the gatherings they are in:
    those people's bits are worked out again (under the same numbering of people)."""
    if not _comparable(net, old) or old.index != net.index:
        return None
    changed = [
        key for key in old.members.keys() | net.members.keys()
        if (before := old.members.get(key)) is not (now := net.members.get(key)) and before != now
    ]
    affected: set[str] = set()
    for key in changed:
        affected |= old.members.get(key, set()) | net.members.get(key, set())
    out = {agent: bits for agent, bits in old.co.items() if agent not in affected}
    again: dict[str, int] = {}
    for agents in net.pairable():
        if not agents.isdisjoint(affected):
            bits = net.mask(agents)
            for agent in agents & affected:
                again[agent] = again.get(agent, 0) | bits
    for agent, bits in again.items():
        out[agent] = bits & ~(1 << net.index[agent])
    return out


def teams(net: Network, old: Network) -> dict[str, str]:
    """An agent's team depends on their memberships and last moment only (team_at)."""
    kept = old._teams if _comparable(net, old) else None
    out = {}
    for agent in sorted(net.active):
        if (kept is not None and agent in kept and old.last_seen.get(agent) == net.last_seen.get(agent)
                and old.memberships.get(agent) == net.memberships.get(agent)):
            out[agent] = kept[agent]
        else:
            out[agent] = net.team(agent)
    return out


def _moved(net: Network, old_teams: dict[str, str]) -> set[str]:
    """The people whose team (or being active) differs between the two networks."""
    new_teams = net.teams()
    return {agent for agent in new_teams.keys() | old_teams.keys() if new_teams.get(agent) != old_teams.get(agent)}


def tallies(net: Network, old: Network) -> TeamTallies | None:
    """A person's tallies change only with their co-learners or those co-learners'
    teams; the sums by pair of teams change by what those persons' tallies did."""
    found_before, old_teams = old._tallies, old._teams
    # Co-learners are compared as bitsets: only under the same numbering of people.
    if found_before is None or old_teams is None or not _comparable(net, old) or old.index != net.index:
        return None
    team_of = net.teams()
    moved = net.mask(_moved(net, old_teams))
    members: dict[str, set[str]] = defaultdict(set)
    for agent, team in team_of.items():
        members[team].add(agent)
    masks = {team: net.mask(agents) for team, agents in members.items()}
    reached: dict[str, dict[str, int]] = {}
    pairs = defaultdict(int, found_before.pairs)
    people = defaultdict(int, found_before.people)
    for agent in team_of.keys() | old_teams.keys():
        before = found_before.reached.get(agent)
        bits = net.co.get(agent, 0)
        if (agent in team_of and before is not None and team_of[agent] == old_teams[agent]
                and old.co.get(agent, 0) == bits and not bits & moved):
            reached[agent] = before
            continue
        if before is not None:
            for team, n in before.items():
                pairs[(old_teams[agent], team)] -= n
                people[(old_teams[agent], team)] -= 1
        if agent in team_of:
            found = {team: n for team, mask in masks.items() if bits and (n := (bits & mask).bit_count())}
            reached[agent] = found
            for team, n in found.items():
                pairs[(team_of[agent], team)] += n
                people[(team_of[agent], team)] += 1
    return TeamTallies(
        dict(members), {agent: reached[agent] for agent in team_of},
        {key: n for key, n in pairs.items() if n}, {key: n for key, n in people.items() if n},
    )


def tie_sums(net: Network, old: Network) -> dict[tuple[str, str], tuple[int, int, int]] | None:
    """A gathering's share of the team ties changes only with its people or their
    teams: those gatherings' shares are taken out (as they were) and added (as they are)."""
    sums_before, old_teams = old._tie_sums, old._teams
    if sums_before is None or old_teams is None or not _comparable(net, old):
        return None
    moved = _moved(net, old_teams)
    changed = [
        key for key in old.members.keys() | net.members.keys()
        if ((before := old.members.get(key)) is not (now := net.members.get(key)) and before != now)
        or not moved.isdisjoint(now or ())
    ]

    def pairable(members: dict[str, set[str]], cap: int) -> list[set[str]]:
        return [agents for key in changed if 2 <= len(agents := members.get(key, set())) <= cap]

    sums = {key: list(value) for key, value in sums_before.items()}
    summed(old, old_teams, pairable(old.members, old.cap), sign=-1, into=sums)
    return summed(net, net.teams(), pairable(net.members, net.cap), into=sums)
