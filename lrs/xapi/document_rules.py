"""Pure rules of the document resources (Communication 2.2, 3.1).

ETags are the SHA-1 of the content (3.1.s4.b2); preconditions follow RFC 7232
(If-Match with strong comparison, If-None-Match with weak comparison); POST merges
top-level properties of two JSON objects (2.2.s7).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson

from lrs.errors import InvalidDocument, PreconditionFailed

JSON = "application/json"


def etag(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def is_json_type(content_type: str | None) -> bool:
    return media_type(content_type) == JSON


def parse_entity_tags(header: str) -> list[str] | None:
    """The tags of an If-Match / If-None-Match header; None for "*".

    Weak tags (W/"...") are kept with their prefix so that strong comparison,
    which RFC 7232 uses for If-Match, never matches them.
    """
    value = header.strip()
    if value == "*":
        return None
    tags: list[str] = []
    for part in value.split(","):
        tag = part.strip()
        if not tag:
            continue
        weak = tag.startswith("W/")
        core = tag[2:] if weak else tag
        core = core.strip()
        if len(core) >= 2 and core[0] == core[-1] == '"':
            core = core[1:-1]
        tags.append(("W/" if weak else "") + core)
    return tags


def check_preconditions(current: str | None, if_match: str | None, if_none_match: str | None) -> None:
    """Raise 412 when a precondition fails for a document whose ETag is ``current``."""
    if if_match is not None:
        tags = parse_entity_tags(if_match)
        if current is None or (tags is not None and current not in tags):
            raise PreconditionFailed(
                "If-Match does not match the current document: fetch it again and retry "
                "with its ETag (Communication 3.1)"
            )
    if if_none_match is not None:
        # If-None-Match uses weak comparison (RFC 7232 3.2): W/"x" matches "x".
        tags = parse_entity_tags(if_none_match)
        if current is not None and (tags is None or current in {t.removeprefix("W/") for t in tags}):
            raise PreconditionFailed(
                "If-None-Match failed: the document already exists (Communication 3.1)"
            )


def _literal(text: str) -> orjson.Fragment:
    return orjson.Fragment(text)


def _integer(text: str) -> int | orjson.Fragment:
    # Beyond 64 bits orjson cannot write an int: keep the literal instead.
    return int(text) if len(text) < 19 else orjson.Fragment(text)


def parse_json_object(content: bytes, what: str) -> dict[str, Any]:
    """A JSON object whose numbers stay the exact literals they were written as.

    The stdlib parser with number hooks is used instead of orjson so that a merge
    writes every untouched value back byte for byte: no float rounding of huge
    integers, and 1e400 (valid JSON, not a double) is kept rather than refused.
    """
    try:
        value = json.loads(
            content.decode("utf-8"),
            parse_float=_literal,
            parse_int=_integer,
            parse_constant=_refuse_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidDocument(f"{what} is not valid JSON; POST merges JSON objects (Communication 2.2)") from None
    if not isinstance(value, dict):
        raise InvalidDocument(f"{what} is not a JSON object; POST merges JSON objects (Communication 2.2)")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def merge(existing: bytes, existing_type: str, posted: bytes, posted_type: str) -> bytes:
    """Top-level merge of two JSON object documents; the posted side wins (Comm. 2.2.s7)."""
    if not is_json_type(existing_type):
        raise InvalidDocument(
            "the stored document is not application/json, so it cannot be merged (Communication 2.2)"
        )
    if not is_json_type(posted_type):
        raise InvalidDocument("POST to an existing JSON document must be application/json (Communication 2.2)")
    merged = {**parse_json_object(existing, "the stored document"), **parse_json_object(posted, "the posted document")}
    try:
        return orjson.dumps(merged)
    except orjson.JSONEncodeError:
        raise InvalidDocument("the merged document is nested too deeply to store") from None
