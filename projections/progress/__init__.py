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
from projections.progress.schema import EDGES, FACTS, LEDGER, RECORDS
from projections.statements import StatementProjection
from projections.tables import Key, Table
from projections.view import Reads, View


def _parts(event: RecordedEvent) -> tuple[list[Any], list[tuple[Key, str, str]]]:
    """The records and edges a statement is about: worked out once per event, for
    ``announce`` and ``contribute`` both."""
    parts = event._cache.get("progress")
    if parts is None:
        statement, store = event.payload(), event.store_id
        parts = (
            list(logic.contributions(statement)),
            [
                ((store, key_hash(parent), key_hash(child), kind), parent, child)
                for parent, child, kind in logic.tree_edges(statement)
            ],
        )
        event._cache["progress"] = parts
    return parts


class ProgressProjection(StatementProjection):
    name = "progress"
    # 2: times kept in UTC, a member listed twice in a Group counted once.
    # 3: a record's facts kept in time order (added without summarising them again).
    # 4: on the statement-projection base; times in the xAPI form (...Z).
    # 5: facts in a table of their own; evidence worked out when asked for.
    version = 5
    own_tables = (RECORDS, FACTS, EDGES)
    ledger = LEDGER

    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        store = event.store_id
        records, edges = _parts(event)
        for learner_hash, activity_hash, registration, _, _ in records:
            reads.key(RECORDS, (store, learner_hash, activity_hash, registration))
        for key, _, _ in edges:
            reads.key(EDGES, key)

    def contribute(
        self, statement: dict[str, Any], event: RecordedEvent, view: View
    ) -> Sequence[tuple[Table, Key]]:
        store = event.store_id
        contributed: list[tuple[Table, Key]] = []
        fact = logic.fact(statement, event.position)
        records, edges = _parts(event)
        for learner_hash, activity_hash, registration, learner, activity_id in records:
            key = (store, learner_hash, activity_hash, registration)
            view.put(FACTS, logic.fact_row(key, fact))
            record = view.edit(RECORDS, key)
            if record is None:
                view.put(
                    RECORDS,
                    {
                        "store_id": store, "learner_hash": learner_hash,
                        "activity_hash": activity_hash, "registration": registration,
                        "learner": learner, "activity_id": activity_id,
                        **logic.first_state(fact), "updated_position": event.position,
                    },
                )
            else:
                record.update(logic.advance(record, fact) or self._restated(view, key))
                record["updated_position"] = event.position
            contributed.append((RECORDS, key))
        for key, parent, child in edges:
            edge = view.edit(EDGES, key)
            if edge is None:
                view.put(
                    EDGES,
                    {
                        "store_id": store, "parent_hash": key[1], "child_hash": key[2], "kind": key[3],
                        "parent_id": parent, "child_id": child, "statements": 1,
                    },
                )
            else:
                edge["statements"] += 1
            contributed.append((EDGES, key))
        return contributed

    def announce_withdrawal(self, table: Table, key: Key, reads: Reads) -> None:
        if table is RECORDS:
            reads.prefix(FACTS, key)

    def withdraw(
        self, table: Table, key: Key, statement_id: str, event: RecordedEvent, view: View
    ) -> None:
        row = view.edit(table, key)
        if row is None:
            return
        if table is EDGES:
            if row["statements"] > 1:
                row["statements"] -= 1
            else:
                view.delete(EDGES, key)
            return
        view.delete(FACTS, (*key, statement_id))
        if view.scan(FACTS, key):
            row.update(self._restated(view, key))
            row["updated_position"] = event.position
        else:
            view.delete(RECORDS, key)

    @staticmethod
    def _restated(view: View, key: Key) -> dict[str, Any]:
        """The record's state from all its facts (a fact out of time order, a voiding)."""
        return logic.state([logic.fact_of(row) for row in view.scan(FACTS, key)])
