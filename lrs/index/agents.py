"""Known Agents and their names, for the Agents resource's Person object (Comm. 2.4)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, select, update

from lrs.events import RecordedEvent
from lrs.schema import agents
from lrs.xapi.agents import identity, ifi_key, key_hash

_INSERT = agents.insert()
_UPDATE = update(agents).where(
    agents.c.store_id == bindparam("b_store_id"), agents.c.agent_hash == bindparam("b_hash")
)
_NAMES = select(agents.c.names).where(
    agents.c.store_id == bindparam("store_id"), agents.c.agent_hash == bindparam("agent_hash")
)


def _agents_of(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Agent (not Group) a statement names, Group members included, in
    statement order. Plain loops (no generators): every imported statement comes
    through here."""
    found: list[dict[str, Any]] = []

    def visit(value: Any) -> None:
        if not isinstance(value, dict):
            return
        if value.get("objectType") == "Group":
            for member in value.get("member") or ():
                visit(member)
        elif ifi_key(value) is not None:
            found.append(value)

    def parts(part: dict[str, Any]) -> None:
        visit(part.get("actor"))
        obj = part.get("object") or {}
        if obj.get("objectType") in ("Agent", "Group"):
            visit(obj)
        context = part.get("context") or {}
        visit(context.get("instructor"))
        visit(context.get("team"))
        for entry in context.get("contextAgents") or ():
            visit(entry.get("agent"))
        for entry in context.get("contextGroups") or ():
            visit(entry.get("group"))

    parts(statement)
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        parts(obj)
    return found


agents_of = _agents_of


def mentions_of(
    stored: Sequence[tuple[RecordedEvent, dict[str, Any]]],
) -> list[tuple[int, str, dict[str, Any]]]:
    """(position, identifier hash, Agent) for every Agent the statements name."""
    return [
        (event.position, key_hash(ifi_key(agent) or ""), agent)
        for event, statement in stored
        for agent in _agents_of(statement)
    ]


def apply_agents(
    conn: Any,
    store_id: str,
    mentions: Sequence[tuple[int, str, dict[str, Any]]],
    rows: Mapping[str, tuple[str, str, int]],
) -> None:
    """Record the names each Agent identifier was given (only rows that change).

    ``rows`` are the stored rows of the mentioned identifiers: (names JSON,
    identity JSON, updated_position). ``updated_position`` is the statement that
    last added a name, so processing statements one by one or in a batch (as
    ``lrs reindex`` does) gives equal rows.
    """
    known: dict[str, tuple[dict[str, Any], set[str], int]] = {
        digest: (orjson.loads(ident), set(orjson.loads(names)), position)
        for digest, (names, ident, position) in rows.items()
    }
    existing = set(known)
    changed: set[str] = set()
    for position, digest, agent in mentions:
        name = agent.get("name") if isinstance(agent.get("name"), str) else None
        if digest not in known:
            known[digest] = (identity(agent), {name} if name else set(), position)
            changed.add(digest)
        elif name and name not in known[digest][1]:
            ident, names, _ = known[digest]
            known[digest] = (ident, names | {name}, position)
            changed.add(digest)
    inserts, updates = [], []
    for digest in sorted(changed):
        ident, names, position = known[digest]
        values = {"names": orjson.dumps(sorted(names)).decode(), "updated_position": position}
        if digest in existing:
            updates.append({"b_store_id": store_id, "b_hash": digest, **values})
        else:
            inserts.append(
                {"store_id": store_id, "agent_hash": digest, "identity": orjson.dumps(ident).decode(), **values}
            )
    if inserts:
        conn.execute(_INSERT, inserts)
    if updates:
        conn.execute(_UPDATE, updates)


def person(engine: Engine, store_id: str, agent: dict[str, Any]) -> dict[str, Any]:
    """The Person object for an Agent: every name known for its identifier (Comm. 2.4).

    An LRS that knows nothing of the Agent still answers with what was asked. An
    mbox also yields its mbox_sha1sum: the same person, and nothing a caller who
    already knows the address could not compute.
    """
    with engine.connect() as conn:
        row = conn.execute(
            _NAMES, {"store_id": store_id, "agent_hash": key_hash(ifi_key(agent) or "")}
        ).first()
    names = set(orjson.loads(row.names)) if row else set()
    if isinstance(agent.get("name"), str):
        names.add(agent["name"])
    out: dict[str, Any] = {"objectType": "Person"}
    if names:
        out["name"] = sorted(names)
    for key in ("mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            out[key] = [agent[key]]
    if "mbox" in agent:
        out["mbox_sha1sum"] = [hashlib.sha1(agent["mbox"].encode()).hexdigest()]
    return out
