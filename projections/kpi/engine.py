"""KPI math that is not aggregation (pure: no database, no HTTP). Each KPI is
defined in words in docs/kpi.md; projections.kpi.scope counts the facts in SQL
with the verb classes named here, and queries.py applies the disclosure layer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from lrs.xapi.value_formats import parse_timestamp

Fact = dict[str, Any]
# Verb classes that complete an activity (or result.completion true), and that pass it.
DONE = frozenset(("completed", "passed", "satisfied"))
PASS = frozenset(("passed", "satisfied"))
NPS_PROMOTER, NPS_DETRACTOR = 9, 6


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


def _moment(ts: str) -> datetime:
    moment = parse_timestamp(ts)
    assert moment is not None
    return moment


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


def days_to_complete(first_seen: Mapping[str, str], completed: Mapping[str, str]) -> dict[str, float]:
    """learner -> days from their first programme statement to their completion
    (both times, UTC)."""
    return {
        agent: round((_moment(ts) - _moment(first_seen[agent])).total_seconds() / 86400, 2)
        for agent, ts in completed.items()
    }


def applied(rule: dict[str, Any], completed: Mapping[str, str], evidence: Iterable[Fact]) -> set[str]:
    """Completers (learner -> completion time) with application evidence (a fact on
    an activity of the rule's types or ids) within ``withinDays`` after completing."""
    types, ids, window = set(rule["activityTypes"]), set(rule["activities"]), timedelta(days=rule["withinDays"])
    seen: dict[str, list[str]] = defaultdict(list)
    for f in evidence:
        if f["agent_hash"] in completed and (f["activity_type"] in types or f["activity_id"] in ids):
            seen[f["agent_hash"]].append(f["ts"])
    out = set()
    for agent, done in completed.items():
        start = _moment(done)
        if any(start <= _moment(ts) <= start + window for ts in seen.get(agent, ())):
            out.add(agent)
    return out


def median_or_none(values: Iterable[float]) -> float | None:
    items = list(values)
    return round(median(items), 3) if items else None
