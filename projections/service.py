"""Answering view queries: from the live tables, or as of a past moment.

``asOf`` replays the projection from the log into a scratch SQLite file up to
that position (only the asking store's events) and runs the same queries on it;
the last few replays are kept. ``minPosition`` waits briefly for the live view to
reach a position a client has written, then answers 503 with the lag.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from lrs import log
from lrs.db import make_engine
from lrs.errors import Unavailable
from projections.base import Projection
from projections.runner import BackgroundRunner, Runner, position_at, replay


@dataclass(frozen=True)
class AsOf:
    position: int | None = None
    moment: str | None = None  # fixed-width UTC text, as recorded_at


class ViewService:
    def __init__(
        self,
        engine: Engine,
        projections: list[Projection],
        *,
        in_process: bool = False,
        wait_seconds: float = 5.0,
        replays_kept: int = 4,
    ) -> None:
        self.engine = engine
        self.projections = {p.name: p for p in projections}
        self.runner = Runner(engine, projections)
        self.wait_seconds = wait_seconds
        self.background = BackgroundRunner(self.runner) if in_process else None
        self._replays: OrderedDict[tuple[str, str, int], tuple[Engine, Path]] = OrderedDict()
        self._replays_kept = replays_kept
        self._replay_lock = threading.Lock()
        self._scratch = Path(tempfile.mkdtemp(prefix="lrs-replays-"))

    def start(self) -> None:
        if self.background is not None:
            self.background.start()

    def stop(self) -> None:
        if self.background is not None:
            self.background.stop()
        for engine, _ in self._replays.values():
            engine.dispose()
        self._replays.clear()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def notify(self) -> None:
        """A write happened: wake the in-process runner, if there is one."""
        if self.background is not None:
            self.background.notify()

    @contextmanager
    def reading(
        self, name: str, store_id: str, *, as_of: AsOf | None = None, min_position: int | None = None
    ) -> Iterator[tuple[Connection, int]]:
        """A connection to read the view from, and the log position it reflects."""
        if as_of is not None:
            bound = as_of.position if as_of.position is not None else position_at(self.engine, as_of.moment or "")
            with self.engine.connect() as conn:
                bound = min(bound, log.head(conn)[0])
            engine = self._replay(name, store_id, bound)
            with engine.connect() as conn:
                yield conn, bound
            return
        if min_position is not None:
            self._wait(name, min_position)
        position = self.runner.position(name)
        with self.engine.connect() as conn:
            yield conn, position

    def _wait(self, name: str, position: int) -> None:
        from projections.runner import wait_for

        self.notify()
        reached = wait_for(self.runner, name, position, self.wait_seconds)
        if reached < position:
            raise Unavailable(
                f"the {name} view reflects the log up to position {reached}, "
                f"{position - reached} behind the requested minPosition {position}; retry shortly"
            )

    def _replay(self, name: str, store_id: str, bound: int) -> Engine:
        key = (name, store_id, bound)
        with self._replay_lock:
            if key in self._replays:
                self._replays.move_to_end(key)
                return self._replays[key][0]
            path = self._scratch / f"{name}-{store_id}-{bound}.sqlite3"
            path.unlink(missing_ok=True)
            engine = make_engine(f"sqlite:///{path}")
            replay(self.engine, self.projections[name], engine, until=bound, store_id=store_id)
            self._replays[key] = (engine, path)
            while len(self._replays) > self._replays_kept:
                _, (old, old_path) = self._replays.popitem(last=False)
                old.dispose()
                old_path.unlink(missing_ok=True)
            return engine
