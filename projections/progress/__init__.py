"""The learner progress projection: records per learner x activity, and the tree.

A statement contributes one fact per learner x activity it is about, counted in
that learner x activity's all-registrations record and its registration's record,
and one to each parent/grouping edge of its activity; voiding is the base's
(projections.statements).
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

# (activity id, activity hash, registration, [(learner hash, learner)]) or None, and
# the edges (key, parent id, child id).
_About = tuple[str, str, str, list[tuple[str, dict[str, Any]]]]
_Parts = tuple[_About | None, list[tuple[Key, str, str]]]


def _parts(event: RecordedEvent) -> _Parts:
    """What a statement is about: worked out once per event, for ``announce`` and
    ``contribute`` both."""
    parts: _Parts | None = event._cache.get("progress")
    if parts is None:
        statement, store = event.payload(), event.store_id
        found = logic.subjects(statement)
        parts = (
            None if found is None else (found[0], key_hash(found[0]), found[1], found[2]),
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
    # 6: one fact row per learner x activity x statement, whatever the registration.
    version = 6
    own_tables = (RECORDS, FACTS, EDGES)
    ledger = LEDGER

    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        store = event.store_id
        about, edges = _parts(event)
        if about is not None:
            _, activity_hash, registration, learners = about
            for learner_hash, _ in learners:
                for scope in logic.scopes(registration):
                    reads.key(RECORDS, (store, learner_hash, activity_hash, scope))
        for key, _, _ in edges:
            reads.key(EDGES, key)

    def contribute(
        self, statement: dict[str, Any], event: RecordedEvent, view: View
    ) -> Sequence[tuple[Table, Key]]:
        store, position = event.store_id, event.position
        contributed: list[tuple[Table, Key]] = []
        about, edges = _parts(event)
        if about is not None:
            activity_id, activity_hash, registration, learners = about
            fact = logic.fact(statement, position)
            for learner_hash, learner in learners:
                view.put(FACTS, logic.fact_row(store, learner_hash, activity_hash, registration, fact))
                for scope in logic.scopes(registration):
                    key = (store, learner_hash, activity_hash, scope)
                    record = view.edit(RECORDS, key)
                    if record is None:
                        view.put(
                            RECORDS,
                            {
                                "store_id": store, "learner_hash": learner_hash,
                                "activity_hash": activity_hash, "registration": scope,
                                "learner": learner, "activity_id": activity_id,
                                **logic.first_state(fact), "updated_position": position,
                            },
                        )
                    else:
                        record.update(logic.advance(record, fact) or self._restated(view, key))
                        record["updated_position"] = position
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
            reads.prefix(FACTS, key[:3])

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
        # The fact is the learner x activity's: the first of its records deletes it.
        view.delete(FACTS, (*key[:3], statement_id))
        if self._facts(view, key):
            row.update(self._restated(view, key))
            row["updated_position"] = event.position
        else:
            view.delete(RECORDS, key)

    @staticmethod
    def _facts(view: View, key: Key) -> list[dict[str, Any]]:
        """The fact rows of the record ``key`` (store, learner, activity, registration)."""
        return [row for row in view.scan(FACTS, key[:3]) if logic.counts_in(row, key[3])]

    @classmethod
    def _restated(cls, view: View, key: Key) -> dict[str, Any]:
        """The record's state from all its facts (a fact out of time order, a voiding)."""
        return logic.state([logic.fact_of(row) for row in cls._facts(view, key)])
