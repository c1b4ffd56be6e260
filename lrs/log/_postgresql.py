"""PostgreSQL: writers serialise on a transaction-scoped advisory lock."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

# One lock for the whole log keeps positions gap-free and in commit order.
LOG_LOCK_KEY = 0x4C52_5331  # "LRS1"


def acquire_write_lock(conn: Connection, timeout_seconds: float) -> None:
    conn.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_seconds * 1000)}ms'"))
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY})


def is_lock_timeout(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "55P03"
