"""Strict JSON for request bodies and JSON-valued parameters.

orjson is the fast path. It keeps the last of duplicate keys, which xAPI 1.0.3
leaves undefined (Data 2.2.s3.b7) but xAPI 2.0 requires rejecting, so 2.0 bodies
are parsed a second way that sees duplicates. orjson reads integers beyond 64 bits
as floats: values keep far more than the 32-bit precision Data 2.2.s4.b3 requires.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from lrs.errors import BadRequest, InvalidStatement

_BOM = b"\xef\xbb\xbf"


class _DuplicateKey(Exception):
    def __init__(self, key: str, obj_pairs: list[tuple[str, Any]]) -> None:
        self.key = key
        self.pairs = obj_pairs


def loads(body: bytes | str, *, what: str = "request body") -> Any:
    """Parse JSON or raise :class:`BadRequest` naming what was malformed."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    if body.startswith(_BOM):
        body = body[len(_BOM) :]
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from None
    try:
        # orjson writes at most 254 levels of nesting (and reads 1024): refuse here
        # what the LRS could not store or compare, instead of failing later.
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        raise BadRequest(f"{what} is nested too deeply (at most 254 levels)") from None
    return value


def loads_rejecting_duplicates(body: bytes | str, *, what: str = "request body") -> Any:
    """Parse JSON; a repeated property name is an error that names its path."""
    value = loads(body, what=what)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.lstrip("\ufeff")
    seen: list[tuple[str, dict[str, Any]]] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            keys: set[str] = set()
            for key, _ in pairs:
                if key in keys:
                    seen.append((key, obj))
                    break
                keys.add(key)
        return obj

    tree = json.loads(text, object_pairs_hook=hook)
    if seen:
        key, obj = seen[0]
        path = _path_to(tree, obj) or ""
        raise InvalidStatement(
            f"{path}.{key}" if path else key, "a property must not appear twice in one object (xAPI 2.0, Data 2.2)"
        )
    return value


def _path_to(node: Any, target: dict[str, Any], path: str = "") -> str | None:
    if node is target:
        return path
    if isinstance(node, dict):
        for key, child in node.items():
            found = _path_to(child, target, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found = _path_to(child, target, f"{path}[{index}]")
            if found is not None:
                return found
    return None
