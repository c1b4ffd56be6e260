"""Engine creation and the few per-dialect settings the log relies on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url

# Execution option that marks a connection as a log writer (SQLite: BEGIN IMMEDIATE).
WRITE = "lrs_write"
# Execution option of a read replica's engine: what its connections read is the
# primary's log as far as the replica has replayed it, and nothing in flight on the
# primary can be seen from there (lrs.log.consistent_through, lrs.reads).
REPLICA = "lrs_replica"


def make_engine(database_url: str, *, lock_timeout_seconds: float = 30.0, **kwargs: Any) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database_url, lock_timeout_seconds, **kwargs)
    if url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 30)
        kwargs.setdefault("pool_pre_ping", True)
        # An executemany INSERT (the rows of one table in a group commit) goes to
        # psycopg's executemany, which pipelines the rows of a prepared statement in
        # one round trip. SQLAlchemy's multi-row INSERT ... VALUES rewriting
        # ("insertmanyvalues" without RETURNING) was measured 5-10% slower per
        # statement here (a new statement text to parse and plan for each row count).
        return create_engine(database_url, **kwargs)
    raise ValueError(f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql")


def _sqlite_engine(database_url: str, lock_timeout_seconds: float, **kwargs: Any) -> Engine:
    url = make_url(database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Enough connections for the API's worker threads (40), the writer and the
    # projector to keep theirs: an overflow connection is closed after each use, and
    # opening one (with its PRAGMAs) costs more than the query it serves.
    kwargs.setdefault("pool_size", 48)
    kwargs.setdefault("max_overflow", 16)
    engine = create_engine(database_url, **kwargs)
    busy_ms = int(lock_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN IMMEDIATE is
        # ours to issue (SQLAlchemy's documented recipe for serialisable writes).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # REPLACE deletes the row it replaces without firing DELETE triggers unless
        # recursive triggers are on; with them, the append-only triggers see it.
        cursor.execute("PRAGMA recursive_triggers=ON")
        # Truncate the write-ahead log back to 64 MiB after checkpoints; without a
        # limit it keeps the largest size it ever reached.
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers lock at BEGIN, so that reading the log head and appending after
        # it happen under one lock; readers take a WAL snapshot without blocking.
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def make_replica_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine on a read replica of the log's database, marked as one (REPLICA)."""
    if make_url(database_url).get_backend_name() == "postgresql":
        # A replica that does not answer is passed over (lrs.reads): soon.
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
    return make_engine(database_url, **kwargs).execution_options(**{REPLICA: True})


def is_replica(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get(REPLICA))


def fetch_one(engine: Engine, sql: str, params: tuple[Any, ...]) -> Any:
    """One row of a simple read, on a raw pooled DBAPI connection.

    ``sql`` uses ``?`` placeholders (rewritten to ``%s`` for psycopg). The row is a
    named tuple-like object with the selected columns as attributes, or None.
    """
    if engine.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, params)
        found = cursor.fetchone()
        names = [column[0] for column in cursor.description or ()]
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return None if found is None else _Row(zip(names, found, strict=True))


class _Row(dict[str, Any]):
    __getattr__ = dict.__getitem__


def copy_rows(conn: Connection, table: Table, rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: insert ``rows`` (values in the table's column order) with COPY, in
    ``conn``'s transaction: one stream, where an executemany handles each row in
    Python. Plain inserts only: no defaults, no ON CONFLICT."""
    columns = ", ".join(f'"{column.name}"' for column in table.columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def is_sqlite(conn_or_engine: Connection | Engine) -> bool:
    return conn_or_engine.dialect.name == "sqlite"


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for a multi-query read (WAL snapshot / one transaction)."""
    with engine.connect() as conn, conn.begin():
        yield conn
