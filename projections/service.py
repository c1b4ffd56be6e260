"""Answering view queries: from the live tables, or as of a past moment.

``asOf`` answers from a replay of the log up to that position (only the asking
store's events), built from snapshots (projections.replays). ``minPosition`` waits
briefly for the live view to reach a position a client has written, then answers
503 with the lag.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from lrs import log
from lrs.errors import InvalidParameter, Unavailable
from projections.base import Projection
from projections.replays import Replays
from projections.runner import BackgroundRunner, Runner, position_at, wait_for


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
        # Other readers of the log woken by writes too (the forwarder).
        self.listeners: list[Callable[[], None]] = []
        self.replays = Replays(
            engine, self.projections, Path(tempfile.mkdtemp(prefix="lrs-replays-")),
            answers_kept=replays_kept,
        )

    def start(self) -> None:
        if self.background is not None:
            self.background.start()

    def stop(self) -> None:
        if self.background is not None:
            self.background.stop()
        self.replays.close()

    def notify(self) -> None:
        """A write happened: wake the in-process runner, if there is one."""
        if self.background is not None:
            self.background.notify()
        for listener in self.listeners:
            listener()

    @contextmanager
    def reading(
        self, name: str, store_id: str, *, as_of: AsOf | None = None, min_position: int | None = None
    ) -> Iterator[tuple[Connection, int]]:
        """A connection to read the view from, and the log position it reflects."""
        if as_of is not None:
            with self.engine.connect() as conn:
                head = log.head(conn)[0]
            if as_of.position is not None:
                if as_of.position > head:
                    raise InvalidParameter(
                        "asOf", f"position {as_of.position} is beyond the log head ({head})"
                    )
                bound = as_of.position
            else:
                # A moment after the newest event is the present: the head.
                bound = min(position_at(self.engine, as_of.moment or ""), head)
            with self.replays.reading(name, store_id, bound) as conn:
                yield conn, bound
            return
        if min_position is not None:
            self._wait(name, min_position)
        position = self.runner.position(name)
        with self.engine.connect() as conn:
            yield conn, position

    def _wait(self, name: str, position: int) -> None:
        self.notify()
        reached = wait_for(self.runner, name, position, self.wait_seconds)
        if reached < position:
            raise Unavailable(
                f"the {name} view reflects the log up to position {reached}, "
                f"{position - reached} behind the requested minPosition {position}; retry shortly"
            )
