"""Which statements a forwarding target receives (pure: no database, no HTTP).

A filter is plain JSON, kept in the target's event:

    {"verbs": [IRI...], "activities": [IRI...], "descendants": bool,
     "agents": [Agent...], "stores": [store id...],
     "statements": "all"|"statements"|"voiding"|"none"}

Each property left out lets everything through; the properties combine with AND,
the values of one property with OR. ``activities`` matches the statement's object
(xAPI Data 2.4.4); with ``descendants`` it also matches statements whose
``context.contextActivities.parent`` or ``grouping`` names the activity (Data
2.4.6.2): the statements about the activities below it. ``agents`` matches the
actor or an Agent/Group object by its identifier (Data 2.4.2.3), as the ``agent``
parameter of GET /statements does without ``related_agents``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lrs.forwarding.errors import InvalidTarget
from lrs.xapi.agents import ifi_key
from lrs.xapi.validation import VOIDED

STATEMENT_KINDS = ("all", "statements", "voiding", "none")
_KNOWN = {"verbs", "activities", "descendants", "agents", "stores", "statements"}


@dataclass(frozen=True)
class Filter:
    verbs: frozenset[str] | None = None
    activities: frozenset[str] | None = None
    descendants: bool = False
    agents: frozenset[str] | None = None  # IFI keys (lrs.xapi.agents.ifi_key)
    stores: frozenset[str] | None = None
    statements: str = "all"

    def matches(self, statement: dict[str, Any], store_id: str) -> bool:
        if self.stores is not None and store_id not in self.stores:
            return False
        voiding = statement.get("verb", {}).get("id") == VOIDED
        if self.statements == "statements" and voiding:
            return False
        if self.statements == "voiding" and not voiding:
            return False
        if self.statements == "none":
            return False
        if self.verbs is not None and statement.get("verb", {}).get("id") not in self.verbs:
            return False
        if self.activities is not None and not self._about_activity(statement):
            return False
        return self.agents is None or self._about_agent(statement)

    def _about_activity(self, statement: dict[str, Any]) -> bool:
        assert self.activities is not None
        obj = statement.get("object", {})
        if obj.get("objectType", "Activity") == "Activity" and obj.get("id") in self.activities:
            return True
        if not self.descendants:
            return False
        context_activities = (statement.get("context") or {}).get("contextActivities") or {}
        for relation in ("parent", "grouping"):
            related = context_activities.get(relation) or []
            if isinstance(related, dict):  # a single object is allowed (1.0.x)
                related = [related]
            if any(a.get("id") in self.activities for a in related if isinstance(a, dict)):
                return True
        return False

    def _about_agent(self, statement: dict[str, Any]) -> bool:
        assert self.agents is not None
        actor = statement.get("actor") or {}
        if ifi_key(actor) in self.agents:
            return True
        obj = statement.get("object") or {}
        return obj.get("objectType") in ("Agent", "Group") and ifi_key(obj) in self.agents


def _iri_list(value: Any, path: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise InvalidTarget(path, "must be a non-empty array of IRIs")
    for i, item in enumerate(value):
        if not isinstance(item, str) or ":" not in item or any(c.isspace() for c in item):
            raise InvalidTarget(f"{path}[{i}]", "must be an absolute IRI (xAPI Data 4.2.1)")
    return frozenset(value)


def parse(value: Any, path: str = "filter") -> Filter:
    """A filter from its JSON form; InvalidTarget names the property and the rule."""
    if value is None:
        return Filter()
    if not isinstance(value, dict):
        raise InvalidTarget(path, "must be an object")
    unknown = sorted(set(value) - _KNOWN)
    if unknown:
        raise InvalidTarget(
            f"{path}.{unknown[0]}", f"is not a filter property (known: {', '.join(sorted(_KNOWN))})"
        )
    verbs = _iri_list(value["verbs"], f"{path}.verbs") if "verbs" in value else None
    activities = (
        _iri_list(value["activities"], f"{path}.activities") if "activities" in value else None
    )
    descendants = value.get("descendants", False)
    if not isinstance(descendants, bool):
        raise InvalidTarget(f"{path}.descendants", "must be true or false")
    if descendants and activities is None:
        raise InvalidTarget(f"{path}.descendants", "needs activities to descend from")
    agents = None
    if "agents" in value:
        raw = value["agents"]
        if not isinstance(raw, list) or not raw:
            raise InvalidTarget(f"{path}.agents", "must be a non-empty array of Agents or Groups")
        keys = []
        for i, agent in enumerate(raw):
            key = ifi_key(agent) if isinstance(agent, dict) else None
            if key is None:
                raise InvalidTarget(
                    f"{path}.agents[{i}]",
                    "must be an Agent or identified Group with one of mbox, mbox_sha1sum, "
                    "openid, account (xAPI Data 2.4.2.3)",
                )
            keys.append(key)
        agents = frozenset(keys)
    stores = None
    if "stores" in value:
        raw = value["stores"]
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
            raise InvalidTarget(f"{path}.stores", "must be a non-empty array of store ids")
        stores = frozenset(raw)
    kind = value.get("statements", "all")
    if kind not in STATEMENT_KINDS:
        raise InvalidTarget(f"{path}.statements", f"must be one of {', '.join(STATEMENT_KINDS)}")
    return Filter(verbs, activities, descendants, agents, stores, kind)


@dataclass(frozen=True)
class ViewFilter:
    """Which changes of a view a webhook gets: records whose status is one of
    ``statuses``, whose activity is one of ``activities`` (progress) and whose
    competency is one of ``competencies`` (competency); None: any. With
    ``transitions``, only records whose status differs from their ``previousStatus``:
    "became proficient", not "proficient again after one more quiz" (competency)."""

    statuses: frozenset[str] | None = None
    activities: frozenset[str] | None = None
    competencies: frozenset[str] | None = None
    transitions: bool = False

    def matches(self, record: dict[str, Any]) -> bool:
        if self.statuses is not None and record.get("status") not in self.statuses:
            return False
        if self.transitions and record.get("status") == record.get("previousStatus"):
            return False
        if self.competencies is not None and record.get("competencyId") not in self.competencies:
            return False
        return self.activities is None or record.get("activityId") in self.activities


# What each view's records can be filtered by, and the statuses they take (None:
# not checked). A view not listed here takes every property.
VIEW_FILTERS: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {
    "progress": (frozenset({"statuses", "activities"}), None),
    "competency": (frozenset({"statuses", "competencies", "transitions"}),
                   frozenset({"proficient", "needs-refresh", "developing", "lapsed"})),
}
_VIEW_FILTER_PROPERTIES = frozenset({"statuses", "activities", "competencies"})


def parse_views(value: Any, known: frozenset[str] | None = None, path: str = "views") -> dict[str, ViewFilter]:
    """``{"progress": {"statuses": ["passed", "completed"], "activities": [IRI...]},
    "competency": {"statuses": ["proficient"], "competencies": [IRI...], "transitions": true}}``."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise InvalidTarget(path, "must be an object naming views")
    out = {}
    for name, spec in value.items():
        where = f"{path}.{name}"
        if known is not None and name not in known:
            raise InvalidTarget(where, f"is not a view with a change feed (known: {', '.join(sorted(known))})")
        if not isinstance(spec, dict):
            raise InvalidTarget(where, "must be an object (may be empty: every change)")
        allowed, statuses_known = VIEW_FILTERS.get(name, (_VIEW_FILTER_PROPERTIES, None))
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise InvalidTarget(f"{where}.{unknown[0]}",
                                f"is not a filter property of this view ({', '.join(sorted(allowed))})")
        statuses = None
        if "statuses" in spec:
            raw = spec["statuses"]
            if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
                raise InvalidTarget(f"{where}.statuses", "must be a non-empty array of statuses")
            if statuses_known is not None:
                for i, status in enumerate(raw):
                    if status not in statuses_known:
                        raise InvalidTarget(f"{where}.statuses[{i}]",
                                            f"must be one of {', '.join(sorted(statuses_known))}")
            statuses = frozenset(raw)
        activities = _iri_list(spec["activities"], f"{where}.activities") if "activities" in spec else None
        competencies = (_iri_list(spec["competencies"], f"{where}.competencies")
                        if "competencies" in spec else None)
        transitions = spec.get("transitions", False)
        if not isinstance(transitions, bool):
            raise InvalidTarget(f"{where}.transitions", "must be true or false")
        out[name] = ViewFilter(statuses, activities, competencies, transitions)
    return out
