"""The database work of one group commit is bounded: a fixed number of statements
per group, whatever the number of requests in it or of statements per request.

On PostgreSQL each statement is a round trip to the server (BEGIN and COMMIT are
two more), so this is what keeps the write path from paying per request or per
row: the events of every request go in with one INSERT, the index rows of each
table with one more (lrs.log.LogWriter.flush; an executemany, which psycopg sends
as one pipeline, on SQLite; a COPY on PostgreSQL, lrs.db.copy_rows). Counted with
SQLAlchemy's cursor events on the writer thread, and the COPYs, which go to the
driver's cursor past SQLAlchemy, by wrapping the function that sends them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

import lrs.index
from lrs.credentials import bootstrap, create_credential, live_secret_hashes
from lrs.db import WRITE
from lrs.log._postgresql import LOG_LOCK_KEY
from lrs.schema import events, statement_keys, statements
from lrs.statements import WriteRequest, Written, prepare
from lrs.writer import GroupWriter

# Lock and heads, the cached secrets to confirm, ids already stored, events,
# voiding links, statements, keys, known definitions, then activities, verbs and
# agents: one each at most.
BOUND = 12


def _statement(index: int, learner: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:learner{learner}@example.com", "name": f"Learner {learner}"},
        "verb": {"id": f"http://example.com/verbs/v{index % 3}", "display": {"en-US": f"v{index % 3}"}},
        "object": {
            "id": f"http://example.com/activities/{index}",
            "definition": {"name": {"en-US": f"Activity {index}"}},
        },
        "context": {"registration": str(uuid.uuid4())},
    }


class Groups:
    """The statements each transaction of the writer thread sent."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.groups: list[list[str]] = []
        self._current: list[str] | None = None

    def _ours(self) -> bool:
        return threading.current_thread().name == "lrs-writer"

    def begin(self, _conn: Any) -> None:
        if self._ours():
            self._current = []

    def execute(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self._ours() and self._current is not None and not statement.startswith("BEGIN"):
            self._current.append(statement)

    def commit(self, _conn: Any) -> None:
        if self._ours() and self._current is not None:
            self.groups.append(self._current)
            self._current = None

    @contextmanager
    def listening(self) -> Iterator[Groups]:
        hooks = (("begin", self.begin), ("before_cursor_execute", self.execute), ("commit", self.commit))
        for name, fn in hooks:
            event.listen(self.engine, name, fn)
        copy_rows = lrs.index.copy_rows

        def copying(conn: Any, table: Any, rows: Any) -> None:
            self.execute(conn, None, f"COPY {table.name} ")
            copy_rows(conn, table, rows)

        lrs.index.copy_rows = copying
        try:
            yield self
        finally:
            lrs.index.copy_rows = copy_rows
            for name, fn in hooks:
                event.remove(self.engine, name, fn)


@contextmanager
def _log_locked(engine: Engine) -> Iterator[None]:
    """Hold the log's write lock, as a writer of another process would."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK_KEY})
            yield


def _one_group(engine: Engine, writer: GroupWriter, requests: list[WriteRequest]) -> list[Written]:
    """Submit the requests while the log is locked, so that they queue and then
    commit as one group once it is free."""
    outcomes: list[Any] = [None] * len(requests)

    def submit(index: int) -> None:
        outcomes[index] = writer.submit(requests[index])

    sizes: list[int] = []
    writer.on_group = sizes.append
    with _log_locked(engine):
        # The first request starts a transaction that waits for the lock ...
        first = threading.Thread(target=submit, args=(0,))
        first.start()
        time.sleep(0.2)
        rest = [threading.Thread(target=submit, args=(i,)) for i in range(1, len(requests))]
        for thread in rest:
            thread.start()
        # ... while the others queue behind it.
        deadline = time.monotonic() + 10
        while writer._queue.qsize() < len(rest) and time.monotonic() < deadline:
            time.sleep(0.01)
    for thread in [first, *rest]:
        thread.join()
    assert sizes[-1] == len(requests) - 1 or len(requests) == 1, sizes
    return outcomes


@pytest.fixture
def writer(engine: Engine) -> Iterator[GroupWriter]:
    bootstrap(engine, key="k", secret="s", public_url="http://lrs.test")
    group = GroupWriter(engine)
    group.start()
    yield group
    group.stop()


def _requests(engine: Engine, count: int, per_request: int) -> list[WriteRequest]:
    credential, _ = create_credential(engine, public_url="http://lrs.test")
    with engine.connect() as conn:
        # As over HTTP: the verifier's cache vouched for the secret, and the group
        # confirms it under the lock (lrs.credentials.live_secret_hashes).
        proof = live_secret_hashes(conn, {credential.key})[credential.key]
    out = []
    for r in range(count):
        items = [_statement(r * per_request + i, (r + i) % 5) for i in range(per_request)]
        prepared = prepare(items, "1.0.3", batch=per_request > 1, put_id=None)
        out.append(WriteRequest(credential, prepared, "1.0.3", proof=proof))
    return out


@pytest.mark.parametrize(("count", "per_request"), [(1, 1), (17, 1), (5, 40)])
def test_a_group_commit_sends_a_bounded_number_of_statements(
    engine: Engine, writer: GroupWriter, count: int, per_request: int
) -> None:
    requests = _requests(engine, count, per_request)
    with Groups(engine).listening() as recorded:
        outcomes = _one_group(engine, writer, requests)
    assert all(isinstance(o, Written) for o in outcomes)
    group = recorded.groups[-1]
    assert len(group) <= BOUND, "\n".join(group)
    # One INSERT (or COPY) per table for the whole group, whatever its requests and rows.
    for table in (events, statements, statement_keys):
        inserts = [s for s in group if s.startswith((f"INSERT INTO {table.name} ", f"COPY {table.name} "))]
        assert len(inserts) == 1, (table.name, group)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(statements)).scalar_one()
    assert stored == count * per_request
