"""Everything derived can be rebuilt from the log: `lrs reindex` gives the same tables."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from lrs import documents
from lrs.credentials import bootstrap, create_credential
from lrs.index import reindex
from lrs.schema import activities, agents, document_heads, statement_keys, statements, verbs
from lrs.statements import prepare
from lrs.statements import write as write_statements

AGENT = {"mbox": "mailto:learner@example.com", "name": "Learner"}


def _snapshot(engine: Engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for table in (statements, statement_keys, activities, verbs, agents, document_heads):
            out[table.name] = sorted(tuple(row) for row in conn.execute(select(table)))
    return out


def _fill(engine: Engine) -> None:
    bootstrap(engine, key="k", secret="s", public_url="http://lrs.test")
    credential, _ = create_credential(engine, label="writer", public_url="http://lrs.test")
    first = {
        "actor": AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"id": "http://example.com/a", "definition": {"name": {"en-US": "A"}}},
        "context": {"contextActivities": {"parent": {"id": "http://example.com/course"}}},
    }
    (first_id, _), = prepare([first], "1.0.3", batch=False)
    write_statements(engine, credential, [(first_id, first)], version="1.0.3")
    comment = {
        "actor": {"mbox": "mailto:peer@example.com", "name": "Peer"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/commented", "display": {"fr": "a commenté"}},
        "object": {"objectType": "StatementRef", "id": first_id},
    }
    voiding = {
        "actor": AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": first_id},
    }
    write_statements(engine, credential, prepare([comment, voiding], "2.0.0", batch=True), version="2.0.0")
    scope = documents.Scope(documents.STATE, "http://example.com/a", AGENT)
    for content in (b'{"page": 1}', b'{"page": 2}'):
        documents.write(engine, "default", scope, "bookmark", content, "application/json",
                        merge=True, if_match=None, if_none_match=None,
                        precondition_required=False, metadata={})
    documents.write(engine, "default", scope, "gone", b"x", "text/plain", merge=False,
                    if_match=None, if_none_match=None, precondition_required=False, metadata={})
    documents.delete_one(engine, "default", scope, "gone", if_match=None, if_none_match=None,
                         metadata={})


def test_reindex_rebuilds_the_same_index_and_document_heads(engine: Engine) -> None:
    _fill(engine)
    before = _snapshot(engine)
    assert before["statements"] and before["document_heads"]
    assert reindex(engine) == 3
    assert documents.rebuild_heads(engine) == 1
    assert _snapshot(engine) == before
    (head,) = before["document_heads"]
    assert json.loads(next(v for v in head if isinstance(v, str) and v.startswith("{"))) == {"page": 2}


def test_reindex_while_statements_are_written_loses_nothing(engine: Engine) -> None:
    """The rebuild holds the log's lock: a write waits for it instead of indexing a
    statement against a half-built index (or having its rows deleted by it)."""
    import threading

    from lrs.statements import WriteRequest
    from lrs.writer import GroupWriter
    from projections.registry import rebuildables

    _fill(engine)
    credential, _ = create_credential(engine, label="busy", public_url="http://lrs.test")
    # Enough history that the rebuild takes a while, and the writes fall inside it.
    for start in range(0, 3000, 500):
        history = [{"actor": {"mbox": f"mailto:h{i}@example.com"},
                    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                    "object": {"id": f"http://example.com/h/{i % 40}"}} for i in range(start, start + 500)]
        write_statements(engine, credential, prepare(history, "1.0.3", batch=True), version="1.0.3")
    writer = GroupWriter(engine)
    written: list[str] = []
    done = threading.Event()

    def write() -> None:
        n = 0
        while not done.is_set() or n < 40:
            batch = [{"actor": {"mbox": f"mailto:l{n}@example.com"},
                      "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                      "object": {"id": f"http://example.com/p/{n}"}}]
            prepared = prepare(batch, "1.0.3", batch=False)
            written.extend(writer.submit(WriteRequest(credential, prepared, "1.0.3")).ids)
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        for item in rebuildables():
            if item.name in ("index", "documents"):
                item.rebuild(engine, None)
    finally:
        done.set()
        thread.join(60)
        writer.stop()
    live = _snapshot(engine)
    assert reindex(engine) == 3 + 3000 + len(written)
    documents.rebuild_heads(engine)
    assert _snapshot(engine) == live
    with engine.connect() as conn:
        indexed = {row.statement_id for row in conn.execute(select(statements.c.statement_id))}
    assert set(written) <= indexed
