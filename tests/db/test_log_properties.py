"""Contract of the event log under random sequences of appends (both backends).

Each hypothesis example gets a fresh migrated database, runs a random program
of transactions against it while keeping a model of what the log must hold,
then checks the stored log against the model and the log's invariants.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from lrs import clock, log
from lrs.db import make_engine
from lrs.errors import Conflict
from lrs.events import NewEvent, RecordedEvent, dumps

from ._log_helpers import GENESIS, all_events, assert_log_invariants, assert_verifies, new_event

FreshDatabase = Callable[[], AbstractContextManager[Engine]]


@pytest.fixture
def fresh_database(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> FreshDatabase:
    """A factory of fresh migrated databases on the backend of ``db_url`` (one per
    hypothesis example: the log is append-only, so examples cannot share one)."""
    backend = make_url(db_url).get_backend_name()
    counter = itertools.count()
    if backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
    else:
        server = request.getfixturevalue("_postgres")

    @contextmanager
    def make() -> Iterator[Engine]:
        if backend == "sqlite":
            path = tmp_path / f"example-{next(counter)}.sqlite3"
            shutil.copyfile(template, path)
            engine = make_engine(f"sqlite:///{path}")
            try:
                yield engine
            finally:
                engine.dispose()
                for leftover in tmp_path.glob(f"{path.name}*"):
                    leftover.unlink()
        else:
            name = server.create()
            engine = make_engine(server.url_for(name))
            try:
                yield engine
            finally:
                engine.dispose()
                server.drop(name)

    return make


# A program is a list of transactions; a transaction a list of appends; an append
# one store and a batch of event specs. Weights come from repeated choices.
STORES = ("s1", "s2", "s3")
STREAMS = ("a", "b", "c", "d")
TYPES = ("t.one", "t.two", "t.three")
ID_CHOICES = ("fresh",) * 12 + ("reuse-same-store", "reuse-other-store")
EXPECT_CHOICES = ("none",) * 4 + ("exact",) * 4 + ("new", "wrong")

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=8)
)
payloads = st.dictionaries(st.text(max_size=5), json_scalars, max_size=3)
event_specs = st.tuples(
    st.sampled_from(STREAMS),
    st.sampled_from(TYPES),
    st.sampled_from(ID_CHOICES),
    st.integers(0, 10_000),
    st.sampled_from(EXPECT_CHOICES),
    payloads,
)
append_specs = st.tuples(st.sampled_from(STORES), st.lists(event_specs, min_size=1, max_size=4))
transaction_specs = st.lists(append_specs, min_size=1, max_size=3)
programs = st.lists(transaction_specs, min_size=1, max_size=10)


class Model:
    """What the log must hold: committed stream versions and event ids per store."""

    def __init__(self) -> None:
        self.versions: dict[tuple[str, str], int] = {}
        self.ids: dict[str, list[str]] = {}
        self.events: list[RecordedEvent] = []
        self.transactions: list[list[RecordedEvent]] = []
        self.conflicts = 0


def build_transaction(
    model: Model, tx_spec: list[tuple[str, list[tuple]]]
) -> tuple[list[tuple[str, list[NewEvent]]], bool]:
    """Turn a spec into appends; predict whether the transaction must conflict."""
    versions = dict(model.versions)
    ids = {store: list(v) for store, v in model.ids.items()}
    conflict = False
    appends: list[tuple[str, list[NewEvent]]] = []
    for store, specs in tx_spec:
        batch = []
        for stream, type_, id_choice, pick, expect, payload in specs:
            current = versions.get((store, stream), 0)
            expected = {
                "none": None,
                "exact": current,
                "new": 0,
                "wrong": current + 1 + pick % 3,
            }[expect]
            same = ids.get(store, [])
            other = [i for s, v in ids.items() if s != store for i in v]
            if id_choice == "reuse-same-store" and same:
                event_id = same[pick % len(same)]
            elif id_choice == "reuse-other-store" and other:
                event_id = other[pick % len(other)]
            else:
                event_id = uuid.uuid4().hex
            if (expected is not None and expected != current) or event_id in same:
                conflict = True
            versions[(store, stream)] = current + 1
            ids.setdefault(store, []).append(event_id)
            batch.append(
                NewEvent(
                    type=type_,
                    stream_id=stream,
                    event_id=event_id,
                    data=dumps(payload),
                    expected_version=expected,
                )
            )
        appends.append((store, batch))
    return appends, conflict


def run_program(engine: Engine, program: list) -> Model:
    model = Model()
    for tx_spec in program:
        appends, must_conflict = build_transaction(model, tx_spec)
        before = all_events(engine)
        returned: list[RecordedEvent] = []
        try:
            with log.writing(engine) as writer:
                for store, batch in appends:
                    returned.extend(writer.append(store, batch))
        except Conflict:
            assert must_conflict, "Conflict raised for a valid transaction"
            assert all_events(engine) == before, "a conflicting transaction appended"
            model.conflicts += 1
            continue
        assert not must_conflict, "a conflicting transaction was accepted"
        expected = [(store, e) for store, batch in appends for e in batch]
        assert [(e.store_id, e.event_id) for e in returned] == [
            (store, e.event_id) for store, e in expected
        ]
        for recorded, (store, sent) in zip(returned, expected, strict=True):
            key = (store, sent.stream_id)
            model.versions[key] = model.versions.get(key, 0) + 1
            assert recorded.stream_version == model.versions[key]
            assert (recorded.type, recorded.data, recorded.metadata) == (
                sent.type,
                sent.data,
                sent.metadata,
            )
            model.ids.setdefault(store, []).append(sent.event_id)
        model.events.extend(returned)
        model.transactions.append(returned)
    return model


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs, limit=st.integers(1, 5), until_offset=st.integers(0, 4))
def test_random_appends_keep_the_log_contract(
    fresh_database: FreshDatabase, program: list, limit: int, until_offset: int
) -> None:
    with fresh_database() as engine:
        model = run_program(engine, program)
        rows = all_events(engine)
        n = len(rows)
        event(f"conflicting transactions: {'3+' if model.conflicts >= 3 else model.conflicts}")
        event(f"stored events: {'0' if n == 0 else '1-9' if n < 10 else '10+'}")

        # What was appended is exactly what is stored, positions 1..n, gap-free.
        assert rows == model.events
        assert [e.position for e in rows] == list(range(1, n + 1))
        assert_log_invariants(rows)
        for store in {e.store_id for e in rows}:
            assert next(e for e in rows if e.store_id == store).prev_hash == GENESIS

        # One transaction: contiguous positions. Every event its own recorded_at,
        # strictly later than the one before it, inside a transaction and across them.
        for tx in model.transactions:
            assert [e.position for e in tx] == list(range(tx[0].position, tx[-1].position + 1))
        stamps = [e.recorded_at for e in rows]
        assert all(a < b for a, b in itertools.pairwise(stamps))

        assert_verifies(engine, rows)

        # read_forward(after=k) is exactly the later events, in order, from every k.
        with engine.connect() as conn:
            for k in range(n + 2):
                assert log.read_forward(conn, after=k) == rows[k:]
                assert log.read_forward(conn, after=k, limit=limit) == rows[k : k + limit]
            until = min(n, until_offset + n // 2)
            for k in (0, n // 3, n // 2):
                assert log.read_forward(conn, after=k, until=until) == rows[k:until]
                for store in STORES:
                    assert log.read_forward(conn, after=k, store_id=store) == [
                        e for e in rows[k:] if e.store_id == store
                    ]
                assert log.read_forward(conn, after=k, types=["t.one", "t.three"]) == [
                    e for e in rows[k:] if e.type in ("t.one", "t.three")
                ]
        # iter_forward batches through everything, whatever the batch size.
        assert list(log.iter_forward(engine, batch=limit)) == rows
        assert list(log.iter_forward(engine, n // 2, batch=limit)) == rows[n // 2 :]
        assert list(log.iter_forward(engine, batch=limit, store_id="s2")) == [
            e for e in rows if e.store_id == "s2"
        ]


def test_positions_stay_gap_free_over_many_appends_across_stores(engine: Engine) -> None:
    written: list[RecordedEvent] = []
    for i in range(40):
        with log.writing(engine) as writer:
            written += writer.append(
                f"store-{i % 4}", [new_event(f"s{i % 3}") for _ in range(i % 3 + 1)]
            )
            if i % 5 == 0:
                written += writer.append("store-x", [new_event("x")])
    rows = all_events(engine)
    assert rows == written
    assert_log_invariants(rows)
    assert_verifies(engine, rows)


def test_an_empty_log_verifies_and_reads_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        assert log.read_forward(conn) == []
        assert log.head(conn) == (0, None)
    report = log.verify(engine)
    assert (report.events, report.head_position) == (0, 0)
    assert report.summary().startswith("log intact")
    assert list(log.iter_forward(engine)) == []


def test_recorded_at_strictly_increases_even_when_the_clock_steps_back(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite stamps with this process's clock (PostgreSQL with the database's).
    engine = make_engine(sqlite_url)
    t0 = datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)
    wall = iter([t0, t0 - timedelta(hours=1), t0, t0 - timedelta(days=3), t0 + timedelta(days=1)])
    monkeypatch.setattr(clock, "utcnow", lambda: next(wall))
    stamps = []
    for i in range(5):
        with log.writing(engine) as writer:
            recorded = writer.append("default", [new_event("s"), new_event(f"t{i}")])
        # Each event its own instant, one microsecond after the one before.
        second = clock.from_micros(clock.to_micros(clock.parse_utc(recorded[0].recorded_at)) + 1)
        assert recorded[1].recorded_at == clock.format_utc(second)
        stamps.append(recorded[0].recorded_at)
    assert stamps[0] == clock.format_utc(t0)
    assert all(a < b for a, b in itertools.pairwise(stamps)), stamps
    # Once the clock is ahead again, recorded_at is the wall time.
    assert stamps[-1] == clock.format_utc(t0 + timedelta(days=1))
    recorded_ats = [e.recorded_at for e in all_events(engine)]
    assert all(a < b for a, b in itertools.pairwise(recorded_ats))
    log.verify(engine)
    engine.dispose()


def test_what_append_returns_is_what_is_read_back(engine: Engine) -> None:
    with log.writing(engine) as writer:
        first = writer.append("a", [new_event("s", "e1", data={"x": "é\u0000😀"})])
        second = writer.append("b", [new_event("s", "e1", metadata='{"m":1}')])
        third = writer.append("a", [new_event("s", "e2", expected_version=1)])
    assert writer.last_position == 3
    rows = all_events(engine)
    assert rows == first + second + third
    assert [(e.store_id, e.stream_version) for e in rows] == [("a", 1), ("b", 1), ("a", 2)]
    assert rows[0].payload() == {"x": "é\u0000😀"}
    assert rows[1].prev_hash == GENESIS
    assert rows[2].prev_hash == rows[0].hash
    with engine.connect() as conn:
        assert log.read_stream(conn, "a", "s") == [rows[0], rows[2]]
