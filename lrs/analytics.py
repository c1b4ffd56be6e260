"""Analytics configuration, as events in the log: so ``asOf`` answers with the
settings of the time, and auditors see who changed what, and when.

- ``analytics.settings.changed``: the store's time zone, fiscal-year start month,
  minimum group sizes, co-participation cap, privacy mode and, for identified
  mode, the reference to its legal basis (a works agreement, a DPIA). Each event
  holds the whole settings after the change.
- ``people.membership.imported``: team memberships from HR (a CSV file), each
  with the dates it holds from and to. An import replaces the memberships of
  earlier imports unless it says ``merge``.
- ``social.agent.opted_out`` / ``social.agent.opted_in``: a person's objection
  to social analytics, and its withdrawal.

Validation is here, once, for the admin API and the CLI alike: a bad value is a
400 naming the field and the rule, and nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import Engine

from lrs import log
from lrs.errors import InvalidParameter
from lrs.events import NewEvent, dumps
from lrs.xapi.agents import ifi_key, key_hash, parse_agent_parameter

SETTINGS_CHANGED = "analytics.settings.changed"
MEMBERSHIP_IMPORTED = "people.membership.imported"
OPTED_OUT = "social.agent.opted_out"
OPTED_IN = "social.agent.opted_in"
EVENT_TYPES = frozenset((SETTINGS_CHANGED, MEMBERSHIP_IMPORTED, OPTED_OUT, OPTED_IN))

SETTINGS_STREAM = "analytics:settings"
IDENTIFIED = "identified"
AGGREGATE = "aggregate"

DEFAULTS: dict[str, Any] = {
    "timezone": "UTC",
    "fiscalYearStartMonth": 1,
    "minGroupSize": 5,
    "minGroupSizePerformance": 10,
    # Gatherings larger than this make no pairs: a 300-seat webinar says little
    # about who learns with whom (design part a, "pairs").
    "coParticipationCap": 50,
    "inactivityDays": 14,
    "mode": AGGREGATE,
    "legalBasis": None,
    # Context extension keys whose value may be a Group (or a list of Groups) the
    # statement was shared with, e.g. a group message's recipients (design appendix
    # A.3); read by the social view's extraction, so a change rebuilds nothing
    # already folded and applies to statements folded after it.
    "groupExtensions": [],
    # Person-level social answers (a learner's own view, the person graph and
    # measures) cover this many quarters up to the store's newest activity
    # (appendix C.1.6); aggregates are not limited.
    "personRetentionQuarters": 4,
}
MAX_GROUP_EXTENSIONS = 20
# Neither threshold may go below 3 (appendix C.1.2).
THRESHOLD_FLOOR = 3
MAX_TEXT = 500
TEAM = re.compile(r"^[^\x00-\x1f]{1,128}$")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20]+$")


def _int(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameter(field, f"must be an integer from {low} to {high}")
    return value


def check_settings(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The settings after ``change`` (fields left out keep their value), checked whole."""
    unknown = sorted(set(change) - set(DEFAULTS))
    if unknown:
        raise InvalidParameter(unknown[0], f"is not an analytics setting (known: {', '.join(DEFAULTS)})")
    merged = {**DEFAULTS, **current, **change}
    zone = merged["timezone"]
    try:
        if not isinstance(zone, str) or "\x00" in zone:
            raise ValueError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidParameter("timezone", "must be an IANA time zone name, e.g. Europe/Amsterdam") from None
    _int("fiscalYearStartMonth", merged["fiscalYearStartMonth"], 1, 12)
    _int("minGroupSize", merged["minGroupSize"], THRESHOLD_FLOOR, 1000)
    _int("minGroupSizePerformance", merged["minGroupSizePerformance"], THRESHOLD_FLOOR, 1000)
    _int("coParticipationCap", merged["coParticipationCap"], 2, 100_000)
    _int("inactivityDays", merged["inactivityDays"], 1, 3660)
    _int("personRetentionQuarters", merged["personRetentionQuarters"], 1, 400)
    keys = merged["groupExtensions"]
    if not isinstance(keys, list) or len(keys) > MAX_GROUP_EXTENSIONS:
        raise InvalidParameter("groupExtensions", f"must be a list of at most {MAX_GROUP_EXTENSIONS} extension IRIs")
    for i, iri in enumerate(keys):
        if not isinstance(iri, str) or not IRI.match(iri) or len(iri) > MAX_TEXT:
            raise InvalidParameter(f"groupExtensions[{i}]", "must be an absolute IRI (an extension key)")
    if merged["mode"] not in (AGGREGATE, IDENTIFIED):
        raise InvalidParameter("mode", "must be 'aggregate' or 'identified'")
    basis = merged["legalBasis"]
    if basis is not None and (not isinstance(basis, str) or not basis.strip() or len(basis) > MAX_TEXT or "\x00" in basis):
        raise InvalidParameter("legalBasis", f"must be a non-empty text of at most {MAX_TEXT} characters")
    if merged["mode"] == IDENTIFIED and basis is None:
        raise InvalidParameter(
            "legalBasis",
            "is required for identified mode: name the works agreement or legal basis that allows it",
        )
    return merged


def current_settings(engine: Engine, store_id: str) -> dict[str, Any]:
    """The store's analytics settings now (the last settings event, else the defaults)."""
    with engine.connect() as conn:
        events = log.read_stream(conn, store_id, SETTINGS_STREAM)
    return {**DEFAULTS, **(events[-1].payload()["settings"] if events else {})}


def _append(engine: Engine, store_id: str, event: NewEvent) -> int:
    with log.writing(engine, store_id=store_id) as writer:
        (recorded,) = writer.append(store_id, [event])
    return recorded.position


def change_settings(engine: Engine, store_id: str, change: dict[str, Any], *, actor: str) -> tuple[dict[str, Any], int]:
    """Record a settings change; returns the settings and the event's position."""
    settings = check_settings(current_settings(engine, store_id), change)
    position = _append(
        engine, store_id,
        NewEvent(
            SETTINGS_CHANGED, SETTINGS_STREAM, f"analytics:settings:{uuid.uuid4()}",
            dumps({"settings": settings, "changed": sorted(change)}), dumps({"actor": actor}),
        ),
    )
    return settings, position


# ------------------------------------------------------------------ memberships

def parse_agent(field: str, value: str) -> dict[str, Any]:
    """An agent named in a CSV cell or a request: a JSON Agent, or a mailto: IRI."""
    text = value.strip()
    if text.startswith("mailto:"):
        text = orjson.dumps({"mbox": text}).decode()
    agent = parse_agent_parameter(text, parameter=field, allow_group=False)
    if ifi_key(agent) is None:
        raise InvalidParameter(field, "must identify the agent (mbox, mbox_sha1sum, openid or account)")
    return {k: v for k, v in agent.items() if k in ("mbox", "mbox_sha1sum", "openid", "account")}


def _date(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidParameter(field, "must be a date, YYYY-MM-DD") from None


def parse_memberships(text: str) -> list[dict[str, Any]]:
    """Memberships from CSV (RFC 4180, a header row): ``agent`` (a mailto: IRI or a
    JSON Agent), ``team``, and optional ``valid_from`` / ``valid_to`` dates (to is
    exclusive; empty: open). An error names the row and the column."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    for column in ("agent", "team"):
        if column not in header:
            raise InvalidParameter(f"csv.header.{column}", "is a required column (agent, team, valid_from, valid_to)")
    unknown = [c for c in header if c not in ("agent", "team", "valid_from", "valid_to")]
    if unknown:
        raise InvalidParameter(f"csv.header.{unknown[0]}", "is not a known column (agent, team, valid_from, valid_to)")
    rows: list[dict[str, Any]] = []
    for number, row in enumerate(reader, start=2):
        where = f"csv.row[{number}]"
        if None in row:
            raise InvalidParameter(where, "has more cells than the header")
        agent = parse_agent(f"{where}.agent", row.get("agent") or "")
        team = (row.get("team") or "").strip()
        if not TEAM.match(team):
            raise InvalidParameter(f"{where}.team", "must be 1-128 printable characters")
        start, end = _date(f"{where}.valid_from", row.get("valid_from")), _date(f"{where}.valid_to", row.get("valid_to"))
        if start and end and end <= start:
            raise InvalidParameter(f"{where}.valid_to", "must be after valid_from")
        rows.append({"agent": agent, "agentKey": ifi_key(agent), "team": team, "validFrom": start, "validTo": end})
    if not rows:
        raise InvalidParameter("csv", "holds no membership rows")
    return rows


def import_memberships(
    engine: Engine, store_id: str, text: str, *, source: str = "", merge: bool = False, actor: str
) -> tuple[int, int]:
    """Record an import of team memberships; returns (rows, position)."""
    rows = parse_memberships(text)
    position = _append(
        engine, store_id,
        NewEvent(
            MEMBERSHIP_IMPORTED, "people:memberships", f"people:memberships:{uuid.uuid4()}",
            dumps({"source": source[:MAX_TEXT], "merge": merge, "memberships": rows}), dumps({"actor": actor}),
        ),
    )
    return len(rows), position


# ------------------------------------------------------------------ opt-out

def set_opt_out(
    engine: Engine, store_id: str, agent: dict[str, Any], *, opted_out: bool, actor: str, reason: str = ""
) -> int:
    """Record an objection (or its withdrawal) for ``agent``; returns the position."""
    if len(reason) > MAX_TEXT or "\x00" in reason:
        raise InvalidParameter("reason", f"must be at most {MAX_TEXT} characters")
    key = ifi_key(agent)
    if key is None:
        raise InvalidParameter("agent", "must identify the agent")
    return _append(
        engine, store_id,
        NewEvent(
            OPTED_OUT if opted_out else OPTED_IN, f"people:opt-out:{key_hash(key)}", f"people:opt-out:{uuid.uuid4()}",
            dumps({"agent": agent, "agentKey": key, "reason": reason}), dumps({"actor": actor}),
        ),
    )
