"""SQLite: the write lock is taken by BEGIN IMMEDIATE (see lrs.db)."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError


def acquire_write_lock(conn: Connection, timeout_seconds: float) -> None:
    # Already held: the "begin" hook issued BEGIN IMMEDIATE, which waits up to
    # busy_timeout for other writers.
    del conn, timeout_seconds


def is_lock_timeout(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig)
