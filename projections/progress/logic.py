"""Learner progress, pure: what a statement says about a learner and an activity.

A statement contributes one *fact* to each (learner, activity, registration) it is
about; a record's summary is a function of its facts alone, so withdrawing a voided
statement's fact and summarising again is exact. Status, from the strongest:

- ``passed``: a passed, satisfied or waived verb (ADL, cmi5), or result.success true;
- ``failed``: a failed verb or result.success false, and no pass;
- ``completed``: a completed verb, result.completion true, or progress 100;
- ``in progress``: any other statement (attempted, experienced, progressed, ...).

``not attempted`` is what roll-ups report for a learner with no record at all.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

from lrs.clock import format_utc
from lrs.xapi.agents import identity, ifi_key, key_hash
from lrs.xapi.value_formats import duration_seconds, parse_timestamp

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    ADL + "attempted": "attempted",
    ADL + "launched": "launched",
    ADL + "initialized": "initialized",
    ADL + "experienced": "experienced",
    ADL + "completed": "completed",
    ADL + "passed": "passed",
    ADL + "failed": "failed",
    ADL + "scored": "scored",
    ADL + "progressed": "progressed",
    ADL + "terminated": "terminated",
    ADL + "answered": "answered",
    ADL + "voided": "voided",
    "https://w3id.org/xapi/adl/verbs/satisfied": "satisfied",
    "https://w3id.org/xapi/adl/verbs/waived": "waived",
}
ATTEMPT_VERBS = {"attempted", "launched", "initialized"}
PASS_VERBS = {"passed", "satisfied", "waived"}
PROGRESS_EXTENSIONS = {
    # cmi5: an integer percentage.
    "https://w3id.org/xapi/cmi5/result/extensions/progress": 1.0,
    # xAPI Video profile: a fraction of the video.
    "https://w3id.org/xapi/video/extensions/progress": 100.0,
}
# The columns summarize() gives a record.
SUMMARY_COLUMNS = (
    "status", "attempts", "first_at", "last_at", "completed_at", "best_scaled", "last_scaled",
    "time_spent_s", "progress", "evidence",
)
STATUSES = ("not attempted", "in progress", "completed", "failed", "passed")
ALL_REGISTRATIONS = ""


def learners_of(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The learners a statement is about: its Agent actor, or a Group's identified members."""
    actor = statement.get("actor") or {}
    if actor.get("objectType") == "Group":
        candidates = [m for m in actor.get("member") or () if isinstance(m, dict)]
    else:
        candidates = [actor]
    # A member listed twice is still one learner (one contribution per record).
    found: dict[str, dict[str, Any]] = {}
    for agent in candidates:
        key = ifi_key(agent)
        if key is not None:
            found.setdefault(key, agent)
    return list(found.values())


def learner_record(agent: dict[str, Any]) -> dict[str, Any]:
    out = identity(agent)
    out.setdefault("objectType", "Agent")
    if isinstance(agent.get("name"), str):
        out["name"] = agent["name"]
    return out


def _utc(statement: dict[str, Any]) -> str:
    text: str = statement.get("timestamp") or statement["stored"]
    # Stored timestamps are valid and nearly all in UTC ("Z", Data 4.5): only the
    # fraction needs its six digits (truncated, as parse_timestamp reads it).
    if text[-1] == "Z" and text[10] == "T" and text[17:19] != "60":
        fraction = text[20:-1] if text[19:20] == "." else ""
        return f"{text[:19]}.{fraction[:6].ljust(6, '0')}Z"
    moment = parse_timestamp(text)
    return format_utc(moment) if moment else statement["stored"]


def fact(statement: dict[str, Any], position: int) -> dict[str, Any]:
    """The part of a statement progress needs (kept per record, withdrawn on voiding)."""
    result = statement.get("result") or {}
    verb_id = statement["verb"]["id"]
    out: dict[str, Any] = {
        "id": statement["id"].lower(),
        "verb": VERBS.get(verb_id, verb_id),
        # The fixed-width UTC form of ``stored``, so that text order is time order
        # (summaries sort, queries compare text) and views speak like xAPI.
        "at": _utc(statement),
        "position": position,
    }
    for key in ("success", "completion"):
        if isinstance(result.get(key), bool):
            out[key] = result[key]
    scaled = (result.get("score") or {}).get("scaled")
    if isinstance(scaled, (int, float)) and not isinstance(scaled, bool):
        out["scaled"] = float(scaled)
    if isinstance(result.get("duration"), str):
        seconds = duration_seconds(result["duration"])
        if seconds is not None:
            out["duration"] = seconds
    for extension, factor in PROGRESS_EXTENSIONS.items():
        value = (result.get("extensions") or {}).get(extension)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out["progress"] = max(0.0, min(100.0, float(value) * factor))
    return out


def contributions(statement: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any], str]]:
    """(learner hash, activity hash, registration, learner, activity id) a statement is about.

    Each learner gets the all-registrations record and, when the statement has a
    registration, that registration's record too.
    """
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") != "Activity" or "id" not in obj:
        return
    activity_id = obj["id"]
    registration = ((statement.get("context") or {}).get("registration") or "").lower()
    for agent in learners_of(statement):
        learner_hash = key_hash(ifi_key(agent) or "")
        for scope in {ALL_REGISTRATIONS, registration}:
            yield learner_hash, key_hash(activity_id), scope, learner_record(agent), activity_id


def tree_edges(statement: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(parent id, child id, kind) from the object's parent and grouping context activities."""
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") != "Activity" or "id" not in obj:
        return []
    context_activities = (statement.get("context") or {}).get("contextActivities") or {}
    found = []
    for kind in ("parent", "grouping"):
        for activity in context_activities.get(kind) or ():
            if isinstance(activity, dict) and isinstance(activity.get("id"), str) and activity["id"] != obj["id"]:
                found.append((activity["id"], obj["id"], kind))
    return sorted(set(found))


def _is_pass(f: dict[str, Any]) -> bool:
    return f["verb"] in PASS_VERBS or f.get("success") is True


def _is_fail(f: dict[str, Any]) -> bool:
    return f["verb"] == "failed" or f.get("success") is False


def _is_completion(f: dict[str, Any]) -> bool:
    return (
        f["verb"] == "completed"
        or f.get("completion") is True
        or f.get("progress", 0.0) >= 100.0
        or _is_pass(f)
    )


def _order(f: dict[str, Any]) -> tuple[str, int, str]:
    return (f["at"], f["position"], f["id"])


def summarize(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The record's columns from its facts (in any order: the result is the same)."""
    ordered = sorted(facts, key=_order)
    passes = [f for f in ordered if _is_pass(f)]
    fails = [f for f in ordered if _is_fail(f)]
    completions = [f for f in ordered if _is_completion(f)]
    if passes:
        status, supporting = "passed", passes
    elif fails:
        status, supporting = "failed", fails
    elif completions:
        status, supporting = "completed", completions
    else:
        status, supporting = "in progress", ordered
    attempts = [f for f in ordered if f["verb"] in ATTEMPT_VERBS]
    scored = [f for f in ordered if "scaled" in f]
    best = max(scored, key=lambda f: (f["scaled"], f["at"]), default=None)
    last = scored[-1] if scored else None
    progress_values = [f["progress"] for f in ordered if "progress" in f]
    progress = 100.0 if completions else (max(progress_values) if progress_values else None)
    return {
        "status": status,
        "attempts": max(len(attempts), 1),
        "first_at": ordered[0]["at"],
        "last_at": ordered[-1]["at"],
        "completed_at": completions[0]["at"] if completions else None,
        "best_scaled": best["scaled"] if best else None,
        "last_scaled": last["scaled"] if last else None,
        "time_spent_s": float(sum(f.get("duration", 0.0) for f in ordered)),
        "progress": progress,
        "evidence": {
            "status": [f["id"] for f in supporting],
            "attempts": [f["id"] for f in attempts],
            "bestScore": best["id"] if best else None,
            "lastScore": last["id"] if last else None,
            "first": ordered[0]["id"],
            "last": ordered[-1]["id"],
        },
    }


def place(facts: list[dict[str, Any]], fact: dict[str, Any]) -> None:
    """Put a fact in a record's list, which is kept in time order (in place)."""
    if not facts or _order(fact) >= _order(facts[-1]):
        facts.append(fact)
    else:
        bisect.insort(facts, fact, key=_order)
