"""Agent identity: Inverse Functional Identifiers as comparable keys (Data 2.4.2.3)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import orjson

from lrs.errors import InvalidParameter, InvalidStatement
from lrs.xapi import jsonparse
from lrs.xapi.validation import validate_actor, validate_agent
from lrs.xapi.value_formats import fold_mbox


def ifi_key(agent: dict[str, Any]) -> str | None:
    """A string naming the Agent or identified Group's identifier; None if anonymous."""
    if "mbox" in agent:
        mbox = agent["mbox"]
        return _mbox_key(mbox) if type(mbox) is str else "mbox:" + fold_mbox(mbox)
    if "mbox_sha1sum" in agent:
        return "mbox_sha1sum:" + agent["mbox_sha1sum"].lower()
    if "openid" in agent:
        return "openid:" + agent["openid"]
    account = agent.get("account")
    if isinstance(account, dict):
        home, name = account.get("homePage"), account.get("name")
        if type(home) is str and type(name) is str:
            return _account_key(home, name)
        return "account:" + orjson.dumps([home, name]).decode()
    return None


# The same learners and authority come back statement after statement (an import,
# a reindex, a batch): their keys are remembered like key_hash's digests.
@functools.lru_cache(maxsize=1 << 14)
def _mbox_key(mbox: str) -> str:
    return "mbox:" + fold_mbox(mbox)


@functools.lru_cache(maxsize=1 << 14)
def _account_key(home: str, name: str) -> str:
    return "account:" + orjson.dumps([home, name]).decode()


def authority_key(authority: dict[str, Any]) -> str:
    """What identifies an authority (Data 2.4.9): an Agent's identifier, or the
    identifiers of both members of an OAuth Group, in a fixed order."""
    if authority.get("objectType") == "Group" and "member" in authority:
        members = sorted(ifi_key(m) or "" for m in authority["member"] if isinstance(m, dict))
        return "group:" + orjson.dumps(members).decode()
    return ifi_key(authority) or ""


@functools.lru_cache(maxsize=1 << 16)
def key_hash(text: str) -> str:
    """128-bit hex digest used to index IRIs and identifiers of any length.

    The same IRIs and agents come back statement after statement (a course, its
    learners): remembering the last few thousand saves most of the hashing."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def identity(agent: dict[str, Any]) -> dict[str, Any]:
    """The minimal form of an Agent or identified Group: objectType and the IFI."""
    out: dict[str, Any] = {}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    for key in ("mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            out[key] = agent[key]
            break
    return out


def parse_agent_parameter(
    text: str, *, parameter: str = "agent", allow_group: bool = True
) -> dict[str, Any]:
    """A JSON Agent (or identified Group) given as a request parameter (Comm. 2.1.3)."""
    try:
        value = jsonparse.loads(text, what=f"parameter {parameter!r}")
    except Exception as exc:
        raise InvalidParameter(parameter, f"must be a JSON Agent object ({exc})") from None
    try:
        if allow_group:
            validate_actor(value, parameter)
        else:
            if isinstance(value, dict) and value.get("objectType") == "Group":
                raise InvalidParameter(parameter, "must be an Agent, not a Group")
            validate_agent(value, parameter)
    except InvalidStatement as exc:
        raise InvalidParameter(exc.path or parameter, exc.rule) from None
    if ifi_key(value) is None:
        raise InvalidParameter(parameter, "an anonymous Group cannot be used here: it has no identifier")
    return value
