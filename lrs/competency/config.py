"""Writing the competency configuration: validated against the configuration as the
log has it, then appended to the store's ``competency`` stream.

Each ``*_in(writer, store_id, ...)`` function runs inside a write transaction
(the group writer's job, or ``lrs.log.writing`` from the CLI) and raises every
refusal before it appends anything. A refused write leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lrs import blobs
from lrs.competency import (
    ALIGNMENT_REMOVED,
    ALIGNMENT_SET,
    FRAMEWORK_IMPORTED,
    FRAMEWORK_RETIRED,
    ROLE_REMOVED,
    ROLE_SET,
    STREAM,
    TEAM_REMOVED,
    TEAM_SET,
)
from lrs.errors import BadRequest, LrsError, NotFound
from lrs.events import NewEvent, dumps
from lrs.log import LogWriter, read_stream
from lrs.xapi.agents import identity
from lrs.xapi.validation import validate_agent
from lrs.xapi.value_formats import is_iri

ALIGNMENT_TYPES = ("teaches", "assesses")
IMPORTANCE = ("essential", "optional")
ID_PATTERN_RULE = "must be 1 to 128 characters: letters, digits, '.', '_', ':', '/', '-'"


class InvalidConfiguration(BadRequest):
    code = "invalid_competency_configuration"


def _fail(path: str, rule: str) -> InvalidConfiguration:
    return InvalidConfiguration(f"{path}: {rule}")


@dataclass
class Configuration:
    """The store's competency configuration, folded from its ``competency`` stream."""

    frameworks: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)  # competency IRI -> framework id
    roles: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)

    def apply(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == FRAMEWORK_IMPORTED:
            old = self.frameworks.get(payload["framework_id"])
            for iri in (old or {}).get("iris", ()):
                self.items.pop(iri, None)
            iris = [item["iri"] for item in payload["items"]]
            self.frameworks[payload["framework_id"]] = {
                "retired": False, "iris": iris, "scale": [b["label"] for b in payload["scale"]],
            }
            for iri in iris:
                self.items[iri] = payload["framework_id"]
        elif kind == FRAMEWORK_RETIRED:
            self.frameworks[payload["framework_id"]]["retired"] = True
        elif kind in (ROLE_SET, ROLE_REMOVED):
            (self.roles.add if kind == ROLE_SET else self.roles.discard)(payload["role_id"])
        elif kind in (TEAM_SET, TEAM_REMOVED):
            (self.teams.add if kind == TEAM_SET else self.teams.discard)(payload["team_id"])

    def competency(self, iri: Any, path: str) -> str:
        """A competency of a framework in use, or the 400 saying why not."""
        if not isinstance(iri, str) or not is_iri(iri):
            raise _fail(path, "must be a competency IRI")
        framework = self.items.get(iri)
        if framework is None or self.frameworks[framework]["retired"]:
            raise _fail(path, f"{iri} is not a competency of an imported, non-retired framework")
        return iri


def configuration(writer: LogWriter, store_id: str) -> Configuration:
    config = Configuration()
    for event in read_stream(writer.conn, store_id, STREAM):
        config.apply(event.type, event.payload())
    return config


def _append(writer: LogWriter, store_id: str, events: list[tuple[str, dict[str, Any]]],
            metadata: dict[str, Any]) -> int:
    version = writer.stream_version(store_id, STREAM)
    recorded = writer.append(
        store_id,
        [
            NewEvent(kind, STREAM, f"{STREAM}:{version + i + 1}", dumps(payload), dumps(metadata))
            for i, (kind, payload) in enumerate(events)
        ],
    )
    return recorded[-1].position if recorded else 0


def import_in(writer: LogWriter, store_id: str, framework: dict[str, Any], original: bytes,
              metadata: dict[str, Any]) -> int:
    """Append a framework import; the original upload becomes a blob."""
    config = configuration(writer, store_id)
    for index, item in enumerate(framework["items"]):
        owner = config.items.get(item["iri"])
        if owner is not None and owner != framework["framework_id"]:
            raise _fail(f"framework $.items[{index}]", f"{item['iri']} already belongs to framework {owner}")
    sha256 = blobs.put(writer.conn, original)
    return _append(writer, store_id, [(FRAMEWORK_IMPORTED, {**framework, "source_sha256": sha256})], metadata)


def retire_in(writer: LogWriter, store_id: str, framework_id: str, metadata: dict[str, Any]) -> int:
    config = configuration(writer, store_id)
    if framework_id not in config.frameworks:
        raise NotFound(f"no framework {framework_id!r} in this store")
    return _append(writer, store_id, [(FRAMEWORK_RETIRED, {"framework_id": framework_id})], metadata)


def alignment(value: Any, path: str, config: Configuration, *, removing: bool = False) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object {activity, competency, type, weight}")
    activity = value.get("activity")
    if not isinstance(activity, str) or not is_iri(activity):
        raise _fail(f"{path}.activity", "must be an Activity IRI")
    competency = config.competency(value.get("competency"), f"{path}.competency")
    if removing:
        return {"activity_iri": activity, "competency_iri": competency}
    kind = value.get("type", "assesses")
    if kind not in ALIGNMENT_TYPES:
        raise _fail(f"{path}.type", "must be 'teaches' or 'assesses'")
    weight = value.get("weight", 1.0)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 1:
        raise _fail(f"{path}.weight", "must be a number above 0, at most 1")
    return {"activity_iri": activity, "competency_iri": competency, "type": kind, "weight": float(weight)}


def align_in(writer: LogWriter, store_id: str, body: Any, metadata: dict[str, Any], *,
             removing: bool = False) -> int:
    """Set (or remove) alignments in bulk: ``{"alignments": [{activity, competency, type, weight}]}``."""
    rows = body.get("alignments") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        raise _fail("$.alignments", "must be a non-empty array")
    config = configuration(writer, store_id)
    payloads = [alignment(row, f"$.alignments[{i}]", config, removing=removing) for i, row in enumerate(rows)]
    kind = ALIGNMENT_REMOVED if removing else ALIGNMENT_SET
    return _append(writer, store_id, [(kind, p) for p in payloads], metadata)


def _identifier(value: str, path: str) -> str:
    if not 1 <= len(value) <= 128 or not all(c.isalnum() or c in "._:/-" for c in value):
        raise _fail(path, ID_PATTERN_RULE)
    return value


def role(role_id: str, body: Any, config: Configuration) -> dict[str, Any]:
    _identifier(role_id, "roleId")
    if not isinstance(body, dict):
        raise _fail("$", "must be an object {name, source, requirements}")
    name, source = body.get("name", role_id), body.get("source")
    if not isinstance(name, str):
        raise _fail("$.name", "must be a string")
    if source is not None and not isinstance(source, str):
        raise _fail("$.source", "must be a string (e.g. an ESCO occupation URI)")
    requirements = body.get("requirements")
    if not isinstance(requirements, list) or not requirements:
        raise _fail("$.requirements", "must be a non-empty array of {competency, min_level, importance, weight}")
    out, seen = [], set()
    for i, req in enumerate(requirements):
        path = f"$.requirements[{i}]"
        if not isinstance(req, dict):
            raise _fail(path, "must be an object")
        competency = config.competency(req.get("competency"), f"{path}.competency")
        if competency in seen:
            raise _fail(f"{path}.competency", f"{competency} is required twice")
        seen.add(competency)
        level = req.get("min_level", 0.7)
        if isinstance(level, str):
            scale = config.frameworks[config.items[competency]]["scale"]
            if level not in scale:
                raise _fail(f"{path}.min_level", f"{level!r} is not a label of the framework's scale ({', '.join(scale) or 'none'})")
        elif not isinstance(level, int | float) or isinstance(level, bool) or not 0 <= level <= 1:
            raise _fail(f"{path}.min_level", "must be a scale label or a number from 0 to 1")
        else:
            level = float(level)
        importance = req.get("importance", "essential")
        if importance not in IMPORTANCE:
            raise _fail(f"{path}.importance", "must be 'essential' or 'optional'")
        weight = req.get("weight", 1.0)
        if not isinstance(weight, int | float) or isinstance(weight, bool) or not weight > 0:
            raise _fail(f"{path}.weight", "must be a number above 0")
        out.append({"competency_iri": competency, "min_level": level, "importance": importance, "weight": float(weight)})
    return {"role_id": role_id, "name": name, "source": source, "requirements": out}


def role_in(writer: LogWriter, store_id: str, role_id: str, body: Any, metadata: dict[str, Any]) -> int:
    payload = role(role_id, body, configuration(writer, store_id))
    return _append(writer, store_id, [(ROLE_SET, payload)], metadata)


def team(team_id: str, body: Any) -> dict[str, Any]:
    _identifier(team_id, "teamId")
    if not isinstance(body, dict):
        raise _fail("$", "must be an object {name, members}")
    name, members = body.get("name", team_id), body.get("members")
    if not isinstance(name, str):
        raise _fail("$.name", "must be a string")
    if not isinstance(members, list):
        raise _fail("$.members", "must be an array of xAPI Agents")
    out = []
    for i, member in enumerate(members):
        try:
            validate_agent(member, f"$.members[{i}]")
        except LrsError as exc:
            raise _fail(f"$.members[{i}]", exc.message) from None
        out.append(identity(member))
    return {"team_id": team_id, "name": name, "members": out}


def team_in(writer: LogWriter, store_id: str, team_id: str, body: Any, metadata: dict[str, Any]) -> int:
    return _append(writer, store_id, [(TEAM_SET, team(team_id, body))], metadata)


def remove_in(writer: LogWriter, store_id: str, kind: str, ident: str, metadata: dict[str, Any]) -> int:
    """Remove a role (``kind`` "role") or a team ("team")."""
    event = ROLE_REMOVED if kind == "role" else TEAM_REMOVED
    config = configuration(writer, store_id)
    if ident not in (config.roles if kind == "role" else config.teams):
        raise NotFound(f"no {kind} {ident!r} in this store")
    return _append(writer, store_id, [(event, {f"{kind}_id": _identifier(ident, f"{kind}Id")})], metadata)
