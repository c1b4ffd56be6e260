"""The social view's facts, read once per checkpoint and reused while it stands.

Every social answer reads the window's valid facts and builds its network; at
100,000 statements that is most of an answer's time (bench/RESULTS.md). The facts
of a view at a checkpoint are fixed: the runner commits a batch's facts and the
checkpoint together, and folding is deterministic (replay = live, design part c,
P1). So the facts read at checkpoint C, for a window and the objections in force,
are the facts of every later read at C, and the network built from them is too.

What a read is keyed by, so that a reused answer equals a fresh one:

- the database (the engine: a replayed ``asOf`` copy is an engine of its own,
  and one built after an erasure is a new one);
- the store and the window's bounds;
- the view's version, and the store's last event in the log at or before the
  view's checkpoint (every row of a store is folded from that store's events, so
  writes to other stores leave its facts, and their reuse, alone), read before
  and after the facts: facts are kept only when both reads agree, so they are
  those of that position (a replayed ``asOf`` copy holds one store, and no log:
  there the checkpoint itself);
- the store's latest erasure (lrs.erasure): an erasure folds every view again
  from 0, through checkpoints seen before, from redacted payloads;
- the objections in force now (read from the live view for every answer,
  design part d).

The analytics settings are part of the view's state at C, so of the key too.

A read at a new position of the store, with the same window, objections, view
version and erasure as facts kept at an earlier one, is given those facts brought
forward by what was opened and closed in between (``patch``:
projections.social.delta), and its network carries their team work forward
(projections.social.carry): a live store's reads stop reading the whole window
again after every folded batch.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import Connection, Engine, func, inspect, select

from lrs.schema import event_redactions, events
from projections.schema import checkpoints
from projections.social.network import Facts
from projections.windows import Window

# Facts of this many (store, window, position) reads are kept per database, the
# least recently used dropped first. A quarter of 100,000 statements holds 28 MB
# of facts and network (tracemalloc), so at most ~115 MB at that size; a patched
# read may hold the network it was patched from until its team work is carried
# (Network.previous, one step back at most): twice that at worst.
KEPT = 4
VIEW = "social"

Loader = Callable[[Connection, str, Window | None, set[str]], Facts]
# The kept facts of an earlier position of the store brought to a later one
# (projections.social.delta.patch); None: read afresh.
Patcher = Callable[[Connection, str, Window | None, set[str], Facts, int, int], Facts | None]


class _Kept:
    def __init__(self, log: bool) -> None:
        self.log = log  # whether this database holds the log (and its erasures)
        self.facts: OrderedDict[Hashable, Facts] = OrderedDict()


class Reuse:
    """Facts by database, store, window, checkpoint, erasure and objections."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._lock = threading.Lock()
        self._databases: weakref.WeakKeyDictionary[Engine, _Kept] = weakref.WeakKeyDictionary()
        self.hits = 0
        self.misses = 0
        self.patched = 0

    def facts(
        self, conn: Connection, store: str, window: Window | None, current_opt_outs: set[str], load: Loader,
        patch: Patcher | None = None,
    ) -> Facts:
        """The window's facts less the objections in force: reused at an unchanged
        checkpoint; else, with ``patch``, the facts kept at an earlier position of
        the store brought forward; else read with ``load``."""
        kept = self._database(conn)
        state = _state(conn, store, kept.log)
        key = (store, window.since if window else None, window.until if window else None,
               frozenset(current_opt_outs), state)
        if state is not None:
            with self._lock:
                found = kept.facts.get(key)
                if found is not None:
                    kept.facts.move_to_end(key)
                    self.hits += 1
                    return found
        earlier = self._earlier(kept, key) if state is not None else None
        read = None
        if patch is not None and earlier is not None and earlier.state is not None and state is not None:
            read = patch(conn, store, window, current_opt_outs, earlier, earlier.state[0], state[0])
        if read is not None:
            with self._lock:
                self.patched += 1
        else:
            read = load(conn, store, window, current_opt_outs)
            with self._lock:
                self.misses += 1
        # Kept only when nothing was folded while reading: the facts are then
        # exactly those of the checkpoint they are keyed by.
        if state is not None and _state(conn, store, kept.log) == state:
            read.state = state
            with self._lock:
                kept.facts[key] = read
                while len(kept.facts) > self.kept:
                    kept.facts.popitem(last=False)
        return read

    def _earlier(self, kept: _Kept, key: tuple[Hashable, ...]) -> Facts | None:
        """The kept facts of the same store, window and objections at the latest
        earlier position of the same view version and erasure (an erasure or a new
        version folds the view again: nothing earlier is a base then)."""
        state = key[-1]
        assert isinstance(state, tuple)
        best: Facts | None = None
        with self._lock:
            for other, facts in kept.facts.items():
                assert isinstance(other, tuple)
                was = other[-1]
                if (other[:-1] == key[:-1] and was[1:] == state[1:] and was[0] < state[0]
                        and (best is None or best.state is None or was[0] > best.state[0])):
                    best = facts
        return best

    def clear(self) -> None:
        with self._lock:
            self._databases = weakref.WeakKeyDictionary()

    def _database(self, conn: Connection) -> _Kept:
        engine = conn.engine
        with self._lock:
            kept = self._databases.get(engine)
        if kept is None:
            # A replayed asOf copy holds the views only (no log, no erasures).
            kept = _Kept(inspect(conn).has_table(event_redactions.name) and inspect(conn).has_table(events.name))
            with self._lock:
                kept = self._databases.setdefault(engine, kept)
        return kept


def _state(conn: Connection, store: str, log: bool) -> tuple[int, int, int | None] | None:
    """The store's position the view reflects (its last event at or before the
    checkpoint; the checkpoint where there is no log), the view's version and the
    store's latest erasure; None without a checkpoint."""
    row = conn.execute(
        select(checkpoints.c.position, checkpoints.c.version).where(checkpoints.c.name == VIEW)
    ).first()
    if row is None:
        return None
    if not log:
        return (int(row.position), int(row.version), None)
    last = conn.execute(
        select(func.max(events.c.position)).where(events.c.store_id == store, events.c.position <= row.position)
    ).scalar()
    erased = conn.execute(
        select(func.max(event_redactions.c.erasure_position)).where(event_redactions.c.store_id == store)
    ).scalar()
    return (int(last or 0), int(row.version), erased)


# The process's reuse, shared by every route of the view.
REUSE = Reuse()
