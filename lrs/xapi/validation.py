"""Statement validation: every structural rule of xAPI Data 2 and 4.

``validate_statement`` raises :class:`InvalidStatement` with the path of the
first offending property (``context.contextActivities.parent[0].id``) and the
rule it breaks, citing the section of xAPI Data (1.0.3 numbering; 2.0 keeps the
rules). Statements stay plain parsed JSON: the checks walk dicts and lists.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any, NoReturn

from lrs.errors import InvalidStatement
from lrs.xapi import value_formats
from lrs.xapi.languages import is_language_tag
from lrs.xapi.versions import is_v2, statement_version_allowed

VOIDED = "http://adlnet.gov/expapi/verbs/voided"

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS = frozenset(("objectType", "name", *IFIS))
_GROUP_KEYS = frozenset(("objectType", "name", "member", *IFIS))
_ACCOUNT_KEYS = frozenset(("homePage", "name"))
_VERB_KEYS = frozenset(("id", "display"))
_ACTIVITY_KEYS = frozenset(("objectType", "id", "definition"))
_STATEMENT_REF_KEYS = frozenset(("objectType", "id"))
_DEFINITION_KEYS = frozenset(
    (
        "name", "description", "type", "moreInfo", "extensions", "interactionType",
        "correctResponsesPattern", "choices", "scale", "source", "target", "steps",
    )
)
_COMPONENT_KEYS = frozenset(("id", "description"))
_RESULT_KEYS = frozenset(("score", "success", "completion", "response", "duration", "extensions"))
_SCORE_KEYS = frozenset(("scaled", "raw", "min", "max"))
_CONTEXT_KEYS_V1 = frozenset(
    (
        "registration", "instructor", "team", "contextActivities", "revision", "platform",
        "language", "statement", "extensions",
    )
)
_CONTEXT_KEYS_V2 = _CONTEXT_KEYS_V1 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KINDS = frozenset(("parent", "grouping", "category", "other"))
_CONTEXT_AGENT_KEYS = frozenset(("objectType", "agent", "relevantTypes"))
_CONTEXT_GROUP_KEYS = frozenset(("objectType", "group", "relevantTypes"))
_ATTACHMENT_KEYS = frozenset(
    ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
)
_STATEMENT_KEYS = frozenset(
    (
        "id", "actor", "verb", "object", "result", "context", "timestamp", "stored",
        "authority", "version", "attachments",
    )
)
_SUBSTATEMENT_KEYS = frozenset(
    ("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")
)
_SUBSTATEMENT_FORBIDDEN = ("id", "stored", "version", "authority")

INTERACTION_TYPES = frozenset(
    (
        "true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
        "sequencing", "likert", "numeric", "other",
    )
)
# Data 2.4.4.1 "Interaction Components": which lists each interactionType supports.
_COMPONENT_LISTS = {
    "choice": frozenset(("choices",)),
    "sequencing": frozenset(("choices",)),
    "likert": frozenset(("scale",)),
    "matching": frozenset(("source", "target")),
    "performance": frozenset(("steps",)),
}
_ALL_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def _fail(path: str, rule: str) -> NoReturn:
    raise InvalidStatement(path, rule)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _object(value: Any, path: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(path, f"must be {what} (a JSON object), not {_type_name(value)}")
    return value


def _array(value: Any, path: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(path, f"must be {what} (a JSON array), not {_type_name(value)}")
    return value


def _keys(obj: dict[str, Any], path: str, allowed: frozenset[str], what: str) -> None:
    """Unknown and null properties (Data 2.2.s4.b1); names are case-sensitive."""
    for key, value in obj.items():
        if key not in allowed:
            _fail(
                _join(path, key),
                f"is not a property of {what} (property names are case-sensitive; "
                "unknown properties are rejected, Data 2.2)",
            )
        if value is None:
            _fail(_join(path, key), "must not be null (null is only allowed inside extensions, Data 2.2)")


def _require(obj: dict[str, Any], path: str, key: str, what: str) -> Any:
    if key not in obj:
        _fail(_join(path, key), f"is required in {what}")
    return obj[key]


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, f"must be a string, not {_type_name(value)} (Data 2.2)")
    return value


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        _fail(path, f"must be a boolean (true or false), not {_type_name(value)} (Data 2.2)")


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"must be a number, not {_type_name(value)} (Data 2.2)")
    if not math.isfinite(value):
        _fail(path, "must be a finite number (JSON has no NaN or Infinity)")
    return value


def _visible(text: str, path: str, cite: str) -> str:
    """No control or invisible formatting character (see value_formats.control_character)."""
    char = value_formats.control_character(text)
    if char is not None:
        _fail(
            path,
            f"must not contain control or invisible formatting characters (has U+{ord(char):04X}, "
            f"{unicodedata.name(char, 'a control character')}): they make one identifier "
            f"look like another ({cite})",
        )
    return text


_IRI_RULE = "RFC 3987 4.1, Data 4.3"
_IFI_RULE = "Data 2.4.2.3"


def _iri(value: Any, path: str) -> str:
    text = _visible(_string(value, path), path, _IRI_RULE)
    if not value_formats.is_iri(text):
        _fail(path, "must be an absolute IRI with a scheme (Data 4.3, 2.2.s4.b1.b8)")
    return text


def _uuid(value: Any, path: str) -> str:
    text = _string(value, path)
    if not value_formats.is_uuid(text):
        _fail(path, "must be a UUID in standard string form (Data 4.4)")
    return text


def _timestamp(value: Any, path: str, version: str) -> None:
    text = _string(value, path)
    if value_formats.parse_timestamp(text, rfc3339=is_v2(version)) is None:
        _fail(
            path,
            "must be an ISO 8601 date and time with seconds and a time zone, "
            "e.g. 2015-11-18T12:17:00Z (Data 4.5)",
        )


def language_map(value: Any, path: str) -> None:
    obj = _object(value, path, "a language map")
    for tag, text in obj.items():
        if not is_language_tag(tag):
            _fail(_join(path, tag), "is not a valid RFC 5646 language tag (Data 4.2)")
        if not isinstance(text, str):
            _fail(_join(path, tag), f"must be a string, not {_type_name(text)} (Data 4.2)")


def extensions(value: Any, path: str) -> None:
    """Keys must be IRIs; values are anything, null included (Data 4.1)."""
    obj = _object(value, path, "an extensions map")
    for key in obj:
        _visible(key, _join(path, key), _IRI_RULE)
        if not value_formats.is_iri(key):
            _fail(_join(path, key), "extension keys must be IRIs (Data 4.1)")


# --------------------------------------------------------------------------- agents


def _account(value: Any, path: str) -> None:
    obj = _object(value, path, "an account")
    _keys(obj, path, _ACCOUNT_KEYS, "an account")
    home = _require(obj, path, "homePage", "an account")
    if not value_formats.is_iri(_visible(_string(home, _join(path, "homePage")), _join(path, "homePage"), _IFI_RULE)):
        _fail(_join(path, "homePage"), "must be an IRL (Data 2.4.2.4)")
    name = _string(_require(obj, path, "name", "an account"), _join(path, "name"))
    _visible(name, _join(path, "name"), _IFI_RULE)
    if not name:
        _fail(_join(path, "name"), "must not be empty (Data 2.4.2.4)")


def _ifis(obj: dict[str, Any], path: str) -> list[str]:
    present = [key for key in IFIS if key in obj]
    for key in present:
        value = obj[key]
        where = _join(path, key)
        if key == "mbox":
            if not value_formats.is_mailto(_visible(_string(value, where), where, _IFI_RULE)):
                _fail(where, 'must be a mailto IRI, "mailto:" followed by an email address (Data 2.4.2.3)')
        elif key == "mbox_sha1sum":
            if not value_formats.is_sha1(_string(value, where)):
                _fail(where, "must be the hex-encoded SHA1 of a mailto IRI (Data 2.4.2.3)")
        elif key == "openid":
            if not value_formats.is_iri(_visible(_string(value, where), where, _IFI_RULE)):
                _fail(where, "must be a URI (Data 2.4.2.3)")
        else:
            _account(value, where)
    return present


def agent(value: Any, path: str, *, object_type_required: bool = False) -> None:
    """An Agent: exactly one Inverse Functional Identifier (Data 2.4.2.1)."""
    obj = _object(value, path, "an Agent")
    _keys(obj, path, _AGENT_KEYS, "an Agent")
    object_type = obj.get("objectType")
    if object_type is None:
        if object_type_required:
            _fail(_join(path, "objectType"), 'is required ("Agent") when an Agent is the object (Data 2.4.4.2)')
    elif object_type != "Agent":
        _fail(_join(path, "objectType"), 'must be "Agent" (Data 2.4.2.1)')
    if "name" in obj:
        _string(obj["name"], _join(path, "name"))
    present = _ifis(obj, path)
    if not present:
        _fail(path, "an Agent must have exactly one of mbox, mbox_sha1sum, openid, account (Data 2.4.2.1)")
    if len(present) > 1:
        _fail(
            _join(path, present[1]),
            f"an Agent must not have more than one identifier (has {', '.join(present)}; Data 2.4.2.1)",
        )


def group(value: Any, path: str) -> None:
    """An anonymous Group (members, no IFI) or an identified Group (one IFI)."""
    obj = _object(value, path, "a Group")
    _keys(obj, path, _GROUP_KEYS, "a Group")
    if obj.get("objectType") != "Group":
        _fail(_join(path, "objectType"), 'must be "Group" (Data 2.4.2.2)')
    if "name" in obj:
        _string(obj["name"], _join(path, "name"))
    present = _ifis(obj, path)
    if len(present) > 1:
        _fail(
            _join(path, present[1]),
            f"an identified Group must have exactly one identifier (has {', '.join(present)}; Data 2.4.2.2)",
        )
    if "member" in obj:
        members = _array(obj["member"], _join(path, "member"), "a list of Agents")
        for index, member in enumerate(members):
            where = f"{path}.member[{index}]" if path else f"member[{index}]"
            if isinstance(member, dict) and member.get("objectType") == "Group":
                _fail(_join(where, "objectType"), "a Group's members must be Agents, not Groups (Data 2.4.2.2)")
            agent(member, where)
        if not present and not members:
            _fail(_join(path, "member"), "an anonymous Group must list at least one member (Data 2.4.2.2)")
    elif not present:
        _fail(
            _join(path, "member"),
            "is required in an anonymous Group (a Group without an identifier, Data 2.4.2.2)",
        )


def actor(value: Any, path: str) -> None:
    obj = _object(value, path, "an Agent or a Group")
    if obj.get("objectType") == "Group":
        group(obj, path)
    else:
        agent(obj, path)


def authority(value: Any, path: str) -> None:
    """An Agent, or for 3-legged OAuth a Group of exactly two Agents (Data 2.4.9)."""
    obj = _object(value, path, "an Agent or a Group")
    if obj.get("objectType") == "Group":
        group(obj, path)
        members = obj.get("member", [])
        if any(key in obj for key in IFIS) or len(members) != 2:
            _fail(path, "a Group authority must be an anonymous Group of exactly two Agents (Data 2.4.9)")
    else:
        agent(obj, path)


# ------------------------------------------------------------------------ objects


def verb(value: Any, path: str) -> str:
    obj = _object(value, path, "a Verb")
    _keys(obj, path, _VERB_KEYS, "a Verb")
    verb_id = _iri(_require(obj, path, "id", "a Verb"), _join(path, "id"))
    if "display" in obj:
        language_map(obj["display"], _join(path, "display"))
    return verb_id


def _components(value: Any, path: str) -> None:
    items = _array(value, path, "a list of interaction components")
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        obj = _object(item, where, "an interaction component")
        _keys(obj, where, _COMPONENT_KEYS, "an interaction component")
        component_id = _string(_require(obj, where, "id", "an interaction component"), _join(where, "id"))
        if not component_id:
            _fail(_join(where, "id"), "must not be empty (Data 2.4.4.1)")
        if component_id in seen:
            _fail(_join(where, "id"), f"duplicates id {component_id!r}: ids within a list must be distinct (Data 2.4.4.1)")
        seen.add(component_id)
        if "description" in obj:
            language_map(obj["description"], _join(where, "description"))


def definition(value: Any, path: str) -> None:
    obj = _object(value, path, "an Activity Definition")
    _keys(obj, path, _DEFINITION_KEYS, "an Activity Definition")
    for key in ("name", "description"):
        if key in obj:
            language_map(obj[key], _join(path, key))
    if "type" in obj:
        _iri(obj["type"], _join(path, "type"))
    if "moreInfo" in obj:
        where = _join(path, "moreInfo")
        if not value_formats.is_iri(_visible(_string(obj["moreInfo"], where), where, _IRI_RULE)):
            _fail(where, "must be an IRL (Data 2.4.4.1)")
    if "extensions" in obj:
        extensions(obj["extensions"], _join(path, "extensions"))
    interaction = obj.get("interactionType")
    if interaction is not None:
        _string(interaction, _join(path, "interactionType"))
        if interaction not in INTERACTION_TYPES:
            _fail(
                _join(path, "interactionType"),
                f"must be one of {', '.join(sorted(INTERACTION_TYPES))} (Data 2.4.4.1)",
            )
    if "correctResponsesPattern" in obj:
        where = _join(path, "correctResponsesPattern")
        if interaction is None:
            _fail(where, "is only allowed with an interactionType (Data 2.4.4.1)")
        for index, pattern in enumerate(_array(obj["correctResponsesPattern"], where, "a list of strings")):
            _string(pattern, f"{where}[{index}]")
    allowed = _COMPONENT_LISTS.get(interaction or "", frozenset())
    for key in _ALL_COMPONENT_LISTS:
        if key in obj:
            if key not in allowed:
                kind = f"interactionType {interaction!r}" if interaction else "a definition without interactionType"
                _fail(_join(path, key), f"is not supported for {kind} (Data 2.4.4.1)")
            _components(obj[key], _join(path, key))


def activity(value: Any, path: str) -> None:
    obj = _object(value, path, "an Activity")
    _keys(obj, path, _ACTIVITY_KEYS, "an Activity")
    if "objectType" in obj and obj["objectType"] != "Activity":
        _fail(_join(path, "objectType"), 'must be "Activity" (Data 2.4.4.1)')
    _iri(_require(obj, path, "id", "an Activity"), _join(path, "id"))
    if "definition" in obj:
        definition(obj["definition"], _join(path, "definition"))


def statement_ref(value: Any, path: str) -> None:
    obj = _object(value, path, "a StatementRef")
    _keys(obj, path, _STATEMENT_REF_KEYS, "a StatementRef")
    if obj.get("objectType") != "StatementRef":
        _fail(_join(path, "objectType"), 'must be "StatementRef" (Data 2.4.4.3)')
    _uuid(_require(obj, path, "id", "a StatementRef"), _join(path, "id"))


_OBJECT_TYPES = ("Activity", "Agent", "Group", "SubStatement", "StatementRef")


def statement_object(value: Any, path: str, version: str, *, in_substatement: bool) -> str:
    """The object of a statement; returns its objectType (Activity by default)."""
    obj = _object(value, path, "an Activity, Agent, Group, SubStatement or StatementRef")
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        activity(obj, path)
    elif object_type == "Agent":
        agent(obj, path, object_type_required=True)
    elif object_type == "Group":
        group(obj, path)
    elif object_type == "StatementRef":
        statement_ref(obj, path)
    elif object_type == "SubStatement":
        if in_substatement:
            _fail(_join(path, "objectType"), "a SubStatement must not contain a SubStatement (Data 2.4.4.3)")
        _statement(obj, path, version, substatement=True)
    else:
        where = _join(path, "objectType")
        _string(object_type, where)
        _fail(where, f"must be one of {', '.join(_OBJECT_TYPES)} (exact case, Data 2.4.4)")
    return str(object_type)


# ---------------------------------------------------------------- result, context


def result(value: Any, path: str) -> None:
    obj = _object(value, path, "a Result")
    _keys(obj, path, _RESULT_KEYS, "a Result")
    if "score" in obj:
        _score(obj["score"], _join(path, "score"))
    for key in ("success", "completion"):
        if key in obj:
            _boolean(obj[key], _join(path, key))
    if "response" in obj:
        _string(obj["response"], _join(path, "response"))
    if "duration" in obj:
        where = _join(path, "duration")
        if not value_formats.is_duration(_string(obj["duration"], where)):
            _fail(where, "must be an ISO 8601 duration such as PT1H30M or P4W (Data 4.6)")
    if "extensions" in obj:
        extensions(obj["extensions"], _join(path, "extensions"))


def _score(value: Any, path: str) -> None:
    obj = _object(value, path, "a Score")
    _keys(obj, path, _SCORE_KEYS, "a Score")
    numbers = {key: _number(obj[key], _join(path, key)) for key in _SCORE_KEYS if key in obj}
    scaled = numbers.get("scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        _fail(_join(path, "scaled"), "must be between -1 and 1 inclusive (Data 2.4.5.1)")
    low, high, raw = numbers.get("min"), numbers.get("max"), numbers.get("raw")
    if low is not None and high is not None and not low < high:
        _fail(_join(path, "max"), "must be greater than min (Data 2.4.5.1)")
    if raw is not None:
        if low is not None and raw < low:
            _fail(_join(path, "raw"), "must not be less than min (Data 2.4.5.1)")
        if high is not None and raw > high:
            _fail(_join(path, "raw"), "must not be greater than max (Data 2.4.5.1)")


def _context_activities(value: Any, path: str) -> None:
    obj = _object(value, path, "a contextActivities map")
    for kind, entry in obj.items():
        where = _join(path, kind)
        if kind not in _CONTEXT_ACTIVITY_KINDS:
            _fail(where, "contextActivities keys must be parent, grouping, category or other (Data 2.4.6.2)")
        if entry is None:
            _fail(where, "must not be null (Data 2.2)")
        if isinstance(entry, list):
            for index, item in enumerate(entry):
                activity(item, f"{where}[{index}]")
        else:
            # A single Activity object is allowed for 0.95 compatibility (Data 2.4.6.2).
            activity(entry, where)


def _relevant_types(obj: dict[str, Any], path: str) -> None:
    if "relevantTypes" in obj:
        where = _join(path, "relevantTypes")
        types = _array(obj["relevantTypes"], where, "a list of IRIs")
        if not types:
            _fail(where, "must list at least one IRI when present (xAPI 2.0 context agents)")
        for index, item in enumerate(types):
            _iri(item, f"{where}[{index}]")


def context(value: Any, path: str, version: str, object_type: str) -> None:
    obj = _object(value, path, "a Context")
    _keys(obj, path, _CONTEXT_KEYS_V2 if is_v2(version) else _CONTEXT_KEYS_V1, "a Context")
    if "registration" in obj:
        _uuid(obj["registration"], _join(path, "registration"))
    if "instructor" in obj:
        actor(obj["instructor"], _join(path, "instructor"))
    if "team" in obj:
        group(obj["team"], _join(path, "team"))
    if "contextActivities" in obj:
        _context_activities(obj["contextActivities"], _join(path, "contextActivities"))
    for key in ("revision", "platform"):
        if key in obj:
            _string(obj[key], _join(path, key))
            if object_type != "Activity":
                _fail(_join(path, key), "must only be used when the object is an Activity (Data 2.4.6)")
    if "language" in obj:
        where = _join(path, "language")
        if not is_language_tag(_string(obj["language"], where)):
            _fail(where, "must be an RFC 5646 language tag (Data 2.4.6)")
    if "statement" in obj:
        statement_ref(obj["statement"], _join(path, "statement"))
    if "extensions" in obj:
        extensions(obj["extensions"], _join(path, "extensions"))
    if "contextAgents" in obj:
        _context_members(obj["contextAgents"], _join(path, "contextAgents"), "contextAgent", "agent", agent)
    if "contextGroups" in obj:
        _context_members(obj["contextGroups"], _join(path, "contextGroups"), "contextGroup", "group", group)


def _context_members(
    value: Any, where: str, object_type: str, member: str, validate: Any
) -> None:
    """xAPI 2.0 contextAgents / contextGroups: typed wrappers of an Agent or a Group."""
    what = f"a {object_type} object"
    for index, item in enumerate(_array(value, where, f"a list of {object_type} objects")):
        at = f"{where}[{index}]"
        entry = _object(item, at, what)
        _keys(entry, at, _CONTEXT_AGENT_KEYS if member == "agent" else _CONTEXT_GROUP_KEYS, what)
        if entry.get("objectType") != object_type:
            _fail(_join(at, "objectType"), f'must be "{object_type}" (xAPI 2.0 context)')
        validate(_require(entry, at, member, what), _join(at, member))
        _relevant_types(entry, at)


def attachment(value: Any, path: str) -> None:
    obj = _object(value, path, "an Attachment")
    _keys(obj, path, _ATTACHMENT_KEYS, "an Attachment")
    _iri(_require(obj, path, "usageType", "an Attachment"), _join(path, "usageType"))
    language_map(_require(obj, path, "display", "an Attachment"), _join(path, "display"))
    if "description" in obj:
        language_map(obj["description"], _join(path, "description"))
    content_type = _string(_require(obj, path, "contentType", "an Attachment"), _join(path, "contentType"))
    if not value_formats.is_media_type(content_type):
        _fail(_join(path, "contentType"), "must be an Internet Media Type such as text/plain (Data 2.4.11)")
    length = _require(obj, path, "length", "an Attachment")
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        _fail(_join(path, "length"), "must be a non-negative integer number of octets (Data 2.4.11)")
    sha2 = _string(_require(obj, path, "sha2", "an Attachment"), _join(path, "sha2"))
    if not value_formats.is_sha2(sha2):
        _fail(_join(path, "sha2"), "must be a hex-encoded SHA-2 digest (Data 2.4.11)")
    if "fileUrl" in obj:
        where = _join(path, "fileUrl")
        if not value_formats.is_iri(_visible(_string(obj["fileUrl"], where), where, _IRI_RULE)):
            _fail(where, "must be an IRL (Data 2.4.11)")


# ---------------------------------------------------------------------- statement


def _statement(obj: dict[str, Any], path: str, version: str, *, substatement: bool) -> None:
    what = "a SubStatement" if substatement else "a Statement"
    if substatement:
        for key in _SUBSTATEMENT_FORBIDDEN:
            if key in obj:
                _fail(_join(path, key), "must not be used in a SubStatement (Data 2.4.4.3)")
        _keys(obj, path, _SUBSTATEMENT_KEYS, what)
    else:
        _keys(obj, path, _STATEMENT_KEYS, what)
    for key in ("actor", "verb", "object"):
        _require(obj, path, key, what)
    if "id" in obj:
        _uuid(obj["id"], _join(path, "id"))
    actor(obj["actor"], _join(path, "actor"))
    verb_id = verb(obj["verb"], _join(path, "verb"))
    object_type = statement_object(obj["object"], _join(path, "object"), version, in_substatement=substatement)
    if verb_id == VOIDED and not substatement and object_type != "StatementRef":
        _fail(
            _join(path, "object.objectType"),
            'a voiding statement\'s object must be a StatementRef (verb "voided", Data 2.3.2)',
        )
    if "result" in obj:
        result(obj["result"], _join(path, "result"))
    if "context" in obj:
        context(obj["context"], _join(path, "context"), version, object_type)
    for key in ("timestamp", "stored"):
        if key in obj:
            _timestamp(obj[key], _join(path, key), version)
    if "authority" in obj:
        authority(obj["authority"], _join(path, "authority"))
    if "version" in obj:
        where = _join(path, "version")
        if not statement_version_allowed(_string(obj["version"], where), version):
            allowed = "1.0, 1.0.x or 2.0.x" if is_v2(version) else "1.0 or 1.0.x"
            _fail(where, f"must be {allowed} (Data 2.4.10)")
    if "attachments" in obj:
        where = _join(path, "attachments")
        for index, item in enumerate(_array(obj["attachments"], where, "a list of Attachments")):
            attachment(item, f"{where}[{index}]")


def validate_statement(statement: Any, version: str) -> None:
    """Raise :class:`InvalidStatement` unless ``statement`` is a valid xAPI Statement.

    ``version`` is the version the request negotiated ("1.0.3" or "2.0.0").
    """
    obj = _object(statement, "", "a Statement")
    _statement(obj, "", version, substatement=False)


def validate_agent(value: Any, path: str = "agent") -> None:
    agent(value, path)


def validate_actor(value: Any, path: str = "agent") -> None:
    actor(value, path)
