"""The competency projection: evidence from statements, cells per learner x competency,
and the configuration (frameworks, alignments, roles, teams) folded from its events.

A statement adds an observation (when some rule could ever use it), derives its
evidence and recomputes the cells it touched. A voiding withdraws the observation,
closes its evidence rows, and recomputes (the base, projections.statements). A
framework or an alignment event re-derives the evidence of the observations naming
the IRIs it changes, then recomputes those cells: arriving after the statements gives
the same cells as arriving before (retroactivity, design §1.5).

Evidence rows are bitemporal (design §8): never deleted, they are closed at the
position that voids them or re-derives them differently, and a changed row is opened
anew. A cell is recomputed from the open rows; the rows valid at a past position
give the cell then (projections.competency.queries, ``asOf`` by interval).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrs import competency as events
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.xapi.agents import key_hash
from projections.competency import logic
from projections.competency.schema import (
    ALIGNMENTS,
    CELLS,
    CONFIGURED,
    EVIDENCE,
    FRAMEWORKS,
    ITEMS,
    LEARNERS,
    LEDGER,
    MENTIONS,
    OBSERVATIONS,
    RELATIONS,
    ROLES,
    TEAM_MEMBERS,
    TEAMS,
)
from projections.statements import StatementProjection, voided_target
from projections.tables import Key, Table
from projections.view import Reads, View

Cell = tuple[str, str, str]  # store, learner key, competency hash
# What an evidence row says, besides its key and interval: a re-derivation that gives
# the same keeps the row open (its interval, and the cell's updated_position, unchanged).
_CONTENT = ("competency_iri", "activity_iri", "kind", "s", "w", "t_us", "path", "authority", "valid_until_us",
            "theta")


class ViewConfig:
    """The configuration as the view holds it, for logic.extract."""

    def __init__(self, view: View, store: str) -> None:
        self.view, self.store = view, store

    def threshold(self, competency_iri: str) -> float | None:
        item = self.view.get(ITEMS, (self.store, key_hash(competency_iri)))
        if item is None:
            return None
        framework = self.view.get(FRAMEWORKS, (self.store, item["framework_hash"]))
        if framework is None or framework["retired"]:
            return None
        threshold = item["mastery_threshold"]
        return logic.PARAMS.theta if threshold is None else float(threshold)

    def alignments(self, activity_iri: str) -> list[dict[str, Any]]:
        return self.view.scan(ALIGNMENTS, (self.store, key_hash(activity_iri)))


class CompetencyProjection(StatementProjection):
    name = "competency"
    version = 2
    event_types = frozenset((STATEMENT_STORED, *events.CONFIG_EVENTS))
    own_tables = (
        FRAMEWORKS, ITEMS, RELATIONS, ALIGNMENTS, OBSERVATIONS, MENTIONS, EVIDENCE, CELLS, LEARNERS,
        ROLES, TEAMS, TEAM_MEMBERS, CONFIGURED,
    )
    ledger = LEDGER

    # ---------------------------------------------------------------- statements

    def preload(self, events_: Sequence[RecordedEvent], view: View) -> None:
        statements = [e for e in events_ if e.type == STATEMENT_STORED]
        super().preload(statements, view)
        reads = Reads()
        for event in events_:
            if event.type != STATEMENT_STORED:
                self._announce_config(event, reads)
        view.load(reads)

    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        observation = _observation(event)
        if observation is None:
            return
        store = event.store_id
        for iri in logic.mentions(observation):
            reads.key(ITEMS, (store, key_hash(iri)))
        if observation["activity_iri"]:
            reads.prefix(ALIGNMENTS, (store, key_hash(observation["activity_iri"])))
        reads.key(LEARNERS, (store, observation["learner_key"]))

    def contribute(self, statement: dict[str, Any], event: RecordedEvent, view: View) -> Sequence[tuple[Table, Key]]:
        observation = _observation(event)
        if observation is None:
            return []
        store, sid = event.store_id, statement["id"].lower()
        row = {"store_id": store, "statement_id": sid, "position": event.position, **observation, "derived": []}
        learner = row.pop("learner")
        if view.get(LEARNERS, (store, row["learner_key"])) is None:
            view.put(LEARNERS, {"store_id": store, "learner_key": row["learner_key"], "agent": learner})
        for iri in logic.mentions(observation):
            view.put(MENTIONS, {"store_id": store, "iri_hash": key_hash(iri), "statement_id": sid})
        touched: set[Cell] = set()
        self._derive(row, view, touched, event.position)
        self._recompute(touched, view)
        return [(OBSERVATIONS, (store, sid))]

    def withdraw(self, table: Table, key: Key, statement_id: str, event: RecordedEvent, view: View) -> None:
        row = view.get(OBSERVATIONS, key)
        if row is None:
            return
        store = event.store_id
        touched: set[Cell] = set()
        for competency, since in row["derived"]:
            self._close(view, (store, row["learner_key"], competency, statement_id, since), event.position)
            touched.add((store, row["learner_key"], competency))
        for iri in logic.mentions(row):
            view.delete(MENTIONS, (store, key_hash(iri), statement_id))
        view.delete(OBSERVATIONS, key)
        self._recompute(touched, view)

    @staticmethod
    def _close(view: View, key: Key, position: int) -> None:
        """An evidence row stops holding at ``position`` (design §8: never deleted)."""
        old = view.get(EVIDENCE, key)
        if old is not None:
            view.put(EVIDENCE, {**old, "to_position": position})

    def _derive(self, row: dict[str, Any], view: View, touched: set[Cell], position: int) -> None:
        """(Re)derive an observation's evidence rows at ``position``: a row that comes out
        the same stays open, a changed one is closed and opened anew, a gone one closed."""
        store, sid, learner = row["store_id"], row["statement_id"], row["learner_key"]
        held = {competency: since for competency, since in row["derived"]}
        derived = []
        for evidence in logic.extract(row, ViewConfig(view, store)):
            competency = key_hash(evidence["competency_iri"])
            since = held.pop(competency, None)
            fresh = {
                "store_id": store, "learner_key": learner, "competency_hash": competency, "statement_id": sid,
                "from_position": position, "to_position": None,
                "activity_iri": row["activity_iri"], "activity_hash": key_hash(row["activity_iri"]),
                "t_us": row["t_us"], **evidence,
            }
            if since is not None:
                key = (store, learner, competency, sid, since)
                old = view.get(EVIDENCE, key)
                if old is not None and all(old[k] == fresh[k] for k in _CONTENT):
                    derived.append([competency, since])
                    continue
                self._close(view, key, position)
            derived.append([competency, position])
            touched.add((store, learner, competency))
            view.put(EVIDENCE, fresh)
        for competency, since in held.items():
            self._close(view, (store, learner, competency, sid, since), position)
            touched.add((store, learner, competency))
        row["derived"] = sorted(derived)
        view.put(OBSERVATIONS, row)

    def _recompute(self, touched: set[Cell], view: View) -> None:
        """The touched cells from their open rows; a cell's updated_position is the last
        position that opened or closed one of its rows, so the cell as of any position
        is recomputable from the rows alone (queries.cells_as_of)."""
        for store, learner, competency in sorted(touched):
            rows = view.scan(EVIDENCE, (store, learner, competency))
            cell = logic.cell_of(rows)
            if cell is None:
                view.delete(CELLS, (store, learner, competency))
                continue
            view.put(CELLS, {"store_id": store, "learner_key": learner, "competency_hash": competency, **cell})

    # ------------------------------------------------------------- configuration

    def handle(self, event: RecordedEvent, view: View) -> None:
        if event.type == STATEMENT_STORED:
            super().handle(event, view)
            return
        payload, store = event.payload(), event.store_id
        affected: set[str] = set()  # IRIs whose observations must be re-derived
        if event.type == events.FRAMEWORK_IMPORTED:
            affected = self._import(payload, store, event.position, view)
        elif event.type == events.FRAMEWORK_RETIRED:
            framework = view.get(FRAMEWORKS, (store, key_hash(payload["framework_id"])))
            if framework is not None and not framework["retired"]:
                view.put(FRAMEWORKS, {**framework, "retired": True})
                affected = self._competencies_and_activities(store, framework["framework_hash"], view)
        elif event.type in (events.ALIGNMENT_SET, events.ALIGNMENT_REMOVED):
            key = (store, key_hash(payload["activity_iri"]), key_hash(payload["competency_iri"]))
            if event.type == events.ALIGNMENT_SET:
                row = {"store_id": store, "activity_hash": key[1], "competency_hash": key[2],
                       "activity_iri": payload["activity_iri"], "competency_iri": payload["competency_iri"],
                       "type": payload["type"], "weight": payload["weight"]}
                old = view.get(ALIGNMENTS, key)
                if old is not None and all(old[k] == v for k, v in row.items()):
                    return  # re-setting the same alignment changes nothing
                view.put(ALIGNMENTS, {**row, "from_position": event.position})
            elif view.get(ALIGNMENTS, key) is not None:
                view.delete(ALIGNMENTS, key)
            affected = {payload["activity_iri"]}
        elif event.type == events.ROLE_SET:
            view.put(ROLES, {"store_id": store, "role_id": payload["role_id"], "name": payload["name"],
                             "source": payload["source"], "requirements": payload["requirements"]})
        elif event.type == events.ROLE_REMOVED:
            view.delete(ROLES, (store, payload["role_id"]))
        elif event.type == events.TEAM_SET:
            self._team(store, payload["team_id"], payload, view)
        elif event.type == events.TEAM_REMOVED:
            self._team(store, payload["team_id"], None, view)
        view.put(CONFIGURED, {"store_id": store, "position": event.position})
        self._rederive(store, affected, event.position, view)

    def _announce_config(self, event: RecordedEvent, reads: Reads) -> None:
        payload, store = event.payload(), event.store_id
        if event.type == events.FRAMEWORK_IMPORTED:
            reads.key(FRAMEWORKS, (store, key_hash(payload["framework_id"])))
            reads.find(ITEMS, "ix_competency_items_framework", (store, key_hash(payload["framework_id"])))
            for item in payload["items"]:
                reads.key(ITEMS, (store, key_hash(item["iri"])))
                reads.prefix(MENTIONS, (store, key_hash(item["iri"])))
                reads.find(ALIGNMENTS, "ix_competency_alignments_competency", (store, key_hash(item["iri"])))
        elif event.type in (events.ALIGNMENT_SET, events.ALIGNMENT_REMOVED):
            reads.prefix(MENTIONS, (store, key_hash(payload["activity_iri"])))

    def _import(self, payload: dict[str, Any], store: str, position: int, view: View) -> set[str]:
        framework_hash = key_hash(payload["framework_id"])
        affected = self._competencies_and_activities(store, framework_hash, view)
        old_items = view.find(ITEMS, "ix_competency_items_framework", (store, framework_hash))
        for item in old_items:
            view.delete(ITEMS, (store, item["iri_hash"]))
        for relation in view.find(RELATIONS, "ix_competency_relations_framework", (store, framework_hash)):
            view.delete(RELATIONS, RELATIONS.key_of(relation))
        view.put(FRAMEWORKS, {
            "store_id": store, "framework_hash": framework_hash, "framework_id": payload["framework_id"],
            "title": payload["title"], "format": payload["format"], "version": payload["version"],
            "retired": False, "scale": payload["scale"], "source_sha256": payload["source_sha256"],
            "items": len(payload["items"]), "from_position": position,
        })
        for ordinal, item in enumerate(payload["items"]):
            view.put(ITEMS, {
                "store_id": store, "iri_hash": key_hash(item["iri"]), "iri": item["iri"],
                "framework_hash": framework_hash, "code": item["code"], "name": item["name"],
                "parent_iri": item["parent_iri"], "type": item["type"],
                "mastery_threshold": item["mastery_threshold"], "ordinal": ordinal,
            })
        for relation in payload["relations"]:
            view.put(RELATIONS, {
                "store_id": store, "source_hash": key_hash(relation["source"]),
                "target_hash": key_hash(relation["target"]), "type": relation["type"],
                "source_iri": relation["source"], "target_iri": relation["target"], "framework_hash": framework_hash,
            })
        return affected | self._competencies_and_activities(store, framework_hash, view)

    def _competencies_and_activities(self, store: str, framework_hash: str, view: View) -> set[str]:
        """A framework's competency IRIs and the activities aligned (A5) to them."""
        found: set[str] = set()
        for item in view.find(ITEMS, "ix_competency_items_framework", (store, framework_hash)):
            found.add(item["iri"])
            for alignment in view.find(ALIGNMENTS, "ix_competency_alignments_competency", (store, item["iri_hash"])):
                found.add(alignment["activity_iri"])
        return found

    def _rederive(self, store: str, iris: set[str], position: int, view: View) -> None:
        statement_ids: set[str] = set()
        for iri in iris:
            statement_ids.update(m["statement_id"] for m in view.scan(MENTIONS, (store, key_hash(iri))))
        touched: set[Cell] = set()
        for sid in sorted(statement_ids):
            row = view.get(OBSERVATIONS, (store, sid))
            if row is not None:
                self._derive(row, view, touched, position)
        self._recompute(touched, view)

    def _team(self, store: str, team_id: str, payload: dict[str, Any] | None, view: View) -> None:
        for member in view.scan(TEAM_MEMBERS, (store, team_id)):
            view.delete(TEAM_MEMBERS, TEAM_MEMBERS.key_of(member))
        if payload is None:
            view.delete(TEAMS, (store, team_id))
            return
        view.put(TEAMS, {"store_id": store, "team_id": team_id, "name": payload["name"]})
        for agent in payload["members"]:
            view.put(TEAM_MEMBERS, {"store_id": store, "team_id": team_id,
                                    "learner_key": logic.learner_key_of(agent), "agent": agent})


def _observation(event: RecordedEvent) -> dict[str, Any] | None:
    """logic.observe of the event's statement, once per event (announce and contribute)."""
    if "competency" not in event._cache:
        statement = event.payload()
        event._cache["competency"] = None if voided_target(statement) else logic.observe(statement)
    found: dict[str, Any] | None = event._cache["competency"]
    return found
