"""Canonical data merged in memory (lrs.audit.load, lrs.index.redaction)."""

from __future__ import annotations

from typing import Any

import orjson

from lrs.index.agents import agents_of
from lrs.xapi.activities import merge_definition, merge_display
from lrs.xapi.agents import identity, ifi_key, key_hash


class Canonical:
    """One store's canonical Activity definitions, Verb displays and Agent names,
    merged in memory in position order as lrs.index does statement by statement
    (Communication 4.2 "define"; Communication 2.4 names): the same rows, for an
    import (the store held nothing before) or the rows an erasure recomputes."""

    def __init__(self) -> None:
        # hash -> [id, merged value, position of the last change]
        self.activities: dict[str, list[Any]] = {}
        self.verbs: dict[str, list[Any]] = {}
        # hash -> (identity, names, position of the last name added)
        self.agents: dict[str, tuple[dict[str, Any], set[str], int]] = {}
        # hash -> the value merged in last, for activities and verbs.
        self._last: tuple[dict[str, Any], dict[str, Any]] = ({}, {})

    def add(self, position: int, statement: dict[str, Any], entry: Any) -> None:
        for known, last, items, merge in (
            (self.activities, self._last[0], entry.definitions, merge_definition),
            (self.verbs, self._last[1], entry.displays, merge_display),
        ):
            for item_id, value in items:
                digest = key_hash(item_id)
                current = known.get(digest)
                if current is None:
                    known[digest] = [item_id, merge(None, value), position]
                    last[digest] = value
                elif value != last[digest]:
                    # Both merges are idempotent: merging the value merged last
                    # again changes nothing, and most statements repeat it.
                    last[digest] = value
                    merged = merge(current[1], value)
                    if merged != current[1]:
                        current[1], current[2] = merged, position
        for agent in agents_of(statement):
            digest = key_hash(ifi_key(agent) or "")
            name = agent.get("name") if isinstance(agent.get("name"), str) else None
            seen = self.agents.get(digest)
            if seen is None:
                self.agents[digest] = (identity(agent), {name} if name else set(), position)
            elif name and name not in seen[1]:
                self.agents[digest] = (seen[0], seen[1] | {name}, position)

    def rows(self, store_id: str) -> dict[str, list[tuple[Any, ...]]]:
        dumps = orjson.dumps
        return {
            "activities (store_id, activity_hash, activity_id, definition, updated_position)": [
                (store_id, d, v[0], dumps(v[1]).decode(), v[2]) for d, v in self.activities.items()
            ],
            "verbs (store_id, verb_hash, verb_id, display, updated_position)": [
                (store_id, d, v[0], dumps(v[1]).decode(), v[2]) for d, v in self.verbs.items()
            ],
            "agents (store_id, agent_hash, identity, names, updated_position)": [
                (store_id, d, dumps(v[0]).decode(), dumps(sorted(v[1])).decode(), v[2])
                for d, v in sorted(self.agents.items())
            ],
        }
