"""The learner progress projection: records per learner x activity, and the tree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.xapi.agents import key_hash
from projections.base import Table, View, make_key
from projections.progress import logic
from projections.progress import schema as _schema  # noqa: F401 - registers the tables

RECORDS = Table(
    "progress_records",
    ("store_id", "learner_hash", "activity_hash", "registration"),
    frozenset(("learner", "evidence", "facts")),
)
STATEMENTS = Table("progress_statements", ("store_id", "statement_id"), frozenset(("contributions",)))
EDGES = Table("progress_edges", ("store_id", "parent_hash", "child_hash", "kind"))


class ProgressProjection:
    name: str = "progress"
    # 2: times kept in UTC, a member listed twice in a Group counted once.
    # 3: a record's facts kept in time order (added without summarising them again).
    version: int = 3
    event_types: frozenset[str] = frozenset((STATEMENT_STORED,))
    tables: tuple[Table, ...] = (RECORDS, STATEMENTS, EDGES)

    def keys_needed(self, events: Sequence[RecordedEvent]) -> dict[str, set[str]]:
        needed: dict[str, set[str]] = {RECORDS.name: set(), STATEMENTS.name: set(), EDGES.name: set()}
        for event in events:
            statement = event.payload()
            store = event.store_id
            needed[STATEMENTS.name].add(make_key(store, statement["id"].lower()))
            obj = statement.get("object") or {}
            if obj.get("objectType") == "StatementRef":
                needed[STATEMENTS.name].add(make_key(store, str(obj.get("id", "")).lower()))
            for learner_hash, activity_hash, registration, _, _ in logic.contributions(statement):
                needed[RECORDS.name].add(make_key(store, learner_hash, activity_hash, registration))
            for parent, child, kind in logic.tree_edges(statement):
                needed[EDGES.name].add(make_key(store, key_hash(parent), key_hash(child), kind))
        return needed

    def handle(self, event: RecordedEvent, view: View) -> None:
        statement = event.payload()
        store = event.store_id
        statement_id = statement["id"].lower()
        verb = statement["verb"]["id"]
        is_voiding = verb == logic.ADL + "voided"
        seen = view.get(STATEMENTS, make_key(store, statement_id))
        # Data 2.3.2: a voiding statement cannot be voided, so only others are skipped
        # when their voiding arrived first.
        if seen is not None and seen["voided"] and not is_voiding:
            return
        if is_voiding:
            self._void(store, str(statement["object"]["id"]).lower(), view, event.position)
            return
        contributed: dict[str, Any] = {"records": [], "edges": []}
        fact = logic.fact(statement, event.position)
        for learner_hash, activity_hash, registration, learner, activity_id in logic.contributions(statement):
            key = make_key(store, learner_hash, activity_hash, registration)
            record = view.get(RECORDS, key)
            view.put(
                RECORDS,
                {
                    "store_id": store,
                    "learner_hash": learner_hash,
                    "activity_hash": activity_hash,
                    "registration": registration,
                    "learner": learner,
                    "activity_id": activity_id,
                    **logic.add_fact(record, fact),
                    "updated_position": event.position,
                },
            )
            contributed["records"].append(key)
        for parent, child, kind in logic.tree_edges(statement):
            key = make_key(store, key_hash(parent), key_hash(child), kind)
            edge = view.get(EDGES, key)
            count = edge["statements"] if edge else 0
            view.put(
                EDGES,
                {
                    "store_id": store,
                    "parent_hash": key_hash(parent),
                    "child_hash": key_hash(child),
                    "kind": kind,
                    "parent_id": parent,
                    "child_id": child,
                    "statements": count + 1,
                },
            )
            contributed["edges"].append(key)
        view.put(
            STATEMENTS,
            {"store_id": store, "statement_id": statement_id, "contributions": contributed, "voided": False},
        )

    def _void(self, store: str, target: str, view: View, position: int) -> None:
        """Withdraw the target's contribution; remember the voiding if it comes first."""
        key = make_key(store, target)
        seen = view.get(STATEMENTS, key)
        if seen is not None and seen["voided"]:
            return
        if seen is not None:
            contributed = seen["contributions"] or {"records": [], "edges": []}
            for record_key in contributed["records"]:
                record = view.get(RECORDS, record_key)
                if record is None:
                    continue
                facts = [f for f in record["facts"] if f["id"] != target]
                if facts:
                    view.put(
                        RECORDS,
                        {**record, **logic.summarize(facts), "facts": facts, "updated_position": position},
                    )
                else:
                    view.delete(RECORDS, record_key)
            for edge_key in contributed["edges"]:
                edge = view.get(EDGES, edge_key)
                if edge is None:
                    continue
                if edge["statements"] > 1:
                    view.put(EDGES, {**edge, "statements": edge["statements"] - 1})
                else:
                    view.delete(EDGES, edge_key)
        view.put(
            STATEMENTS,
            {"store_id": store, "statement_id": target, "contributions": None, "voided": True},
        )
