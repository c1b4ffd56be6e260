"""The social view's pure rules: what a statement says about who learns with whom
(design part a, "update rules"). No database, no HTTP: ``extract`` is tested with
hypothesis against a plain oracle.

A statement gives, through the normalisation map (projections.social.vocabulary):

- presence: its agents were active (any statement, even with an unknown verb);
- participations: agents of the statement took part in a *gathering* (a virtual
  classroom session, an identified group, a discussion thread, a webinar on a
  day), with a role (learner, instructor, facilitator, mentor, observer);
- an artifact: knowledge the actor authored (a post, a document);
- interactions: replies, reactions, consumption, shares, mentoring, talks and
  instruction, from one agent to another agent or to an artifact;
- memberships: joining or leaving a group activity.

Member lists of Groups may be partial (Data 2.4.2.2): facts record who is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lrs.clock import format_utc
from lrs.xapi.agents import ifi_key
from lrs.xapi.value_formats import parse_timestamp
from projections.social import vocabulary as voc


@dataclass(frozen=True)
class Participation:
    gathering_key: str
    kind: str
    activity_id: str
    name: str
    agent_key: str
    role: str


@dataclass(frozen=True)
class Artifact:
    artifact_id: str
    kind: str
    name: str
    author_key: str


@dataclass(frozen=True)
class Interaction:
    kind: str  # reply, react, consume, share, mentor, talk, instruct
    src_key: str
    dst_key: str | None
    artifact_id: str | None
    via_statement_id: str | None


@dataclass(frozen=True)
class Membership:
    agent_key: str
    team_key: str
    action: str  # join, leave


@dataclass
class Extracted:
    """What one statement says (before opt-outs and reply targets are applied)."""

    ts: str
    local_date: str
    verb_class: str | None
    actor_key: str | None
    presence: list[str] = field(default_factory=list)
    participations: list[Participation] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    interactions: list[Interaction] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    # A reply's target: the statement it answers (context.statement), and the
    # parent then grouping activities whose authors may stand in (rule 4).
    reply_statement: str | None = None
    reply_activities: tuple[str, ...] = ()
    reply_artifact: str | None = None


def _name(definition: dict[str, Any] | None) -> str:
    names = (definition or {}).get("name") or {}
    if not isinstance(names, dict) or not names:
        return ""
    for tag in ("en", "en-US", "en-GB"):
        if tag in names:
            return str(names[tag])
    return str(names[sorted(names)[0]])


def _members(group: dict[str, Any]) -> list[str]:
    """The identified members listed in a Group (each once, in order)."""
    seen: list[str] = []
    for member in group.get("member") or ():
        key = ifi_key(member) if isinstance(member, dict) else None
        if key is not None and key not in seen:
            seen.append(key)
    return seen


def _agents(value: dict[str, Any] | None) -> list[str]:
    """The people an Agent or Group stands for: the Agent, or the listed members."""
    if not isinstance(value, dict):
        return []
    if value.get("objectType") == "Group":
        return _members(value)
    key = ifi_key(value)
    return [key] if key else []


def _group_key(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("objectType") == "Group":
        return ifi_key(value)
    return None


def local_date(ts: datetime, zone: str) -> str:
    return ts.astimezone(ZoneInfo(zone)).date().isoformat()


def _activities(context: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = (context.get("contextActivities") or {}).get(kind) or []
    return [found] if isinstance(found, dict) else [a for a in found if isinstance(a, dict)]


def _type(activity: dict[str, Any]) -> str | None:
    definition = activity.get("definition")
    return definition.get("type") if isinstance(definition, dict) else None


def gathering(statement: dict[str, Any], day: str, context_groups: list[str]) -> tuple[str, str, str, str] | None:
    """The gathering a statement is about (rule 2, first match wins): key, kind,
    activity id, name; None when there is none."""
    context = statement.get("context") or {}
    obj = statement.get("object") or {}
    is_activity = obj.get("objectType", "Activity") == "Activity"
    registration = context.get("registration")
    # 1. The virtual-classroom profile: the registration is the session.
    if registration and any(a.get("id") == voc.VIRTUAL_CLASSROOM_CATEGORY for a in _activities(context, "category")):
        return f"vc:{str(registration).lower()}", "virtual-classroom", obj.get("id", "") if is_activity else "", (
            _name(obj.get("definition")) if is_activity else ""
        )
    # 2. An identified Group: the actor, context.team, then contextGroups.
    for candidate in (_group_key(statement.get("actor")), _group_key(context.get("team")), *context_groups):
        if candidate:
            return f"grp:{candidate}", "group", "", ""
    candidates = ([obj] if is_activity else []) + _activities(context, "parent") + _activities(context, "grouping")
    # 3. A discussion, forum topic or chat channel: the thread.
    for activity in candidates:
        kind = voc.THREADS.get(_type(activity) or "")
        if kind:
            return f"thr:{activity['id']}", kind, activity["id"], _name(activity.get("definition"))
    # 4. A meeting, webinar, tutor or conference session: the occasion on its local day.
    for activity in ([obj] if is_activity else []) + _activities(context, "parent"):
        kind = voc.OCCASIONS.get(_type(activity) or "")
        if kind:
            return f"occ:{activity['id']}:{day}", kind, activity["id"], _name(activity.get("definition"))
    return None


def _context_groups(context: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """contextGroups (xAPI 2.0) as (group, role)."""
    out = []
    for item in context.get("contextGroups") or ():
        if isinstance(item, dict) and isinstance(item.get("group"), dict):
            out.append((item["group"], _role(item.get("relevantTypes"))))
    return out


def _role(types: Any) -> str:
    for iri in types or ():
        role = voc.ROLES.get(iri) if isinstance(iri, str) else None
        if role:
            return role
    return "learner"


def extension_groups(statement: dict[str, Any], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The Groups a statement names under the store's configured extension keys
    (appendix A.3: "Group inside an extension", such as the recipients of a group
    message): context extensions, in the keys' order; a value may be a Group or a
    list of them. Other values are left alone."""
    if not keys:
        return []
    extensions = (statement.get("context") or {}).get("extensions")
    if not isinstance(extensions, dict):
        return []
    found: list[dict[str, Any]] = []
    for key in keys:
        value = extensions.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("objectType") == "Group":
                found.append(item)
    return found


def participants(statement: dict[str, Any], groups: list[dict[str, Any]] | None = None) -> list[tuple[str, str]]:
    """(agent key, role) of everyone a participating statement involves (rule 3), each
    agent once, with the first role found: the actor (or a Group actor's members),
    context.team and contextGroups members, the instructor, contextAgents, then the
    members of Groups in configured extensions (``groups``)."""
    context = statement.get("context") or {}
    found: dict[str, str] = {}

    def add(keys: list[str], role: str) -> None:
        for key in keys:
            found.setdefault(key, role)

    add(_agents(statement.get("actor")), "learner")
    add(_agents(context.get("instructor")), "instructor")
    for item in context.get("contextAgents") or ():
        if isinstance(item, dict):
            add(_agents(item.get("agent")), _role(item.get("relevantTypes")))
    for group, role in _context_groups(context):
        add(_members(group), role)
    add(_agents(context.get("team")), "learner")
    for group in groups or ():
        add(_members(group), "learner")
    return list(found.items())


def extract(statement: dict[str, Any], zone: str = "UTC", group_extensions: tuple[str, ...] = ()) -> Extracted:
    """What a (non-voiding) statement says, by the rules of the design's part a;
    ``group_extensions``: the store's extension keys that may hold a Group."""
    moment = parse_timestamp(statement.get("timestamp") or statement.get("stored") or "")
    assert moment is not None, "stored statements have a timestamp"
    day = local_date(moment, zone)
    verb = voc.verb_class(statement["verb"]["id"])
    actors = _agents(statement.get("actor"))
    actor_key = ifi_key(statement["actor"]) if isinstance(statement.get("actor"), dict) else None
    out = Extracted(format_utc(moment), day, verb, actor_key, presence=list(actors))
    if verb is None:
        return out  # rule 1: an unknown class is presence only
    context = statement.get("context") or {}
    obj = statement.get("object") or {}
    object_type = obj.get("objectType", "Activity")
    activity_type = _type(obj) if object_type == "Activity" else None
    ref = context.get("statement")
    via = str(ref["id"]).lower() if isinstance(ref, dict) and isinstance(ref.get("id"), str) else None

    in_extensions = extension_groups(statement, group_extensions)
    if verb in voc.PARTICIPATING:
        # An identified Group in a configured extension is a group gathering too,
        # after those named by the statement's own properties (rule 2.2).
        groups = [key for group, _ in _context_groups(context) if (key := ifi_key(group))]
        groups += [key for group in in_extensions if (key := ifi_key(group))]
        found = gathering(statement, day, groups)
        if found is not None:
            key, kind, activity_id, name = found
            out.participations = [
                Participation(key, kind, activity_id, name, agent, role)
                for agent, role in participants(statement, in_extensions)
            ]
    # The instructor instructs the learners listed with them.
    instructors = _agents(context.get("instructor"))
    if instructors:
        learners = [agent for agent, role in participants(statement, in_extensions) if role == "learner"]
        out.interactions += [
            Interaction("instruct", teacher, learner, None, None)
            for teacher in instructors for learner in learners if learner != teacher
        ]
    if object_type == "Activity" and verb in ("join", "leave") and activity_type in voc.GROUP_TYPES:
        out.memberships = [Membership(agent, obj["id"], verb) for agent in actors]
    if object_type == "Activity" and actor_key is not None:
        artifact_kind = voc.ARTIFACTS.get(activity_type or "")
        # A reply authors an artifact when its object is the reply (a forum reply, a
        # comment), not when it names the thread it was posted in (Moodle).
        if artifact_kind and (verb == "author" or (verb == "reply" and activity_type not in voc.THREADS)):
            out.artifacts = [Artifact(obj["id"], artifact_kind, _name(obj.get("definition")), author) for author in actors]
        if verb in ("react", "consume"):
            out.interactions += [Interaction(verb, agent, None, obj["id"], via) for agent in actors]
        if verb == "share":
            out.interactions += [Interaction("share", agent, None, obj["id"], via) for agent in actors]
    if verb == "reply":
        out.reply_statement = via
        # The object first: Moodle's replies name the thread as their object.
        named = ([obj] if object_type == "Activity" else []) + _activities(context, "parent") + _activities(
            context, "grouping"
        )
        out.reply_activities = tuple(dict.fromkeys(a["id"] for a in named))
        out.reply_artifact = obj.get("id") if object_type == "Activity" else None
    if verb in ("mentor", "talk") and object_type in ("Agent", "Group"):
        targets = _agents(obj)
        out.interactions += [
            Interaction(verb, agent, target, None, None) for agent in actors for target in targets if target != agent
        ]
    return out


def reply_target(actor: str, target_actor: str | None, activity_authors: list[str | None]) -> str | None:
    """Rule 4: whom a reply answers. The actor of the statement it names, if seen;
    else the author of the first parent, then grouping, activity whose author is
    known and is not the replier; else nobody (the reply stays with the thread).
    Moodle replies name the thread, not the post: there edges point at the thread's
    starter."""
    if target_actor is not None and target_actor != actor:
        return target_actor
    if target_actor == actor:
        return None
    for author in activity_authors:
        if author is not None and author != actor:
            return author
    return None


def involved(extracted: Extracted) -> set[str]:
    """Every agent key a statement's facts name (what an opt-out checks)."""
    keys = set(extracted.presence)
    keys.update(p.agent_key for p in extracted.participations)
    keys.update(a.author_key for a in extracted.artifacts)
    for i in extracted.interactions:
        keys.add(i.src_key)
        if i.dst_key:
            keys.add(i.dst_key)
    keys.update(m.agent_key for m in extracted.memberships)
    return keys


def without(extracted: Extracted, out: set[str]) -> Extracted:
    """The facts that do not name an opted-out agent (rule 8): a new value, as the
    extraction is cached with its event. The person leaves the statement; the others
    it names (a team's members, the instructor) keep their facts, as they do in the
    statements an opt-out closes."""
    if not out:
        return extracted
    return replace(
        extracted,
        presence=[k for k in extracted.presence if k not in out],
        participations=[p for p in extracted.participations if p.agent_key not in out],
        artifacts=[a for a in extracted.artifacts if a.author_key not in out],
        interactions=[i for i in extracted.interactions if i.src_key not in out and i.dst_key not in out],
        memberships=[m for m in extracted.memberships if m.agent_key not in out],
    )
