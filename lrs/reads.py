"""Where statement reads go when a read replica is configured (``LRS_DATABASE_READ_URL``).

A replica (a PostgreSQL hot standby, or any copy that applies the primary's commits
in commit order) is behind the primary by its replication lag, and cannot see the
primary's writers in flight. What it answers stays honest because:

- ``X-Experience-API-Consistent-Through`` read there is the newest event it has
  replayed (lrs.log.consistent_through), never a moment it could not show;
- a single statement it does not have (not replayed yet, or not there at all) is
  looked up on the primary before the answer is a 404: a client that has just
  written a statement and asks for it by id gets it;
- a page of a query whose ``more`` link was bounded at a position the replica has
  not replayed (the first page came from the primary, or from a replica further
  ahead) waits for it a short while, then the primary answers: a page never
  silently misses statements its ``more`` chain promised.

A replica that does not answer (down, or unreachable) is passed over: the primary
answers, and the failure is logged. Writes, documents, credentials and everything
that must read its own writes stay on the primary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from lrs import log
from lrs import statements as service
from lrs.errors import NotFound
from lrs.xapi.params import SingleStatement, StatementQuery

# How often a wait for the replica looks at its head again.
_POLL_SECONDS = 0.02

logger = logging.getLogger("lrs.reads")
T = TypeVar("T")


class _ReplicaDown(Exception):
    pass


def on_replica(fn: Callable[[], T]) -> T:
    """Run a read on the replica; _ReplicaDown when the replica does not answer."""
    try:
        return fn()
    except OperationalError as exc:
        logger.warning("read replica unavailable, reading the primary: %s", str(exc).splitlines()[0])
        raise _ReplicaDown from exc


@dataclass(frozen=True)
class Reads:
    primary: Engine
    replica: Engine | None = None
    # How long a read waits for the replica to replay what it needs.
    wait_seconds: float = 0.5

    @property
    def engine(self) -> Engine:
        """Where reads that need no particular position go."""
        return self.replica if self.replica is not None else self.primary

    def read(self, fn: Callable[[Engine], T]) -> T:
        """``fn`` on the replica (no particular position needed), or on the primary
        when there is none or it does not answer."""
        replica = self.replica
        if replica is not None:
            try:
                return on_replica(lambda: fn(replica))
            except _ReplicaDown:
                pass
        return fn(self.primary)

    def at_least(self, position: int) -> Engine:
        """The replica once it has replayed ``position`` (waiting up to
        ``wait_seconds``), else the primary, which has everything committed."""
        if self.replica is None:
            return self.primary
        replica = self.replica
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                if on_replica(lambda: replica_head(replica)) >= position:
                    return replica
            except _ReplicaDown:
                return self.primary
            if time.monotonic() >= deadline:
                return self.primary
            time.sleep(_POLL_SECONDS)

    def statement(
        self,
        store_id: str,
        request: SingleStatement,
        languages: list[str] | None = None,
        *,
        mine: str | None = None,
    ) -> tuple[tuple[str, str, str | None], Engine]:
        """lrs.statements.get_one, and the engine that answered it."""
        replica = self.replica
        if replica is not None:
            try:
                found = on_replica(lambda: service.get_one(replica, store_id, request, languages, mine=mine))
                return found, replica
            except (NotFound, _ReplicaDown):
                pass  # not replayed yet, or not there: the primary has the last word
        return service.get_one(self.primary, store_id, request, languages, mine=mine), self.primary

    def statements(
        self,
        store_id: str,
        q: StatementQuery,
        *,
        page_max: int,
        languages: list[str] | None = None,
        mine: str | None = None,
    ) -> tuple[service.QueryResult, Engine]:
        """lrs.statements.query, and the engine that answered it."""
        engine = self.engine if q.bound is None else self.at_least(q.bound)

        def read(source: Engine) -> service.QueryResult:
            return service.query(source, store_id, q, page_max=page_max, languages=languages, mine=mine)

        if engine is not self.primary:
            try:
                return on_replica(lambda: read(engine)), engine
            except _ReplicaDown:
                pass
        return read(self.primary), self.primary

    def replica_lag(self) -> int | str | None:
        """Events the replica is behind the primary ("unreachable" when it does not
        answer; None without a replica), for /ready."""
        replica = self.replica
        if replica is None:
            return None
        try:
            behind = on_replica(lambda: replica_head(replica))
        except _ReplicaDown:
            return "unreachable"
        return max(replica_head(self.primary) - behind, 0)


def replica_head(engine: Engine) -> int:
    with engine.connect() as conn:
        return log.head(conn)[0]
