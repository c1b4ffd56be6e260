"""Mutation operators: each breaks exactly one xAPI rule in a valid statement.

Every operator is derived from a sentence of the xAPI spec (cited as "Data x.y" for
``xAPI-Data.md`` 1.0.3, "Comm x.y" for ``xAPI-Communication.md``) or from one of the
project's policy choices where the spec leaves the LRS a choice:

* timestamps need "T", seconds and a zone ("Z" or +-hh:mm; "-00:00" rejected);
* UUIDs are 8-4-4-4-12 hexadecimal; language tags must be well-formed and registered;
* IRIs and IRLs must be absolute (scheme), without whitespace, non-empty;
* account.name is non-empty; an anonymous Group's member array is non-empty;
* a Group's members are Agents only; authority is an Agent or a Group of exactly two Agents;
* interaction component lists only for their interactionType, ids non-empty and unique;
* attachment length is a non-negative integer, contentType "type/subtype", sha2 hex;
* version starts "1.0." (both versions) or "2.0." (2.0 only);
* contextAgents / contextGroups are unknown (so invalid) in 1.0.3.

An operator is ``fn(statement, rnd, version) -> Mutant | None``: ``rnd`` is a
``random.Random`` (draw it with ``st.randoms()``), ``version`` the request version the
statement was generated for. It returns ``None`` when the statement has no place the rule
applies to. The input statement is never modified.

``Mutant.path`` is a tuple of acceptable path prefixes: the error's ``.path`` must equal one
of them or continue it with "." or "["; the prefix ``""`` only accepts the root itself.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from tests.strategies import (
    ALL_COMPONENT_LISTS,
    COMPONENT_LISTS,
    IFI_KEYS,
    VOIDED,
)

PathT = tuple[str | int, ...]


class Mutant(NamedTuple):
    statement: Any
    path: tuple[str, ...]
    description: str


class Mutation(NamedTuple):
    name: str
    apply: Callable[[Any, random.Random, str], Mutant | None]
    rule: str  # the spec sentence / policy it breaks


class Node(NamedTuple):
    path: PathT
    kind: str
    value: Any
    role: str  # where it sits: "actor", "object", "member", "authority", "context"...


def fmt(path: PathT) -> str:
    """("context", "contextActivities", "parent", 0, "id") -> context.contextActivities.parent[0].id"""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def path_matches(path: str, prefix: str) -> bool:
    if prefix == "":
        return path == ""
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


# ---------------------------------------------------------------------------------------
# Walking a *valid* statement: every object with its kind and path
# ---------------------------------------------------------------------------------------


def walk(statement: dict) -> list[Node]:
    out: list[Node] = []
    _statement(statement, (), False, out)
    return out


def _statement(s: dict, p: PathT, sub: bool, out: list[Node]) -> None:
    out.append(Node(p, "substatement" if sub else "statement", s, "object" if sub else ""))
    _actor(s["actor"], (*p, "actor"), "actor", out)
    verb = s["verb"]
    out.append(Node((*p, "verb"), "verb", verb, ""))
    if "display" in verb:
        out.append(Node((*p, "verb", "display"), "langmap", verb["display"], ""))
    _object(s["object"], (*p, "object"), out)
    if "result" in s:
        rp = (*p, "result")
        out.append(Node(rp, "result", s["result"], ""))
        if "score" in s["result"]:
            out.append(Node((*rp, "score"), "score", s["result"]["score"], ""))
        if "extensions" in s["result"]:
            out.append(Node((*rp, "extensions"), "extensions", s["result"]["extensions"], ""))
    if "context" in s:
        _context(s["context"], (*p, "context"), out)
    if "authority" in s:
        _actor(s["authority"], (*p, "authority"), "authority", out)
    for i, att in enumerate(s.get("attachments", [])):
        ap = (*p, "attachments", i)
        out.append(Node(ap, "attachment", att, ""))
        for key in ("display", "description"):
            if key in att:
                out.append(Node((*ap, key), "langmap", att[key], ""))


def _actor(a: dict, p: PathT, role: str, out: list[Node]) -> None:
    if a.get("objectType") == "Group":
        out.append(Node(p, "group", a, role))
        if "account" in a:
            out.append(Node((*p, "account"), "account", a["account"], role))
        for i, m in enumerate(a.get("member", [])):
            _agent(
                m, (*p, "member", i), "authority_member" if role == "authority" else "member", out
            )
    else:
        _agent(a, p, role, out)


def _agent(a: dict, p: PathT, role: str, out: list[Node]) -> None:
    out.append(Node(p, "agent", a, role))
    if "account" in a:
        out.append(Node((*p, "account"), "account", a["account"], role))


def _object(o: dict, p: PathT, out: list[Node]) -> None:
    kind = o.get("objectType", "Activity")
    if kind == "Activity":
        _activity(o, p, "object", out)
    elif kind in ("Agent", "Group"):
        _actor(o, p, "object", out)
    elif kind == "StatementRef":
        out.append(Node(p, "statementref", o, "object"))
    else:
        _statement(o, p, True, out)


def _activity(a: dict, p: PathT, role: str, out: list[Node]) -> None:
    out.append(Node(p, "activity", a, role))
    d = a.get("definition")
    if d is None:
        return
    dp = (*p, "definition")
    out.append(Node(dp, "definition", d, role))
    for key in ("name", "description"):
        if key in d:
            out.append(Node((*dp, key), "langmap", d[key], ""))
    if "extensions" in d:
        out.append(Node((*dp, "extensions"), "extensions", d["extensions"], ""))
    for lst in ALL_COMPONENT_LISTS:
        for i, c in enumerate(d.get(lst, [])):
            out.append(Node((*dp, lst, i), "component", c, lst))
            if "description" in c:
                out.append(Node((*dp, lst, i, "description"), "langmap", c["description"], ""))


def _context(c: dict, p: PathT, out: list[Node]) -> None:
    out.append(Node(p, "context", c, ""))
    if "instructor" in c:
        _actor(c["instructor"], (*p, "instructor"), "instructor", out)
    if "team" in c:
        _actor(c["team"], (*p, "team"), "team", out)
    if "contextActivities" in c:
        cap = (*p, "contextActivities")
        out.append(Node(cap, "contextActivities", c["contextActivities"], ""))
        for key, value in c["contextActivities"].items():
            if isinstance(value, list):
                for i, act in enumerate(value):
                    _activity(act, (*cap, key, i), "context", out)
            else:
                _activity(value, (*cap, key), "context", out)
    if "statement" in c:
        out.append(Node((*p, "statement"), "statementref", c["statement"], "context"))
    if "extensions" in c:
        out.append(Node((*p, "extensions"), "extensions", c["extensions"], ""))
    for i, ca in enumerate(c.get("contextAgents", [])):
        out.append(Node((*p, "contextAgents", i), "contextAgent", ca, ""))
        _agent(ca["agent"], (*p, "contextAgents", i, "agent"), "contextAgent", out)
    for i, cg in enumerate(c.get("contextGroups", [])):
        out.append(Node((*p, "contextGroups", i), "contextGroup", cg, ""))
        _actor(cg["group"], (*p, "contextGroups", i, "group"), "contextGroup", out)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

OBJECT_KINDS = (
    "statement",
    "substatement",
    "agent",
    "group",
    "account",
    "verb",
    "activity",
    "definition",
    "component",
    "result",
    "score",
    "context",
    "contextActivities",
    "statementref",
    "attachment",
    "contextAgent",
    "contextGroup",
)


def get(obj: Any, path: PathT) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def nodes_of(statement: dict, *kinds: str) -> list[Node]:
    return [n for n in walk(statement) if n.kind in kinds]


def pick(rnd: random.Random, items: list) -> Any:
    return rnd.choice(items) if items else None


def mutate(statement: dict, path: PathT, change: Callable[[Any], Any]) -> dict:
    """A deep copy of ``statement`` with ``change`` applied to the value at ``path``.

    ``change`` returns the new value (or mutates in place and returns it).
    """
    clone = copy.deepcopy(statement)
    if not path:
        return change(clone)
    parent = get(clone, path[:-1])
    parent[path[-1]] = change(parent[path[-1]])
    return clone


def node_prefix(path: PathT) -> tuple[str, ...]:
    return (fmt(path),)


def key_prefix(path: PathT, key: str) -> tuple[str, ...]:
    """Where a key of the object at ``path`` is named: the key itself, or the object."""
    if not path:
        return (key, "")
    return (fmt(path),)


def fields(
    statement: dict, kinds: tuple[str, ...], keys: tuple[str, ...]
) -> list[tuple[Node, str]]:
    return [(n, k) for n in nodes_of(statement, *kinds) for k in keys if k in n.value]


def ifi_of(obj: dict) -> str | None:
    found = [k for k in IFI_KEYS if k in obj]
    return found[0] if found else None


def stmt_nodes(statement: dict) -> list[Node]:
    return nodes_of(statement, "statement", "substatement")


def object_is_activity(s: dict) -> bool:
    return s["object"].get("objectType", "Activity") == "Activity"


_MUTATIONS: list[Mutation] = []


def mutation(rule: str) -> Callable:
    def register(fn: Callable[[Any, random.Random, str], Mutant | None]) -> Callable:
        _MUTATIONS.append(Mutation(fn.__name__, fn, rule))
        return fn

    return register


# ---------------------------------------------------------------------------------------
# Structure: required, unknown, case of keys, root
# ---------------------------------------------------------------------------------------

_REQUIRED: dict[str, tuple[str, ...]] = {
    "statement": ("actor", "verb", "object"),  # Data 2.2.s2.b3
    "substatement": ("objectType", "actor", "verb", "object"),  # Data 2.4.4.3.s8.b1
    "verb": ("id",),  # Data 2.4.3.s3
    "activity": ("id",),  # Data 2.4.4.1.s1
    "account": ("homePage", "name"),  # Data 2.4.2.4.s2
    "statementref": ("objectType", "id"),  # Data 2.4.4.3.s4.b1-b2
    "component": ("id",),  # Data 2.4.4.1.s15
    "attachment": ("usageType", "display", "contentType", "length", "sha2"),  # Data 2.4.11.s2
    "contextAgent": ("objectType", "agent"),  # xAPI 2.0 (9274.1.1) contextAgents
    "contextGroup": ("objectType", "group"),  # xAPI 2.0 (9274.1.1) contextGroups
}


@mutation("Data 2.2.s2.b3 / property tables: a required property is missing")
def missing_required_property(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choices = [(n, k) for n in walk(s) for k in _REQUIRED.get(n.kind, ()) if k in n.value]
    # Data 2.4.4.2.s1.b1: an Agent used as a statement's object MUST have objectType.
    choices += [(n, "objectType") for n in nodes_of(s, "agent") if n.role == "object"]
    # Data 2.4.2.2.s4.b1: an anonymous Group MUST include "member".
    choices += [(n, "member") for n in nodes_of(s, "group") if ifi_of(n.value) is None]
    if not choices:
        return None
    node, key = pick(rnd, choices)
    mutant = mutate(s, node.path, lambda o: {k: v for k, v in o.items() if k != key})
    return Mutant(
        mutant,
        key_prefix(node.path, key),
        f"remove required {key!r} from {node.kind} at {fmt(node.path) or 'root'}",
    )


_UNKNOWN_KEYS = ("foo", "unknownProperty", "extension", "objecttype", "Version")
_REALISTIC_UNKNOWN: dict[str, tuple[str, Any]] = {
    "verb": ("objectType", "Verb"),
    "result": ("id", "12345678-1234-5678-1234-567812345678"),
    "score": ("percent", 50),
    "account": ("mbox", "mailto:someone@example.com"),
    "statementref": ("definition", {"name": {"en": "x"}}),
    "agent": ("member", []),
    "activity": ("name", {"en": "x"}),
    "context": ("activity", {"id": "http://example.com/a"}),
    "contextActivities": ("parents", [{"id": "http://example.com/a"}]),
    "definition": ("interaction", "choice"),
    "attachment": ("data", "aGVsbG8="),
    "statement": ("context_activities", {}),
    "component": ("name", {"en": "x"}),
}


@mutation("Data 2.2.s4.b1.b7 / 2.2.s4.b8: a key not allowed by the specification")
def unknown_property(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, *OBJECT_KINDS))
    if node is None:
        return None
    if node.kind in _REALISTIC_UNKNOWN and rnd.random() < 0.5:
        key, value = _REALISTIC_UNKNOWN[node.kind]
    else:
        key, value = rnd.choice(_UNKNOWN_KEYS), "x"
    if key in node.value:
        return None

    def add(o: dict) -> dict:
        o[key] = value
        return o

    return Mutant(
        mutate(s, node.path, add),
        key_prefix(node.path, key),
        f"add unknown {key!r} to {node.kind} at {fmt(node.path) or 'root'}",
    )


def _recase(key: str, rnd: random.Random) -> str:
    options = {key.upper(), key.capitalize(), key.swapcase(), key[0].swapcase() + key[1:]} - {key}
    return rnd.choice(sorted(options))


@mutation("Data 2.2.s4.b1.b5: the case of a key does not match the specification")
def wrong_case_key(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choices = [(n, k) for n in nodes_of(s, *OBJECT_KINDS) for k in n.value]
    if not choices:
        return None
    node, key = pick(rnd, choices)
    new = _recase(key, rnd)

    def rename(o: dict) -> dict:
        return {(new if k == key else k): v for k, v in o.items()}

    prefix = (key, new, "") if not node.path else node_prefix(node.path)
    return Mutant(
        mutate(s, node.path, rename),
        prefix,
        f"rename {key!r} to {new!r} in {node.kind} at {fmt(node.path) or 'root'}",
    )


@mutation("Comm 3.2.s2.b1 / Data 2.0: a statement is a JSON object")
def root_not_object(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    value = rnd.choice([[copy.deepcopy(s)], "statement", 42, None, True])
    return Mutant(value, ("",), f"statement replaced by {type(value).__name__}")


# ---------------------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------------------

_NUMBER_FIELDS = (("score", ("scaled", "raw", "min", "max")), ("attachment", ("length",)))
_BOOLEAN_FIELDS = (("result", ("success", "completion")),)


def _typed_fields(
    s: dict, table: tuple[tuple[str, tuple[str, ...]], ...]
) -> list[tuple[Node, str]]:
    return [pair for kind, keys in table for pair in fields(s, (kind,), keys)]


@mutation("Data 2.2.s4.b1.b2: a string where a number is required")
def number_as_string(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(rnd, _typed_fields(s, _NUMBER_FIELDS))
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    return Mutant(mutate(s, path, lambda v: str(v)), node_prefix(path), f"{fmt(path)} as a string")


@mutation("Data 2.2.s4.b1.b3: a string where a boolean is required")
def boolean_as_string(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(rnd, _typed_fields(s, _BOOLEAN_FIELDS))
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    return Mutant(
        mutate(s, path, lambda v: "true" if v else "false"),
        node_prefix(path),
        f"{fmt(path)} as a string",
    )


@mutation("Data 2.4.5.1 / 2.4.11: a JSON boolean is not a number")
def boolean_for_number(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(rnd, _typed_fields(s, _NUMBER_FIELDS))
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    value = rnd.choice([True, False]) if key != "scaled" else True
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value}")


@mutation("Data 2.4.5: success/completion are Booleans, not numbers")
def number_for_boolean(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(rnd, _typed_fields(s, _BOOLEAN_FIELDS))
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    return Mutant(mutate(s, path, lambda v: int(v)), node_prefix(path), f"{fmt(path)} as 0/1")


@mutation("Data 2.4.11.s2: length is a non-negative Integer")
def bad_attachment_length(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "attachment"))
    if node is None:
        return None
    path = (*node.path, "length")
    value = rnd.choice([-1, -100, 1.5, 0.25])
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value}")


_STRING_FIELDS: dict[str, tuple[str, ...]] = {
    "statement": ("id", "timestamp", "stored", "version"),
    "substatement": ("timestamp",),
    "verb": ("id",),
    "activity": ("id",),
    "agent": ("name", "mbox", "mbox_sha1sum", "openid"),
    "group": ("name", "mbox", "mbox_sha1sum", "openid"),
    "account": ("homePage", "name"),
    "definition": ("type", "moreInfo", "interactionType"),
    "component": ("id",),
    "result": ("response", "duration"),
    "context": ("registration", "revision", "platform", "language"),
    "attachment": ("usageType", "contentType", "sha2", "fileUrl"),
    "statementref": ("id",),
}


@mutation("Data property tables: a non-string where a String / IRI / UUID... is required")
def wrong_type_for_string(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(
        rnd, [(n, k) for n in walk(s) for k in _STRING_FIELDS.get(n.kind, ()) if k in n.value]
    )
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    value = rnd.choice([42, 1.5, True, ["x"], {"en-US": "x"}])
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


@mutation("Data 2.4.x: objectType is a String")
def wrong_type_for_object_type(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(
        rnd,
        [
            n
            for n in walk(s)
            if isinstance(n.value, dict) and "objectType" in n.value and n.kind != "langmap"
        ],
    )
    if node is None:
        return None
    value = rnd.choice([1, ["Agent"], {"type": "Agent"}, False])

    def change(o: dict) -> dict:
        o["objectType"] = value
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"objectType = {value!r} at {fmt(node.path)}",
    )


_OBJECT_FIELDS: dict[str, tuple[str, ...]] = {
    "statement": ("actor", "verb", "object", "result", "context", "authority"),
    "substatement": ("actor", "verb", "object", "result", "context"),
    "verb": ("display",),
    "activity": ("definition",),
    "definition": ("name", "description", "extensions"),
    "component": ("description",),
    "agent": ("account",),
    "group": ("account",),
    "result": ("score", "extensions"),
    "context": ("instructor", "team", "contextActivities", "statement", "extensions"),
    "attachment": ("display", "description"),
    "contextAgent": ("agent",),
    "contextGroup": ("group",),
}


@mutation("Data property tables: a non-object where an Object / Language Map is required")
def wrong_type_for_object(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(
        rnd, [(n, k) for n in walk(s) for k in _OBJECT_FIELDS.get(n.kind, ()) if k in n.value]
    )
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    value = rnd.choice(["text", 7, True, [], ["x"]])
    if key in ("extensions", "contextActivities", "display", "description", "name") and value == []:
        value = "text"
    if key != "contextActivities" and isinstance(value, list) and value:
        value = [get(s, path)]  # the right object, wrapped in an array
    return Mutant(
        mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r:.60}"
    )


_ARRAY_FIELDS: dict[str, tuple[str, ...]] = {
    "statement": ("attachments",),
    "substatement": ("attachments",),
    "group": ("member",),
    "definition": ("correctResponsesPattern", *ALL_COMPONENT_LISTS),
    "context": ("contextAgents", "contextGroups"),
    "contextAgent": ("relevantTypes",),
    "contextGroup": ("relevantTypes",),
}


@mutation("Data property tables: a single value where an Array is required")
def wrong_type_for_array(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(
        rnd, [(n, k) for n in walk(s) for k in _ARRAY_FIELDS.get(n.kind, ()) if n.value.get(k)]
    )
    if choice is None:
        return None
    node, key = choice
    path = (*node.path, key)
    first = get(s, path)[0]
    value = first if rnd.random() < 0.7 else "x"
    return Mutant(
        mutate(s, path, lambda v: copy.deepcopy(value)),
        node_prefix(path),
        f"{fmt(path)} unwrapped from its array",
    )


@mutation("Data 2.4.4.1.s8 / 9274.1.1: array items are Strings (patterns) or IRIs (relevantTypes)")
def non_string_array_item(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choices = fields(s, ("definition",), ("correctResponsesPattern",))
    choices += fields(s, ("contextAgent", "contextGroup"), ("relevantTypes",))
    choices = [(n, k) for n, k in choices if n.value[k]]
    if not choices:
        return None
    node, key = pick(rnd, choices)
    path = (*node.path, key)
    value = rnd.choice([1, True, ["a"], {"a": "b"}])
    return Mutant(
        mutate(s, (*path, 0), lambda v: value), node_prefix(path), f"{fmt(path)}[0] = {value!r}"
    )


@mutation("Data 4.2: language map values are Strings")
def language_map_value_not_string(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "langmap"))
    if node is None:
        return None
    tag = rnd.choice(sorted(node.value))
    value = rnd.choice([5, True, ["x"], {"en": "x"}])
    return Mutant(
        mutate(s, (*node.path, tag), lambda v: value),
        node_prefix(node.path),
        f"{fmt(node.path)}[{tag!r}] = {value!r}",
    )


def _null_candidates(s: dict) -> list[tuple[PathT, tuple[str, ...]]]:
    """(where to put the null, expected path prefixes) for every value outside extensions."""
    out: list[tuple[PathT, tuple[str, ...]]] = []
    for n in walk(s):
        if n.kind == "extensions":
            continue  # null is allowed inside extensions (Data 2.2.s4.b1.b1)
        for key, value in n.value.items():
            path = (*n.path, key)
            # A null objectType or IFI may fairly be reported at the object it classifies or
            # identifies; a null language-map value at the map.
            if key == "objectType" or key in IFI_KEYS or n.kind == "langmap":
                out.append((path, node_prefix(n.path)))
            else:
                out.append((path, node_prefix(path)))
            if isinstance(value, list):
                out.extend(((*path, i), node_prefix(path)) for i in range(len(value)))
    return out


@mutation("Data 2.2.s4.b1.b1: a null value outside extensions")
def null_value(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choice = pick(rnd, _null_candidates(s))
    if choice is None:
        return None
    path, prefix = choice
    return Mutant(mutate(s, path, lambda v: None), prefix, f"{fmt(path)} = null")


# ---------------------------------------------------------------------------------------
# Agents, Groups, Inverse Functional Identifiers
# ---------------------------------------------------------------------------------------

_EXTRA_IFI = {
    "mbox": "mailto:extra@example.com",
    "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
    "openid": "http://openid.example.org/extra",
    "account": {"homePage": "http://www.example.com", "name": "extra"},
}


@mutation("Data 2.4.2.1.s2.b2 / 2.4.2.2.s5.b1: more than one Inverse Functional Identifier")
def two_ifis(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "agent", "group") if ifi_of(n.value)])
    if node is None:
        return None
    extra = rnd.choice([k for k in IFI_KEYS if k not in node.value])

    def add(o: dict) -> dict:
        o[extra] = copy.deepcopy(_EXTRA_IFI[extra])
        return o

    return Mutant(
        mutate(s, node.path, add),
        node_prefix(node.path),
        f"add a second IFI {extra!r} to {node.kind} at {fmt(node.path)}",
    )


@mutation("Data 2.4.2.1.s2.b1: an Agent MUST be identified by one IFI")
def agent_without_ifi(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    # An identified Group losing its IFI stays valid when it has members (anonymous Group),
    # so Groups qualify only without "member".
    node = pick(
        rnd,
        [
            n
            for n in nodes_of(s, "agent", "group")
            if ifi_of(n.value) and (n.kind == "agent" or "member" not in n.value)
        ],
    )
    if node is None:
        return None
    ifi = ifi_of(node.value)
    mutant = mutate(s, node.path, lambda o: {k: v for k, v in o.items() if k != ifi})
    return Mutant(
        mutant,
        node_prefix(node.path),
        f"remove the IFI {ifi!r} of the {node.kind} at {fmt(node.path)}",
    )


@mutation("Data 2.4.2.2.s4.b1 (policy): an anonymous Group lists at least one member")
def anonymous_group_empty_member(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "group") if ifi_of(n.value) is None])
    if node is None:
        return None

    def empty(o: dict) -> dict:
        o["member"] = []
        return o

    return Mutant(
        mutate(s, node.path, empty),
        node_prefix(node.path),
        f"empty member array in anonymous group at {fmt(node.path)}",
    )


@mutation("Data 2.4.2.2.s4.b2 / s5.b2: a Group MUST NOT contain Group Objects in member")
def group_member_is_group(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "group") if n.value.get("member")])
    if node is None:
        return None
    i = rnd.randrange(len(node.value["member"]))
    if rnd.random() < 0.5:

        def change(o: dict) -> dict:
            o["member"][i] = {
                "objectType": "Group",
                "mbox": "mailto:subgroup@example.com",
                "member": [{"mbox": "mailto:a@example.com"}],
            }
            return o

        what = "an identified Group"
    else:

        def change(o: dict) -> dict:
            o["member"][i]["objectType"] = "Group"
            return o

        what = 'objectType "Group"'
    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"member[{i}] of {fmt(node.path)} is {what}",
    )


def _ifi_fields(s: dict, key: str) -> list[PathT]:
    return [(*n.path, key) for n in nodes_of(s, "agent", "group") if key in n.value]


_BAD_MBOX = (
    "user@example.com",
    "mailto:",
    "mailto:user",
    "mailto:@example.com",
    "mailto:user@",
    "http://example.com/user",
    "mailto:us er@example.com",
    "",
)


@mutation('Data 2.4.2.3.s3: mbox is "mailto:email address"')
def bad_mbox(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    path = pick(rnd, _ifi_fields(s, "mbox"))
    if path is None:
        return None
    value = rnd.choice(_BAD_MBOX)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


@mutation("Data 2.4.2.3.s3: mbox_sha1sum is a hex-encoded SHA1 (40 hex digits)")
def bad_mbox_sha1sum(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    path = pick(rnd, _ifi_fields(s, "mbox_sha1sum"))
    if path is None:
        return None
    value = rnd.choice(
        [
            "ebd31e95054c018b10727ccffd2ef2ec3a016ee",
            "ebd31e95054c018b10727ccffd2ef2ec3a016ee9a",
            "zbd31e95054c018b10727ccffd2ef2ec3a016ee9",
            "",
            "mailto:a@example.com",
        ]
    )
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


_NO_SCHEME = (
    "example.com/path",
    "/relative/path",
    "relative",
    "#fragment",
    "",
    "http://exa mple.com/a",
    "www.example.com",
    " http://example.com/x",
)


@mutation("Data 2.4.2.3.s3: openid is a URI (absolute, with a scheme)")
def bad_openid(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    path = pick(rnd, _ifi_fields(s, "openid"))
    if path is None:
        return None
    value = rnd.choice(_NO_SCHEME)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


@mutation("Data 2.4.2.4 (policy): account.name is a non-empty String")
def empty_account_name(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "account"))
    if node is None:
        return None
    path = (*node.path, "name")
    return Mutant(mutate(s, path, lambda v: ""), node_prefix(node.path), f"{fmt(path)} = ''")


@mutation("Data 2.4.9.s3.b1: authority is an Agent or a Group of two Agents")
def authority_group_wrong_size(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    if s.get("authority", {}).get("objectType") != "Group":
        return None

    def change(o: dict) -> dict:
        if rnd.random() < 0.5:
            o["member"] = o["member"][:1]
        else:
            o["member"].append({"mbox": "mailto:third@example.com"})
        return o

    return Mutant(
        mutate(s, ("authority",), change),
        ("authority",),
        "authority Group without exactly two members",
    )


# ---------------------------------------------------------------------------------------
# IRIs, IRLs, language tags, UUIDs, timestamps, durations, versions
# ---------------------------------------------------------------------------------------


def _iri_fields(s: dict) -> list[PathT]:
    out = [(*n.path, "id") for n in nodes_of(s, "verb", "activity")]
    out += [(*n.path, "type") for n in nodes_of(s, "definition") if "type" in n.value]
    out += [(*n.path, "usageType") for n in nodes_of(s, "attachment")]
    for n in nodes_of(s, "contextAgent", "contextGroup"):
        out += [(*n.path, "relevantTypes", i) for i in range(len(n.value.get("relevantTypes", [])))]
    return out


@mutation("Data 2.2.s4.b1.b4 / b8: an IRI without a scheme, with whitespace, or empty")
def bad_iri(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    path = pick(rnd, _iri_fields(s))
    if path is None:
        return None
    value = rnd.choice(_NO_SCHEME)
    prefix = node_prefix(path[:-1]) if isinstance(path[-1], int) else node_prefix(path)
    return Mutant(mutate(s, path, lambda v: value), prefix, f"{fmt(path)} = {value!r}")


@mutation("Data 4.1.s3.b1: extension keys are IRIs")
def bad_extension_key(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "extensions"))
    if node is None:
        return None
    bad = rnd.choice([k for k in _NO_SCHEME if k not in node.value])
    old = rnd.choice(sorted(node.value)) if node.value else None

    def change(o: dict) -> dict:
        value = o.pop(old) if old is not None else "value"
        o[bad] = value
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"extension key {bad!r} in {fmt(node.path)}",
    )


def _irl_fields(s: dict) -> list[PathT]:
    out = [(*n.path, "homePage") for n in nodes_of(s, "account")]
    out += [(*n.path, "moreInfo") for n in nodes_of(s, "definition") if "moreInfo" in n.value]
    out += [(*n.path, "fileUrl") for n in nodes_of(s, "attachment") if "fileUrl" in n.value]
    return out


@mutation("Data 2.2.s4.b1.b8: an IRL without a scheme")
def bad_irl(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    path = pick(rnd, _irl_fields(s))
    if path is None:
        return None
    value = rnd.choice(_NO_SCHEME)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


_BAD_TAGS = (
    "en_US",
    "",
    "e",
    "xx-YY",
    "en-",
    "-en",
    "en--US",
    "123",
    "en US",
    "english-US-",
    "EN_us",
)


@mutation("Data 2.2.s3.b2 / 2.2.s4.b2 / 4.2: language map keys are RFC 5646 tags")
def bad_language_map_key(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "langmap"))
    if node is None:
        return None
    old = rnd.choice(sorted(node.value))
    bad = rnd.choice(_BAD_TAGS)

    def rename(o: dict) -> dict:
        return {(bad if k == old else k): v for k, v in o.items()}

    return Mutant(
        mutate(s, node.path, rename),
        node_prefix(node.path),
        f"language tag {bad!r} in {fmt(node.path)}",
    )


@mutation("Data 2.4.6.s3: context.language is an RFC 5646 tag")
def bad_context_language(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "context") if "language" in n.value])
    if node is None:
        return None
    path = (*node.path, "language")
    value = rnd.choice(_BAD_TAGS)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


_BAD_UUIDS = (
    "not-a-uuid",
    "fd41c918b88b4b20a0a5a4c32391aaa0",
    "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
    "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa",
    "gd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "fd41c918-b88b-4b20-a0a5-a4c32391aaa0 ",
    "",
)


def _uuid_fields(s: dict) -> list[PathT]:
    out = [("id",)] if "id" in s else []
    out += [(*n.path, "registration") for n in nodes_of(s, "context") if "registration" in n.value]
    out += [(*n.path, "id") for n in nodes_of(s, "statementref")]
    return out


@mutation("Data 4.4 / 2.4.1: UUIDs MUST be in the standard string form")
def bad_uuid(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    path = pick(rnd, _uuid_fields(s))
    if path is None:
        return None
    value = rnd.choice(_BAD_UUIDS)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


_BAD_TIMESTAMPS = (
    "2013-05-18T05:32:34",  # no zone (policy: zone required)
    "2013-05-18T05:32:34.804",  # no zone
    "2013-05-18T05:32:34-00:00",  # RFC 3339 "unknown offset" (policy: rejected)
    "2013-05-18",  # date only
    "2013-05-18 05:32:34Z",  # no "T"
    "2013-05-18T05:32Z",  # no seconds
    "2013-13-18T05:32:34Z",  # month 13
    "2013-02-30T05:32:34Z",  # 30 February
    "2013-05-18T25:32:34Z",  # hour 25
    "yesterday",
    "",
    "2013-05-18T05:32:34+0500x",
    "2013-05-18T05:32:34+05",  # offset without minutes (policy: +-hh:mm)
    "2013-05-18T05:32:34+0530",  # basic-format offset in an extended-format time
)


@mutation("Data 4.5.s1 (policy): timestamps are RFC 3339 date-times with a zone")
def bad_timestamp(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    paths = [(*n.path, "timestamp") for n in stmt_nodes(s) if "timestamp" in n.value]
    paths += [("stored",)] if "stored" in s else []
    path = pick(rnd, paths)
    if path is None:
        return None
    value = rnd.choice(_BAD_TIMESTAMPS)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


_BAD_DURATIONS = (
    "P4W1D",
    "1H",
    "PT",
    "P",
    "P0003-06-04T12:30:05",
    "P1H",
    "PT1M1H",
    "P1DT",
    "PT1.5",
    "",
    "PT 1H",
    "T1H",
)


@mutation("Data 4.6.s1.b1: durations in ISO 8601:2004 4.4.3.2 format, not the alternative format")
def bad_duration(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "result") if "duration" in n.value])
    if node is None:
        return None
    path = (*node.path, "duration")
    value = rnd.choice(_BAD_DURATIONS)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


@mutation('Data 2.4.10.s3.b2 / Comm 3.3: version starts with "1.0." (or "2.0." in 2.0)')
def bad_version(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    options = ["0.95", "0.9", "1.1.0", "3.0.0", "1.0.", "", "v1.0.0", "1", "10.0.0"]
    if version == "1.0.3":
        options += ["2.0.0", "2.0.0", "2.0.1"]
    else:
        options += ["2.1.0", "2.0"]
    value = rnd.choice(options)

    def change(o: dict) -> dict:
        o["version"] = value
        return o

    return Mutant(
        mutate(s, (), change), ("version",), f"version = {value!r} in a {version} request"
    )


# ---------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------


@mutation("Data 2.4.5.1.s2: scaled is a decimal number between -1 and 1, inclusive")
def scaled_out_of_range(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "score"))
    if node is None:
        return None
    value = rnd.choice([1.01, -1.5, 2, -2, 100, 1.0000001])

    def change(o: dict) -> dict:
        o["scaled"] = value
        return o

    return Mutant(
        mutate(s, node.path, change), node_prefix(node.path), f"{fmt(node.path)}.scaled = {value}"
    )


@mutation("Data 2.4.5.1.s2: raw is between min and max (if present), inclusive")
def raw_outside_range(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "score") if "min" in n.value or "max" in n.value])
    if node is None:
        return None
    score = node.value
    below = "min" in score and ("max" not in score or rnd.random() < 0.5)
    value = (
        score["min"] - rnd.choice([1, 0.5, 100])
        if below
        else score["max"] + rnd.choice([1, 0.5, 100])
    )

    def change(o: dict) -> dict:
        o["raw"] = value
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"{fmt(node.path)}.raw = {value} outside min/max",
    )


@mutation("Data 2.4.5.1.s2: min is less than max")
def min_not_below_max(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "score") if "min" in n.value and "max" in n.value])
    if node is None:
        return None
    equal = rnd.random() < 0.5

    def change(o: dict) -> dict:
        if equal:
            o["min"] = o["max"]
            if "raw" in o:
                o["raw"] = o["max"]
        else:
            o["min"], o["max"] = o["max"], o["min"]
            o.pop("raw", None)
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"{fmt(node.path)}: min {'==' if equal else '>'} max",
    )


# ---------------------------------------------------------------------------------------
# Objects, SubStatements, voiding, context
# ---------------------------------------------------------------------------------------


@mutation("Data 2.4.6.s4.b1-b2: revision and platform only when the Object is an Activity")
def revision_or_platform_on_non_activity(
    s: dict, rnd: random.Random, version: str
) -> Mutant | None:
    node = pick(rnd, [n for n in stmt_nodes(s) if not object_is_activity(n.value)])
    if node is None:
        return None
    key = rnd.choice(["revision", "platform"])

    def change(o: dict) -> dict:
        o.setdefault("context", {})[key] = "1.2"
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix((*node.path, "context")),
        f"context.{key} with a {node.value['object'].get('objectType')} object at {fmt(node.path) or 'root'}",
    )


@mutation(
    'Data 2.4.4.3.s8.b3: a SubStatement MUST NOT have "id", "stored", "version" or "authority"'
)
def substatement_forbidden_property(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "substatement"))
    if node is None:
        return None
    key, value = rnd.choice(
        [
            ("id", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"),
            ("stored", "2013-05-18T05:32:34.804+00:00"),
            ("version", "1.0.0"),
            ("authority", {"objectType": "Agent", "mbox": "mailto:authority@example.com"}),
        ]
    )

    def add(o: dict) -> dict:
        o[key] = value
        return o

    return Mutant(mutate(s, node.path, add), node_prefix(node.path), f"SubStatement with {key!r}")


_INNER_SUB = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:inner@example.com"},
    "verb": {"id": "http://example.com/verbs/did"},
    "object": {"id": "http://example.com/activities/inner"},
}


@mutation("Data 2.4.4.3.s8.b4: a SubStatement MUST NOT contain a SubStatement")
def nested_substatement(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "substatement"))
    if node is None:
        return None
    has_context_extras = "context" in node.value and (
        {"revision", "platform"} & set(node.value["context"])
    )

    def change(o: dict) -> dict:
        o["object"] = copy.deepcopy(_INNER_SUB)
        if has_context_extras:  # keep "revision/platform only with an Activity" intact
            o["context"].pop("revision", None)
            o["context"].pop("platform", None)
            if not o["context"]:
                del o["context"]
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix((*node.path, "object")),
        "SubStatement inside a SubStatement",
    )


@mutation("Data 2.3.2.s2.b1: a voiding statement's Object is a StatementRef")
def voided_verb_non_statement_ref(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    if s["object"].get("objectType") == "StatementRef":
        return None

    def change(o: dict) -> dict:
        o["verb"]["id"] = VOIDED
        return o

    return Mutant(
        mutate(s, (), change),
        ("object", "verb"),
        f"voided verb with a {s['object'].get('objectType', 'Activity')} object",
    )


def _recase_value(value: str, rnd: random.Random) -> str:
    options = {value.lower(), value.upper(), value.swapcase(), value.capitalize()} - {value}
    return rnd.choice(sorted(options))


@mutation("Data 2.2.s4.b1.b6: objectType values match the enumerated values exactly")
def object_type_wrong_case(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(
        rnd,
        [
            n
            for n in walk(s)
            if n.kind != "langmap"
            and n.kind != "extensions"
            and isinstance(n.value.get("objectType"), str)
        ],
    )
    if node is None:
        return None
    new = _recase_value(node.value["objectType"], rnd)

    def change(o: dict) -> dict:
        o["objectType"] = new
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"objectType {new!r} at {fmt(node.path)}",
    )


@mutation("Data 2.4.4.s2: objectType is one of Activity, Agent, Group, SubStatement, StatementRef")
def object_type_unknown(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(
        rnd,
        [
            n
            for n in walk(s)
            if n.kind in ("activity", "agent", "group", "statementref", "substatement")
        ],
    )
    if node is None:
        return None
    new = rnd.choice(["Statement", "Person", "Activities", "Verb", "", "Agents"])

    def change(o: dict) -> dict:
        o["objectType"] = new
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"objectType {new!r} at {fmt(node.path)}",
    )


@mutation(
    "Data 2.4.4.1.s13.b1 / 2.2.s4.b1.b6: interactionType is one of the ten values, exact case"
)
def bad_interaction_type(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "definition") if "interactionType" in n.value])
    if node is None:
        return None
    old = node.value["interactionType"]
    new = rnd.choice(
        [
            _recase_value(old, rnd),
            old.replace("-", "_") if "-" in old else old + "s",
            "multiple-choice",
            "",
            "essay",
        ]
    )

    def change(o: dict) -> dict:
        o["interactionType"] = new
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix(node.path),
        f"interactionType {new!r} (was {old!r})",
    )


@mutation("Data 2.4.4.1.s15 table 2: a component list the interactionType does not support")
def component_list_not_allowed(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "definition") if "interactionType" in n.value])
    if node is None:
        return None
    itype = node.value["interactionType"]
    allowed = COMPONENT_LISTS.get(itype, ())
    name = rnd.choice([lst for lst in ALL_COMPONENT_LISTS if lst not in allowed])

    def change(o: dict) -> dict:
        o[name] = [{"id": "x1", "description": {"en-US": "one"}}, {"id": "x2"}]
        return o

    return Mutant(
        mutate(s, node.path, change), node_prefix(node.path), f"{name!r} on a {itype!r} interaction"
    )


@mutation("Data 2.4.4.1.s8: interaction properties need an interactionType")
def interaction_property_without_type(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    keys = ("correctResponsesPattern", *ALL_COMPONENT_LISTS)
    node = pick(
        rnd,
        [
            n
            for n in nodes_of(s, "definition")
            if "interactionType" in n.value and any(k in n.value for k in keys)
        ],
    )
    if node is None:
        return None
    return Mutant(
        mutate(s, node.path, lambda o: {k: v for k, v in o.items() if k != "interactionType"}),
        node_prefix(node.path),
        "interaction properties without interactionType",
    )


@mutation("Data 2.4.4.1.s16.b1: ids within an array of interaction components are distinct")
def duplicate_component_ids(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    choices = [
        (n, lst)
        for n in nodes_of(s, "definition")
        for lst in ALL_COMPONENT_LISTS
        if len(n.value.get(lst, ())) >= 2
    ]
    if not choices:
        return None
    node, lst = pick(rnd, choices)
    j = rnd.randrange(1, len(node.value[lst]))

    def change(o: dict) -> dict:
        o[lst][j]["id"] = o[lst][0]["id"]
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix((*node.path, lst)),
        f"{lst}[{j}].id duplicates {lst}[0].id",
    )


@mutation("Data 2.4.4.1.s15 (policy): an interaction component id is a non-empty String")
def empty_component_id(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "component"))
    if node is None:
        return None
    path = (*node.path, "id")
    return Mutant(mutate(s, path, lambda v: ""), node_prefix(node.path), f"{fmt(path)} = ''")


@mutation("xAPI 2.0 only (policy): contextAgents / contextGroups are unknown keys in 1.0.3")
def context_2_0_property_in_1_0_3(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    if version != "1.0.3":
        return None
    node = pick(rnd, stmt_nodes(s))
    if rnd.random() < 0.5:
        key, value = (
            "contextAgents",
            [{"objectType": "contextAgent", "agent": {"mbox": "mailto:peer@example.com"}}],
        )
    else:
        key, value = (
            "contextGroups",
            [
                {
                    "objectType": "contextGroup",
                    "group": {
                        "objectType": "Group",
                        "member": [{"mbox": "mailto:peer@example.com"}],
                    },
                }
            ],
        )

    def change(o: dict) -> dict:
        o.setdefault("context", {})[key] = value
        return o

    return Mutant(
        mutate(s, node.path, change),
        node_prefix((*node.path, "context")),
        f"{key} in a 1.0.3 statement",
    )


@mutation("Data 2.4.6.s3: context.team is a Group")
def context_team_not_group(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "context") if "team" in n.value])
    if node is None:
        return None
    path = (*node.path, "team")
    agent = {"objectType": "Agent", "mbox": "mailto:solo@example.com"}
    return Mutant(mutate(s, path, lambda v: agent), node_prefix(path), f"{fmt(path)} is an Agent")


@mutation("Data 2.4.6.s3: context.statement is a Statement Reference")
def context_statement_not_ref(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, [n for n in nodes_of(s, "context") if "statement" in n.value])
    if node is None:
        return None
    path = (*node.path, "statement")
    value = rnd.choice(
        [
            {"objectType": "Activity", "id": "http://example.com/a"},
            {"id": get(s, path)["id"]},
            dict(_INNER_SUB),
        ]
    )
    return Mutant(
        mutate(s, path, lambda v: copy.deepcopy(value)),
        node_prefix(path),
        f"{fmt(path)} is not a StatementRef",
    )


@mutation("Data 2.4.6.2.s4.b2: contextActivities values are Activities")
def context_activity_not_activity(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "contextActivities"))
    if node is None:
        return None
    key = rnd.choice(sorted(node.value))
    value = rnd.choice(
        [
            {"objectType": "Agent", "mbox": "mailto:a@example.com"},
            "http://example.com/activity",
            [{"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}],
            [{"definition": {"name": {"en": "no id"}}}],
        ]
    )
    return Mutant(
        mutate(s, (*node.path, key), lambda v: copy.deepcopy(value)),
        node_prefix(node.path),
        f"contextActivities.{key} = {value!r:.50}",
    )


@mutation("xAPI 2.0 (9274.1.1): relevantTypes, when present, is a non-empty array of IRIs")
def empty_relevant_types(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "contextAgent", "contextGroup"))
    if node is None:
        return None

    def change(o: dict) -> dict:
        o["relevantTypes"] = []
        return o

    return Mutant(
        mutate(s, node.path, change), node_prefix(node.path), f"{fmt(node.path)}.relevantTypes = []"
    )


@mutation("xAPI 2.0 (9274.1.1): contextAgent.agent is an Agent, contextGroup.group a Group")
def context_agent_group_swapped(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "contextAgent", "contextGroup"))
    if node is None:
        return None
    if node.kind == "contextAgent":
        key, value = "agent", {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    else:
        key, value = "group", {"objectType": "Agent", "mbox": "mailto:a@example.com"}
    return Mutant(
        mutate(s, (*node.path, key), lambda v: value),
        node_prefix(node.path),
        f"{fmt(node.path)}.{key} of the wrong kind",
    )


_BAD_MEDIA_TYPES = ("text", "", "text/", "/plain", "text plain", "text/plain/extra")


@mutation("Data 2.4.11.s2: contentType is an Internet Media Type")
def bad_content_type(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "attachment"))
    if node is None:
        return None
    path = (*node.path, "contentType")
    value = rnd.choice(_BAD_MEDIA_TYPES)
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


@mutation("Data 2.4.11.s2 / Comm 1.5.2.s4.b4: sha2 is a hex-encoded SHA-2 hash")
def bad_sha2(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    node = pick(rnd, nodes_of(s, "attachment"))
    if node is None:
        return None
    path = (*node.path, "sha2")
    value = rnd.choice(
        [
            "not-hex!",
            "zz" * 32,
            "",
            "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848g",
        ]
    )
    return Mutant(mutate(s, path, lambda v: value), node_prefix(path), f"{fmt(path)} = {value!r}")


def _formatted_fields(s: dict) -> list[PathT]:
    """Every string value with a defined format (UUID, IRI, IRL, timestamp, duration...)."""
    out = _iri_fields(s) + _irl_fields(s) + _uuid_fields(s)
    out += [p for key in ("mbox", "mbox_sha1sum", "openid") for p in _ifi_fields(s, key)]
    out += [(*n.path, "timestamp") for n in stmt_nodes(s) if "timestamp" in n.value]
    out += [("stored",)] if "stored" in s else []
    out += [(*n.path, "duration") for n in nodes_of(s, "result") if "duration" in n.value]
    out += [(*n.path, "language") for n in nodes_of(s, "context") if "language" in n.value]
    out += [(*n.path, k) for n in nodes_of(s, "attachment") for k in ("sha2", "contentType")]
    out += [
        (*n.path, "interactionType")
        for n in nodes_of(s, "definition")
        if "interactionType" in n.value
    ]
    return out


@mutation("Data 2.2.s4.b1.b4: a non-format-following value (trailing newline or space)")
def trailing_whitespace_in_formatted_value(
    s: dict, rnd: random.Random, version: str
) -> Mutant | None:
    path = pick(rnd, _formatted_fields(s))
    if path is None:
        return None
    tail = rnd.choice(["\n", " ", "\t", "\r\n"])
    prefix = node_prefix(path[:-1]) if isinstance(path[-1], int) else node_prefix(path)
    return Mutant(mutate(s, path, lambda v: v + tail), prefix, f"{fmt(path)} + {tail!r}")


_ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
_FULLWIDTH = str.maketrans(
    "0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
)


@mutation("Data 4.5, 4.6 (ISO 8601 / RFC 3339 DIGIT = %x30-39): non-ASCII digits")
def non_ascii_digits(s: dict, rnd: random.Random, version: str) -> Mutant | None:
    paths = [(*n.path, "timestamp") for n in stmt_nodes(s) if "timestamp" in n.value]
    paths += [("stored",)] if "stored" in s else []
    paths += [(*n.path, "duration") for n in nodes_of(s, "result") if "duration" in n.value]
    path = pick(rnd, paths)
    if path is None:
        return None
    table = rnd.choice([_ARABIC_INDIC, _FULLWIDTH])
    return Mutant(
        mutate(s, path, lambda v: v.translate(table)),
        node_prefix(path),
        f"{fmt(path)} with non-ASCII digits",
    )


MUTATIONS: tuple[Mutation, ...] = tuple(_MUTATIONS)
BY_NAME: dict[str, Mutation] = {m.name: m for m in MUTATIONS}


def applicable(
    statement: dict, rnd: random.Random, version: str
) -> Iterator[tuple[Mutation, Mutant]]:
    """Every mutation that applies to ``statement``, with its mutant."""
    for m in MUTATIONS:
        mutant = m.apply(statement, rnd, version)
        if mutant is not None:
            yield m, mutant
