"""Folding the log into projections: catch-up, checkpoints, rebuild, replay.

Each batch is read (events, then the rows they touch), folded in memory, and
written in one short transaction together with the checkpoint. The checkpoint
moves by compare-and-set (``WHERE position = <where we started>``): a worker that
lost a race, or crashed half way, leaves nothing behind, and every event counts
exactly once. An event a projection cannot handle stops that projection at that
position; it is never skipped.

On PostgreSQL each projection is also leased to one worker at a time (a session
advisory lock), so that a second worker waits instead of redoing the same batch;
when the first dies, its connection closes and the lease passes on.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from lrs import clock, log
from lrs.db import WRITE
from lrs.schema import events
from projections.base import Consumer, Projection
from projections.schema import checkpoints, metadata
from projections.sqlstore import SqlStore, StoreRefused
from projections.view import View

logger = logging.getLogger("lrs.projections")


class ProjectionError(Exception):
    """A projection could not handle the event at ``position``; it stopped there."""

    def __init__(self, name: str, position: int, reason: str) -> None:
        super().__init__(f"projection {name!r} stopped at position {position}: {reason}")
        self.name = name
        self.position = position
        self.reason = reason


class ProjectionBusy(Exception):
    """Another worker holds the projection's lease (PostgreSQL): stop it first."""


@dataclass(frozen=True)
class Status:
    name: str
    version: int
    position: int
    head: int
    updated_at: str | None
    error: str | None
    error_position: int | None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


_CHECKPOINT = select(checkpoints).where(checkpoints.c.name == bindparam("name"))
_ADVANCE = (
    update(checkpoints)
    .where(
        checkpoints.c.name == bindparam("b_name"),
        checkpoints.c.position == bindparam("b_from"),
        checkpoints.c.version == bindparam("b_version"),
    )
    .values(position=bindparam("position"), updated_at=bindparam("updated_at"), error=None, error_position=None)
)


def _is_consumer(projection: Any) -> bool:
    return hasattr(projection, "consume")


def _version(projection: Any) -> int:
    # A consumer that acts has no tables to rebuild: its version never changes.
    return int(getattr(projection, "version", 0))


def _bounded_head(source: Connection, until: int | None) -> int:
    head = log.head(source)[0]
    return head if until is None else min(head, until)


_paused = 0
_was_enabled = True
_paused_lock = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch is folded and written.

    A batch allocates a few million small dicts, lists and tuples (parsed
    statements, rows, keys) that form no cycles: reference counting frees them.
    The collector, counting allocations, still ran full passes over them and the
    view's cached rows, which took a quarter of the CPU of a rebuild. The pause
    is per batch (a fraction of a second) and counted, so that folds in two
    threads (a replay beside the background runner) turn it back on only when
    the last one ends, and only if it was on before the first began.
    """
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def _lease_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"lrs-projection:{name}".encode()).digest()[:8], "big", signed=True)


class Runner:
    """Folds the log of ``source`` into the projections' tables in ``target``.

    ``target`` is the same database in normal operation, and a scratch database
    for a replay as of a past moment.
    """

    def __init__(
        self,
        source: Engine,
        projections: Sequence[Projection | Consumer],
        *,
        target: Engine | None = None,
        batch: int = 2000,
    ) -> None:
        self.source = source
        self.target = target or source
        self.projections: dict[str, Any] = {p.name: p for p in projections}
        self.batch = batch
        folding: list[Any] = [p for p in projections if not _is_consumer(p)]
        self.stores = {p.name: SqlStore() for p in folding}
        self.views = {p.name: View(p.tables, self.stores[p.name]) for p in folding}
        self._lease_connections: dict[str, Connection] = {}
        # The checkpoint each view's cached rows reflect (None: unknown). The cache
        # is trusted only when the checkpoint is still there: another worker, a
        # reset, or a batch whose commit failed all make it stale.
        self._cached_at: dict[str, int | None] = {p.name: None for p in projections}

    def add(self, consumer: Consumer) -> None:
        """Run one more consumer (or a new version of one, under the same name):
        consumers can come and go while the runner lives (forwarding targets)."""
        self.projections[consumer.name] = consumer
        self._cached_at.setdefault(consumer.name, None)

    def drop(self, name: str) -> None:
        """Stop running a consumer; its lease, if held, passes on."""
        self.projections.pop(name, None)
        self._cached_at.pop(name, None)
        conn = self._lease_connections.pop(name, None)
        if conn is not None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lease_key(name)})
            except Exception:
                conn.invalidate()
            conn.close()

    # ---------------------------------------------------------------- checkpoints

    def _checkpoint(self, conn: Connection, projection: Projection | Consumer) -> Any:
        row = conn.execute(_CHECKPOINT, {"name": projection.name}).first()
        if row is not None:
            return row
        # First use: create it (``conn`` may hold a snapshot that cannot see it).
        try:
            with self._write() as wconn:
                if wconn.execute(_CHECKPOINT, {"name": projection.name}).first() is None:
                    wconn.execute(
                        checkpoints.insert().values(
                            name=projection.name, version=_version(projection), position=0,
                            updated_at=clock.format_utc(clock.utcnow()),
                        )
                    )
        except IntegrityError:
            pass  # another worker created it at the same moment (PostgreSQL)
        with self.target.connect() as rconn:
            return rconn.execute(_CHECKPOINT, {"name": projection.name}).first()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.target.connect() as conn:
            conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn

    def reset(self, name: str) -> None:
        """Forget everything the projection built; it starts again from position 0."""
        projection = self.projections[name]
        with self._write() as conn:
            for table in getattr(projection, "tables", ()):
                conn.execute(delete(table.sql))
            conn.execute(delete(checkpoints).where(checkpoints.c.name == name))
            conn.execute(
                checkpoints.insert().values(
                    name=name, version=_version(projection), position=0,
                    updated_at=clock.format_utc(clock.utcnow()),
                )
            )
        if name in self.views:
            self.views[name].discard()

    def status(self) -> list[Status]:
        with self.source.connect() as conn:
            head = log.head(conn)[0]
        out = []
        with self.target.connect() as conn:
            for projection in self.projections.values():
                row = self._checkpoint(conn, projection)
                out.append(
                    Status(
                        name=projection.name, version=row.version, position=row.position,
                        head=head, updated_at=row.updated_at, error=row.error,
                        error_position=row.error_position,
                    )
                )
        return out

    def position(self, name: str) -> int:
        with self.target.connect() as conn:
            return int(self._checkpoint(conn, self.projections[name]).position)

    # ------------------------------------------------------------------- folding

    def step(self, name: str, until: int | None = None, store_id: str | None = None) -> int:
        """Fold (or deliver) one batch; returns how far the checkpoint moved (0: caught up)."""
        projection = self.projections[name]
        version = _version(projection)
        with self.target.connect() as conn:
            recorded = self._checkpoint(conn, projection).version
        if recorded != version:
            # New code folds differently: what the old one built is rebuilt from zero.
            logger.info("projection %s: version %s -> %s, rebuilding", name, recorded, version)
            self.reset(name)
        if _is_consumer(projection):
            return self._deliver(projection, until, store_id)
        with _collector_paused():
            return self._fold(projection, version, until, store_id)

    def _fold(self, projection: Projection, version: int, until: int | None, store_id: str | None) -> int:
        name = projection.name
        view, store = self.views[name], self.stores[name]
        with self.source.connect() as source, self.target.connect() as target, target.begin():
            start = int(self._checkpoint(target, projection).position)
            if self._cached_at[name] != start:
                view.discard()
            head = _bounded_head(source, until)
            if start >= head:
                return 0
            batch = log.read_forward(
                source, start, self.batch, types=sorted(projection.event_types), until=head,
                store_id=store_id,
            )
            store.bind(target)
            self._cached_at[name] = None  # the cache changes ahead of the tables now
            current = start + 1
            try:
                projection.preload(batch, view)
                for event in batch:
                    current = event.position
                    projection.handle(event, view)
                current = batch[-1].position if batch else current
                projection.settle(view)
            except Exception as exc:
                view.discard()
                self._record_error(name, current, f"{type(exc).__name__}: {exc}")
                raise ProjectionError(name, current, f"{type(exc).__name__}: {exc}") from exc
        # Fewer events than a full batch means everything up to ``head`` was read.
        end = batch[-1].position if len(batch) == self.batch else head
        try:
            with self._write() as conn:
                if not self._advance(conn, name, version, start, end):
                    # Another worker moved the checkpoint: our batch is not ours to write.
                    view.discard()
                    return 0
                store.bind(conn)
                view.flush()
        except (DBAPIError, StoreRefused) as exc:
            # The rows of this batch could not be written (the database refused one):
            # the projection is stuck here, and status must say so.
            view.discard()
            self._cached_at[name] = None
            cause = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
            reason = f"writing the batch after position {start} failed: {cause.splitlines()[0]}"
            self._record_error(name, start + 1, reason)
            raise ProjectionError(name, start + 1, reason) from exc
        self._cached_at[name] = end
        return end - start

    def _deliver(self, consumer: Consumer, until: int | None, store_id: str | None) -> int:
        """A consumer's batch: delivered, then the checkpoint moves (at least once)."""
        with self.source.connect() as source, self.target.connect() as target:
            start = int(self._checkpoint(target, consumer).position)
            head = _bounded_head(source, until)
            if start >= head:
                return 0
            batch = log.read_forward(
                source, start, self.batch, types=sorted(consumer.event_types), until=head,
                store_id=store_id,
            )
        if batch:
            try:
                consumer.consume(batch)
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                self._record_error(consumer.name, batch[0].position, reason)
                raise ProjectionError(consumer.name, batch[0].position, reason) from exc
        end = batch[-1].position if len(batch) == self.batch else head
        with self._write() as conn:
            if not self._advance(conn, consumer.name, _version(consumer), start, end):
                return 0
        return end - start

    def _advance(self, conn: Connection, name: str, version: int, start: int, end: int) -> bool:
        """Compare-and-set the checkpoint from ``start`` to ``end``."""
        moved = conn.execute(
            _ADVANCE,
            {
                "b_name": name, "b_from": start, "b_version": version,
                "position": end, "updated_at": clock.format_utc(clock.utcnow()),
            },
        ).rowcount
        return bool(moved == 1)

    def _record_error(self, name: str, position: int, reason: str) -> None:
        with self._write() as conn:
            conn.execute(
                update(checkpoints)
                .where(checkpoints.c.name == name)
                .values(error=reason[:2000], error_position=position)
            )

    def catch_up(
        self,
        names: Iterable[str] | None = None,
        *,
        until: int | None = None,
        store_id: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, int]:
        """Fold every projection (or ``names``) up to the head (or ``until``)."""
        reached = {}
        for name in names or list(self.projections):
            with self._lease(name) as leased:
                if not leased:
                    continue  # another worker holds this projection
                while True:
                    moved = self.step(name, until, store_id)
                    if progress is not None and moved:
                        progress(moved)
                    if not moved:
                        break
            reached[name] = self.position(name)
        return reached

    @contextmanager
    def _lease(self, name: str) -> Iterator[bool]:
        if self.target.dialect.name != "postgresql":
            yield True
            return
        conn = self._lease_connections.get(name)
        if conn is None:
            conn = self.target.connect()
            conn.execution_options(isolation_level="AUTOCOMMIT")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lease_key(name)}).scalar()
            if not got:
                conn.close()
                yield False
                return
            self._lease_connections[name] = conn
        yield True

    def release(self) -> None:
        for name, conn in self._lease_connections.items():
            # Closing alone would return the session to the pool, still holding its
            # advisory lock: unlock it (or end the session), so that the lease passes on.
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lease_key(name)})
            except Exception:
                conn.invalidate()
            conn.close()
        self._lease_connections.clear()

    def rebuild(self, name: str, progress: Callable[[int], None] | None = None) -> int:
        with self._lease(name) as leased:
            if not leased:
                raise ProjectionBusy(
                    f"projection {name!r} is leased by another worker; stop it, then rebuild"
                )
            self.reset(name)
            return self.catch_up([name], progress=progress)[name]


def folded_position(conn: Connection, projection: Projection) -> int | None:
    """The position ``conn``'s copy of the view reflects, read without writing (a read
    replica cannot write); None when it has no checkpoint, or one of another version
    of the projection (folded by other code, its rows may not mean what this code's
    queries expect)."""
    row = conn.execute(_CHECKPOINT, {"name": projection.name}).first()
    if row is None or row.version != _version(projection):
        return None
    return int(row.position)


def position_at(engine: Engine, moment: str) -> int:
    """The last log position recorded at or before an instant (fixed-width UTC text)."""
    with engine.connect() as conn:
        value = conn.execute(
            select(func.coalesce(func.max(events.c.position), 0)).where(events.c.recorded_at <= moment)
        ).scalar_one()
    return int(value)


def replay(
    source: Engine,
    projection: Projection,
    target: Engine,
    *,
    until: int,
    store_id: str | None = None,
    batch: int = 2000,
) -> Runner:
    """Build ``projection`` in ``target`` from the log up to position ``until``.

    The target is a scratch database (a file or in-memory SQLite): its tables are
    laid out from the projections' metadata. Voiding is honoured as of that
    moment: a statement voided later still counts.
    """
    metadata.create_all(target, tables=[checkpoints, *(t.sql for t in projection.tables)])
    runner = Runner(source, [projection], target=target, batch=batch)
    runner.catch_up(until=until, store_id=store_id)
    return runner


class BackgroundRunner:
    """Catch-up in a thread of ``lrs serve`` (embedded use); woken after writes."""

    def __init__(self, runner: Runner, interval: float = 1.0) -> None:
        self.runner = runner
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lrs-projections", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self.runner.release()

    def _loop(self) -> None:
        # Inside `lrs serve`, folding shares the process with the API: after each
        # batch it rests for as long again, so a backlog never takes more than about
        # half of the process from requests.
        while not self._stop.is_set():
            try:
                for name in list(self.runner.projections):
                    with self.runner._lease(name) as leased:
                        while leased and not self._stop.is_set():
                            started = time.monotonic()
                            if not self.runner.step(name):
                                break
                            self._stop.wait(time.monotonic() - started)
            except ProjectionError as exc:
                logger.error("%s", exc)
            except Exception:
                logger.exception("projection catch-up failed; retrying")
            self._wake.wait(self.interval)
            self._wake.clear()


def wait_for(runner: Runner, name: str, position: int, timeout: float) -> int:
    """Wait until the projection reflects ``position``; returns where it is."""
    deadline = time.monotonic() + timeout
    reached = runner.position(name)
    while reached < position and time.monotonic() < deadline:
        time.sleep(0.05)
        reached = runner.position(name)
    return reached
