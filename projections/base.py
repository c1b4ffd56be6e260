"""What the runner folds the log into: projections (which keep tables) and
consumers (which act: forwarding, webhooks).

A projection declares a name, a version, the event types it reads and its tables
(projections.tables), loads what a batch of events will read (``preload``: a few
bulk queries, not one per event) and folds one event at a time with ``handle(event,
view)``: pure logic against the view (projections.view). Most projections fold
statements: projections.statements gives them voiding for free.

A consumer declares a name and the event types it wants, and receives batches in
log order with ``consume(events)``; the runner moves its checkpoint once the call
returned, so a crash in between delivers the batch again (at least once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from lrs.events import RecordedEvent
from projections.tables import Table
from projections.view import MemoryStore, View


class Projection(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def event_types(self) -> frozenset[str]: ...

    @property
    def tables(self) -> tuple[Table, ...]: ...

    def preload(self, events: Sequence[RecordedEvent], view: View) -> None:
        """Load into ``view`` what handling these events will read (``view.load`` of
        ``Reads``: keys, key prefixes, index values), in a few bulk queries."""
        ...

    def handle(self, event: RecordedEvent, view: View) -> None: ...

    def settle(self, view: View) -> None:
        """Before a batch is written: derive what waited for the batch's end (the
        summary columns of rows that changed)."""
        ...


class Consumer(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def event_types(self) -> frozenset[str]: ...

    def consume(self, events: Sequence[RecordedEvent]) -> None:
        """Act on a batch (in log order). Raising stops the consumer at the batch."""
        ...


def memory_view(projection: Projection) -> View:
    return View(projection.tables, MemoryStore())


def fold(
    projection: Projection, events: Iterable[RecordedEvent], view: View | None = None, *, batch: int = 0
) -> View:
    """Fold events into a (new, in-memory) view, in batches of ``batch`` (0: one)
    the way the runner does: announce the reads, handle, flush."""
    target = view if view is not None else memory_view(projection)
    wanted = [e for e in events if e.type in projection.event_types]
    size = batch or max(len(wanted), 1)
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        projection.preload(chunk, target)
        for event in chunk:
            projection.handle(event, target)
        projection.settle(target)
        target.flush()
    return target


def snapshot(view: View, projection: Projection) -> dict[str, Any]:
    """Every row of an in-memory view's tables, by key (for comparisons)."""
    store = view.store
    assert isinstance(store, MemoryStore), "snapshot() reads an in-memory view"
    return store.snapshot(projection.tables)
