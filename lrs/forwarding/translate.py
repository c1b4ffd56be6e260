"""Statements for a target LRS that speaks xAPI 1.0.3.

A statement accepted under 2.0 may use what 1.0.3 does not know: a ``version`` of
2.0.x (1.0.3 Data 2.4.10 allows only 1.0.x), and ``context.contextAgents`` and
``context.contextGroups`` (2.0 Data 2.4.6). The version becomes 1.0.0 and those
two properties are left out, in the statement and in a SubStatement; everything
else is the same in both versions and goes unchanged. A signed statement's
signature no longer matches once changed; it goes as it is, as any other
attachment.
"""

from __future__ import annotations

from typing import Any

_V2_CONTEXT_ONLY = ("contextAgents", "contextGroups")


def _context(context: Any) -> Any:
    if not isinstance(context, dict) or not any(k in context for k in _V2_CONTEXT_ONLY):
        return context
    return {k: v for k, v in context.items() if k not in _V2_CONTEXT_ONLY}


def to_v1(statement: dict[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    version = out.get("version")
    if isinstance(version, str) and not version.startswith("1.0"):
        out["version"] = "1.0.0"
    if "context" in out:
        out["context"] = _context(out["context"])
        if not out["context"]:
            del out["context"]
    obj = out.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement" and "context" in obj:
        out["object"] = to_v1_substatement(obj)
    return out


def to_v1_substatement(obj: dict[str, Any]) -> dict[str, Any]:
    out = {**obj, "context": _context(obj["context"])}
    if not out["context"]:
        del out["context"]
    return out


def for_version(statement: dict[str, Any], xapi_version: str) -> dict[str, Any]:
    return to_v1(statement) if xapi_version.startswith("1.") else statement
