"""Fact extraction for the programme KPI view (pure: no database, no HTTP).

``facts(statement, position, settings)`` turns one stored statement into the
compact rows KPIs are computed from: one per learner (an Agent actor, or each
identified member of a Group actor, Data 2.4.2.2), for a statement whose verb is
one KPIs know (``VERB_CLASSES``) or whose object sits in an activity tree
(context activities, Data 2.4.6.2). Voiding statements never make facts; the
base (projections.statements) withdraws a voided statement's rows.
"""

from __future__ import annotations

import hashlib
from typing import Any
from zoneinfo import ZoneInfo

from lrs.xapi.agents import ifi_key, key_hash
from lrs.xapi.value_formats import duration_seconds, parse_timestamp
from projections.subjects import learners_of, statement_time
from projections.windows import fiscal_quarter, iso_week

ADL = "http://adlnet.gov/expapi/verbs/"
TC = "http://id.tincanapi.com/verb/"
AS = "http://activitystrea.ms/"
# Verb IRI -> KPI class (design part b). Aliases from the ADL, cmi5, TinCan and
# Activity Streams vocabularies (appendix A.1) share a class.
VERB_CLASSES: dict[str, str] = {
    ADL + "registered": "registered",
    ADL + "attempted": "attempted", ADL + "launched": "attempted", ADL + "initialized": "attempted",
    ADL + "progressed": "progressed", ADL + "experienced": "progressed", ADL + "resumed": "progressed",
    ADL + "completed": "completed",
    ADL + "passed": "passed",
    ADL + "failed": "failed",
    "https://w3id.org/xapi/adl/verbs/satisfied": "satisfied",
    "https://w3id.org/xapi/adl/verbs/waived": "satisfied",
    ADL + "terminated": "terminated", ADL + "exited": "terminated", ADL + "suspended": "terminated",
    ADL + "answered": "answered", ADL + "responded": "answered",
    TC + "rated": "rated",
    ADL + "commented": "social", ADL + "shared": "social", ADL + "attended": "social",
    ADL + "asked": "social", TC + "replied": "social", TC + "mentored": "social",
    TC + "talked-with": "social", AS + "join": "social", AS + "share": "social",
    AS + "schema/1.0/share": "social", AS + "like": "social", AS + "schema/1.0/like": "social",
    "https://w3id.org/xapi/acrossx/verbs/posted": "social",
    "https://w3id.org/xapi/acrossx/verbs/liked": "social",
}
VERB_CLASS_NAMES = (
    "registered", "attempted", "progressed", "completed", "passed", "failed", "satisfied",
    "terminated", "answered", "rated", "social", "other",
)
# Result extensions that carry a rating (TinCan "quality-rating": "4 out of 5 stars").
RATING_EXTENSIONS = ("http://id.tincanapi.com/extension/quality-rating",)
# Part of the fold: a change bumps the projection's version (and so a rebuild).
RULES_VERSION = hashlib.sha256(repr((sorted(VERB_CLASSES.items()), RATING_EXTENSIONS)).encode()).hexdigest()[:8]

DEFAULT_SETTINGS = {"timezone": "UTC", "fiscal_start_month": 1}


def verb_class(verb_id: str) -> str:
    return VERB_CLASSES.get(verb_id, "other")


def _ids(activities: Any) -> list[str]:
    # Data 2.4.6.2: a single Activity object is allowed where an array is expected.
    if isinstance(activities, dict):
        activities = [activities]
    return sorted({a["id"] for a in activities or () if isinstance(a, dict) and isinstance(a.get("id"), str)})


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def rating(result: dict[str, Any], klass: str) -> float | None:
    """A rating from a mapped extension, a numeric ``result.response``, or the raw
    score of a ``rated`` statement."""
    extensions = result.get("extensions") or {}
    for key in RATING_EXTENSIONS:
        value = extensions.get(key)
        if isinstance(value, dict):
            value = value.get("raw")
        if _number(value) is not None:
            return _number(value)
    response = result.get("response")
    if isinstance(response, str):
        try:
            number = float(response.strip())
        except ValueError:
            number = None
        if number is not None and number == number and abs(number) != float("inf"):
            return number
    if klass == "rated":
        return _number((result.get("score") or {}).get("raw"))
    return None


def buckets(ts: str, settings: dict[str, Any]) -> dict[str, str]:
    """Day, ISO week, month and fiscal quarter of a UTC time in the store's zone."""
    moment = parse_timestamp(ts)
    assert moment is not None
    local = moment.astimezone(ZoneInfo(settings["timezone"]))
    return {
        "day": local.date().isoformat(),
        "iso_week": iso_week(local.date()),
        "month": f"{local.year}-{local.month:02d}",
        "quarter": fiscal_quarter(local, settings["fiscal_start_month"]),
    }


def is_relevant(statement: dict[str, Any]) -> bool:
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") != "Activity" or not isinstance(obj.get("id"), str):
        return False
    if statement["verb"]["id"] == ADL + "voided":
        return False
    if statement["verb"]["id"] in VERB_CLASSES:
        return True
    context = (statement.get("context") or {}).get("contextActivities") or {}
    return any(_ids(context.get(kind)) for kind in ("parent", "grouping", "category"))


CONTEXT_KINDS = ("parent", "grouping", "category")


def links_of(statement: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, context activity id) of a relevant statement: the ids its fact rows
    keep in parent_ids, grouping_ids and category_ids (projections.kpi.schema LINKS)."""
    contexts = (statement.get("context") or {}).get("contextActivities") or {}
    return [(kind, i) for kind in CONTEXT_KINDS for i in _ids(contexts.get(kind))]


def activity_of(statement: dict[str, Any]) -> tuple[str, str | None, Any]:
    """The object's id, type and name, as this statement declares them."""
    obj = statement["object"]
    definition = obj.get("definition") or {}
    kind = definition.get("type") if isinstance(definition.get("type"), str) else None
    return obj["id"], kind, definition.get("name")


def facts(statement: dict[str, Any], position: int, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The fact rows of one statement (without ``store_id``), one per learner."""
    if not is_relevant(statement):
        return []
    activity_id, activity_type, _ = activity_of(statement)
    klass = verb_class(statement["verb"]["id"])
    result = statement.get("result") or {}
    context = statement.get("context") or {}
    contexts = context.get("contextActivities") or {}
    score = result.get("score") or {}
    scaled = _number(score.get("scaled"))
    raw, low, high = _number(score.get("raw")), _number(score.get("min")), _number(score.get("max"))
    if scaled is None and raw is not None and high is not None:
        # Data 2.4.5.1: raw lies between min and max; scaled as its place in that range.
        base = low if low is not None else 0.0
        if high > base:
            scaled = (raw - base) / (high - base)
    duration = duration_seconds(result["duration"]) if isinstance(result.get("duration"), str) else None
    response = result.get("response")
    rated = rating(result, klass)
    ts = statement_time(statement)
    actor = statement.get("actor") or {}
    group_mode = (
        actor.get("objectType") == "Group" or bool(context.get("team")) or bool(context.get("contextGroups"))
    )
    common = {
        "statement_id": statement["id"].lower(),
        "position": position,
        "activity_id": activity_id,
        "activity_type": activity_type,
        "registration": (context.get("registration") or "").lower(),
        "verb_class": klass,
        "ts": ts,
        **buckets(ts, settings),
        "scaled_score": scaled,
        "raw_score": raw,
        "success": result.get("success") if isinstance(result.get("success"), bool) else None,
        "completion": result.get("completion") if isinstance(result.get("completion"), bool) else None,
        "duration_s": duration,
        "group_mode": group_mode,
        "rating_value": rated,
        "response_hash": (
            key_hash(response) if isinstance(response, str) and response and rated is None else None
        ),
        "parent_ids": _ids(contexts.get("parent")),
        "grouping_ids": _ids(contexts.get("grouping")),
        "category_ids": _ids(contexts.get("category")),
    }
    return [{**common, "agent_hash": key_hash(ifi_key(agent) or "")} for agent in learners_of(statement)]


def settings_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The bucket settings of an ``analytics.settings.changed`` event (the social
    view's event: its payload holds the whole settings after the change). Read here
    only, so the KPI view depends on that event's shape in one place."""
    settings = payload.get("settings") or {}
    zone = settings.get("timezone")
    start = settings.get("fiscalYearStartMonth")
    try:
        ZoneInfo(zone) if isinstance(zone, str) else None
    except Exception:  # an unknown zone in an old event: keep the default, not a stuck view
        zone = None
    return {
        "timezone": zone if isinstance(zone, str) else DEFAULT_SETTINGS["timezone"],
        "fiscal_start_month": start if isinstance(start, int) and 1 <= start <= 12 else 1,
    }


def memberships_of(payload: dict[str, Any]) -> tuple[bool, list[tuple[str, str, str, str]]] | None:
    """(merge, [(agent hash, team, valid from, valid to)]) of a
    ``people.membership.imported`` event (the social view's: rows of ``agentKey``,
    ``team``, ``validFrom``, ``validTo``, dates or null); None when it holds none."""
    rows = payload.get("memberships")
    if not isinstance(rows, list):
        return None
    found = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("agentKey"), str) or not isinstance(row.get("team"), str):
            continue
        found.append((key_hash(row["agentKey"]), row["team"][:128], row.get("validFrom") or "", row.get("validTo") or ""))
    return bool(payload.get("merge")), sorted(set(found))
