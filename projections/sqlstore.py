"""``SqlStore``: a view's rows in the projection's SQL tables (see projections.view).

Loads are one query per table and kind per chunk of keys, prefixes or index
values (row-value ``IN`` lists, which SQLite and PostgreSQL both have); writes
delete the changed keys and insert the rows that exist, through the database
driver's ``executemany`` with statements compiled once per table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, delete, select, tuple_
from sqlalchemy.sql import ColumnElement

from projections.tables import Key, Row, Table

_CHUNK = 400


def _match(columns: Sequence[Any]) -> ColumnElement[bool]:
    if len(columns) == 1:
        return columns[0].in_(bindparam("values", expanding=True))
    return tuple_(*columns).in_(bindparam("values", expanding=True))


def _values(items: Sequence[Key]) -> list[Any]:
    return [item[0] for item in items] if items and len(items[0]) == 1 else list(items)


class SqlStore:
    def __init__(self) -> None:
        self._conn: Connection | None = None
        self._compiled: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}

    def bind(self, conn: Connection) -> None:
        """The connection of the batch (reads in its snapshot, writes in its transaction)."""
        self._conn = conn

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("SqlStore.bind(conn) before reading or writing")
        return self._conn

    def _select(self, table: Table, columns: Sequence[Any], items: Sequence[Key]) -> list[Row]:
        query = select(table.sql).where(_match(columns))
        found: list[Row] = []
        for start in range(0, len(items), _CHUNK):
            chunk = _values(items[start : start + _CHUNK])
            found.extend(dict(row._mapping) for row in self.conn.execute(query, {"values": chunk}))
        return found

    def load_keys(self, table: Table, keys: Sequence[Key]) -> list[Row]:
        return self._select(table, list(table.sql.primary_key.columns), keys)

    def load_prefixes(self, table: Table, prefixes: Sequence[Key]) -> list[Row]:
        if not prefixes:
            return []
        columns = list(table.sql.primary_key.columns)[: len(prefixes[0])]
        return self._select(table, columns, prefixes)

    def load_finds(self, table: Table, index: str, values: Sequence[Key]) -> list[Row]:
        if not values:
            return []
        names = table.indexes[index][: len(values[0])]
        return self._select(table, [table.sql.c[name] for name in names], values)

    def write(self, table: Table, keys: Sequence[Key], rows: Sequence[Row]) -> None:
        conn = self.conn
        if keys:
            sql, _ = self._statement(table, "delete")
            conn.exec_driver_sql(sql, list(keys) if self._positional else [
                dict(zip(table.key_columns, key, strict=True)) for key in keys
            ])
        if rows:
            sql, names = self._statement(table, "insert")
            json = table.json_columns
            if self._positional:
                params: list[Any] = [
                    tuple(_encode(row.get(name), name in json) for name in names) for row in rows
                ]
            else:
                params = [{name: _encode(row.get(name), name in json) for name in names} for row in rows]
            conn.exec_driver_sql(sql, params)

    @property
    def _positional(self) -> bool:
        return bool(self.conn.dialect.positional)

    def _statement(self, table: Table, kind: str) -> tuple[str, tuple[str, ...]]:
        """SQL text for the driver's executemany, compiled once per table and dialect."""
        cache_key = (table.name, f"{kind}:{self.conn.dialect.name}")
        found = self._compiled.get(cache_key)
        if found is None:
            if kind == "delete":
                names = table.key_columns
                statement: Any = delete(table.sql).where(
                    and_(*(table.sql.c[name] == bindparam(name) for name in names))
                )
            else:
                names = table.columns
                statement = table.sql.insert().values({name: bindparam(name) for name in names})
            compiled = statement.compile(dialect=self.conn.dialect)
            order = tuple(compiled.positiontup or ()) if self._positional else names
            found = (str(compiled), order)
            self._compiled[cache_key] = found
        return found


def _encode(value: Any, json: bool) -> Any:
    if json and value is not None:
        return orjson.dumps(value).decode()
    return value
