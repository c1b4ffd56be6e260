"""The LRS's canonical Activity definitions and Verb displays (Data 2.4.4.1.s4).

Policy, also in the README: the newest statement wins for names, descriptions
(merged language by language), type, moreInfo and extensions (merged key by key);
the interaction model (interactionType, correctResponsesPattern, component lists)
is fixed by the first definition that gives it, because changing correct
responses is a "significant change" an LRS SHOULD NOT make.
"""

from __future__ import annotations

from typing import Any

_INTERACTION = (
    "interactionType", "correctResponsesPattern", "choices", "scale", "source", "target", "steps",
)


def merge_definition(known: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any]:
    if not known:
        return dict(incoming)
    out = dict(known)
    for key in ("name", "description"):
        if isinstance(incoming.get(key), dict):
            out[key] = {**(known.get(key) or {}), **incoming[key]}
    for key in ("type", "moreInfo"):
        if key in incoming:
            out[key] = incoming[key]
    if isinstance(incoming.get("extensions"), dict):
        out["extensions"] = {**(known.get("extensions") or {}), **incoming["extensions"]}
    if "interactionType" not in known:
        for key in _INTERACTION:
            if key in incoming:
                out[key] = incoming[key]
    return out


def merge_display(known: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any]:
    return {**(known or {}), **incoming}


def activity_object(activity_id: str, definition: dict[str, Any] | None) -> dict[str, Any]:
    """The Activity object the Activities resource returns (Comm. 2.5)."""
    out: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        out["definition"] = definition
    return out
