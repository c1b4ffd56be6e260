"""PostgreSQL: writers serialise on a transaction-scoped advisory lock."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

# One lock for the whole log keeps positions gap-free and in commit order.
LOG_LOCK_KEY = 0x4C52_5331  # "LRS1"

# What Consistent-Through needs, in one round trip: the database's clock at the
# start of this statement, whether a writer (of any process) holds or awaits the
# log's lock, and the newest committed event. A shared try-lock answers the second
# without scanning pg_locks; it is held for no longer than this statement.
CONSISTENCY = text(
    "SELECT statement_timestamp() AS now, "
    f"CASE WHEN pg_try_advisory_lock_shared({LOG_LOCK_KEY}) "
    f"THEN pg_advisory_unlock_shared({LOG_LOCK_KEY}) ELSE false END AS free, "
    "(SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1) AS recorded_at"
)


def acquire_write_lock(conn: Connection, timeout_seconds: float) -> None:
    # Two statements in one round trip (the simple query protocol takes several
    # when there are no parameters): both are constants.
    conn.exec_driver_sql(
        f"SET LOCAL lock_timeout = '{int(timeout_seconds * 1000)}ms'; "
        f"SELECT pg_advisory_xact_lock({LOG_LOCK_KEY})"
    )


def is_lock_timeout(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == "55P03"
