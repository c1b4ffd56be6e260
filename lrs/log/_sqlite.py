"""SQLite: the write lock is taken by BEGIN IMMEDIATE (see lrs.db); the writers of
this process take turns before it and say when they are in flight."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lrs import clock
from lrs.errors import Unavailable

_turns: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_turns_guard = threading.Lock()


@contextmanager
def in_process_turn(engine: Engine, timeout_seconds: float) -> Iterator[None]:
    """Writers of one process take turns on a lock of their own before BEGIN IMMEDIATE.

    SQLite's busy handler polls with sleeps that grow to 100 ms, so writers queued on
    the database lock wake late and in no order: that made the slowest hundredth of
    document writes wait hundreds of milliseconds. A thread lock hands over at once.
    Other processes (a projector, the CLI) still meet at the database lock.
    """
    with _turns_guard:
        turn = _turns.setdefault(engine, threading.Lock())
    if not turn.acquire(timeout=timeout_seconds):
        raise Unavailable("the log is busy; retry shortly")
    try:
        yield
    finally:
        turn.release()


class Flight:
    """One write of this process, from before it queues for the lock until it ends."""

    __slots__ = ("first_us", "writers")

    def __init__(self, writers: _Writers) -> None:
        self.writers = writers
        self.first_us: int | None = None

    def start(self, after_us: int) -> int:
        """The write's first recorded_at: now, after the head and after every
        Consistent-Through already given (so a clock that steps back cannot break a
        promise), taken where readers see it at once."""
        with self.writers.lock:
            first = max(clock.to_micros(clock.utcnow()), after_us, self.writers.promised + 1)
            self.first_us = first
        return first


class _Writers:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flights: set[Flight] = set()
        # The latest Consistent-Through this process has given.
        self.promised = 0


_writers: dict[str, _Writers] = {}
_writers_guard = threading.Lock()


def _writers_of(engine: Engine) -> _Writers:
    # By database, not by engine: several engines of one process may share a file.
    name = engine.url.database or ""
    with _writers_guard:
        return _writers.setdefault(name, _Writers())


@contextmanager
def in_flight(engine: Engine) -> Iterator[Flight]:
    """Announce a write until it has committed or rolled back."""
    writers = _writers_of(engine)
    flight = Flight(writers)
    with writers.lock:
        writers.flights.add(flight)
    try:
        yield flight
    finally:
        with writers.lock:
            writers.flights.discard(flight)


def consistent_through_us(engine: Engine) -> int:
    """Just before now, or before the first instant of a write in flight.

    A write that has announced itself but not yet stamped will stamp later than
    this reading of the clock (Flight.start takes the same lock), so it does not
    hold the answer back. Writes of other processes are not seen here: statements
    reach a SQLite store through one server process.
    """
    writers = _writers_of(engine)
    with writers.lock:
        through = clock.to_micros(clock.utcnow()) - 1
        for flight in writers.flights:
            if flight.first_us is not None:
                through = min(through, flight.first_us - 1)
        writers.promised = max(writers.promised, through)
    return through


def acquire_write_lock(conn: Connection, timeout_seconds: float) -> None:
    # Already held: the "begin" hook issued BEGIN IMMEDIATE, which waits up to
    # busy_timeout for other writers.
    del conn, timeout_seconds


def is_lock_timeout(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig)
