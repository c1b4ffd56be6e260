"""Writes must not slow down as the store grows: no query of the write path may walk a
whole table. SQLite's planner is the one that needed telling (an OR of two indexed
columns made it walk every statement of the store on every write), so its plans are
checked here for every query a statement write runs, voiding and StatementRefs
included."""

from __future__ import annotations

import re
import sqlite3
import uuid
from typing import Any

from sqlalchemy import event

from lrs import statements as service
from lrs.credentials import create_credential, ensure_default_store
from lrs.db import make_engine

ACTOR = {"mbox": "mailto:learner@example.com"}


def _statement(**extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"id": f"http://example.com/activities/{uuid.uuid4().hex[:6]}",
                   "definition": {"name": {"en-US": "An activity"}}},
        "context": {"registration": str(uuid.uuid4()),
                    "contextActivities": {"parent": [{"id": "http://example.com/courses/c1"}]}},
        **extra,
    }


def _ref(target: str, verb: str = "http://example.com/verbs/commented") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "actor": ACTOR, "verb": {"id": verb},
            "object": {"objectType": "StatementRef", "id": target}}


def test_no_query_of_a_statement_write_walks_a_table(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    ensure_default_store(engine)
    credential, _ = create_credential(engine, public_url="http://lrs.test")
    # Enough rows for the planner to have a choice to get wrong.
    earlier = [_statement() for _ in range(300)]
    service.write(engine, credential, service.prepare(earlier, "1.0.3", batch=True), version="1.0.3")

    executed: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        executed.append((statement, parameters[0] if executemany else parameters))

    batches = [
        [_statement()],
        [_statement(), _ref(earlier[0]["id"])],
        [_ref(earlier[1]["id"], "http://adlnet.gov/expapi/verbs/voided")],
        [_statement() for _ in range(5)],
    ]
    for batch in batches:
        prepared = service.prepare(batch, "1.0.3", batch=len(batch) > 1)
        service.write(engine, credential, prepared, version="1.0.3")
    engine.dispose()

    path = sqlite_url.removeprefix("sqlite:///")
    raw = sqlite3.connect(path)
    walks: dict[str, list[str]] = {}
    for sql, params in executed:
        if not re.match(r"\s*(SELECT|UPDATE|DELETE)", sql, re.IGNORECASE):
            continue
        plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params or ())]
        full = [
            line for line in plan
            if (line.startswith("SCAN ") and not line.startswith(("SCAN CONSTANT", "SCAN (subquery")))
            # An index searched by the store alone walks every row of the store.
            or re.fullmatch(r"SEARCH \w+ USING (COVERING )?INDEX \w+ \(store_id=\?\)", line)
        ]
        # A reverse walk of an index that stops at its first row (the log's heads,
        # "ORDER BY position DESC LIMIT 1") reads one row, not the table.
        if full and not re.search(r"ORDER BY \S+ DESC\s+LIMIT", sql, re.IGNORECASE):
            walks[sql] = full
    raw.close()
    assert executed, "the write path ran no query"
    assert walks == {}
