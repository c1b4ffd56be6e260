"""A projection's tables, declared once.

``table(name, *columns)`` declares a SQLAlchemy table in the projections'
``metadata`` (what Alembic migrates and compares against, and what a replay lays
out in its scratch file) and returns the ``Table`` a projection reads and writes
through its view. A row's key is its primary key, as a tuple in column order;
``Json`` columns hold any JSON value (stored as text, written with orjson).

A table also says which key prefixes it is read by (``prefixes``: lengths of the
primary key a projection scans, e.g. 2 for "every row of this learner x
competency") and its secondary indexes (``Index`` objects, looked up by the
leading values of their columns): the view loads those in bulk for a batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Column, Index, Text
from sqlalchemy import Table as SqlTable
from sqlalchemy.types import TypeDecorator

from projections.schema import metadata

Key = tuple[Any, ...]
Row = dict[str, Any]


class Json(TypeDecorator[Any]):
    """Any JSON value, as text: orjson both ways (the stdlib's json is several times
    slower, and projections write many of these)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else orjson.loads(value)


@dataclass(frozen=True, eq=False)
class Table:
    """A projection table: its SQL table, its key columns, how it is read."""

    sql: SqlTable
    prefixes: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        return self.sql.name

    @property
    def key_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.sql.primary_key.columns)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.sql.columns)

    @property
    def json_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.sql.columns if isinstance(c.type, Json))

    @property
    def indexes(self) -> dict[str, tuple[str, ...]]:
        """Secondary indexes by name: the columns a ``find`` matches on, in order."""
        return {
            str(index.name): tuple(column.name for column in index.columns)
            for index in self.sql.indexes
        }

    def key_of(self, row: Row) -> Key:
        return tuple(row[name] for name in self.key_columns)

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and other.name == self.name


def table(
    name: str, *columns: Column[Any] | Index, prefixes: Iterable[int] = ()
) -> Table:
    """Declare a projection table (see the module docstring)."""
    sql = SqlTable(name, metadata, *columns)
    found = Table(sql, tuple(sorted(set(prefixes))))
    if not found.key_columns:
        raise ValueError(f"table {name} needs a primary key: rows are found by it")
    for length in found.prefixes:
        if not 0 < length < len(found.key_columns):
            raise ValueError(f"table {name}: a prefix is 1 to {len(found.key_columns) - 1} key columns")
    return found
