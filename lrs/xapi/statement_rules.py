"""Pure statement operations: LRS-assigned properties, index entries, comparison.

No I/O here: the service (``lrs.statements``) calls these under its transaction.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lrs.xapi import value_formats
from lrs.xapi.agents import authority_key, ifi_key, key_hash
from lrs.xapi.validation import VOIDED
from lrs.xapi.versions import default_statement_version

# Kinds of filter keys (the ``statement_keys`` index): each GET filter looks for one.
AGENT, AGENT_RELATED, ACTIVITY, ACTIVITY_RELATED, VERB, REGISTRATION = range(6)


def new_statement_id() -> str:
    """Lowercase UUID v4: some client libraries reject any other form."""
    return str(uuid.uuid4())


def normalise(statement: dict[str, Any]) -> dict[str, Any]:
    """The stored form of an accepted statement; the input is not modified.

    - contextActivities values are always arrays (Data 2.4.6.2.s4.b3);
    - timestamps are given in UTC (Data 4.5.s1.b6), same instant and precision.
    """
    out = dict(statement)
    if "timestamp" in out:
        out["timestamp"] = _utc(out["timestamp"])
    _normalise_context(out)
    obj = out.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        sub = dict(obj)
        if "timestamp" in sub:
            sub["timestamp"] = _utc(sub["timestamp"])
        _normalise_context(sub)
        out["object"] = sub
    return out


def _utc(value: str) -> str:
    moment = value_formats.parse_timestamp(value)
    return value_formats.timestamp_to_utc_text(value, moment) if moment else value


def _normalise_context(statement: dict[str, Any]) -> None:
    context = statement.get("context")
    if not isinstance(context, dict) or "contextActivities" not in context:
        return
    activities = context["contextActivities"]
    if any(not isinstance(v, list) for v in activities.values()):
        context = dict(context)
        context["contextActivities"] = {
            kind: value if isinstance(value, list) else [value]
            for kind, value in activities.items()
        }
        statement["context"] = context


def complete(
    statement: dict[str, Any],
    *,
    statement_id: str,
    stored: str,
    authority: dict[str, Any],
    request_version: str,
) -> dict[str, Any]:
    """Add what the LRS sets: id, stored, timestamp if absent, authority, version (Data 2.4)."""
    out = normalise(statement)
    out["id"] = statement_id
    out["stored"] = stored
    out.setdefault("timestamp", stored)
    # Data 2.4.9.s3.b4: the authority comes from the credentials, not the client.
    out["authority"] = authority
    out.setdefault("version", default_statement_version(request_version))
    return out


# ----------------------------------------------------------------- index entries


@dataclass
class IndexEntry:
    """What the inline index needs to know about one statement."""

    statement_id: str
    voids: str | None
    ref: str | None
    has_attachments: bool
    authority_hash: str | None
    # (kind, key hash) pairs the GET filters match on.
    keys: set[tuple[int, str]] = field(default_factory=set)
    # (activity id, definition) and (verb id, display), in statement order.
    definitions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    displays: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def index_entry(statement: dict[str, Any]) -> IndexEntry:
    """Filter keys of a stored statement (Communication 2.1.3 parameters).

    ``agent``: the actor or an Agent/Group object, Group members included;
    ``related_agents`` adds authority, instructor, team, 2.0 context agents and
    groups, and all of these inside a SubStatement. ``activity``: the object;
    ``related_activities`` adds context activities and the SubStatement's.
    """
    obj = statement["object"]
    object_type = obj.get("objectType", "Activity")
    context = statement.get("context") or {}
    verb = statement["verb"]
    registration = context.get("registration")
    entry = IndexEntry(
        statement_id=statement["id"].lower(),
        voids=obj["id"].lower() if verb["id"] == VOIDED else None,
        ref=obj["id"].lower() if object_type == "StatementRef" else None,
        has_attachments=bool(statement.get("attachments")),
        authority_hash=key_hash(authority_key(statement["authority"]))
        if isinstance(statement.get("authority"), dict)
        else None,
    )
    # Called for every statement written, reindexed or imported: plain loops and
    # bound methods, no generators (a third of this function's time, profiled).
    add = entry.keys.add
    definitions = entry.definitions

    def add_agents(value: Any, direct: bool) -> None:
        # The agent itself and, for a Group, each member (Comm. 2.1.3 agent filter).
        if not isinstance(value, dict):
            return
        key = ifi_key(value)
        if key is not None:
            digest = key_hash(key)
            add((AGENT_RELATED, digest))
            if direct:
                add((AGENT, digest))
        for member in value.get("member", ()) or ():
            if isinstance(member, dict) and (key := ifi_key(member)) is not None:
                digest = key_hash(key)
                add((AGENT_RELATED, digest))
                if direct:
                    add((AGENT, digest))

    def add_activity(activity: Any, direct: bool) -> None:
        if isinstance(activity, dict):
            activity_id = activity.get("id")
            if isinstance(activity_id, str):
                digest = key_hash(activity_id)
                add((ACTIVITY_RELATED, digest))
                if direct:
                    add((ACTIVITY, digest))
                if activity.get("definition"):
                    definitions.append((activity_id, activity["definition"]))

    def add_part(part: dict[str, Any], direct: bool) -> None:
        add_agents(part.get("actor"), direct)
        target = part.get("object") or {}
        kind = target.get("objectType", "Activity")
        if kind in ("Agent", "Group"):
            add_agents(target, direct)
        elif kind == "Activity":
            add_activity(target, direct)
        part_context = part.get("context")
        if isinstance(part_context, dict):
            # Agents, then activities, as a context names them.
            for name in ("instructor", "team"):
                if name in part_context:
                    add_agents(part_context[name], False)
            for item in part_context.get("contextAgents", ()):
                if isinstance(item, dict):
                    add_agents(item.get("agent"), False)
            for item in part_context.get("contextGroups", ()):
                if isinstance(item, dict):
                    add_agents(item.get("group"), False)
            for value in (part_context.get("contextActivities") or {}).values():
                if isinstance(value, list):
                    for activity in value:
                        add_activity(activity, False)
                else:
                    add_activity(value, False)
        part_verb = part.get("verb") or {}
        if part_verb.get("display"):
            entry.displays.append((part_verb["id"], part_verb["display"]))

    add((VERB, key_hash(verb["id"])))
    if registration:
        add((REGISTRATION, key_hash(registration.lower())))
    add_part(statement, True)
    add_agents(statement.get("authority"), False)
    if object_type == "SubStatement":
        add_part(obj, False)
    return entry


# ------------------------------------------------------------------- comparison


def comparable(statement: dict[str, Any]) -> Any:
    """A form in which equal means "the same statement" (Data 2.3.1 comparison).

    Ignored, as the immutability exceptions allow: id, authority, stored, version
    (assigned by the LRS), Activity definitions and Verb displays (not part of the
    statement), the order of Group members, the case of an email domain, the
    serialisation of timestamps (compared as instants) and duration digits beyond
    0.01 s (Data 4.6). A timestamp only one side has could have been assigned by
    the LRS, so it is ignored too.
    """
    stmt = normalise(statement)
    out = {
        key: value
        for key, value in stmt.items()
        if key not in ("id", "authority", "stored", "version", "timestamp")
    }
    return _canon(out)


def _timestamp_instant(statement: dict[str, Any]) -> datetime | None:
    value = statement.get("timestamp")
    return value_formats.parse_timestamp(value) if isinstance(value, str) else None


def equivalent(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if comparable(a) != comparable(b):
        return False
    first, second = _timestamp_instant(a), _timestamp_instant(b)
    return first is None or second is None or first == second


def matches_stored(incoming: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Is ``incoming`` the statement already ``stored`` under its id (Data 2.3.1)?

    A stored timestamp equal to ``stored`` was set by the LRS (Data 2.4.7), so a
    re-send that gives its own timestamp differs only by what the LRS assigned.
    """
    if stored.get("timestamp") is not None and stored.get("timestamp") == stored.get("stored"):
        stored = {k: v for k, v in stored.items() if k != "timestamp"}
    return equivalent(incoming, stored)


def _canon(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "definition" and isinstance(v, dict) and "id" in value:
                continue  # an Activity's definition
            if k == "display" and key == "verb":
                continue
            out[k] = _canon(v, k)
        if "mbox" in out and isinstance(out["mbox"], str):
            out["mbox"] = value_formats.fold_mbox(out["mbox"])
        if "mbox_sha1sum" in out and isinstance(out["mbox_sha1sum"], str):
            out["mbox_sha1sum"] = out["mbox_sha1sum"].lower()
        if isinstance(out.get("member"), list):
            out["member"] = sorted(out["member"], key=repr)
        if isinstance(out.get("duration"), str):
            out["duration"] = value_formats.truncate_duration(out["duration"])
        if key == "object" and out.get("objectType") == "SubStatement" and "timestamp" in out:
            moment = value_formats.parse_timestamp(out["timestamp"])
            out["timestamp"] = moment.isoformat() if moment else out["timestamp"]
        if key == "object" and out.get("objectType") == "Activity":
            del out["objectType"]  # "Activity" is the default objectType
        if "id" in out and isinstance(out["id"], str) and out.get("objectType") == "StatementRef":
            out["id"] = out["id"].lower()
        return out
    if isinstance(value, list):
        return [_canon(item, key) for item in value]
    return value


def deep_copy(statement: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(statement)
