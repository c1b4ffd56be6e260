"""Parameters of the document resources (Communication 2.3, 2.6, 2.7).

Each resource takes its identifying parameters (activityId, agent, registration)
and a document id; ``since`` only lists ids; ``asOf`` (an extension of this LRS)
asks for a document as it stood at a time or log position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lrs.clock import format_utc
from lrs.errors import InvalidParameter
from lrs.xapi import value_formats
from lrs.xapi.agents import parse_agent_parameter
from lrs.xapi.params import check_names, is_ascii_digits, non_negative_integer, timestamp_micros
from lrs.xapi.versions import is_v2

_IDENTIFYING = {
    "state": ("activityId", "agent", "registration"),
    "activity_profile": ("activityId",),
    "agent_profile": ("agent",),
}
_DOC_ID = {"state": "stateId", "activity_profile": "profileId", "agent_profile": "profileId"}


@dataclass(frozen=True)
class DocumentRequest:
    activity_id: str | None
    agent: dict[str, Any] | None
    registration: str | None
    doc_id: str | None
    since_us: int | None
    as_of_position: int | None
    as_of_time: str | None


def parse(
    kind: str, method: str, pairs: Sequence[tuple[str, str]], version: str
) -> DocumentRequest:
    doc_param = _DOC_ID[kind]
    allowed = {*_IDENTIFYING[kind], doc_param}
    if method in ("GET", "HEAD"):
        allowed |= {"since", "asOf"}
    params = check_names(pairs, frozenset(allowed))
    required = [p for p in _IDENTIFYING[kind] if p != "registration"]
    if method in ("PUT", "POST") or (method == "DELETE" and kind != "state"):
        required.append(doc_param)
    for name in required:
        if name not in params:
            raise InvalidParameter(name, "is required (Communication 2.2)")

    activity_id = params.get("activityId")
    if activity_id is not None and not value_formats.is_iri(activity_id):
        raise InvalidParameter("activityId", "must be an IRI (Data 4.3)")
    agent = (
        parse_agent_parameter(params["agent"], allow_group=False) if "agent" in params else None
    )
    registration = params.get("registration")
    if registration is not None:
        if not value_formats.is_uuid(registration):
            raise InvalidParameter("registration", "must be a UUID (Data 4.4)")
        registration = registration.lower()
    doc_id = params.get(doc_param)
    if doc_id is not None and "\x00" in doc_id:
        # PostgreSQL text cannot hold NUL; refused on every backend alike.
        raise InvalidParameter(doc_param, "must not contain the NUL character (U+0000)")
    since = params.get("since")
    as_of = params.get("asOf")
    if doc_id is not None and since is not None:
        raise InvalidParameter("since", f"only lists ids: it cannot be combined with {doc_param}")
    if as_of is not None and doc_id is None:
        raise InvalidParameter("asOf", f"reads one document: {doc_param} is required")
    as_of_position: int | None = None
    as_of_time: str | None = None
    if as_of is not None:
        if is_ascii_digits(as_of):
            as_of_position = non_negative_integer("asOf", as_of)
        else:
            moment = value_formats.parse_timestamp(as_of, rfc3339=is_v2(version))
            if moment is None:
                raise InvalidParameter("asOf", "must be a log position or a timestamp with a time zone")
            as_of_time = format_utc(moment)
    return DocumentRequest(
        activity_id=activity_id,
        agent=agent,
        registration=registration,
        doc_id=doc_id,
        since_us=timestamp_micros("since", since, version) if since is not None else None,
        as_of_position=as_of_position,
        as_of_time=as_of_time,
    )
