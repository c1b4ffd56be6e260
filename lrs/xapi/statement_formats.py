"""The ``format`` parameter of GET statements: ids, exact, canonical (Comm. 2.1.3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from lrs.xapi.agents import identity
from lrs.xapi.languages import pick_language

FORMATS = ("exact", "ids", "canonical")


def _ids_actor(agent: Any) -> Any:
    if not isinstance(agent, dict):
        return agent
    out = identity(agent)
    if len(out) <= ("objectType" in out) and "member" in agent:
        # Anonymous Group: the minimum that identifies each member.
        out["member"] = [identity(m) for m in agent["member"]]
    return out


def _ids_activity(activity: Any) -> Any:
    if not isinstance(activity, dict):
        return activity
    return {k: activity[k] for k in ("objectType", "id") if k in activity}


def _ids_context(context: dict[str, Any]) -> dict[str, Any]:
    out = dict(context)
    for key in ("instructor", "team"):
        if key in out:
            out[key] = _ids_actor(out[key])
    if "contextActivities" in out:
        out["contextActivities"] = {
            kind: [_ids_activity(a) for a in value]
            for kind, value in out["contextActivities"].items()
        }
    if "contextAgents" in out:
        out["contextAgents"] = [
            {**e, "agent": _ids_actor(e["agent"])} for e in out["contextAgents"]
        ]
    if "contextGroups" in out:
        out["contextGroups"] = [
            {**e, "group": _ids_actor(e["group"])} for e in out["contextGroups"]
        ]
    return out


def _ids_object(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return _ids_activity(obj)
    if kind in ("Agent", "Group"):
        return _ids_actor(obj)
    if kind == "SubStatement":
        return _ids_statement(obj)
    return obj


def _ids_statement(statement: dict[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    out["actor"] = _ids_actor(out["actor"])
    out["verb"] = {"id": out["verb"]["id"]}
    out["object"] = _ids_object(out["object"])
    if "context" in out:
        out["context"] = _ids_context(out["context"])
    if "authority" in out:
        out["authority"] = _ids_actor(out["authority"])
    return out


def as_ids(statement: dict[str, Any]) -> dict[str, Any]:
    """Only what identifies Agents, Groups, Activities and Verbs."""
    return _ids_statement(statement)


# -------------------------------------------------------------------- canonical


def activities_in(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every Activity object a statement holds (object, context, SubStatement)."""

    def from_part(part: dict[str, Any]) -> Iterator[dict[str, Any]]:
        obj = part.get("object") or {}
        if obj.get("objectType", "Activity") == "Activity" and "id" in obj:
            yield obj
        for value in ((part.get("context") or {}).get("contextActivities") or {}).values():
            yield from (a for a in value if isinstance(a, dict))

    yield from from_part(statement)
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        yield from from_part(obj)


def verbs_in(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield statement["verb"]
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        yield obj["verb"]


def filter_definition(definition: dict[str, Any], ranges: list[str]) -> dict[str, Any]:
    """One language per language map of a definition (Comm. 2.1.3.s4)."""
    out = dict(definition)
    for key in ("name", "description"):
        if isinstance(out.get(key), dict):
            out[key] = pick_language(out[key], ranges)
    for key in ("choices", "scale", "source", "target", "steps"):
        if isinstance(out.get(key), list):
            out[key] = [
                {**c, "description": pick_language(c["description"], ranges)}
                if isinstance(c.get("description"), dict)
                else c
                for c in out[key]
            ]
    return out


def as_canonical(
    statement: dict[str, Any],
    definitions: Mapping[str, dict[str, Any]],
    displays: Mapping[str, dict[str, Any]],
    ranges: list[str],
) -> dict[str, Any]:
    """Activities and Verbs as the LRS knows them, one language per map.

    Agents and Groups stay exactly as received.
    """

    def activity(value: dict[str, Any]) -> dict[str, Any]:
        known = definitions.get(value["id"], value.get("definition"))
        out = dict(value)
        if known:
            out["definition"] = filter_definition(known, ranges)
        return out

    def verb(value: dict[str, Any]) -> dict[str, Any]:
        display = displays.get(value["id"], value.get("display"))
        out = dict(value)
        if display:
            out["display"] = pick_language(display, ranges)
        return out

    def context(value: dict[str, Any]) -> dict[str, Any]:
        out = dict(value)
        if "contextActivities" in out:
            out["contextActivities"] = {
                kind: [activity(a) for a in items]
                for kind, items in out["contextActivities"].items()
            }
        return out

    def statement_part(value: dict[str, Any], top: bool) -> dict[str, Any]:
        out = dict(value)
        out["verb"] = verb(out["verb"])
        obj = out["object"]
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            out["object"] = activity(obj)
        elif kind == "SubStatement" and top:
            out["object"] = statement_part(obj, False)
        if "context" in out:
            out["context"] = context(out["context"])
        return out

    return statement_part(statement, True)


def formatter(
    fmt: str,
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The transformation for ``ids``; None for exact (and canonical, which needs data)."""
    return as_ids if fmt == "ids" else None
