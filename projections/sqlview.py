"""``SqlView``: the MemoryView semantics in front of a projection's SQL tables.

Rows are read on first use (in bulk when the projection says which keys a batch
needs), changed in memory, and written by ``flush`` inside the transaction that
also moves the checkpoint. The cache outlives a batch: the runner is the only
writer of these tables while it holds the checkpoint, so cached rows stay true;
``discard`` drops everything when that no longer holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, select
from sqlalchemy import Table as SqlTable

from projections.base import Table

_CHUNK = 500


class SqlView:
    def __init__(self, tables: Mapping[str, tuple[Table, SqlTable]], max_cached: int = 20_000) -> None:
        self.tables = dict(tables)
        self.max_cached = max_cached
        self._rows: dict[str, dict[str, dict[str, Any] | None]] = {name: {} for name in tables}
        self._dirty: dict[str, set[str]] = {name: set() for name in tables}
        self._conn: Connection | None = None
        self._select = {
            name: select(sql).where(sql.c.key.in_(bindparam("keys", expanding=True)))
            for name, (_, sql) in tables.items()
        }
        self._delete = {
            name: delete(sql).where(sql.c.key.in_(bindparam("keys", expanding=True)))
            for name, (_, sql) in tables.items()
        }

    def bind(self, conn: Connection) -> None:
        """The connection rows are read through (set per batch by the runner)."""
        self._conn = conn

    # ------------------------------------------------------------- View protocol

    def get(self, table: Table, key: str) -> dict[str, Any] | None:
        rows = self._rows[table.name]
        if key not in rows:
            self.load(table, [key])
        row = rows[key]
        return dict(row) if row is not None else None

    def put(self, table: Table, row: dict[str, Any]) -> None:
        key = table.key_of(row)
        self._rows[table.name][key] = dict(row)
        self._dirty[table.name].add(key)

    def delete(self, table: Table, key: str) -> None:
        self._rows[table.name][key] = None
        self._dirty[table.name].add(key)

    # --------------------------------------------------------------- bulk access

    def load(self, table: Table, keys: Iterable[str]) -> None:
        """Read the rows of ``keys`` not cached yet (absent rows are cached as None)."""
        rows = self._rows[table.name]
        missing = sorted({key for key in keys if key not in rows})
        if not missing:
            return
        if self._conn is None:
            raise RuntimeError("SqlView.bind(conn) before reading")
        spec, _ = self.tables[table.name]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            for key in chunk:
                rows[key] = None
            for found in self._conn.execute(self._select[table.name], {"keys": chunk}):
                data = dict(found._mapping)
                data.pop("key")
                for column in spec.json:
                    if data.get(column) is not None:
                        data[column] = orjson.loads(data[column])
                rows[found.key] = data

    def flush(self, conn: Connection) -> int:
        """Write every changed row (delete, then insert what exists). Returns rows written."""
        written = 0
        for name, keys in self._dirty.items():
            if not keys:
                continue
            spec, sql = self.tables[name]
            ordered = sorted(keys)
            for start in range(0, len(ordered), _CHUNK):
                conn.execute(self._delete[name], {"keys": ordered[start : start + _CHUNK]})
            inserts = []
            for key in ordered:
                row = self._rows[name][key]
                if row is None:
                    continue
                out = dict(row)
                for column in spec.json:
                    if out.get(column) is not None:
                        out[column] = orjson.dumps(out[column]).decode()
                out["key"] = key
                inserts.append(out)
            for start in range(0, len(inserts), _CHUNK):
                conn.execute(sql.insert(), inserts[start : start + _CHUNK])
            written += len(ordered)
            keys.clear()
        if sum(len(rows) for rows in self._rows.values()) > self.max_cached:
            self.discard()
        return written

    def discard(self) -> None:
        for name in self._rows:
            self._rows[name].clear()
            self._dirty[name].clear()
