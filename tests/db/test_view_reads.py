"""The view's reads by key, key prefix and secondary index behave the same over the
SQL tables (both backends) as over the in-memory store, across flushes, cache
losses and bulk loads, whatever the sequence of writes and reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Index, Integer, MetaData, String

from projections.sqlstore import SqlStore
from projections.tables import Json, table
from projections.view import MemoryStore, Reads, View
from tests.progress_helpers import Databases, databases

registry = MetaData()
ROWS = table(
    "view_contract_rows",
    Column("store_id", String(64), primary_key=True),
    Column("learner", String(32), primary_key=True),
    Column("item", Integer, primary_key=True),
    Column("team", String(32), nullable=False),
    Column("score", Integer, nullable=True),
    Column("detail", Json, nullable=True),
    Index("ix_view_contract_rows_team", "store_id", "team", "score"),
    prefixes=(1, 2),
    registry=registry,
)
STORES, LEARNERS, TEAMS = ("s1", "s2"), ("ann", "bob"), ("red", "blue")

# A small world, mostly one store: reads and writes keep meeting the same rows.
store_ids = st.sampled_from(("s1", "s1", "s1", "s2"))
keys = st.tuples(store_ids, st.sampled_from(LEARNERS), st.integers(0, 1))
rows = st.builds(
    lambda key, team, score, detail: {
        "store_id": key[0], "learner": key[1], "item": key[2], "team": team, "score": score,
        "detail": detail,
    },
    keys, st.sampled_from(TEAMS), st.none() | st.integers(0, 2),
    st.none() | st.lists(st.integers(0, 9), max_size=3) | st.fixed_dictionaries({"x": st.text(max_size=3)}),
)
prefixes = st.one_of(
    st.tuples(store_ids),
    st.tuples(store_ids, st.sampled_from(LEARNERS)),
)
index_values = st.one_of(
    st.tuples(store_ids, st.sampled_from(TEAMS)),
    st.tuples(store_ids),
    st.tuples(store_ids, st.sampled_from(TEAMS), st.none() | st.integers(0, 2)),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), rows),
        st.tuples(st.just("delete"), keys),
        st.tuples(st.just("get"), keys),
        st.tuples(st.just("scan"), prefixes),
        st.tuples(st.just("find"), index_values),
        st.tuples(st.just("load"), st.lists(keys, max_size=3), st.lists(prefixes, max_size=2),
                  st.lists(index_values, max_size=2)),
        st.tuples(st.just("flush")),
        st.tuples(st.just("discard")),
        st.tuples(st.just("everything")),
    ),
    min_size=20,
    max_size=60,
)


@pytest.fixture
def dbs(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Databases]:
    yield from databases(request, db_url, tmp_path)


EVERY_READ = [
    *(("get", (s, learner, item)) for s in STORES for learner in LEARNERS for item in (0, 1)),
    *(("scan", (s,)) for s in STORES),
    *(("scan", (s, learner)) for s in STORES for learner in LEARNERS),
    *(("find", (s,)) for s in STORES),
    *(("find", (s, team)) for s in STORES for team in TEAMS),
    *(("find", (s, team, score)) for s in STORES for team in TEAMS for score in (None, 0, 1, 2)),
]


def apply(view: View, operation: tuple[Any, ...]) -> Any:
    kind = operation[0]
    if kind == "everything":
        return [apply(view, read) for read in EVERY_READ]
    if kind == "put":
        view.put(ROWS, operation[1])
    elif kind == "delete":
        view.delete(ROWS, operation[1])
    elif kind == "get":
        return view.get(ROWS, operation[1])
    elif kind == "scan":
        return view.scan(ROWS, operation[1])
    elif kind == "find":
        return view.find(ROWS, "ix_view_contract_rows_team", operation[1])
    elif kind == "load":
        reads = Reads()
        for key in operation[1]:
            reads.key(ROWS, key)
        for prefix in operation[2]:
            reads.prefix(ROWS, prefix)
        for values in operation[3]:
            reads.find(ROWS, "ix_view_contract_rows_team", values)
        view.load(reads)
    elif kind == "flush":
        view.flush()
    else:
        # Losing the cache loses the changes not flushed: do it in both, after a
        # flush, as the runner does when another worker moved on.
        view.flush()
        view.discard()
    return None


INDEX_COLUMNS = ("store_id", "team", "score")


def expected(model: dict[Any, dict[str, Any]], operation: tuple[Any, ...]) -> Any:
    """What a read must answer, worked out plainly from every row there is."""
    kind = operation[0]
    if kind == "everything":
        return [expected(model, read) for read in EVERY_READ]
    if kind == "put":
        row = operation[1]
        model[(row["store_id"], row["learner"], row["item"])] = dict(row)
    elif kind == "delete":
        model.pop(operation[1], None)
    elif kind == "get":
        return model.get(operation[1])
    elif kind == "scan":
        prefix = operation[1]
        return [model[k] for k in sorted(model) if k[: len(prefix)] == prefix]
    elif kind == "find":
        values = operation[1]
        return [
            model[k] for k in sorted(model)
            if tuple(model[k][c] for c in INDEX_COLUMNS[: len(values)]) == values
        ]
    return None


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, small_cache=st.booleans())
def test_sql_reads_equal_memory_reads(dbs: Databases, ops: list[tuple[Any, ...]], small_cache: bool) -> None:
    engine = dbs.new()
    try:
        registry.create_all(engine)
        limit = 3 if small_cache else 50_000
        memory = View([ROWS], MemoryStore(), max_cached=limit)
        store = SqlStore()
        sql = View([ROWS], store, max_cached=limit)
        model: dict[Any, dict[str, Any]] = {}
        with engine.connect() as conn, conn.begin():
            store.bind(conn)
            for operation in ops:
                want = expected(model, operation)
                assert apply(sql, operation) == want, operation
                assert apply(memory, operation) == want, operation
            memory.flush()
            sql.flush()
            everything = [("scan", (s,)) for s in STORES]
            for operation in everything:
                assert apply(View([ROWS], store), operation) == apply(memory, operation)
    finally:
        dbs.drop(engine)


def test_reads_see_rows_written_in_the_same_batch_before_any_flush() -> None:
    view = View([ROWS], MemoryStore())
    view.put(ROWS, {"store_id": "s1", "learner": "ann", "item": 1, "team": "red", "score": 1, "detail": None})
    view.put(ROWS, {"store_id": "s1", "learner": "ann", "item": 0, "team": "blue", "score": 2, "detail": [1]})
    view.flush()
    view.put(ROWS, {"store_id": "s1", "learner": "ann", "item": 0, "team": "red", "score": 2, "detail": [1]})
    view.delete(ROWS, ("s1", "ann", 1))
    assert [r["item"] for r in view.scan(ROWS, ("s1", "ann"))] == [0]
    assert [r["item"] for r in view.find(ROWS, "ix_view_contract_rows_team", ("s1", "red"))] == [0]
    assert view.find(ROWS, "ix_view_contract_rows_team", ("s1", "blue")) == []
