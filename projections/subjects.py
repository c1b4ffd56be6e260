"""Who a statement is about and when it happened, as the views that fold
statements read it (pure). Shared by the progress and KPI views.
"""

from __future__ import annotations

from typing import Any

from lrs.clock import format_utc
from lrs.xapi.agents import ifi_key
from lrs.xapi.value_formats import parse_timestamp


def learners_of(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """The learners a statement is about: its Agent actor, or a Group's identified members."""
    return [agent for _, agent in identified_learners(statement)]


def identified_learners(statement: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``learners_of``, each with its identifier (lrs.xapi.agents.ifi_key)."""
    actor = statement.get("actor") or {}
    if actor.get("objectType") == "Group":
        candidates = [m for m in actor.get("member") or () if isinstance(m, dict)]
    else:
        candidates = [actor]
    # A member listed twice is still one learner (one contribution per record).
    found: dict[str, dict[str, Any]] = {}
    for agent in candidates:
        key = ifi_key(agent)
        if key is not None:
            found.setdefault(key, agent)
    return list(found.items())


def statement_time(statement: dict[str, Any]) -> str:
    """When a statement happened: its timestamp, else its stored time (Data 2.4.7),
    in the fixed-width UTC form views keep times in (lrs.clock.format_utc), so text
    order is time order."""
    text: str = statement.get("timestamp") or statement["stored"]
    # Stored timestamps are valid and nearly all in UTC ("Z", Data 4.5): only the
    # fraction needs its six digits (truncated, as parse_timestamp reads it).
    if text[-1] == "Z" and text[10] == "T" and text[17:19] != "60":
        fraction = text[20:-1] if text[19:20] == "." else ""
        return f"{text[:19]}.{fraction[:6].ljust(6, '0')}Z"
    moment = parse_timestamp(text)
    return format_utc(moment) if moment else statement["stored"]
