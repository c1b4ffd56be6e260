"""The append-only, hash-chained event log.

Writers are serialised (one lock for the whole log), so positions are global,
gap-free and in commit order: a reader that has seen position N has seen every
event up to N. Every event gets its own ``recorded_at`` (for statements, the
xAPI ``stored``): one microsecond after the event before it at least, so it
strictly increases along positions, across requests, groups and processes.

Each store has its own hash chain: ``hash = sha256(prev_hash || canonical row)``,
where ``prev_hash`` is the hash of the store's previous event. An export of one
store therefore verifies on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, fields
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lrs import clock
from lrs.db import WRITE, is_replica, is_sqlite
from lrs.errors import Conflict, LogIntegrityError, Unavailable
from lrs.events import NewEvent, RecordedEvent
from lrs.log import _postgresql, _sqlite
from lrs.log.redactions import ERASURE, UNCONFIRMED, Redactions
from lrs.schema import events

GENESIS = "0" * 64

# Statements of the write path are built once: building SQLAlchemy expressions per
# call costs several times the database work of these small queries.
_HEAD = select(events.c.position, events.c.recorded_at).order_by(events.c.position.desc()).limit(1)
_STORE_HEAD = (
    select(events.c.hash)
    .where(events.c.store_id == bindparam("store_id"))
    .order_by(events.c.position.desc())
    .limit(1)
)
_HEADS = select(
    _HEAD.with_only_columns(events.c.position).scalar_subquery().label("position"),
    _HEAD.with_only_columns(events.c.recorded_at).scalar_subquery().label("recorded_at"),
    _STORE_HEAD.scalar_subquery().label("store_hash"),
)
_HEADS_PG = _HEADS.add_columns(func.clock_timestamp().label("now"))
_STREAM_VERSIONS = (
    select(events.c.stream_id, func.max(events.c.stream_version))
    .where(
        events.c.store_id == bindparam("store_id"),
        events.c.stream_id.in_(bindparam("streams", expanding=True)),
    )
    .group_by(events.c.stream_id)
)
_INSERT = events.insert()
_COLUMNS = (
    events.c.position,
    events.c.store_id,
    events.c.stream_id,
    events.c.stream_version,
    events.c.event_id,
    events.c.type,
    events.c.schema_version,
    events.c.data,
    events.c.metadata,
    events.c.recorded_at,
    events.c.prev_hash,
    events.c.hash,
)


def row_hash(
    prev_hash: str,
    position: int,
    store_id: str,
    stream_id: str,
    stream_version: int,
    event_id: str,
    type_: str,
    schema_version: int,
    recorded_at: str,
    data: str,
    metadata: str,
) -> str:
    """The chain hash of one row: its predecessor's hash, then the row as a JSON array."""
    canonical = orjson.dumps(
        [position, store_id, stream_id, stream_version, event_id, type_, schema_version,
         recorded_at, data, metadata]
    )
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


class LogWriter:
    """Appends events inside one locked transaction. Obtain one from :func:`writing`."""

    def __init__(self, conn: Connection, head_position: int, first_stamp_us: int) -> None:
        self.conn = conn
        self.head_position = head_position
        # The next recorded_at to hand out, in microseconds since 1970 (see stamp).
        self._first_stamp_us = first_stamp_us
        self._next_stamp_us = first_stamp_us
        self._next_position = head_position + 1
        self._store_heads: dict[str, str] = {}
        self._last_recorded_at = ""
        self._failed: Conflict | None = None
        self.appended: list[RecordedEvent] = []
        # Rows of deferred appends, inserted together by flush().
        self._unflushed: list[RecordedEvent] = []

    @property
    def last_position(self) -> int:
        return self._next_position - 1

    def stamp(self) -> str:
        """The next ``recorded_at`` (fixed-width UTC text), one microsecond after the last.

        A statement takes its ``stored`` from here before it is serialised, and its
        event is then appended with that ``recorded_at``; other events take theirs
        when they are appended. Either way each event of the log has its own instant,
        later than every event before it.
        """
        micros = self._next_stamp_us
        self._next_stamp_us += 1
        return clock.format_utc(clock.from_micros(micros))

    def through(self) -> str:
        """X-Experience-API-Consistent-Through once this transaction has committed:
        the last instant handed out, or the one just before the first when none was
        (every earlier writer committed before this one took the lock)."""
        return clock.format_utc(clock.from_micros(self._next_stamp_us - 1))

    def _store_head(self, store_id: str) -> str:
        if store_id not in self._store_heads:
            row = self.conn.execute(_STORE_HEAD, {"store_id": store_id}).first()
            self._store_heads[store_id] = row[0] if row else GENESIS
        return self._store_heads[store_id]

    def _stream_versions(self, store_id: str, stream_ids: set[str]) -> dict[str, int]:
        if not stream_ids:
            return {}
        rows = self.conn.execute(
            _STREAM_VERSIONS, {"store_id": store_id, "streams": sorted(stream_ids)}
        ).all()
        return {stream: version for stream, version in rows}

    def stream_version(self, store_id: str, stream_id: str) -> int:
        """Current version of a stream (0 when it has no events)."""
        return self._stream_versions(store_id, {stream_id}).get(stream_id, 0)

    def append(
        self, store_id: str, new_events: Sequence[NewEvent], *, defer: bool = False
    ) -> list[RecordedEvent]:
        """Append events in order; raise Conflict and change nothing on a version clash.

        Expected versions are checked before anything is assigned, so a caller may
        catch that Conflict and go on. A clash the database finds (an event id or
        stream version already stored) may leave part of the insert behind, so it
        fails the whole transaction: the block rolls back and re-raises.

        ``defer``: positions, stamps and hashes are assigned now, the rows are
        inserted by the next ``flush`` (at the latest when the block ends), so that
        a group commit inserts the events of all its requests in one statement.
        Until then the rows are not in the table (nothing may refer to them).
        """
        if self._failed is not None:
            raise self._failed
        if not new_events:
            return []
        # expected_version == 0 means "a new stream": no lookup needed, the unique
        # (store, stream, version) constraint is the backstop.
        lookup = {e.stream_id for e in new_events if e.expected_version != 0}
        versions = self._stream_versions(store_id, lookup)
        planned: list[tuple[NewEvent, int]] = []
        last = self._last_recorded_at
        for event in new_events:
            if event.recorded_at is not None:
                # Stamps come from this writer (stamp()) and are appended in the order
                # they were taken, or recorded_at would not grow along positions.
                if event.recorded_at <= last:
                    raise ValueError(f"recorded_at {event.recorded_at} is not after {last}")
                last = event.recorded_at
            current = versions.get(event.stream_id, 0)
            if event.expected_version is not None and event.expected_version != current:
                raise Conflict(
                    f"stream {event.stream_id!r} is at version {current}, "
                    f"expected {event.expected_version}"
                )
            versions[event.stream_id] = current + 1
            planned.append((event, current + 1))

        prev = self._store_head(store_id)
        position = self._next_position
        recorded: list[RecordedEvent] = []
        for event, version in planned:
            recorded_at = event.recorded_at or self.stamp()
            digest = row_hash(
                prev, position, store_id, event.stream_id, version, event.event_id, event.type,
                event.schema_version, recorded_at, event.data, event.metadata,
            )
            recorded.append(
                RecordedEvent(
                    position=position,
                    store_id=store_id,
                    stream_id=event.stream_id,
                    stream_version=version,
                    event_id=event.event_id,
                    type=event.type,
                    schema_version=event.schema_version,
                    data=event.data,
                    metadata=event.metadata,
                    recorded_at=recorded_at,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
            position += 1
        self._unflushed.extend(recorded)
        if not defer:
            self.flush()
        self._next_position = position
        self._store_heads[store_id] = prev
        self._last_recorded_at = recorded[-1].recorded_at
        self.appended.extend(recorded)
        return recorded

    def flush(self) -> None:
        """Insert the rows of deferred appends: one statement, whatever their number
        (on PostgreSQL a multi-row INSERT, see lrs.db.make_engine)."""
        if not self._unflushed:
            return
        rows, self._unflushed = self._unflushed, []
        try:
            self.conn.execute(_INSERT, [_as_row(row) for row in rows])
        except IntegrityError as exc:
            self._failed = Conflict("an event with this id or stream version already exists")
            raise self._failed from exc


def _recorded(row: Any) -> RecordedEvent:
    # Positional: reading a SQLAlchemy Row by attribute name costs about three times
    # building the event (measured on read_forward), so _COLUMNS follows the field
    # order of RecordedEvent (checked below).
    return RecordedEvent(*row)


assert [c.name for c in _COLUMNS] == [f.name for f in fields(RecordedEvent)][: len(_COLUMNS)]


def _as_row(event: RecordedEvent) -> dict[str, object]:
    return {
        "position": event.position,
        "store_id": event.store_id,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "event_id": event.event_id,
        "type": event.type,
        "schema_version": event.schema_version,
        "data": event.data,
        "metadata": event.metadata,
        "recorded_at": event.recorded_at,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


@contextmanager
def writing(
    engine: Engine, *, lock_timeout_seconds: float = 30.0, store_id: str | None = None
) -> Iterator[LogWriter]:
    """One write transaction holding the log's lock; commits when the block ends.

    The first ``recorded_at`` is taken under the lock and is strictly later than the
    head's, so stored order equals position order even when the wall clock steps
    back. Naming the ``store_id`` that will be written reads its chain head in the
    same query as the log head.
    """
    sqlite = is_sqlite(engine)
    # SQLite: this process's writers announce themselves before they queue for the
    # lock, so that Consistent-Through never passes a write still in flight.
    announced = _sqlite.in_flight(engine) if sqlite else nullcontext(None)
    turn = _sqlite.in_process_turn(engine, lock_timeout_seconds) if sqlite else nullcontext()
    with announced as flight, turn, engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        try:
            with conn.begin():
                if sqlite:
                    _sqlite.acquire_write_lock(conn, lock_timeout_seconds)
                    head = conn.execute(_HEADS, {"store_id": store_id or ""}).one()
                    assert flight is not None
                    first = flight.start(_after(head.recorded_at))
                else:
                    _postgresql.acquire_write_lock(conn, lock_timeout_seconds)
                    head = conn.execute(_HEADS_PG, {"store_id": store_id or ""}).one()
                    # The database's clock, as Consistent-Through reads it (see there).
                    first = max(clock.to_micros(head.now), _after(head.recorded_at))
                writer = LogWriter(conn, head.position or 0, first)
                if store_id is not None:
                    writer._store_heads[store_id] = head.store_hash or GENESIS
                yield writer
                writer.flush()
                if writer._failed is not None:
                    # The caller caught a database-level Conflict: nothing of this
                    # transaction may be kept.
                    raise writer._failed
        except OperationalError as exc:
            if _sqlite.is_lock_timeout(exc) or _postgresql.is_lock_timeout(exc):
                raise Unavailable("the log is busy; retry shortly") from exc
            raise


def _after(recorded_at: str | None) -> int:
    """The earliest instant (microseconds) a new event may have after ``recorded_at``."""
    return clock.to_micros(clock.parse_utc(recorded_at)) + 1 if recorded_at else 0


def consistent_through(conn: Connection) -> str:
    """X-Experience-API-Consistent-Through (Communication 2.1.3.s2.b5): every event
    recorded up to this instant is committed and visible to what ``conn`` reads next.

    Call it before the reads it vouches for. With no write in flight it is the
    present (just before it); while writes are in flight, the instant before the
    earliest of them, or the newest committed event when that instant cannot be
    known. That is exact because writers take their first ``recorded_at`` under the
    log's lock, later than the clock at the moment they took it.

    On a read replica (lrs.db.REPLICA) it is the newest event the replica has
    replayed: the replica applies the primary's commits in commit order, which is
    position order and so ``recorded_at`` order, so every event recorded up to that
    one is there; the primary's writers in flight and its clock cannot be seen from
    there, so nothing later is promised.
    """
    if is_replica(conn):
        newest = conn.execute(_HEAD).first()
        return clock.format_utc(clock.from_micros(_after(newest.recorded_at) - 1 if newest else 0))
    if is_sqlite(conn):
        # The writers in flight first, then the snapshot: a writer that commits in
        # between is then in the snapshot, and one that starts later stamps later.
        through = _sqlite.consistent_through_us(conn.engine)
        newest = conn.execute(_HEAD).first()
        recorded_at = newest.recorded_at if newest else None
    else:
        row = conn.execute(_postgresql.CONSISTENCY).one()
        recorded_at = row.recorded_at
        through = clock.to_micros(row.now) - 1 if row.free else 0
    committed = _after(recorded_at) - 1 if recorded_at else 0
    return clock.format_utc(clock.from_micros(max(through, committed, 0)))


def head(conn: Connection) -> tuple[int, str | None]:
    """Position and recorded_at of the newest event (0, None for an empty log)."""
    row = conn.execute(_HEAD).first()
    return (row[0], row[1]) if row else (0, None)


def read_forward(
    conn: Connection,
    after: int = 0,
    limit: int = 1000,
    *,
    store_id: str | None = None,
    types: Sequence[str] | None = None,
    until: int | None = None,
) -> list[RecordedEvent]:
    """Events with position > ``after`` (and <= ``until``), in position order."""
    query = select(*_COLUMNS).where(events.c.position > after)
    if until is not None:
        query = query.where(events.c.position <= until)
    if store_id is not None:
        query = query.where(events.c.store_id == store_id)
    if types:
        query = query.where(events.c.type.in_(list(types)))
    query = query.order_by(events.c.position).limit(limit)
    return [_recorded(row) for row in conn.execute(query)]


def iter_forward(
    engine: Engine,
    after: int = 0,
    *,
    batch: int = 2000,
    store_id: str | None = None,
    types: Sequence[str] | None = None,
    until: int | None = None,
) -> Iterator[RecordedEvent]:
    """Every event after ``after``, read in batches (one short transaction each)."""
    position = after
    while True:
        with engine.connect() as conn:
            chunk = read_forward(
                conn, position, batch, store_id=store_id, types=types, until=until
            )
        if not chunk:
            return
        yield from chunk
        position = chunk[-1].position


def read_stream(conn: Connection, store_id: str, stream_id: str) -> list[RecordedEvent]:
    query = (
        select(*_COLUMNS)
        .where(events.c.store_id == store_id, events.c.stream_id == stream_id)
        .order_by(events.c.stream_version)
    )
    return [_recorded(row) for row in conn.execute(query)]


@dataclass
class VerifyReport:
    events: int = 0
    head_position: int = 0
    store_heads: dict[str, str] = field(default_factory=dict)
    store_counts: dict[str, int] = field(default_factory=dict)
    # Rows an erasure redacted (their hash is taken as stored), by erasure event id.
    redacted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        stores = ", ".join(
            f"{store}: {self.store_counts[store]} events, head {digest[:16]}"
            for store, digest in sorted(self.store_heads.items())
        )
        return (
            f"log intact: {self.events} events, positions 1..{self.head_position}, "
            f"{len(self.store_heads)} store chain(s)" + (f" ({stores})" if stores else "")
            + Redactions(confirmed=dict(self.redacted)).describe()
        )


# The columns verify reads: the ten that row_hash serialises, in its order, then the
# stored links. orjson writes a tuple as the same JSON array as a list, so a row's
# first ten values are hashed as they come, with no event object built per row.
_VERIFY_COLUMNS = (
    "position, store_id, stream_id, stream_version, event_id, type, schema_version, "
    "recorded_at, data, metadata, prev_hash, hash"
)
# store -> (its last hash, the same as bytes, its events so far)
_Heads = dict[str, tuple[str, bytes, int]]
_GENESIS_HEAD = (GENESIS, bytes.fromhex(GENESIS), 0)


def verify(
    engine: Engine,
    *,
    store_id: str | None = None,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recompute every hash; raise :class:`LogIntegrityError` at the first bad position.

    Checks that positions run 1..n without gaps (whole log), that each row links to
    its store's previous hash, that each hash recomputes, and that recorded_at
    strictly increases (each event has its own instant). A row an erasure redacted
    (lrs.log.redactions) keeps its stored hash, which cannot be recomputed: it passes
    when a later lrs.erasure event of its store lists it. With ``store_id``, only
    that store's chain is walked. ``progress`` is told the number of events of each
    batch once it verified.
    """
    # Raw DBAPI tuples from one keyset query per batch: SQLAlchemy rows and an event
    # object per row cost more than the hashing itself.
    mark = "?" if is_sqlite(engine) else "%s"
    sql = f"SELECT {_VERIFY_COLUMNS} FROM events WHERE position > {mark}"
    if store_id is not None:
        sql += f" AND store_id = {mark}"
    sql += f" ORDER BY position LIMIT {mark}"
    heads: _Heads = {}
    report = VerifyReport()
    redactions = Redactions()
    last_recorded = ""
    gaps: list[tuple[int, int]] | None = None
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        while True:
            after = report.head_position
            cursor.execute(sql, (after, batch) if store_id is None else (after, store_id, batch))
            rows = cursor.fetchall()
            # One short read transaction per batch, as iter_forward has: a walk of a
            # large log holds no snapshot that would keep SQLite from resetting its WAL.
            raw.rollback()
            if not rows:
                break
            missing = None
            if store_id is None and rows[-1][0] - after != len(rows):
                # Positions only grow, so one is missing: the rows before it are
                # checked first (an earlier error is the one to report). Positions an
                # import left out (log_gaps) are not missing.
                if gaps is None:
                    gaps = _gaps(cursor)
                    raw.rollback()
                gap, expected = first_unexplained(rows, after, gaps)
                if gap is not None:
                    missing = LogIntegrityError(
                        expected, f"missing: the next stored position is {rows[gap][0]}"
                    )
                    rows = rows[:gap]
            if rows:
                last_recorded = _verify_rows(rows, heads, last_recorded, redactions)
            if missing is not None:
                raise missing
            report.events += len(rows)
            report.head_position = rows[-1][0]
            if progress is not None:
                progress(len(rows))
        cursor.close()
    finally:
        raw.close()
    unconfirmed = redactions.first_unconfirmed()
    if unconfirmed is not None:
        raise LogIntegrityError(unconfirmed, UNCONFIRMED)
    report.redacted = dict(redactions.confirmed)
    report.store_heads = {store: head[0] for store, head in heads.items()}
    report.store_counts = {store: head[2] for store, head in heads.items()}
    return report


def _gaps(cursor: Any) -> list[tuple[int, int]]:
    cursor.execute("SELECT first_position, last_position FROM log_gaps ORDER BY first_position")
    return [(int(first), int(last)) for first, last in cursor.fetchall()]


def first_unexplained(
    rows: Sequence[Any], after: int, gaps: list[tuple[int, int]]
) -> tuple[int | None, int]:
    """The index of the first row preceded by a missing position no recorded gap
    covers, and that position; (None, 0) when every missing one is covered."""
    import bisect

    expected = after + 1
    starts = [first for first, _ in gaps]
    for index, row in enumerate(rows):
        while row[0] != expected:
            # The gap that starts at or before the expected position must reach it.
            at = bisect.bisect_right(starts, expected) - 1
            if at < 0 or gaps[at][1] < expected:
                return index, expected
            expected = min(gaps[at][1], row[0] - 1) + 1
        expected += 1
    return None, 0


def _verify_rows(
    rows: Sequence[Any], heads: _Heads, last_recorded: str, redactions: Redactions
) -> str:
    """Check rows in position order against ``heads`` (updated); the last recorded_at.

    The same computation as :func:`row_hash`, inlined: a call per row is a good part
    of the cost of the walk. The current store's head stays in locals while its
    events follow each other, so most rows touch no dict.
    """
    sha256 = hashlib.sha256
    dumps = orjson.dumps
    store: str | None = None
    prev, prev_bytes, count = _GENESIS_HEAD
    for row in rows:
        if row[1] != store:
            if store is not None:
                heads[store] = (prev, prev_bytes, count)
            store = row[1]
            prev, prev_bytes, count = heads.get(store, _GENESIS_HEAD)
        if row[10] != prev:
            raise LogIntegrityError(row[0], "prev_hash does not link to the store's previous event")
        digest = sha256(prev_bytes + dumps(row[:10]))
        prev = digest.hexdigest()
        if prev == row[11]:
            prev_bytes = digest.digest()
        elif redactions.accept(row):
            # Redacted by an erasure: the stored hash commits to the original.
            prev = row[11]
            prev_bytes = bytes.fromhex(prev)
        else:
            raise LogIntegrityError(row[0], "hash mismatch: the row was altered")
        if row[5] == ERASURE:
            redactions.erasure(row)
        recorded_at = row[7]
        # Never backwards. Equal is allowed: logs written before every event got its
        # own instant (per-event stamps) share one per transaction, and the chain,
        # not the clock, is what proves a row was not altered.
        if recorded_at < last_recorded:
            raise LogIntegrityError(row[0], "recorded_at goes backwards")
        last_recorded = recorded_at
        count += 1
    if store is not None:
        heads[store] = (prev, prev_bytes, count)
    return last_recorded
