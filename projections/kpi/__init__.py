"""The programme KPI projection: fact rows per relevant statement, the activities
as first declared, programme definitions and the store's bucket settings.

Statements are folded through projections.statements (voiding withdraws a
statement's facts). Two kinds of configuration event are folded too, so a
replay to any position has the configuration of that moment: programme
definitions (``kpi.programme.defined`` / ``.retired``: kept as versions, joined
at read time, so a redefinition changes no fact) and the store's analytics
settings (``analytics.settings.changed``: a new time zone or fiscal-year start
re-buckets the store's facts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrs.analytics import MEMBERSHIP_IMPORTED, SETTINGS_CHANGED
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.programmes import PROGRAMME_DEFINED, PROGRAMME_RETIRED
from lrs.xapi.agents import key_hash
from projections.kpi import logic
from projections.kpi.schema import (
    ACTIVITIES,
    FACTS,
    LEDGER,
    LINKS,
    MEMBERSHIPS,
    PROGRAMMES,
    SETTINGS,
)
from projections.statements import StatementProjection
from projections.tables import Key, Table
from projections.view import Reads, View


def _settings(view: View, store: str) -> dict[str, Any]:
    row = view.get(SETTINGS, (store,))
    if row is None:
        return dict(logic.DEFAULT_SETTINGS)
    return {"timezone": row["timezone"], "fiscal_start_month": row["fiscal_start_month"]}


class KpiProjection(StatementProjection):
    name = "kpi"
    # The last digit counts changes of the tables (2: the context links).
    version = int(logic.RULES_VERSION, 16) % 1_000_000 * 10 + 2
    event_types = frozenset(
        (STATEMENT_STORED, PROGRAMME_DEFINED, PROGRAMME_RETIRED, SETTINGS_CHANGED, MEMBERSHIP_IMPORTED)
    )
    own_tables = (FACTS, ACTIVITIES, PROGRAMMES, SETTINGS, MEMBERSHIPS, LINKS)
    ledger = LEDGER

    # ------------------------------------------------------------ configuration

    def preload(self, events: Sequence[RecordedEvent], view: View) -> None:
        statements = [e for e in events if e.type == STATEMENT_STORED]
        reads = Reads()
        for event in events:
            if event.type == SETTINGS_CHANGED:
                reads.key(SETTINGS, (event.store_id,))
                reads.prefix(FACTS, (event.store_id,))
            elif event.type == MEMBERSHIP_IMPORTED:
                reads.prefix(MEMBERSHIPS, (event.store_id,))
        view.load(reads)
        super().preload(statements, view)

    def handle(self, event: RecordedEvent, view: View) -> None:
        if event.type == STATEMENT_STORED:
            super().handle(event, view)
            return
        store, payload = event.store_id, event.payload()
        if event.type == SETTINGS_CHANGED:
            self._settings_changed(store, event, view)
            return
        if event.type == MEMBERSHIP_IMPORTED:
            self._memberships(store, event, view)
            return
        view.put(
            PROGRAMMES,
            {
                "store_id": store, "programme_id": payload["programme"], "version": event.stream_version,
                "definition": payload.get("definition") if event.type == PROGRAMME_DEFINED else None,
                "position": event.position, "recorded_at": event.recorded_at,
            },
        )

    def _settings_changed(self, store: str, event: RecordedEvent, view: View) -> None:
        settings, position = logic.settings_of(event.payload()), event.position
        before = _settings(view, store)
        view.put(
            SETTINGS,
            {"store_id": store, "timezone": settings["timezone"],
             "fiscal_start_month": settings["fiscal_start_month"],
             "settings": event.payload().get("settings") or {}, "position": position},
        )
        if before == settings:
            return
        for row in view.scan(FACTS, (store,)):
            view.put(FACTS, {**row, **logic.buckets(row["ts"], settings)})

    def _memberships(self, store: str, event: RecordedEvent, view: View) -> None:
        rows = logic.memberships_of(event.payload())
        if rows is None:
            return
        merge, found = rows
        if not merge:
            for row in view.scan(MEMBERSHIPS, (store,)):
                view.delete(MEMBERSHIPS, (store, row["agent_hash"], row["team"], row["valid_from"]))
        for agent_hash, team, valid_from, valid_to in found:
            view.put(
                MEMBERSHIPS,
                {"store_id": store, "agent_hash": agent_hash, "team": team, "valid_from": valid_from,
                 "valid_to": valid_to, "position": event.position},
            )

    # --------------------------------------------------------------- statements

    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        reads.key(SETTINGS, (event.store_id,))
        if logic.is_relevant(statement):
            activity = key_hash(statement["object"]["id"])
            reads.key(ACTIVITIES, (event.store_id, activity))
            for kind, context_id in logic.links_of(statement):
                reads.key(LINKS, (event.store_id, activity, kind, key_hash(context_id)))

    def contribute(
        self, statement: dict[str, Any], event: RecordedEvent, view: View
    ) -> Sequence[tuple[Table, Key]]:
        store = event.store_id
        rows = logic.facts(statement, event.position, _settings(view, store))
        if not rows:
            return []
        contributed: list[tuple[Table, Key]] = []
        for row in rows:
            view.put(FACTS, {"store_id": store, **row})
            contributed.append((FACTS, (store, row["statement_id"], row["agent_hash"])))
        activity_id, kind, name = logic.activity_of(statement)
        key = (store, key_hash(activity_id))
        activity = view.edit(ACTIVITIES, key)
        if activity is None:
            view.put(
                ACTIVITIES,
                {"store_id": store, "activity_hash": key[1], "activity_id": activity_id, "type": kind,
                 "name": name, "first_position": event.position, "statements": 1},
            )
        else:
            activity["statements"] += 1
        contributed.append((ACTIVITIES, key))
        for kind, context_id in logic.links_of(statement):
            link_key = (store, key[1], kind, key_hash(context_id))
            link = view.edit(LINKS, link_key)
            if link is None:
                view.put(
                    LINKS,
                    {"store_id": store, "activity_hash": key[1], "kind": kind, "context_hash": link_key[3],
                     "activity_id": activity_id, "context_id": context_id, "statements": 1},
                )
            else:
                link["statements"] += 1
            contributed.append((LINKS, link_key))
        return contributed

    def withdraw(
        self, table: Table, key: Key, statement_id: str, event: RecordedEvent, view: View
    ) -> None:
        if table is FACTS:
            view.delete(FACTS, key)
            return
        row = view.edit(table, key)
        if row is None:
            return
        if row["statements"] > 1:
            row["statements"] -= 1
        else:
            view.delete(table, key)
