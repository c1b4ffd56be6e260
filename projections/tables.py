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

import operator
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import Column, Index, MetaData, Text
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


class Table:
    """A projection table: its SQL table, its key columns, how it is read.

    Everything is worked out once here: the fold asks for keys millions of times.
    """

    def __init__(self, sql: SqlTable, prefixes: tuple[int, ...] = ()) -> None:
        self.sql = sql
        self.prefixes = prefixes
        self.name: str = sql.name
        self.key_columns: tuple[str, ...] = tuple(c.name for c in sql.primary_key.columns)
        self.columns: tuple[str, ...] = tuple(c.name for c in sql.columns)
        self.json_columns: frozenset[str] = frozenset(
            c.name for c in sql.columns if isinstance(c.type, Json)
        )
        # Secondary indexes by name: the columns a ``find`` matches on, in order.
        self.indexes: dict[str, tuple[str, ...]] = {
            str(index.name): tuple(column.name for column in index.columns) for index in sql.indexes
        }
        getter = operator.itemgetter(*self.key_columns) if self.key_columns else None
        self._key = getter if len(self.key_columns) > 1 else (
            (lambda row: (row[self.key_columns[0]],)) if self.key_columns else None
        )

    def key_of(self, row: Row) -> Key:
        return self._key(row)  # type: ignore[misc]

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Table) and other.name == self.name


def table(
    name: str, *columns: Column[Any] | Index, prefixes: Iterable[int] = (),
    registry: MetaData = metadata,
) -> Table:
    """Declare a projection table (see the module docstring); ``registry`` is for
    tests that declare tables of their own."""
    sql = SqlTable(name, registry, *columns)
    found = Table(sql, tuple(sorted(set(prefixes))))
    if not found.key_columns:
        raise ValueError(f"table {name} needs a primary key: rows are found by it")
    for length in found.prefixes:
        if not 0 < length < len(found.key_columns):
            raise ValueError(f"table {name}: a prefix is 1 to {len(found.key_columns) - 1} key columns")
    return found
