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

Writes, documents, credentials and everything that must read its own writes stay on
the primary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine

from lrs import log
from lrs import statements as service
from lrs.errors import NotFound
from lrs.xapi.params import SingleStatement, StatementQuery

# How often a wait for the replica looks at its head again.
_POLL_SECONDS = 0.02


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

    def at_least(self, position: int) -> Engine:
        """The replica once it has replayed ``position`` (waiting up to
        ``wait_seconds``), else the primary, which has everything committed."""
        if self.replica is None:
            return self.primary
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with self.replica.connect() as conn:
                if log.head(conn)[0] >= position:
                    return self.replica
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
        if self.replica is not None:
            try:
                return service.get_one(self.replica, store_id, request, languages, mine=mine), self.replica
            except NotFound:
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
        result = service.query(engine, store_id, q, page_max=page_max, languages=languages, mine=mine)
        return result, engine
