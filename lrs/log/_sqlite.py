"""SQLite: the write lock is taken by BEGIN IMMEDIATE (see lrs.db)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

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


def acquire_write_lock(conn: Connection, timeout_seconds: float) -> None:
    # Already held: the "begin" hook issued BEGIN IMMEDIATE, which waits up to
    # busy_timeout for other writers.
    del conn, timeout_seconds


def is_lock_timeout(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig)
