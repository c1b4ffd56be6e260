"""The append-only, hash-chained event log.

Writers are serialised (one lock for the whole log), so positions are global,
gap-free and in commit order: a reader that has seen position N has seen every
event up to N, and ``recorded_at`` never goes backwards along positions.

Each store has its own hash chain: ``hash = sha256(prev_hash || canonical row)``,
where ``prev_hash`` is the hash of the store's previous event. An export of one
store therefore verifies on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lrs import clock
from lrs.db import WRITE, is_sqlite
from lrs.errors import Conflict, LogIntegrityError, Unavailable
from lrs.events import NewEvent, RecordedEvent
from lrs.log import _postgresql, _sqlite
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

    def __init__(
        self, conn: Connection, head_position: int, recorded_at: datetime,
        head_recorded_at: str | None = None,
    ) -> None:
        self.conn = conn
        self.head_position = head_position
        # When the log's newest committed event was recorded (None: empty log).
        self.head_recorded_at = head_recorded_at
        self.recorded_at = recorded_at
        self.recorded_at_text = clock.format_utc(recorded_at)
        self._next_position = head_position + 1
        self._store_heads: dict[str, str] = {}
        self._failed: Conflict | None = None
        self.appended: list[RecordedEvent] = []

    @property
    def last_position(self) -> int:
        return self._next_position - 1

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

    def append(self, store_id: str, new_events: Sequence[NewEvent]) -> list[RecordedEvent]:
        """Append events in order; raise Conflict and change nothing on a version clash.

        Expected versions are checked before anything is assigned, so a caller may
        catch that Conflict and go on. A clash the database finds (an event id or
        stream version already stored) may leave part of the insert behind, so it
        fails the whole transaction: the block rolls back and re-raises.
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
        for event in new_events:
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
            digest = row_hash(
                prev, position, store_id, event.stream_id, version, event.event_id, event.type,
                event.schema_version, self.recorded_at_text, event.data, event.metadata,
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
                    recorded_at=self.recorded_at_text,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
            position += 1
        try:
            self.conn.execute(_INSERT, [_as_row(row) for row in recorded])
        except IntegrityError as exc:
            self._failed = Conflict("an event with this id or stream version already exists")
            raise self._failed from exc
        self._next_position = position
        self._store_heads[store_id] = prev
        self.appended.extend(recorded)
        return recorded


def _recorded(row: Any) -> RecordedEvent:
    return RecordedEvent(
        position=row.position,
        store_id=row.store_id,
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        data=row.data,
        metadata=row.metadata,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


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

    ``recorded_at`` is taken under the lock and is strictly later than the head's,
    so stored order equals position order even when the wall clock steps back.
    Naming the ``store_id`` that will be written reads its chain head in the same
    query as the log head.
    """
    turn = (
        _sqlite.in_process_turn(engine, lock_timeout_seconds) if is_sqlite(engine) else nullcontext()
    )
    with turn, engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    _postgresql.acquire_write_lock(conn, lock_timeout_seconds)
                else:
                    _sqlite.acquire_write_lock(conn, lock_timeout_seconds)
                head = conn.execute(_HEADS, {"store_id": store_id or ""}).one()
                now = clock.utcnow()
                if head.position is None:
                    writer = LogWriter(conn, 0, now)
                else:
                    floor = clock.parse_utc(head.recorded_at) + timedelta(microseconds=1)
                    writer = LogWriter(
                        conn, head.position, max(now, floor), head_recorded_at=head.recorded_at
                    )
                if store_id is not None:
                    writer._store_heads[store_id] = head.store_hash or GENESIS
                yield writer
                if writer._failed is not None:
                    # The caller caught a database-level Conflict: nothing of this
                    # transaction may be kept.
                    raise writer._failed
        except OperationalError as exc:
            if _sqlite.is_lock_timeout(exc) or _postgresql.is_lock_timeout(exc):
                raise Unavailable("the log is busy; retry shortly") from exc
            raise


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

    def summary(self) -> str:
        stores = ", ".join(
            f"{store}: {self.store_counts[store]} events, head {digest[:16]}"
            for store, digest in sorted(self.store_heads.items())
        )
        return (
            f"log intact: {self.events} events, positions 1..{self.head_position}, "
            f"{len(self.store_heads)} store chain(s)" + (f" ({stores})" if stores else "")
        )


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
    never goes backwards. With ``store_id``, only that store's chain is walked.
    """
    report = VerifyReport()
    expected_position = 1
    last_recorded = ""
    last_hash: dict[str, str] = {}
    for event in iter_forward(engine, 0, batch=batch, store_id=store_id):
        if store_id is None and event.position != expected_position:
            raise LogIntegrityError(
                expected_position,
                f"missing: the next stored position is {event.position}",
            )
        prev = last_hash.get(event.store_id, GENESIS)
        if event.prev_hash != prev:
            raise LogIntegrityError(
                event.position, "prev_hash does not link to the store's previous event"
            )
        digest = row_hash(
            prev, event.position, event.store_id, event.stream_id, event.stream_version,
            event.event_id, event.type, event.schema_version, event.recorded_at, event.data,
            event.metadata,
        )
        if digest != event.hash:
            raise LogIntegrityError(event.position, "hash mismatch: the row was altered")
        if event.recorded_at < last_recorded:
            raise LogIntegrityError(event.position, "recorded_at goes backwards")
        last_recorded = event.recorded_at
        last_hash[event.store_id] = digest
        report.store_counts[event.store_id] = report.store_counts.get(event.store_id, 0) + 1
        report.events += 1
        report.head_position = event.position
        expected_position = event.position + 1
        if progress is not None:
            progress(1)
    report.store_heads = last_hash
    return report
