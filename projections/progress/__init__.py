"""The learner progress projection: records per learner x activity, and the tree.

A statement contributes one fact to each (learner, activity, registration) record
it is about and one to each parent/grouping edge of its activity; voiding is the
base's (projections.statements).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrs.events import RecordedEvent
from lrs.xapi.agents import key_hash
from projections.progress import logic
from projections.progress.schema import EDGES, LEDGER, RECORDS
from projections.statements import StatementProjection
from projections.tables import Key, Table
from projections.view import Reads, View


def _edge_keys(store: str, statement: dict[str, Any]) -> list[tuple[Key, str, str]]:
    return [
        ((store, key_hash(parent), key_hash(child), kind), parent, child)
        for parent, child, kind in logic.tree_edges(statement)
    ]


class ProgressProjection(StatementProjection):
    name = "progress"
    # 2: times kept in UTC, a member listed twice in a Group counted once.
    # 3: a record's facts kept in time order (added without summarising them again).
    # 4: on the statement-projection base; times in the xAPI form (...Z).
    version = 4
    own_tables = (RECORDS, EDGES)
    ledger = LEDGER

    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        store = event.store_id
        for learner_hash, activity_hash, registration, _, _ in logic.contributions(statement):
            reads.key(RECORDS, (store, learner_hash, activity_hash, registration))
        for key, _, _ in _edge_keys(store, statement):
            reads.key(EDGES, key)

    def contribute(
        self, statement: dict[str, Any], event: RecordedEvent, view: View
    ) -> Sequence[tuple[Table, Key]]:
        store = event.store_id
        contributed: list[tuple[Table, Key]] = []
        fact = logic.fact(statement, event.position)
        for learner_hash, activity_hash, registration, learner, activity_id in logic.contributions(statement):
            key = (store, learner_hash, activity_hash, registration)
            view.put(
                RECORDS,
                {
                    "store_id": store,
                    "learner_hash": learner_hash,
                    "activity_hash": activity_hash,
                    "registration": registration,
                    "learner": learner,
                    "activity_id": activity_id,
                    **logic.add_fact(view.get(RECORDS, key), fact),
                    "updated_position": event.position,
                },
            )
            contributed.append((RECORDS, key))
        for key, parent, child in _edge_keys(store, statement):
            edge = view.get(EDGES, key)
            view.put(
                EDGES,
                {
                    "store_id": store, "parent_hash": key[1], "child_hash": key[2], "kind": key[3],
                    "parent_id": parent, "child_id": child,
                    "statements": (edge["statements"] if edge else 0) + 1,
                },
            )
            contributed.append((EDGES, key))
        return contributed

    def withdraw(
        self, table: Table, key: Key, statement_id: str, event: RecordedEvent, view: View
    ) -> None:
        row = view.get(table, key)
        if row is None:
            return
        if table is EDGES:
            if row["statements"] > 1:
                view.put(EDGES, {**row, "statements": row["statements"] - 1})
            else:
                view.delete(EDGES, key)
            return
        facts = [f for f in row["facts"] if f["id"] != statement_id]
        if facts:
            view.put(
                RECORDS,
                {**row, **logic.summarize(facts), "facts": facts, "updated_position": event.position},
            )
        else:
            view.delete(RECORDS, key)
