"""The social-learning projection: facts about who learns with whom (design part a).

Statements give facts with validity intervals (projections.social.schema) by the
pure rules of projections.social.logic. Voiding closes a statement's facts at the
voiding's position (the base's ledger names them). Configuration events fold in
too, in log order: the store's analytics settings (the time zone local dates are
taken in), team memberships imported from HR, and opt-outs, which close every
open fact of the agent at the event's position and keep their later statements
out until an opt-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrs import analytics
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.xapi.agents import key_hash
from projections.social import logic
from projections.social import vocabulary as voc
from projections.social.schema import (
    ACTORS,
    ARTIFACT,
    GATHERING,
    INTERACTION,
    LEDGER,
    MEMBERSHIP,
    OPT_OUTS,
    PARTICIPATION,
    PRESENCE,
    SETTINGS,
)
from projections.statements import StatementProjection
from projections.tables import Key, Table
from projections.view import Reads, View

# Bump when the rules in logic.py change; the map's digest is added on its own.
RULES_VERSION = 4  # 3: Groups in configured extension keys (appendix A.3); 4: a reply's reach and edge apart

# The indexes that find an agent's facts, for an opt-out.
AGENT_INDEXES: tuple[tuple[Table, str], ...] = (
    (PRESENCE, "ix_social_presence_agent"),
    (PARTICIPATION, "ix_social_participation_agent"),
    (ARTIFACT, "ix_social_artifact_author"),
    (INTERACTION, "ix_social_interaction_src"),
    (INTERACTION, "ix_social_interaction_dst"),
    (MEMBERSHIP, "ix_social_membership_agent"),
)


def earliest_author(rows: list[dict[str, Any]]) -> str | None:
    """The author of an artifact: the earliest valid authoring fact by position."""
    valid = [r for r in rows if r["valid_to"] is None]
    if not valid:
        return None
    return str(min(valid, key=lambda r: (r["valid_from"], r["statement_id"], r["author_key"]))["author_key"])


class SocialProjection(StatementProjection):
    name = "social"
    version = RULES_VERSION * 100_000 + voc.MAP_DIGEST
    event_types = frozenset((STATEMENT_STORED, *analytics.EVENT_TYPES))
    own_tables = (PRESENCE, PARTICIPATION, GATHERING, ARTIFACT, INTERACTION, MEMBERSHIP, ACTORS, OPT_OUTS, SETTINGS)
    ledger = LEDGER

    # ------------------------------------------------------------ the fold

    def preload(self, events: Sequence[RecordedEvent], view: View) -> None:
        statements = [e for e in events if e.type == STATEMENT_STORED]
        reads = Reads()
        for event in events:
            store = event.store_id
            reads.key(SETTINGS, (store,))
            if event.type in (analytics.OPTED_OUT, analytics.OPTED_IN):
                agent_hash = key_hash(event.payload()["agentKey"])
                reads.key(OPT_OUTS, (store, agent_hash))
                if event.type == analytics.OPTED_OUT:
                    for table, index in AGENT_INDEXES:
                        reads.find(table, index, (store, agent_hash))
            elif event.type == analytics.MEMBERSHIP_IMPORTED:
                reads.find(MEMBERSHIP, "ix_social_membership_source", (store, "import"))
                for row in event.payload()["memberships"]:
                    reads.key(OPT_OUTS, (store, key_hash(row["agentKey"])))
        view.load(reads)
        super().preload(statements, view)
        # Whom a reply answers is known once the statements' reads are in: their
        # objections too (an opted-out target leaves the reply out, rule 8).
        targets = Reads()
        for event in statements:
            found = event._cache.get("social")
            if found is None or found[1].verb_class != "reply":
                continue
            store = event.store_id
            for key in self._reply_candidates(store, found[1], view):
                targets.key(OPT_OUTS, (store, key_hash(key)))
        view.load(targets)

    def _opted_out(self, store: str, agent: str | None, view: View) -> bool:
        row = view.get(OPT_OUTS, (store, key_hash(agent))) if agent is not None else None
        return row is not None and bool(row["opted_out"])

    def _reply_candidates(self, store: str, found: logic.Extracted, view: View) -> list[str]:
        """Everyone a reply may answer (rule 4): the named statement's actor, the
        activities' authors."""
        target = view.get(ACTORS, (store, found.reply_statement)) if found.reply_statement else None
        authors = [
            earliest_author(view.find(ARTIFACT, "ix_social_artifact_artifact", (store, key_hash(a))))
            for a in found.reply_activities
        ]
        return [key for key in [target["actor_key"] if target else None, *authors] if key is not None]

    def handle(self, event: RecordedEvent, view: View) -> None:
        if event.type == STATEMENT_STORED:
            super().handle(event, view)
        elif event.type == analytics.SETTINGS_CHANGED:
            view.put(SETTINGS, {"store_id": event.store_id, "settings": event.payload()["settings"],
                                "position": event.position})
        elif event.type in (analytics.OPTED_OUT, analytics.OPTED_IN):
            self._opt(event, view)
        elif event.type == analytics.MEMBERSHIP_IMPORTED:
            self._import(event, view)

    def _rules(self, store: str, view: View) -> tuple[str, tuple[str, ...]]:
        """What extraction takes from the store's settings: the time zone and the
        extension keys that may hold a Group."""
        row = view.get(SETTINGS, (store,))
        if row is None:
            return "UTC", ()
        return str(row["settings"]["timezone"]), tuple(row["settings"].get("groupExtensions") or ())

    def _extracted(
        self, statement: dict[str, Any], event: RecordedEvent, rules: tuple[str, tuple[str, ...]]
    ) -> logic.Extracted:
        cached = event._cache.get("social")
        if cached is None or cached[0] != rules:
            cached = (rules, logic.extract(statement, *rules))
            event._cache["social"] = cached
        return cached[1]

    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        store = event.store_id
        found = self._extracted(statement, event, ("UTC", ()))
        for key in logic.involved(found):
            reads.key(OPT_OUTS, (store, key_hash(key)))
        if found.reply_statement:
            reads.key(ACTORS, (store, found.reply_statement))
        for activity in found.reply_activities:
            reads.find(ARTIFACT, "ix_social_artifact_artifact", (store, key_hash(activity)))
        for participation in found.participations:
            reads.key(GATHERING, (store, key_hash(participation.gathering_key)))

    def contribute(
        self, statement: dict[str, Any], event: RecordedEvent, view: View
    ) -> Sequence[tuple[Table, Key]]:
        store, position, sid = event.store_id, event.position, statement["id"].lower()
        found = self._extracted(statement, event, self._rules(store, view))
        opted = {
            key for key in logic.involved(found)
            if (row := view.get(OPT_OUTS, (store, key_hash(key)))) is not None and row["opted_out"]
        }
        found = logic.without(found, opted)
        interactions = list(found.interactions)
        if found.verb_class == "reply" and found.actor_key and found.actor_key not in opted:
            target = view.get(ACTORS, (store, found.reply_statement)) if found.reply_statement else None
            authors = [
                earliest_author(view.find(ARTIFACT, "ix_social_artifact_artifact", (store, key_hash(a))))
                for a in found.reply_activities
            ]
            dst = logic.reply_target(found.actor_key, target["actor_key"] if target else None, authors)
            thread = found.reply_activities[0] if found.reply_activities else None
            # Two facts: the replier's reach of the thread, and the edge to whom the
            # reply answers. An objection of the person answered (now or later, rule 8)
            # removes only the edge: the replier's reading of someone else's thread
            # does not name them.
            interactions.append(
                logic.Interaction("reply", found.actor_key, None, found.reply_artifact or thread, found.reply_statement)
            )
            if dst is not None and dst not in opted and not self._opted_out(store, dst, view):
                interactions.append(logic.Interaction("reply", found.actor_key, dst, None, found.reply_statement))
        ts = found.ts
        out: list[tuple[Table, Key]] = []
        interval = {"valid_from": position, "valid_to": None}

        def put(table: Table, row: dict[str, Any]) -> None:
            row = {"store_id": store, "statement_id": sid, **row, **interval}
            view.put(table, row)
            out.append((table, table.key_of(row)))

        for agent in dict.fromkeys(found.presence):
            put(PRESENCE, {"agent_hash": key_hash(agent), "agent_key": agent, "ts": ts, "day": found.local_date})
        for p in found.participations:
            gathering_hash = key_hash(p.gathering_key)
            if view.get(GATHERING, (store, gathering_hash)) is None:
                view.put(GATHERING, {
                    "store_id": store, "gathering_hash": gathering_hash, "gathering_key": p.gathering_key,
                    "kind": p.kind, "activity_id": p.activity_id, "name": p.name, "first_ts": ts,
                    "first_position": position,
                })
            put(PARTICIPATION, {
                "gathering_hash": gathering_hash, "agent_hash": key_hash(p.agent_key),
                "gathering_key": p.gathering_key, "gathering_kind": p.kind, "agent_key": p.agent_key,
                "role": p.role, "ts": ts,
            })
        for a in found.artifacts:
            put(ARTIFACT, {
                "artifact_hash": key_hash(a.artifact_id), "author_hash": key_hash(a.author_key),
                "artifact_id": a.artifact_id, "author_key": a.author_key, "kind": a.kind, "name": a.name, "ts": ts,
            })
        for seq, i in enumerate(interactions):
            put(INTERACTION, {
                "seq": seq, "kind": i.kind, "src_hash": key_hash(i.src_key), "src_key": i.src_key,
                "dst_hash": key_hash(i.dst_key) if i.dst_key else None, "dst_key": i.dst_key,
                "artifact_id": i.artifact_id, "via_statement_id": i.via_statement_id, "ts": ts,
            })
        for seq, m in enumerate(found.memberships):
            row = {
                "store_id": store, "source_id": sid, "seq": seq, "source": "statement", "action": m.action,
                "agent_hash": key_hash(m.agent_key), "agent_key": m.agent_key, "team_key": m.team_key,
                "from_ts": ts, "to_ts": None, **interval,
            }
            view.put(MEMBERSHIP, row)
            out.append((MEMBERSHIP, MEMBERSHIP.key_of(row)))
        if found.verb_class in voc.SOCIAL and found.actor_key and found.actor_key not in opted:
            view.put(ACTORS, {"store_id": store, "statement_id": sid, "actor_key": found.actor_key})
            out.append((ACTORS, (store, sid)))
        return out

    def withdraw(
        self, table: Table, key: Key, statement_id: str, event: RecordedEvent, view: View
    ) -> None:
        if table is ACTORS:
            view.delete(ACTORS, key)
            return
        row = view.edit(table, key)
        if row is not None and row["valid_to"] is None:
            row["valid_to"] = event.position

    # ------------------------------------------------------------ configuration

    def _opt(self, event: RecordedEvent, view: View) -> None:
        store, payload = event.store_id, event.payload()
        agent_key = payload["agentKey"]
        agent_hash = key_hash(agent_key)
        out = event.type == analytics.OPTED_OUT
        view.put(OPT_OUTS, {
            "store_id": store, "agent_hash": agent_hash, "agent_key": agent_key, "opted_out": out,
            "position": event.position,
        })
        if not out:
            return
        for table, index in AGENT_INDEXES:
            for row in view.find(table, index, (store, agent_hash)):
                if row["valid_to"] is None:
                    live = view.edit(table, table.key_of(row))
                    assert live is not None
                    live["valid_to"] = event.position

    def _import(self, event: RecordedEvent, view: View) -> None:
        store, payload = event.store_id, event.payload()
        if not payload.get("merge"):
            for row in view.find(MEMBERSHIP, "ix_social_membership_source", (store, "import")):
                if row["valid_to"] is None:
                    live = view.edit(MEMBERSHIP, MEMBERSHIP.key_of(row))
                    assert live is not None
                    live["valid_to"] = event.position
        for seq, m in enumerate(payload["memberships"]):
            agent_hash = key_hash(m["agentKey"])
            opted = view.get(OPT_OUTS, (store, agent_hash))
            if opted is not None and opted["opted_out"]:
                continue
            view.put(MEMBERSHIP, {
                "store_id": store, "source_id": event.event_id[:64], "seq": seq, "source": "import",
                "action": "member", "agent_hash": agent_hash, "agent_key": m["agentKey"], "team_key": m["team"],
                "from_ts": m["validFrom"], "to_ts": m["validTo"], "valid_from": event.position, "valid_to": None,
            })

