"""Where a person appears in a statement, and the statement with them taken out.

Pure: used by lrs.erasure, which decides what to do with each statement.

A person is matched by Inverse Functional Identifier (Data 2.4.2.3): the same
mbox, mbox_sha1sum (an mbox also matches the SHA-1 of its IRI, and the other way
round), openid or account. Roles that make the statement the person's own
(``FULL``: actor, object, anything inside a SubStatement, authority) erase the
whole statement; the others (``PARTIAL``: instructor, team, member of the actor
Group, contextAgents, contextGroups) replace the person with a placeholder Agent
and keep the rest.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

from lrs.errors import InvalidParameter, InvalidStatement
from lrs.xapi.agents import ifi_key
from lrs.xapi.validation import validate_actor
from lrs.xapi.value_formats import fold_mbox

FULL = ("actor", "object", "substatement", "authority")
PARTIAL = ("actor-group-member", "instructor", "team", "context-agent", "context-group")
PLACEHOLDER_HOME = "urn:lrs:erased"


def parse_agent(value: Any, path: str = "agent") -> dict[str, Any]:
    """The Agent (or identified Group) to erase; InvalidParameter naming the path."""
    try:
        validate_actor(value, path)
    except InvalidStatement as exc:
        raise InvalidParameter(exc.path or path, exc.rule) from None
    if ifi_key(value) is None:
        raise InvalidParameter(path, "must have an identifier (mbox, mbox_sha1sum, openid or account)")
    return dict(value)


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def identity_keys(agent: Any) -> frozenset[str]:
    """Every key under which this Agent's identifier may appear (empty: anonymous)."""
    if not isinstance(agent, dict):
        return frozenset()
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return frozenset(
            {"mbox:" + fold_mbox(mbox), "mbox_sha1sum:" + _sha1(mbox), "mbox_sha1sum:" + _sha1(fold_mbox(mbox))}
        )
    key = ifi_key(agent)
    return frozenset({key}) if key is not None else frozenset()


def canonical_key(agent: dict[str, Any]) -> str:
    """One key per person whichever IFI form names them (an mbox as its SHA-1), so
    that the fingerprint of an erasure by mbox equals that by mbox_sha1sum."""
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        return "mbox_sha1sum:" + _sha1(mbox)
    return ifi_key(agent) or ""


def fingerprint(secret: bytes, store_id: str, agent: dict[str, Any]) -> str:
    """HMAC-SHA-256 of the store and the person's identifier: names the person in
    the erasure event and the placeholder without revealing who it was to anyone
    without the secret."""
    message = f"{store_id}\x00{canonical_key(agent)}".encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def placeholder(fingerprint_hex: str) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": PLACEHOLDER_HOME, "name": fingerprint_hex},
    }


class Matcher:
    def __init__(self, agent: dict[str, Any]) -> None:
        self.keys = identity_keys(agent)

    def is_person(self, value: Any) -> bool:
        return bool(self.keys & identity_keys(value))

    def in_actor(self, value: Any) -> bool:
        """The Agent itself, or an identified Group it names, or a member of it."""
        if not isinstance(value, dict):
            return False
        if self.is_person(value):
            return True
        return any(self.is_person(m) for m in value.get("member") or ())

    def anywhere(self, value: Any) -> bool:
        """Any Agent object in ``value`` (a SubStatement, say) is the person."""
        if isinstance(value, dict):
            if self.is_person(value):
                return True
            return any(self.anywhere(v) for v in value.values())
        if isinstance(value, list):
            return any(self.anywhere(v) for v in value)
        return False


def roles(statement: dict[str, Any], matcher: Matcher) -> set[str]:
    """The roles the person plays in ``statement`` (empty: not in it)."""
    found: set[str] = set()
    actor = statement.get("actor")
    if matcher.is_person(actor):
        found.add("actor")
    elif isinstance(actor, dict) and any(matcher.is_person(m) for m in actor.get("member") or ()):
        found.add("actor-group-member")
    obj = statement.get("object") or {}
    if obj.get("objectType") in ("Agent", "Group") and matcher.in_actor(obj):
        found.add("object")
    if obj.get("objectType") == "SubStatement" and matcher.anywhere(obj):
        found.add("substatement")
    if matcher.in_actor(statement.get("authority")):
        found.add("authority")
    context = statement.get("context") or {}
    if matcher.in_actor(context.get("instructor")):
        found.add("instructor")
    if matcher.in_actor(context.get("team")):
        found.add("team")
    if any(matcher.in_actor(e.get("agent")) for e in context.get("contextAgents") or () if isinstance(e, dict)):
        found.add("context-agent")
    if any(matcher.in_actor(e.get("group")) for e in context.get("contextGroups") or () if isinstance(e, dict)):
        found.add("context-group")
    return found


def is_full(found: set[str]) -> bool:
    return any(role in FULL for role in found)


def without_person(statement: dict[str, Any], matcher: Matcher, stand_in: dict[str, Any]) -> dict[str, Any]:
    """A copy of a statement the person is only partly in (no FULL role), with
    every Agent object that is the person replaced by ``stand_in``."""
    out = copy.deepcopy(statement)

    def replace(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if matcher.is_person(value):
            if value.get("objectType") == "Group":
                # An identified Group named by the person's identifier: keep it a
                # Group (its members are replaced one by one below).
                kept = {k: v for k, v in value.items() if k == "member"}
                value = {"objectType": "Group", "account": dict(stand_in["account"]), **kept}
            else:
                return copy.deepcopy(stand_in)
        if isinstance(value.get("member"), list):
            value["member"] = [replace(m) for m in value["member"]]
        return value

    if isinstance(out.get("actor"), dict):
        out["actor"] = replace(out["actor"])
    context = out.get("context")
    if isinstance(context, dict):
        for name in ("instructor", "team"):
            if name in context:
                context[name] = replace(context[name])
        for entry in context.get("contextAgents") or ():
            if isinstance(entry, dict) and "agent" in entry:
                entry["agent"] = replace(entry["agent"])
        for entry in context.get("contextGroups") or ():
            if isinstance(entry, dict) and "group" in entry:
                entry["group"] = replace(entry["group"])
    return out
