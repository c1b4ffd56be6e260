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

import functools
from typing import Any

from lrs.xapi.agents import identity, key_hash
from lrs.xapi.value_formats import duration_seconds
from projections.subjects import identified_learners, statement_time

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
STATUSES = ("not attempted", "in progress", "completed", "failed", "passed")
ALL_REGISTRATIONS = ""


def learner_record(agent: dict[str, Any]) -> dict[str, Any]:
    out = identity(agent)
    out.setdefault("objectType", "Agent")
    if isinstance(agent.get("name"), str):
        out["name"] = agent["name"]
    return out


# The same durations come back statement after statement (video segments, quiz times).
_seconds = functools.lru_cache(maxsize=4096)(duration_seconds)


def fact(statement: dict[str, Any], position: int) -> dict[str, Any]:
    """The part of a statement progress needs (kept per record, withdrawn on voiding)."""
    result = statement.get("result") or {}
    verb_id = statement["verb"]["id"]
    out: dict[str, Any] = {
        "id": statement["id"].lower(),
        "verb": VERBS.get(verb_id, verb_id),
        # The fixed-width UTC form of ``stored``, so that text order is time order
        # (summaries sort, queries compare text) and views speak like xAPI.
        "at": statement_time(statement),
        "position": position,
    }
    for key in ("success", "completion"):
        if isinstance(result.get(key), bool):
            out[key] = result[key]
    scaled = (result.get("score") or {}).get("scaled")
    if isinstance(scaled, (int, float)) and not isinstance(scaled, bool):
        out["scaled"] = float(scaled)
    if isinstance(result.get("duration"), str):
        seconds = _seconds(result["duration"])
        if seconds is not None:
            out["duration"] = seconds
    for extension, factor in PROGRESS_EXTENSIONS.items():
        value = (result.get("extensions") or {}).get(extension)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out["progress"] = max(0.0, min(100.0, float(value) * factor))
    return out


def subjects(statement: dict[str, Any]) -> tuple[str, str, list[tuple[str, dict[str, Any]]]] | None:
    """(activity id, registration, [(learner hash, learner)]) of a statement about an
    activity; None for any other.

    A learner's fact counts in the all-registrations record and, when the statement
    has a registration, in that registration's record too.
    """
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") != "Activity" or "id" not in obj:
        return None
    registration = ((statement.get("context") or {}).get("registration") or "").lower()
    learners = [(key_hash(key), learner_record(agent)) for key, agent in identified_learners(statement)]
    return obj["id"], registration, learners


def scopes(registration: str) -> tuple[str, ...]:
    """The registrations of the records a fact with ``registration`` counts in."""
    return (ALL_REGISTRATIONS, registration) if registration else (ALL_REGISTRATIONS,)


def contributions(statement: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(learner hash, activity hash, registration, learner, activity id) of each record
    a statement counts in (``subjects`` and ``scopes`` together)."""
    found = subjects(statement)
    if found is None:
        return []
    activity_id, registration, learners = found
    activity_hash = key_hash(activity_id)
    return [
        (learner_hash, activity_hash, scope, learner, activity_id)
        for learner_hash, learner in learners
        for scope in scopes(registration)
    ]


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


# What a record keeps besides its summary, so that a fact arriving in time order
# updates it without going over the others again (``advance``).
STATE_EXTRA = ("attempt_count", "best_at", "last_position", "last_id")


def state(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """A record's stored columns from all its facts: the summary (evidence is worked
    out when asked for, from the facts) and what ``advance`` needs."""
    ordered = sorted(facts, key=_order)
    out = summarize(ordered)
    del out["evidence"]
    scored = [f for f in ordered if "scaled" in f]
    best = max(scored, key=lambda f: (f["scaled"], f["at"]), default=None)
    out.update(
        attempt_count=sum(1 for f in ordered if f["verb"] in ATTEMPT_VERBS),
        best_at=best["at"] if best else None,
        last_position=ordered[-1]["position"],
        last_id=ordered[-1]["id"],
    )
    return out


# A record before its first fact: what ``advance`` starts a new record from.
_EMPTY = {
    "status": "in progress", "first_at": None, "completed_at": None, "best_scaled": None,
    "best_at": None, "last_scaled": None, "time_spent_s": 0.0, "progress": None, "attempt_count": 0,
}


def first_state(fact: dict[str, Any]) -> dict[str, Any]:
    """``state([fact])``, without sorting and summarising a list of one."""
    out = advance({**_EMPTY, "first_at": fact["at"]}, fact, first=True)
    assert out is not None
    return out


def advance(
    record: dict[str, Any], fact: dict[str, Any], *, first: bool = False
) -> dict[str, Any] | None:
    """``state`` of the record's facts and ``fact``, from the record alone, when
    ``fact`` is the latest of them (nearly always: statements arrive in time order);
    None when it is not, and the caller goes over all the facts.

    Going over every fact for every statement made a learner x activity record with
    thousands of statements (video pings, a long course) cost time quadratic in them.
    """
    if not first and _order(fact) < (record["last_at"], record["last_position"], record["last_id"]):
        return None
    status = record["status"]
    if _is_pass(fact):
        status = "passed"
    elif _is_fail(fact):
        status = status if status == "passed" else "failed"
    elif _is_completion(fact) and status == "in progress":
        status = "completed"
    attempt_count = record["attempt_count"] + (fact["verb"] in ATTEMPT_VERBS)
    completed_at = record["completed_at"]
    if completed_at is None and _is_completion(fact):
        completed_at = fact["at"]
    best_scaled, best_at, last_scaled = record["best_scaled"], record["best_at"], record["last_scaled"]
    if "scaled" in fact:
        last_scaled = fact["scaled"]
        # max() keeps the first of equal (scaled, at) keys; this fact is the latest.
        if best_scaled is None or (fact["scaled"], fact["at"]) > (best_scaled, best_at):
            best_scaled, best_at = fact["scaled"], fact["at"]
    progress = record["progress"]
    if completed_at is not None:
        progress = 100.0
    elif "progress" in fact:
        progress = fact["progress"] if progress is None else max(progress, fact["progress"])
    return {
        "status": status,
        "attempts": max(attempt_count, 1),
        "first_at": record["first_at"],
        "last_at": fact["at"],
        "completed_at": completed_at,
        "best_scaled": best_scaled,
        "last_scaled": last_scaled,
        "time_spent_s": record["time_spent_s"] + fact.get("duration", 0.0),
        "progress": progress,
        "attempt_count": attempt_count,
        "best_at": best_at,
        "last_position": fact["position"],
        "last_id": fact["id"],
    }


# A fact as a row of progress_facts, one per learner x activity x statement (the
# records of every registration it counts in read it): the optional properties are
# NULL when absent.
FACT_FIELDS = ("verb", "success", "completion", "scaled", "duration", "progress")


def fact_row(
    store_id: str, learner_hash: str, activity_hash: str, registration: str, fact: dict[str, Any]
) -> dict[str, Any]:
    return {
        "store_id": store_id, "learner_hash": learner_hash, "activity_hash": activity_hash,
        "statement_id": fact["id"], "registration": registration, "at": fact["at"],
        "position": fact["position"], **{name: fact.get(name) for name in FACT_FIELDS},
    }


def counts_in(row: dict[str, Any], registration: str) -> bool:
    """Whether a fact row counts in the record of ``registration`` (of its learner x activity)."""
    return registration == ALL_REGISTRATIONS or row["registration"] == registration


def fact_of(row: dict[str, Any]) -> dict[str, Any]:
    out = {"id": row["statement_id"], "at": row["at"], "position": row["position"], "verb": row["verb"]}
    out.update((name, row[name]) for name in FACT_FIELDS[1:] if row[name] is not None)
    return out
