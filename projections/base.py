"""What a projection is, and the two views it can be folded into.

A projection declares a name, a version, the event types it reads and its tables,
and folds events with a pure ``handle(event, view)``. The view is a set of keyed
row maps: ``MemoryView`` keeps them in dicts (for tests and replays), ``SqlView``
keeps the same dicts in front of the projection's SQL tables and writes the
changed rows when the runner commits a batch. Both behave identically by
construction; tests check that their snapshots agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lrs.events import RecordedEvent

KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Table:
    """A projection table: rows found by the key made of ``key`` columns."""

    name: str
    key: tuple[str, ...]
    # Columns holding JSON values (stored as text in SQL).
    json: frozenset[str] = field(default_factory=frozenset)

    def key_of(self, row: dict[str, Any]) -> str:
        return make_key(*(row[part] for part in self.key))


def make_key(*parts: Any) -> str:
    return KEY_SEPARATOR.join("" if part is None else str(part) for part in parts)


class View(Protocol):
    def get(self, table: Table, key: str) -> dict[str, Any] | None: ...

    def put(self, table: Table, row: dict[str, Any]) -> None: ...

    def delete(self, table: Table, key: str) -> None: ...


class Projection(Protocol):
    name: str
    version: int
    event_types: frozenset[str]
    tables: tuple[Table, ...]

    def handle(self, event: RecordedEvent, view: View) -> None: ...

    def keys_needed(self, events: Sequence[RecordedEvent]) -> dict[str, set[str]]:
        """Keys per table the events will read: a view can load them in one go."""
        ...


class MemoryView:
    """The projection's tables as dicts: fast, and the reference behaviour."""

    def __init__(self, tables: Iterable[Table]) -> None:
        self.data: dict[str, dict[str, dict[str, Any]]] = {table.name: {} for table in tables}

    def get(self, table: Table, key: str) -> dict[str, Any] | None:
        row = self.data[table.name].get(key)
        return dict(row) if row is not None else None

    def put(self, table: Table, row: dict[str, Any]) -> None:
        self.data[table.name][table.key_of(row)] = dict(row)

    def delete(self, table: Table, key: str) -> None:
        self.data[table.name].pop(key, None)

    def rows(self, table: Table) -> Iterator[dict[str, Any]]:
        for key in sorted(self.data[table.name]):
            yield dict(self.data[table.name][key])

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {name: [rows[k] for k in sorted(rows)] for name, rows in self.data.items()}


def fold(projection: Projection, events: Iterable[RecordedEvent], view: Any | None = None) -> Any:
    """Apply events to a (new) MemoryView: the plain, in-memory way to build a view."""
    target = view if view is not None else MemoryView(projection.tables)
    for event in events:
        if event.type in projection.event_types:
            projection.handle(event, target)
    return target
