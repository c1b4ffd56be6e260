"""``SqlStore``: a view's rows in the projection's SQL tables (see projections.view).

This is the inner loop of every catch-up, rebuild and replay, so it talks to the
database driver directly, with SQL text built once per table and shape: loads are
one query per table and kind per chunk of keys, prefixes or index values
(row-value ``IN`` lists, which SQLite and PostgreSQL both have); writes are one
``executemany`` of upserts (``INSERT ... ON CONFLICT DO UPDATE``, both dialects)
and one of deletes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Boolean, Connection

from projections.tables import Json, Key, Row, Table

_CHUNK = 256


def _decoder(column: Any) -> Callable[[Any], Any] | None:
    if isinstance(column.type, Json):
        return lambda value: None if value is None else orjson.loads(value)
    if isinstance(column.type, Boolean):
        # SQLite hands booleans back as 0 and 1.
        return lambda value: None if value is None else bool(value)
    return None


class _Shape:
    """What the store needs to know of one table, worked out once."""

    def __init__(self, table: Table, dialect: Any) -> None:
        self.table = table
        self.dialect = dialect
        placeholder = self.placeholder = "?" if dialect.name == "sqlite" else "%s"
        self.columns = table.columns
        self.decoders = [(i, d) for i, c in enumerate(table.sql.columns) if (d := _decoder(c))]
        self.json = [i for i, c in enumerate(table.sql.columns) if isinstance(c.type, Json)]
        self.selects: dict[tuple[tuple[str, ...], int], str] = {}
        # Every column, in order: a row must have them all.
        self.values = operator.itemgetter(*self.columns)
        names = ", ".join(self.columns)
        marks = ", ".join([placeholder] * len(self.columns))
        keys = ", ".join(table.key_columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in self.columns if c not in table.key_columns)
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        self.upsert = f"INSERT INTO {table.name} ({names}) VALUES ({marks}) ON CONFLICT ({keys}) {conflict}"
        where = " AND ".join(f"{c} = {placeholder}" for c in table.key_columns)
        self.delete = f"DELETE FROM {table.name} WHERE {where}"

    def select(self, match: tuple[str, ...], count: int) -> str:
        """SELECT of the rows whose ``match`` columns equal one of ``count`` value tuples.

        Several columns are matched by joining a VALUES list: SQLite scans the whole
        table for a row-value IN list, but looks each joined row up in the index.
        """
        sql = self.selects.get((match, count))
        if sql is None:
            columns = ", ".join(f"t.{c}" for c in self.columns)
            nullable = [self.table.sql.c[c].nullable for c in match]
            if len(match) == 1 and not nullable[0]:
                marks = ", ".join([self.placeholder] * count)
                sql = f"SELECT {columns} FROM {self.table.name} t WHERE t.{match[0]} IN ({marks})"
            else:
                one = "(" + ", ".join(self.typed(c) for c in match) + ")"
                names = ", ".join(f"v{i}" for i in range(len(match)))
                # An index value may be NULL, and a find for it must find it.
                on = " AND ".join(
                    f"(t.{c} = v.v{i} OR (t.{c} IS NULL AND v.v{i} IS NULL))" if nullable[i]
                    else f"t.{c} = v.v{i}"
                    for i, c in enumerate(match)
                )
                sql = (
                    f"WITH v({names}) AS (VALUES {', '.join([one] * count)}) "
                    f"SELECT {columns} FROM v JOIN {self.table.name} t ON {on}"
                )
            self.selects[(match, count)] = sql
        return sql

    def typed(self, column: str) -> str:
        # PostgreSQL types a VALUES list as text unless told otherwise.
        if self.placeholder == "?":
            return "?"
        return f"CAST(%s AS {self.table.sql.c[column].type.compile(dialect=self.dialect)})"

    def decode(self, found: Sequence[Any]) -> Row:
        values = list(found)
        for index, decode in self.decoders:
            values[index] = decode(values[index])
        return dict(zip(self.columns, values, strict=True))

    def encode(self, row: Row) -> list[Any]:
        values = list(self.values(row))
        for index in self.json:
            if values[index] is not None:
                values[index] = orjson.dumps(values[index]).decode()
        return values


class StoreRefused(Exception):
    """The database refused a read or write of the store (a driver error)."""


class SqlStore:
    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._shapes: dict[tuple[str, str], _Shape] = {}

    def bind(self, conn: Connection) -> None:
        """The connection of the batch (reads in its snapshot, writes in its transaction)."""
        self._conn = conn

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("SqlStore.bind(conn) before reading or writing")
        return self._conn

    def _shape(self, table: Table) -> _Shape:
        dialect = self.conn.dialect.name
        shape = self._shapes.get((table.name, dialect))
        if shape is None:
            shape = _Shape(table, self.conn.dialect)
            self._shapes[(table.name, dialect)] = shape
        return shape

    def _select(self, table: Table, match: tuple[str, ...], items: Sequence[Key]) -> list[Row]:
        shape = self._shape(table)
        found: list[Row] = []
        with self._cursor() as cursor:
            for start in range(0, len(items), _CHUNK):
                chunk = list(items[start : start + _CHUNK])
                # A few statement shapes only: pad the chunk to a power of two.
                size = 1 << (len(chunk) - 1).bit_length()
                chunk.extend([chunk[-1]] * (size - len(chunk)))
                params = [value for item in chunk for value in item]
                cursor.execute(shape.select(match, size), params)
                found.extend(shape.decode(row) for row in cursor.fetchall())
        return found

    def load_keys(self, table: Table, keys: Sequence[Key]) -> list[Row]:
        return self._select(table, table.key_columns, keys)

    def load_prefixes(self, table: Table, prefixes: Sequence[Key]) -> list[Row]:
        if not prefixes:
            return []
        return self._select(table, table.key_columns[: len(prefixes[0])], prefixes)

    def load_finds(self, table: Table, index: str, values: Sequence[Key]) -> list[Row]:
        if not values:
            return []
        return self._select(table, table.indexes[index][: len(values[0])], values)

    def write(self, table: Table, keys: Sequence[Key], rows: Sequence[Row]) -> None:
        shape = self._shape(table)
        kept = {table.key_of(row) for row in rows}
        gone = [key for key in keys if key not in kept]
        with self._cursor() as cursor:
            if gone:
                cursor.executemany(shape.delete, gone)
            if rows:
                cursor.executemany(shape.upsert, [shape.encode(row) for row in rows])

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor of the driver (this is the hot loop), its errors as StoreRefused."""
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            yield cursor
        except self.conn.dialect.loaded_dbapi.Error as exc:
            raise StoreRefused(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
        finally:
            cursor.close()
