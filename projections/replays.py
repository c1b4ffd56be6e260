"""``asOf`` answers: a view replayed from the log, per store, into scratch SQLite files.

A view as it stood at position P is the projection folded over the store's events
up to P (voidings after P not applied). Folding from zero on every request would
make each new ``asOf`` cost the whole store, and anyone with read access could
keep a server busy with them. So replays start from **snapshots**: while a replay
passes through the store's history it keeps a copy of the view every
``snapshot_every`` events of that store (more apart in a long history, so that at
most ``snapshots_kept`` copies exist per store); a later ``asOf`` copies the
nearest snapshot before its position and folds only what lies between. The first
replay of a store pays for its history once; every later one folds at most one
interval.

Replays of one store and view take turns (a lock each), different stores replay
side by side, and no more than ``parallel`` replays run at once in the process:
past that a request waits a while, then answers 503.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

from lrs.db import make_engine
from lrs.errors import Unavailable
from lrs.schema import event_redactions, events
from projections.base import Projection
from projections.runner import Runner
from projections.schema import checkpoints, metadata


@dataclass
class _Answer:
    engine: Engine
    path: Path
    readers: int = 0


@dataclass
class _Store:
    """The replays of one view of one store."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # position -> file holding the view as of that position
    snapshots: dict[int, Path] = field(default_factory=dict)
    answers: OrderedDict[int, _Answer] = field(default_factory=OrderedDict)
    # The store's latest erasure these were built after (lrs.erasure): a later one
    # makes them stale, they were folded from payloads it redacted.
    erasure_mark: int | None = None


# The store's latest erasure (lrs.erasure). Snapshots are reused by position, and a
# position before an erasure stays the same position after it: only this tells them
# apart.
ERASURE_MARK = select(func.max(event_redactions.c.erasure_position))


class Replays:
    def __init__(
        self,
        source: Engine,
        projections: dict[str, Projection],
        scratch: Path,
        *,
        snapshot_every: int = 2000,
        snapshots_kept: int = 16,
        answers_kept: int = 4,
        parallel: int = 2,
        wait_seconds: float = 30.0,
        batch: int = 2000,
    ) -> None:
        self.source = source
        self.projections = projections
        self.scratch = scratch
        self.snapshot_every = snapshot_every
        self.snapshots_kept = snapshots_kept
        self.answers_kept = answers_kept
        self.wait_seconds = wait_seconds
        self.batch = batch
        self._running = threading.BoundedSemaphore(parallel)
        self._stores: dict[tuple[str, str], _Store] = {}
        self._guard = threading.Lock()
        self._files = 0

    @contextmanager
    def reading(self, name: str, store_id: str, position: int) -> Iterator[Connection]:
        """A connection to the view of ``store_id`` as of log ``position``."""
        with self._guard:
            store = self._stores.setdefault((name, store_id), _Store())
        with self.source.connect() as conn:
            mark = conn.execute(
                ERASURE_MARK.where(event_redactions.c.store_id == store_id)
            ).scalar()
        with store.lock:
            if mark != store.erasure_mark:
                self._forget_all(store)
                store.erasure_mark = mark
            answer = store.answers.get(position)
            if answer is None:
                answer = self._build(name, store_id, store, position)
                store.answers[position] = answer
            store.answers.move_to_end(position)
            answer.readers += 1
        try:
            with answer.engine.connect() as conn:
                yield conn
        finally:
            with store.lock:
                answer.readers -= 1
                self._forget_answers(store)

    def close(self) -> None:
        with self._guard:
            stores = list(self._stores.values())
            self._stores.clear()
        for store in stores:
            for answer in store.answers.values():
                answer.engine.dispose()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # ------------------------------------------------------------------ building

    def _build(self, name: str, store_id: str, store: _Store, position: int) -> _Answer:
        if not self._running.acquire(timeout=self.wait_seconds):
            raise Unavailable("too many asOf replays are running; retry shortly")
        try:
            base = max((p for p in store.snapshots if p <= position), default=None)
            path = self._new_file(name, store_id, position)
            if base is not None:
                _copy(store.snapshots[base], path)
            engine = make_engine(f"sqlite:///{path}")
            if base is None:
                tables = [metadata.tables[t.name] for t in self.projections[name].tables]
                metadata.create_all(engine, tables=[checkpoints, *tables])
            runner = Runner(self.source, [self.projections[name]], target=engine, batch=self.batch)
            for stop in self._snapshot_positions(name, store_id, store, base or 0, position):
                runner.catch_up(until=stop, store_id=store_id)
                self._keep_snapshot(name, store_id, store, stop, path)
            runner.catch_up(until=position, store_id=store_id)
            return _Answer(engine, path)
        finally:
            self._running.release()

    def _snapshot_positions(
        self, name: str, store_id: str, store: _Store, after: int, until: int
    ) -> list[int]:
        """Where to keep snapshots between ``after`` and ``until``: after every
        interval of the store's events, the interval wide enough that the whole
        history fits in ``snapshots_kept`` copies."""
        if len(store.snapshots) >= self.snapshots_kept:
            return []
        types = sorted(self.projections[name].event_types)
        relevant = (events.c.store_id == store_id) & events.c.type.in_(types)
        with self.source.connect() as conn:
            total = conn.execute(select(func.count()).where(relevant)).scalar_one()
            every = max(self.snapshot_every, -(-total // self.snapshots_kept))
            stops: list[int] = []
            start = after
            while len(stops) + len(store.snapshots) < self.snapshots_kept:
                stop = conn.execute(
                    select(events.c.position)
                    .where(relevant, events.c.position > start, events.c.position < until)
                    .order_by(events.c.position)
                    .offset(every - 1)
                    .limit(1)
                ).scalar()
                if stop is None:
                    break
                stops.append(stop)
                start = stop
        return stops

    def _keep_snapshot(
        self, name: str, store_id: str, store: _Store, position: int, answer: Path
    ) -> None:
        if position in store.snapshots:
            return
        snapshot = self._new_file(name, store_id, position, kind="snapshot")
        _copy(answer, snapshot)
        store.snapshots[position] = snapshot

    def _new_file(self, name: str, store_id: str, position: int, kind: str = "asof") -> Path:
        with self._guard:
            self._files += 1
            number = self._files
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / f"{kind}-{name}-{store_id}-{position}-{number}.sqlite3"

    def _forget_all(self, store: _Store) -> None:
        """Drop every snapshot and every answer not being read (one being read goes
        when its reader is done: it is no longer listed)."""
        for path in store.snapshots.values():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        store.snapshots.clear()
        answers = list(store.answers.values())
        store.answers.clear()
        for answer in answers:
            if answer.readers == 0:
                answer.engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{answer.path}{suffix}").unlink(missing_ok=True)

    def _forget_answers(self, store: _Store) -> None:
        """Keep the newest answers; an answer still being read stays until it is not."""
        idle = [p for p, a in store.answers.items() if a.readers == 0]
        for position in idle[: max(len(store.answers) - self.answers_kept, 0)]:
            answer = store.answers.pop(position)
            answer.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{answer.path}{suffix}").unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file (its write-ahead log included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
