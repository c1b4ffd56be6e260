"""The view a projection folds events into: its tables' rows, cached in front of a store.

A projection reads and writes rows through a ``View``: by key (``get``, ``put``,
``delete``), by key prefix (``scan``: every row whose key starts with these values)
and by secondary index (``find``: every row whose indexed columns start with these
values). Before a batch, the projection says what the batch will read (``Reads``)
and the view loads it in a few bulk queries; a read the projection did not announce
still works, one query at a time.

The rows live in a ``RowStore``: ``MemoryStore`` (dicts; the reference, used by
tests and in-memory folds) or ``SqlStore`` (the projection's SQL tables, written
when the runner commits a batch together with its checkpoint). The view above
them is the same code, so a projection behaves the same on both; the contract
tests compare them anyway.

Rows given to ``put`` and returned by reads are shallow copies: a projection must
not change a nested list or dict in place, only build a new one. ``edit`` is the
exception, for rows that grow with every event (a record's list of facts): it
hands out the cached row itself, to change in place, and marks it changed;
``settle`` (before each flush) is where such rows get the columns derived from
what was changed (see projections.statements).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from projections.tables import Key, Row, Table


@dataclass
class Reads:
    """What a batch of events will read, so that the view can load it in bulk."""

    keys: dict[Table, set[Key]] = field(default_factory=lambda: defaultdict(set))
    prefixes: dict[Table, set[Key]] = field(default_factory=lambda: defaultdict(set))
    finds: dict[tuple[Table, str], set[Key]] = field(default_factory=lambda: defaultdict(set))

    def key(self, table: Table, key: Key) -> None:
        self.keys[table].add(key)

    def prefix(self, table: Table, prefix: Key) -> None:
        self.prefixes[table].add(prefix)

    def find(self, table: Table, index: str, values: Key) -> None:
        self.finds[(table, index)].add(values)


class RowStore(Protocol):
    """Where a view's rows live between batches."""

    def load_keys(self, table: Table, keys: Sequence[Key]) -> list[Row]: ...

    def load_prefixes(self, table: Table, prefixes: Sequence[Key]) -> list[Row]:
        """Rows whose key starts with one of ``prefixes`` (all of one length)."""
        ...

    def load_finds(self, table: Table, index: str, values: Sequence[Key]) -> list[Row]:
        """Rows whose ``index`` columns start with one of ``values`` (all of one length)."""
        ...

    def write(self, table: Table, keys: Sequence[Key], rows: Sequence[Row]) -> None:
        """Replace the rows of ``keys``: delete them, then insert ``rows``."""
        ...


class MemoryStore:
    """Rows in dicts. Loads scan whole tables: simple, and the reference behaviour."""

    def __init__(self) -> None:
        self.data: dict[str, dict[Key, Row]] = defaultdict(dict)

    def load_keys(self, table: Table, keys: Sequence[Key]) -> list[Row]:
        rows = self.data[table.name]
        return [dict(rows[key]) for key in keys if key in rows]

    def load_prefixes(self, table: Table, prefixes: Sequence[Key]) -> list[Row]:
        wanted = set(prefixes)
        length = len(prefixes[0]) if prefixes else 0
        return [dict(row) for key, row in self.data[table.name].items() if key[:length] in wanted]

    def load_finds(self, table: Table, index: str, values: Sequence[Key]) -> list[Row]:
        wanted = set(values)
        columns = table.indexes[index][: len(values[0]) if values else 0]
        return [
            dict(row)
            for row in self.data[table.name].values()
            if tuple(row[c] for c in columns) in wanted
        ]

    def write(self, table: Table, keys: Sequence[Key], rows: Sequence[Row]) -> None:
        stored = self.data[table.name]
        for key in keys:
            stored.pop(key, None)
        json = table.json_columns
        for row in rows:
            # JSON values go through JSON, as in SQL: nothing shared with the view's
            # cache, and what SQL would change (a tuple into a list) changes here too.
            stored[table.key_of(row)] = {
                name: orjson.loads(orjson.dumps(value)) if name in json and value is not None else value
                for name, value in row.items()
            }

    def snapshot(self, tables: Iterable[Table]) -> dict[str, dict[Key, Row]]:
        return {t.name: {k: dict(r) for k, r in sorted(self.data[t.name].items())} for t in tables}


class _Cache:
    """One table's cached rows and the groupings scans and finds are answered from."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.rows: dict[Key, Row | None] = {}
        self.dirty: set[Key] = set()
        # Keys read or written since the last flush: what a full cache keeps.
        self.recent: set[Key] = set()
        # prefix length -> prefix -> keys of cached rows (live or deleted)
        self.by_prefix: dict[int, dict[Key, set[Key]]] = {}
        self.loaded_prefixes: dict[int, set[Key]] = defaultdict(set)
        # (index, length) -> leading values -> keys of cached live rows
        self.by_index: dict[tuple[str, int], dict[Key, set[Key]]] = {}
        self.loaded_finds: dict[tuple[str, int], set[Key]] = defaultdict(set)

    def track_prefix(self, length: int) -> dict[Key, set[Key]]:
        groups = self.by_prefix.get(length)
        if groups is None:
            groups = defaultdict(set)
            for key in self.rows:
                groups[key[:length]].add(key)
            self.by_prefix[length] = groups
        return groups

    def track_index(self, index: str, length: int) -> dict[Key, set[Key]]:
        groups = self.by_index.get((index, length))
        if groups is None:
            columns = self.table.indexes[index][:length]
            groups = defaultdict(set)
            for key, row in self.rows.items():
                if row is not None:
                    groups[tuple(row[c] for c in columns)].add(key)
            self.by_index[(index, length)] = groups
        return groups

    def _index_values(self, index: str, length: int, row: Row) -> Key:
        return tuple(row[c] for c in self.table.indexes[index][:length])

    def set(self, key: Key, row: Row | None) -> None:
        self.recent.add(key)
        if not self.by_prefix and not self.by_index:
            # Nothing groups this table's rows (yet): the common case of a catch-up.
            self.rows[key] = row
            return
        old = self.rows.get(key)
        if key not in self.rows:
            for length, groups in self.by_prefix.items():
                groups[key[:length]].add(key)
        for (index, length), groups in self.by_index.items():
            if old is not None:
                groups[self._index_values(index, length, old)].discard(key)
            if row is not None:
                groups[self._index_values(index, length, row)].add(key)
        self.rows[key] = row

    def merge(self, rows: Iterable[Row]) -> None:
        """Rows read from the store; what the cache holds is newer and stays."""
        for row in rows:
            key = self.table.key_of(row)
            if key not in self.rows:
                self.set(key, row)

    def live(self, keys: Iterable[Key]) -> list[Row]:
        found = []
        for key in sorted(keys):
            row = self.rows[key]
            if row is not None:
                found.append(dict(row))
        return found


class View:
    """A projection's tables as seen while it folds (see the module docstring)."""

    def __init__(self, tables: Iterable[Table], store: RowStore, *, max_cached: int = 50_000) -> None:
        self.store = store
        self.max_cached = max_cached
        self._caches = {table.name: _Cache(table) for table in tables}

    # -------------------------------------------------------------------- reading

    def get(self, table: Table, key: Key) -> Row | None:
        cache = self._caches[table.name]
        if key not in cache.rows:
            self._load_keys(cache, [key])
        cache.recent.add(key)
        row = cache.rows[key]
        return dict(row) if row is not None else None

    def scan(self, table: Table, prefix: Key) -> list[Row]:
        """Every row whose key starts with ``prefix``, in key order."""
        cache = self._caches[table.name]
        groups = cache.track_prefix(len(prefix))
        if prefix not in cache.loaded_prefixes[len(prefix)]:
            self._load_prefixes(cache, len(prefix), [prefix])
        return cache.live(groups.get(prefix, ()))

    def find(self, table: Table, index: str, values: Key) -> list[Row]:
        """Every row whose ``index`` columns start with ``values``, in key order."""
        cache = self._caches[table.name]
        groups = cache.track_index(index, len(values))
        if values not in cache.loaded_finds[(index, len(values))]:
            self._load_finds(cache, index, len(values), [values])
        return cache.live(groups.get(values, ()))

    def load(self, reads: Reads) -> None:
        """Load in bulk what a batch will read (what the cache lacks)."""
        for table, keys in reads.keys.items():
            cache = self._caches[table.name]
            self._load_keys(cache, [key for key in keys if key not in cache.rows])
        for table, prefixes in reads.prefixes.items():
            cache = self._caches[table.name]
            by_length: dict[int, list[Key]] = defaultdict(list)
            for prefix in prefixes:
                cache.track_prefix(len(prefix))
                if prefix not in cache.loaded_prefixes[len(prefix)]:
                    by_length[len(prefix)].append(prefix)
            for length, wanted in by_length.items():
                self._load_prefixes(cache, length, wanted)
        for (table, index), values in reads.finds.items():
            cache = self._caches[table.name]
            by_length = defaultdict(list)
            for value in values:
                cache.track_index(index, len(value))
                if value not in cache.loaded_finds[(index, len(value))]:
                    by_length[len(value)].append(value)
            for length, wanted in by_length.items():
                self._load_finds(cache, index, length, wanted)

    def _load_keys(self, cache: _Cache, keys: Sequence[Key]) -> None:
        if not keys:
            return
        cache.merge(self.store.load_keys(cache.table, list(keys)))
        for key in keys:
            if key not in cache.rows:
                cache.set(key, None)

    def _load_prefixes(self, cache: _Cache, length: int, prefixes: Sequence[Key]) -> None:
        cache.merge(self.store.load_prefixes(cache.table, list(prefixes)))
        cache.loaded_prefixes[length].update(prefixes)

    def _load_finds(self, cache: _Cache, index: str, length: int, values: Sequence[Key]) -> None:
        cache.merge(self.store.load_finds(cache.table, index, list(values)))
        cache.loaded_finds[(index, length)].update(values)

    # -------------------------------------------------------------------- writing

    def put(self, table: Table, row: Row) -> None:
        cache = self._caches[table.name]
        # No need to read a row before replacing it: the flush replaces whatever the
        # store holds under this key, and a later load skips keys the cache has.
        key = table.key_of(row)
        cache.set(key, dict(row))
        cache.dirty.add(key)

    def delete(self, table: Table, key: Key) -> None:
        cache = self._caches[table.name]
        cache.set(key, None)
        cache.dirty.add(key)

    def edit(self, table: Table, key: Key) -> Row | None:
        """The cached row itself (None if there is none), marked changed: change it in
        place. Only columns that no prefix or index groups by may change this way."""
        cache = self._caches[table.name]
        if key not in cache.rows:
            self._load_keys(cache, [key])
        cache.recent.add(key)
        row = cache.rows[key]
        if row is not None:
            cache.dirty.add(key)
        return row

    def changed(self, table: Table) -> list[Row]:
        """The rows of ``table`` changed since the last flush (live ones, to change in place)."""
        cache = self._caches[table.name]
        return [row for key in cache.dirty if (row := cache.rows[key]) is not None]

    def flush(self) -> int:
        """Write every changed row to the store; returns how many keys changed."""
        written = 0
        for cache in self._caches.values():
            if not cache.dirty:
                continue
            keys = sorted(cache.dirty)
            rows = [row for key in keys if (row := cache.rows[key]) is not None]
            self.store.write(cache.table, keys, rows)
            written += len(keys)
            cache.dirty.clear()
        if sum(len(cache.rows) for cache in self._caches.values()) > self.max_cached:
            # Keep what the last batch used (the active learners of a catch-up); let
            # the rest go.
            for name, cache in list(self._caches.items()):
                kept = _Cache(cache.table)
                for key in cache.recent:
                    kept.rows[key] = cache.rows[key]
                self._caches[name] = kept
            if sum(len(cache.rows) for cache in self._caches.values()) > self.max_cached:
                self.discard()
        for cache in self._caches.values():
            cache.recent.clear()
        return written

    def discard(self) -> None:
        """Forget every cached row (and any change not flushed)."""
        for name, cache in self._caches.items():
            self._caches[name] = _Cache(cache.table)
