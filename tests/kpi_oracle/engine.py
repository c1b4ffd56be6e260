"""KPI math over fact rows (pure: no database, no HTTP). Each KPI is defined
once here, in words in docs/kpi.md; queries.py loads the rows and applies the
disclosure layer.

A fact belongs to a programme when its activity, or one of its parent, grouping
or category activities, is a root, module or tag of the programme, or when its
activity descends from a root in the activity tree as the facts declare it
(context parents), or is one of the programme's survey items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from lrs.xapi.value_formats import parse_timestamp
from projections.windows import Period

Fact = dict[str, Any]
DONE = frozenset(("completed", "passed", "satisfied"))
PASS = frozenset(("passed", "satisfied"))
NPS_PROMOTER, NPS_DETRACTOR = 9, 6


def is_completion(f: Fact) -> bool:
    return f["verb_class"] in DONE or f["completion"] is True


def outcome(f: Fact) -> bool | None:
    """A pass (True), a fail (False), or no assessment outcome (None)."""
    if f["verb_class"] in PASS:
        return True
    if f["verb_class"] == "failed":
        return False
    return f["success"] if isinstance(f["success"], bool) else None


def _context_ids(f: Fact) -> Iterable[str]:
    yield from f["parent_ids"]
    yield from f["grouping_ids"]
    yield from f["category_ids"]


def descendants(facts: Iterable[Fact], roots: Iterable[str]) -> dict[str, str]:
    """activity -> the root (of ``roots``, in order) it descends from, through context
    parents as the facts declare them (the first root listed wins)."""
    children: dict[str, set[str]] = defaultdict(set)
    for f in facts:
        for parent in f["parent_ids"]:
            children[parent].add(f["activity_id"])
    out: dict[str, str] = {}
    for root in roots:
        pending = [root]
        while pending:
            node = pending.pop()
            if node in out:
                continue
            out[node] = root
            pending.extend(sorted(children.get(node, ())))
    return out


@dataclass
class Programme:
    """A programme definition applied to the facts of a store."""

    id: str
    definition: dict[str, Any]
    facts: Sequence[Fact]
    tree: dict[str, str] = field(init=False)
    modules: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        d = self.definition
        self.named = set(d["roots"]) | set(d["modules"]) | set(d["tags"])
        self.tree = descendants(self.facts, d["roots"])
        self.modules = descendants(self.facts, d["modules"])
        self.surveys = {s["activity"]: s for s in d.get("surveys") or ()}
        self.members = [f for f in self.facts if self.holds(f)]

    def holds(self, f: Fact) -> bool:
        return (
            f["activity_id"] in self.named or f["activity_id"] in self.tree or f["activity_id"] in self.modules
            or f["activity_id"] in self.surveys or any(i in self.named for i in _context_ids(f))
        )

    def module_of(self, f: Fact) -> str | None:
        found = self.modules.get(f["activity_id"])
        if found is None:
            for i in _context_ids(f):
                if i in self.modules:
                    return self.modules[i]
        return found

    # ----------------------------------------------------------------- learners

    def in_period(self, period: Period) -> list[Fact]:
        return [f for f in self.members if period.holds(f["day"])]

    def completions(self, until: str | None = None) -> dict[str, Fact]:
        """learner -> the fact that completed the programme (facts on days before
        ``until``, a local day, exclusive): every module completed (``all-modules``),
        or any root (``any-root``); the time is when the last needed piece was done."""
        rule = self.definition["completion"]
        if rule is None:
            return {}
        firsts: dict[tuple[str, str], Fact] = {}
        for f in self.members:
            if (until is not None and f["day"] >= until) or not is_completion(f):
                continue
            if rule == "all-modules":
                target = f["activity_id"] if f["activity_id"] in self.definition["modules"] else None
            else:
                target = f["activity_id"] if f["activity_id"] in self.definition["roots"] else None
            if target is None:
                continue
            key = (f["agent_hash"], target)
            if key not in firsts or _order(f) < _order(firsts[key]):
                firsts[key] = f
        by_learner: dict[str, list[Fact]] = defaultdict(list)
        for (agent, _), f in firsts.items():
            by_learner[agent].append(f)
        needed = len(self.definition["modules"]) if rule == "all-modules" else 1
        out: dict[str, Fact] = {}
        for agent, done in by_learner.items():
            if rule == "all-modules" and len(done) < needed:
                continue
            out[agent] = max(done, key=_order) if rule == "all-modules" else min(done, key=_order)
        return out


def _order(f: Fact) -> tuple[str, int]:
    return f["ts"], f["position"]


def learners(facts: Iterable[Fact]) -> set[str]:
    return {f["agent_hash"] for f in facts}


def _moment(ts: str) -> datetime:
    moment = parse_timestamp(ts)
    assert moment is not None
    return moment


def learning_hours(facts: Iterable[Fact]) -> float:
    """Hours from ``result.duration``: per learner x activity x registration, the
    durations of ``terminated`` statements when there are any (a cmi5 session's
    total), otherwise of every statement carrying one."""
    sessions: dict[tuple[str, str, str], dict[bool, float]] = defaultdict(lambda: {True: 0.0, False: 0.0})
    ended: set[tuple[str, str, str]] = set()
    for f in facts:
        if f["duration_s"] is None:
            continue
        key = (f["agent_hash"], f["activity_id"], f["registration"])
        terminated = f["verb_class"] == "terminated"
        if terminated:
            ended.add(key)
        sessions[key][terminated] += f["duration_s"]
    seconds = sum(parts[key in ended] for key, parts in sessions.items())
    return round(seconds / 3600, 2)


def latest_ratings(facts: Iterable[Fact], items: dict[str, dict[str, Any]], metric: str) -> dict[tuple[str, str], float]:
    """(learner, item) -> the learner's latest in-scale rating on each survey item of ``metric``."""
    latest: dict[tuple[str, str], Fact] = {}
    for f in facts:
        item = items.get(f["activity_id"])
        if item is None or item["metric"] != metric or f["rating_value"] is None:
            continue
        low, high = item["scale"]
        if not low <= f["rating_value"] <= high:
            continue
        key = (f["agent_hash"], f["activity_id"])
        if key not in latest or _order(f) > _order(latest[key]):
            latest[key] = f
    return {key: f["rating_value"] for key, f in latest.items()}


def nps(scores: Iterable[float]) -> dict[str, int]:
    """Net Promoter Score: % promoters (9-10) - % detractors (0-6), rounded."""
    values = list(scores)
    promoters = sum(1 for v in values if v >= NPS_PROMOTER)
    detractors = sum(1 for v in values if v <= NPS_DETRACTOR)
    n = len(values)
    return {
        "value": round(100 * (promoters - detractors) / n) if n else 0,
        "promoters": promoters, "passives": n - promoters - detractors, "detractors": detractors, "n": n,
    }


def assessed(facts: Iterable[Fact]) -> dict[str, bool]:
    """learner -> passed (any pass) or not, for learners with an assessment outcome."""
    out: dict[str, bool] = {}
    for f in facts:
        result = outcome(f)
        if result is not None:
            out[f["agent_hash"]] = out.get(f["agent_hash"], False) or result
    return out


def best_scores(facts: Iterable[Fact]) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in facts:
        if f["scaled_score"] is not None:
            out[f["agent_hash"]] = max(out.get(f["agent_hash"], f["scaled_score"]), f["scaled_score"])
    return out


def days_to_complete(programme: Programme, completed: dict[str, Fact]) -> dict[str, float]:
    """learner -> days from their first programme statement to their completion."""
    first: dict[str, str] = {}
    for f in programme.members:
        if f["agent_hash"] in completed and (f["agent_hash"] not in first or f["ts"] < first[f["agent_hash"]]):
            first[f["agent_hash"]] = f["ts"]
    return {
        agent: round((_moment(f["ts"]) - _moment(first[agent])).total_seconds() / 86400, 2)
        for agent, f in completed.items()
    }


def applied(programme: Programme, completed: dict[str, Fact], all_facts: Iterable[Fact]) -> set[str]:
    """Completers with application evidence (an activity of the configured types or
    ids) within ``withinDays`` after their completion."""
    rule = programme.definition.get("application")
    if not rule:
        return set()
    types, ids, window = set(rule["activityTypes"]), set(rule["activities"]), timedelta(days=rule["withinDays"])
    evidence: dict[str, list[str]] = defaultdict(list)
    for f in all_facts:
        if f["agent_hash"] in completed and (f["activity_type"] in types or f["activity_id"] in ids):
            evidence[f["agent_hash"]].append(f["ts"])
    out = set()
    for agent, done in completed.items():
        start = _moment(done["ts"])
        if any(start <= _moment(ts) <= start + window for ts in evidence.get(agent, ())):
            out.add(agent)
    return out


def median_or_none(values: Iterable[float]) -> float | None:
    items = list(values)
    return round(median(items), 3) if items else None
