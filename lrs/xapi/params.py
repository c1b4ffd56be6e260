"""Parameters of GET statements (Communication 2.1.3), checked like statement values.

Unknown parameters, parameters that differ from a known one only in case, and
repeated parameters are 400 (Communication 3.2.s3.b7, b8).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import orjson

from lrs import clock
from lrs.errors import InvalidParameter
from lrs.xapi import value_formats
from lrs.xapi.agents import parse_agent_parameter
from lrs.xapi.statement_formats import FORMATS
from lrs.xapi.versions import is_v2

QUERY_PARAMETERS = frozenset(
    (
        "statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
        "related_activities", "related_agents", "since", "until", "limit", "format",
        "attachments", "ascending", "more",
    )
)
_SINGLE_ALLOWED = frozenset(("statementId", "voidedStatementId", "format", "attachments"))


@dataclass(frozen=True)
class SingleStatement:
    statement_id: str
    voided: bool
    format: str = "exact"
    attachments: bool = False


@dataclass(frozen=True)
class StatementQuery:
    agent: dict[str, Any] | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since_us: int | None = None
    until_us: int | None = None
    limit: int = 0
    format: str = "exact"
    attachments: bool = False
    ascending: bool = False
    # Paging: the last position already returned, and the newest position the
    # first page could see (so pages stay stable while statements arrive).
    after: int | None = None
    bound: int | None = None

    def more_token(self, after: int, bound: int) -> str:
        fields = asdict(replace(self, after=after, bound=bound))
        state = {k: v for k, v in fields.items() if v is not None and v is not False and v != "exact"}
        raw = orjson.dumps(state)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def from_token(cls, token: str) -> StatementQuery:
        try:
            padded = token + "=" * (-len(token) % 4)
            state = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(state, dict):
                raise ValueError("not an object")
            for name, value in state.items():
                if not _token_value_ok(name, value):
                    raise ValueError(name)
            query = cls(**state)
            if query.after is None or query.bound is None:
                raise ValueError("incomplete")
            if query.agent is not None:
                parse_agent_parameter(orjson.dumps(query.agent).decode())
        except (ValueError, TypeError, binascii.Error, InvalidParameter):
            raise InvalidParameter("more", "is not a continuation this LRS issued") from None
        return query


# What each field of a continuation token can hold: a token is client input (it is
# not signed), so one this LRS did not issue must be a 400, never a failing query.
_TOKEN_INTS = frozenset(("since_us", "until_us", "limit", "after", "bound"))
_TOKEN_BOOLS = frozenset(("related_activities", "related_agents", "attachments", "ascending"))
_TOKEN_STRS = frozenset(("verb", "activity", "registration"))


def _token_value_ok(name: str, value: Any) -> bool:
    if name in _TOKEN_INTS:
        # since/until before 1970 are negative microseconds.
        low = -(2**63) if name in ("since_us", "until_us") else 0
        return type(value) is int and low <= value < 2**63
    if name in _TOKEN_BOOLS:
        return type(value) is bool
    if name in _TOKEN_STRS:
        return type(value) is str
    if name == "format":
        return value in FORMATS
    return name == "agent" and isinstance(value, dict)


# Limits, offsets and log positions are SQL BIGINTs: 63 bits and a sign.
MAX_INTEGER = 2**63 - 1


def is_ascii_digits(value: str) -> bool:
    """Only 0-9: str.isdigit() alone also accepts '²' and other digits int() refuses."""
    return value.isascii() and value.isdigit()


def non_negative_integer(name: str, value: str) -> int:
    """A non-negative integer parameter within MAX_INTEGER.

    The length is checked before int() sees the text: int() refuses more than 4,300
    digits with a ValueError, and a larger number would overflow the SQL integer.
    """
    if not is_ascii_digits(value):
        raise InvalidParameter(name, "must be a non-negative integer")
    significant = value.lstrip("0") or "0"
    if len(significant) > len(str(MAX_INTEGER)) or int(significant) > MAX_INTEGER:
        raise InvalidParameter(name, f"must be at most {MAX_INTEGER} (a 63-bit integer)")
    return int(significant)


def _boolean(name: str, value: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise InvalidParameter(name, 'must be "true" or "false" (Communication 2.1.3)')


def _iri(name: str, value: str) -> str:
    if not value_formats.is_iri(value):
        raise InvalidParameter(name, "must be an IRI (Data 4.3)")
    return value


def _uuid(name: str, value: str) -> str:
    if not value_formats.is_uuid(value):
        raise InvalidParameter(name, "must be a UUID (Data 4.4)")
    return value.lower()


def timestamp_micros(name: str, value: str, version: str) -> int:
    moment = value_formats.parse_timestamp(value, rfc3339=is_v2(version))
    if moment is None:
        raise InvalidParameter(name, "must be an ISO 8601 timestamp with a time zone (Data 4.5)")
    return clock.to_micros(moment)


def check_names(pairs: Sequence[tuple[str, str]], allowed: frozenset[str]) -> dict[str, str]:
    """One value per known parameter; anything else is a 400."""
    params: dict[str, str] = {}
    lowered = {name.lower(): name for name in allowed}
    for name, value in pairs:
        if name not in allowed:
            if name.lower() in lowered:
                raise InvalidParameter(
                    name, f"parameter names are case-sensitive: did you mean {lowered[name.lower()]!r}?"
                )
            raise InvalidParameter(name, "is not a parameter of this resource (Communication 3.2)")
        if name in params:
            raise InvalidParameter(name, "must not be given more than once")
        params[name] = value
    return params


def parse_statement_get(
    pairs: Sequence[tuple[str, str]], version: str
) -> SingleStatement | StatementQuery:
    params = check_names(pairs, QUERY_PARAMETERS)
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise InvalidParameter("format", "must be ids, exact or canonical")
    attachments = _boolean("attachments", params["attachments"]) if "attachments" in params else False

    if "more" in params:
        if len(params) > 1:
            raise InvalidParameter("more", "must be used alone: it carries the whole query")
        return StatementQuery.from_token(params["more"])

    if "statementId" in params or "voidedStatementId" in params:
        if "statementId" in params and "voidedStatementId" in params:
            raise InvalidParameter(
                "voidedStatementId", "cannot be combined with statementId (Communication 2.1.3)"
            )
        extra = sorted(set(params) - _SINGLE_ALLOWED)
        if extra:
            raise InvalidParameter(
                extra[0],
                "cannot be combined with statementId or voidedStatementId; only format and "
                "attachments can (Communication 2.1.3)",
            )
        voided = "voidedStatementId" in params
        name = "voidedStatementId" if voided else "statementId"
        return SingleStatement(_uuid(name, params[name]), voided, fmt, attachments)

    limit = non_negative_integer("limit", params["limit"]) if "limit" in params else 0
    since = timestamp_micros("since", params["since"], version) if "since" in params else None
    until = timestamp_micros("until", params["until"], version) if "until" in params else None
    return StatementQuery(
        agent=parse_agent_parameter(params["agent"]) if "agent" in params else None,
        verb=_iri("verb", params["verb"]) if "verb" in params else None,
        activity=_iri("activity", params["activity"]) if "activity" in params else None,
        registration=_uuid("registration", params["registration"])
        if "registration" in params
        else None,
        related_activities=_boolean("related_activities", params["related_activities"])
        if "related_activities" in params
        else False,
        related_agents=_boolean("related_agents", params["related_agents"])
        if "related_agents" in params
        else False,
        since_us=since,
        until_us=until,
        limit=limit,
        format=fmt,
        attachments=attachments,
        ascending=_boolean("ascending", params["ascending"]) if "ascending" in params else False,
    )
