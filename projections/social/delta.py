"""The social facts at a later position, patched from the facts kept at an earlier one.

A fact is valid at P when valid_from <= P and (valid_to is NULL or valid_to > P)
(projections.social.schema). So between positions P1 < P2 of a store what a read
sees changes by exactly the facts opened (P1 < valid_from <= P2, still valid at
P2) and the facts closed (valid_from <= P1 < valid_to <= P2): read those, patch a
copy of the facts kept at P1 (projections.social.reuse), and the result is the
read at P2. A live store folds a few statements a second; reading them is a few
index look-ups where reading the window again is the whole quarter.

Refused (None: the caller reads afresh) when the settings changed (the time zone
and the cap change what every fact means for an answer), or when more changed
than a fraction of what is kept (reading afresh is then as cheap).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select
from sqlalchemy import Table as SqlTable

from lrs.xapi.agents import key_hash
from projections.social.network import Facts, Row
from projections.social.queries import INTERACTION_COLUMNS, _dicts, _interned, _unindexed, settings
from projections.social.schema import (
    ARTIFACT,
    GATHERING,
    INTERACTION,
    MEMBERSHIP,
    PARTICIPATION,
    PRESENCE,
)
from projections.windows import Window

# Read afresh when the change holds more rows than this share of the kept facts.
SHARE = 0.1
FLOOR = 500


class TooLarge(Exception):
    """More changed than is worth patching."""


def _valid(table: SqlTable, at: int) -> ColumnElement[bool]:
    return or_(table.c.valid_to.is_(None), table.c.valid_to > at)


def _opened(table: SqlTable, since: int, at: int) -> ColumnElement[bool]:
    return and_(table.c.valid_from > since, table.c.valid_from <= at, _valid(table, at))


def _closed(table: SqlTable, since: int, at: int) -> ColumnElement[bool]:
    return and_(table.c.valid_from <= since, table.c.valid_to > since, table.c.valid_to <= at)


def _in_window(table: SqlTable, window: Window | None, sqlite: bool = False) -> list[ColumnElement[bool]]:
    # SQLite has no statistics: the window's bounds on ts look as selective to it as
    # the positions' bounds, and a quarter of ts is most of the table; its unary +
    # keeps the ts index out (queries._windowed).
    ts: ColumnElement[str] = _unindexed(table.c.ts) if sqlite else table.c.ts
    out: list[ColumnElement[bool]] = []
    if window is not None and window.since is not None:
        out.append(ts >= window.since)
    if window is not None and window.until is not None:
        out.append(ts < window.until)
    return out


class _Reader:
    def __init__(self, conn: Connection, store: str, since: int, at: int, limit: int) -> None:
        self.conn, self.store, self.since, self.at, self.limit = conn, store, since, at, limit
        self.sqlite = conn.dialect.name == "sqlite"

    def window(self, table: SqlTable, window: Window | None) -> list[ColumnElement[bool]]:
        return _in_window(table, window, self.sqlite)

    def rows(self, query: Any) -> list[Row]:
        found = _dicts(self.conn, query.limit(self.limit + 1))
        if len(found) > self.limit:
            raise TooLarge
        return found

    def changed(self, table: SqlTable, columns: Any, *where: Any) -> tuple[list[Row], list[Row]]:
        """The rows opened and closed between the positions, oldest first."""
        order = (table.c.valid_from, *table.primary_key.columns)
        base = (table.c.store_id == self.store, *where)
        opened = self.rows(select(*columns).where(*base, _opened(table, self.since, self.at)).order_by(*order))
        closed = self.rows(select(*columns).where(*base, _closed(table, self.since, self.at)).order_by(*order))
        return opened, closed


def patch(
    conn: Connection, store: str, window: Window | None, current_opt_outs: set[str], kept: Facts, since: int, at: int,
) -> Facts | None:
    """The facts of ``kept`` (read at position ``since``, less ``current_opt_outs``)
    as of position ``at``; None when they are better read afresh."""
    if settings(conn, store) != kept.settings or kept.members is None or kept.participation:
        return None
    size = len(kept.presence) + len(kept.interactions) + len(kept.artifacts) + len(kept.memberships)
    reader = _Reader(conn, store, since, at, max(FLOOR, int(SHARE * size)))
    try:
        patched = _patched(reader, window, current_opt_outs, kept)
    except TooLarge:
        return None
    kept.previous = None  # one step back at most
    return patched


def _patched(reader: _Reader, window: Window | None, out: set[str], kept: Facts) -> Facts:
    presence, participation, interactions = PRESENCE.sql, PARTICIPATION.sql, INTERACTION.sql
    artifacts, memberships, gatherings = ARTIFACT.sql, MEMBERSHIP.sql, GATHERING.sql

    # Presence is kept as each agent's last moment in the window: an opened row may
    # move it later; a closed one sends the agent's moment back to the database.
    opened, closed = reader.changed(presence, (presence.c.agent_key, presence.c.ts), *reader.window(presence, window))
    last = {row["agent_key"]: row["ts"] for row in kept.presence}
    for row in opened:
        if row["agent_key"] not in out and row["ts"] > last.get(row["agent_key"], ""):
            last[row["agent_key"]] = row["ts"]
    for agent in {row["agent_key"] for row in closed} - out:
        moment = reader.conn.execute(
            select(func.max(presence.c.ts)).where(
                presence.c.store_id == reader.store, presence.c.agent_hash == key_hash(agent),
                presence.c.valid_from <= reader.at, _valid(presence, reader.at), *reader.window(presence, window),
            )
        ).scalar()
        if moment is None:
            last.pop(agent, None)
        else:
            last[agent] = moment
    presence_rows = _interned([{"agent_key": agent, "ts": ts} for agent, ts in last.items()], "agent_key")

    # Each gathering's distinct participants: a closed participation leaves its
    # agent in only while another valid one of theirs in that gathering remains.
    columns = (participation.c.gathering_key, participation.c.agent_key)
    opened, closed = reader.changed(participation, columns, *reader.window(participation, window))
    assert kept.members is not None
    # The kept sets are shared with the kept facts and their network: a set is
    # copied before it changes.
    members = dict(kept.members)
    copied: set[str] = set()

    def changing(gathering: str) -> set[str]:
        if gathering not in copied:
            copied.add(gathering)
            members[gathering] = set(members.get(gathering, ()))
        return members[gathering]

    for row in _interned(opened, "agent_key"):
        if row["agent_key"] not in out:
            changing(row["gathering_key"]).add(row["agent_key"])
    for gathering, agent in {(row["gathering_key"], row["agent_key"]) for row in closed}:
        if agent in out or agent not in members.get(gathering, ()):
            continue
        remains = reader.conn.execute(
            select(participation.c.statement_id).where(
                participation.c.store_id == reader.store, participation.c.agent_hash == key_hash(agent),
                participation.c.gathering_hash == key_hash(gathering),
                participation.c.valid_from <= reader.at, _valid(participation, reader.at),
                *reader.window(participation, window),
            ).limit(1)
        ).first()
        if remains is None:
            changing(gathering).discard(agent)
            if not members[gathering]:
                del members[gathering]

    # Shares are read whatever their time (queries.load).
    bounds = reader.window(interactions, window)
    where = [or_(interactions.c.kind == "share", and_(*bounds))] if bounds else []
    opened, closed = reader.changed(interactions, [interactions.c[name] for name in INTERACTION_COLUMNS], *where)
    interaction_rows = _replaced(
        kept.interactions, _interned(opened, "src_key", "dst_key"), closed, INTERACTION_COLUMNS,
        lambda row: row["src_key"] not in out and row["dst_key"] not in out,
    )

    opened, closed = reader.changed(artifacts, list(artifacts.c))
    artifact_rows = _replaced(
        kept.artifacts, _interned(opened, "author_key"), closed, tuple(c.name for c in artifacts.primary_key.columns),
        lambda row: row["author_key"] not in out,
    )

    opened, closed = reader.changed(memberships, list(memberships.c))
    membership_rows = _replaced(
        kept.memberships, _interned(opened, "agent_key"), closed,
        tuple(c.name for c in memberships.primary_key.columns), lambda row: row["agent_key"] not in out,
    )

    # A gathering's row is written once, when first seen, and never changed.
    added = reader.rows(select(gatherings).where(
        gatherings.c.store_id == reader.store, gatherings.c.first_position > reader.since,
        gatherings.c.first_position <= reader.at,
    ))
    gathering_rows = dict(kept.gatherings)
    for row in added:
        gathering_rows[row["gathering_key"]] = row

    return Facts(
        presence=presence_rows, participation=[], artifacts=artifact_rows, interactions=interaction_rows,
        memberships=membership_rows, gatherings=gathering_rows, settings=kept.settings, members=members,
        previous=kept,
    )


def _replaced(kept: list[Row], opened: list[Row], closed: list[Row], identity: tuple[str, ...], shown: Any) -> list[Row]:
    """``kept`` less one kept row per closed one (by ``identity``), then the opened
    rows: in position order, as a fresh read returns them."""
    gone = Counter(tuple(row[name] for name in identity) for row in closed if shown(row))
    if not gone:
        return [*kept, *(row for row in opened if shown(row))]
    out = []
    for row in kept:
        found = tuple(row[name] for name in identity)
        if gone[found] > 0:
            gone[found] -= 1
            continue
        out.append(row)
    out.extend(row for row in opened if shown(row))
    return out
