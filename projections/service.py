"""Answering view queries: from the live tables, or as of a past moment.

``asOf`` answers from a replay of the log up to that position (only the asking
store's events), built from snapshots (projections.replays). ``minPosition`` waits
briefly for the live view to reach a position a client has written, then answers
503 with the lag.

With a read replica (``replica``), live reads go there and answer with the position
the replica's copy of the view reflects (its replicated checkpoint). A read whose
``minPosition`` the replica has not reached waits for it up to
``replica_wait_seconds``, then goes to the primary, which waits what is left of
``wait_seconds``. ``asOf`` replays stay on the primary: they fold the log up to a
position the replica may not have replayed, into scratch files of this process.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from lrs import log
from lrs.errors import InvalidParameter, Unavailable
from projections.base import Projection
from projections.replays import Replays
from projections.runner import BackgroundRunner, Runner, folded_position, position_at, wait_for

logger = logging.getLogger("projections.service")


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
        replica: Engine | None = None,
        replica_wait_seconds: float = 0.5,
    ) -> None:
        self.engine = engine
        self.replica = replica
        self.replica_wait_seconds = replica_wait_seconds
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
        started = time.monotonic()
        if self.replica is not None:
            with ExitStack() as stack:
                try:
                    conn = stack.enter_context(self.replica.connect())
                    position = self._replica_position(conn, name, min_position)
                except OperationalError as exc:
                    # Down or unreachable: the primary answers (lrs.reads does the same).
                    logger.warning("read replica unavailable, reading the primary: %s",
                                   str(exc).splitlines()[0])
                    position = None
                if position is not None:
                    yield conn, position
                    return
        if min_position is not None:
            self._wait(name, min_position, self.wait_seconds - (time.monotonic() - started))
        position = self.runner.position(name)
        with self.engine.connect() as conn:
            yield conn, position

    def _replica_position(self, conn: Connection, name: str, min_position: int | None) -> int | None:
        """The position the replica's copy of the view reflects, once it is at least
        ``min_position`` (waiting up to replica_wait_seconds); None: the primary
        answers (the replica is behind, or holds no view this code can read: not yet
        its checkpoint, or one of a version it has not replayed the rebuild of)."""
        projection = self.projections[name]
        deadline = time.monotonic() + self.replica_wait_seconds
        while True:
            position = folded_position(conn, projection)
            if position is not None and (min_position is None or position >= min_position):
                return position
            if min_position is None or time.monotonic() >= deadline:
                return None
            if conn.in_transaction():
                conn.rollback()  # a fresh snapshot for the next look
            time.sleep(0.02)

    def _wait(self, name: str, position: int, seconds: float | None = None) -> None:
        self.notify()
        seconds = self.wait_seconds if seconds is None else max(seconds, 0.0)
        reached = wait_for(self.runner, name, position, seconds)
        if reached < position:
            raise Unavailable(
                f"the {name} view reflects the log up to position {reached}, "
                f"{position - reached} behind the requested minPosition {position}; retry shortly"
            )
