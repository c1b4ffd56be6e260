"""Tamper detection: ``log.verify`` names the first bad position (both backends).

An attacker with DDL rights drops the triggers first, then edits, removes or
reorders stored rows. Every such change must be caught by recomputing the chain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from lrs import log
from lrs.db import make_engine
from lrs.errors import LogIntegrityError
from lrs.events import RecordedEvent

from ._log_helpers import all_events, assert_verifies, drop_triggers, new_event

# Positions of each store in the fixture log below.
STORE_POSITIONS = {"a": [1, 2, 4, 8, 10], "b": [3, 6, 7], "c": [5, 9]}


def write_fixture_log(engine: Engine) -> list[RecordedEvent]:
    plan = [
        [("a", ["a1", "a2"]), ("b", ["b1"])],
        [("a", ["a3"]), ("c", ["c1"])],
        [("b", ["b2", "b3"]), ("a", ["a4"])],
        [("c", ["c2"]), ("a", ["a5"])],
    ]
    for tx in plan:
        with log.writing(engine) as writer:
            for store, ids in tx:
                writer.append(
                    store,
                    [new_event("t" if i == "a3" else "s", i, data={"id": i}) for i in ids],
                )
    rows = all_events(engine)
    for store, positions in STORE_POSITIONS.items():
        assert [e.position for e in rows if e.store_id == store] == positions
    assert_verifies(engine, rows)
    return rows


@pytest.fixture
def stored(engine: Engine) -> list[RecordedEvent]:
    rows = write_fixture_log(engine)
    drop_triggers(engine)
    return rows


def assert_first_bad(engine: Engine, position: int, store_id: str | None = None) -> None:
    with pytest.raises(LogIntegrityError) as caught:
        log.verify(engine, store_id=store_id)
    assert caught.value.position == position, caught.value.message
    assert f"position {position}:" in str(caught.value)


def execute(engine: Engine, *statements: tuple[str, dict[str, object]]) -> None:
    with engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)


def update(engine: Engine, position: int, column: str, value: object) -> None:
    execute(
        engine,
        (f"UPDATE events SET {column} = :v WHERE position = :p", {"v": value, "p": position}),
    )


# Each edit of row 4 (store "a"): (column, new value, first bad position when
# only store "a" is walked).
EDITS: dict[str, tuple[str, object, int]] = {
    "data": ("data", '{"id":"forged"}', 4),
    "metadata": ("metadata", '{"by":"mallory"}', 4),
    "recorded_at": ("recorded_at", "2001-01-01T00:00:00.000000Z", 4),
    "event_id": ("event_id", "forged", 4),
    "stream_id": ("stream_id", "forged", 4),
    "stream_version": ("stream_version", 40, 4),
    "type": ("type", "forged.type", 4),
    "schema_version": ("schema_version", 2, 4),
    "prev_hash": ("prev_hash", "1" * 64, 4),
    "hash": ("hash", "f" * 64, 4),
    # Moved to store "c": store "a" breaks at its next row, 8.
    "store_id": ("store_id", "c", 8),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_row_is_found(engine: Engine, stored: list[RecordedEvent], edit: str) -> None:
    column, value, first_bad_in_a = EDITS[edit]
    update(engine, 4, column, value)
    assert_first_bad(engine, 4)
    assert_first_bad(engine, first_bad_in_a, store_id="a")
    # Other stores' chains are untouched and still verify on their own.
    log.verify(engine, store_id="b")


def test_the_first_of_several_edits_is_named(engine: Engine, stored: list[RecordedEvent]) -> None:
    update(engine, 9, "data", '{"id":"x"}')
    update(engine, 6, "data", '{"id":"y"}')
    assert_first_bad(engine, 6)


def test_a_rehashed_row_breaks_the_link_of_the_next_row_of_its_store(
    engine: Engine, stored: list[RecordedEvent]
) -> None:
    """Editing a row and recomputing its own hash moves the break to the store's
    next row: the chain, not the row hash alone, carries the evidence."""
    row = stored[3]
    forged = '{"id":"forged"}'
    digest = log.row_hash(
        row.prev_hash,
        row.position,
        row.store_id,
        row.stream_id,
        row.stream_version,
        row.event_id,
        row.type,
        row.schema_version,
        row.recorded_at,
        forged,
        row.metadata,
    )
    execute(
        engine,
        ("UPDATE events SET data = :d, hash = :h WHERE position = 4", {"d": forged, "h": digest}),
    )
    assert_first_bad(engine, 8)
    assert_first_bad(engine, 8, store_id="a")
    log.verify(engine, store_id="c")


@pytest.mark.parametrize(
    ("position", "next_in_store"), [(1, 2), (5, 9), (6, 7)], ids=["first", "middle", "middle-2"]
)
def test_a_removed_row_is_found(
    engine: Engine, stored: list[RecordedEvent], position: int, next_in_store: int
) -> None:
    store = stored[position - 1].store_id
    execute(engine, ("DELETE FROM events WHERE position = :p", {"p": position}))
    assert_first_bad(engine, position)
    # Walking the one store: its next row no longer links to its predecessor.
    assert_first_bad(engine, next_in_store, store_id=store)


def test_a_removed_row_with_positions_closed_up_is_found(
    engine: Engine, stored: list[RecordedEvent]
) -> None:
    execute(engine, ("DELETE FROM events WHERE position = 5", {}))
    for position in range(6, len(stored) + 1):
        execute(
            engine,
            (
                "UPDATE events SET position = :n WHERE position = :p",
                {"n": position - 1, "p": position},
            ),
        )
    assert [e.position for e in all_events(engine)] == list(range(1, len(stored)))
    assert_first_bad(engine, 5)


def swap_columns(engine: Engine, i: int, j: int, columns: tuple[str, ...]) -> None:
    by_position = {e.position: e for e in all_events(engine)}
    for target, source in ((i, j), (j, i)):
        assignments = ", ".join(f"{c} = :{c}" for c in columns)
        values = {c: getattr(by_position[source], c) for c in columns}
        execute(
            engine,
            (f"UPDATE events SET {assignments} WHERE position = :p", {**values, "p": target}),
        )


def swap_positions(engine: Engine, i: int, j: int) -> None:
    execute(
        engine,
        ("UPDATE events SET position = -1 WHERE position = :i", {"i": i}),
        ("UPDATE events SET position = :i WHERE position = :j", {"i": i, "j": j}),
        ("UPDATE events SET position = :j WHERE position = -1", {"j": j}),
    )


# (tamper, first bad position, {store: first bad position when walking that store})
SWAPS: dict[str, tuple[Callable[[Engine], None], int, dict[str, int]]] = {
    "data": (lambda e: swap_columns(e, 2, 8, ("data",)), 2, {"a": 2}),
    "data-and-hash": (lambda e: swap_columns(e, 2, 8, ("data", "hash")), 2, {"a": 2}),
    "whole-rows-same-store": (lambda e: swap_positions(e, 2, 8), 2, {"a": 2}),
    # c1 now sits at 3, b1 at 5: each store's walk fails at its moved row.
    "whole-rows-across-stores": (lambda e: swap_positions(e, 3, 5), 3, {"b": 5, "c": 3}),
    "adjacent-rows-same-transaction": (lambda e: swap_positions(e, 1, 2), 1, {"a": 1}),
}


@pytest.mark.parametrize("swap", sorted(SWAPS))
def test_reordered_rows_are_found(engine: Engine, stored: list[RecordedEvent], swap: str) -> None:
    tamper, first_bad, per_store = SWAPS[swap]
    tamper(engine)
    assert all_events(engine) != stored
    assert_first_bad(engine, first_bad)
    for store, position in per_store.items():
        assert_first_bad(engine, position, store_id=store)


def test_a_row_forged_by_a_plain_insert_is_found(engine: Engine) -> None:
    """INSERT needs no trigger dropped: a forged row after the head is caught."""
    rows = write_fixture_log(engine)
    head = rows[-1]
    forged = {
        "position": head.position + 1,
        "store_id": "a",
        "stream_id": "s",
        "stream_version": 99,
        "event_id": "forged",
        "type": "test.happened",
        "schema_version": 1,
        "data": "{}",
        "metadata": "{}",
        "recorded_at": head.recorded_at,
        "prev_hash": head.hash,
        "hash": "e" * 64,
    }
    columns = ", ".join(forged)
    values = ", ".join(f":{c}" for c in forged)
    execute(engine, (f"INSERT INTO events ({columns}) VALUES ({values})", forged))
    assert_first_bad(engine, head.position + 1)
    assert_first_bad(engine, head.position + 1, store_id="a")


@pytest.mark.parametrize(
    ("recorded_at", "reason"),
    [("2001-01-01T00:00:00.000000Z", "recorded_at goes backwards")],
    ids=["back-in-time"],
)
def test_a_correctly_hashed_row_whose_recorded_at_goes_back_is_found(
    engine: Engine, recorded_at: str | None, reason: str
) -> None:
    rows = write_fixture_log(engine)
    head = rows[-1]
    forged = {
        "position": head.position + 1,
        "store_id": "a",
        "stream_id": "s",
        "stream_version": 99,
        "event_id": "late",
        "type": "test.happened",
        "schema_version": 1,
        "data": "{}",
        "metadata": "{}",
        "recorded_at": recorded_at or head.recorded_at,
        "prev_hash": head.hash,
    }
    forged["hash"] = log.row_hash(
        head.hash,
        head.position + 1,
        "a",
        "s",
        99,
        "late",
        "test.happened",
        1,
        str(forged["recorded_at"]),
        "{}",
        "{}",
    )
    columns = ", ".join(forged)
    values = ", ".join(f":{c}" for c in forged)
    execute(engine, (f"INSERT INTO events ({columns}) VALUES ({values})", forged))
    with pytest.raises(LogIntegrityError) as caught:
        log.verify(engine)
    assert caught.value.position == head.position + 1
    assert caught.value.reason.startswith(reason), caught.value.reason


@pytest.mark.parametrize("batch", [1, 2, 3, 4, 100])
def test_the_first_bad_position_does_not_depend_on_the_batch_size(
    engine: Engine, stored: list[RecordedEvent], batch: int
) -> None:
    """verify reads in batches: a gap or an edit is named the same wherever a batch
    boundary falls, and an edit before a gap in one batch is the one named."""
    execute(engine, ("DELETE FROM events WHERE position = 7", {}))
    with pytest.raises(LogIntegrityError) as caught:
        log.verify(engine, batch=batch)
    assert (caught.value.position, caught.value.reason) == (
        7,
        "missing: the next stored position is 8",
    )
    update(engine, 5, "data", '{"id":"x"}')
    with pytest.raises(LogIntegrityError) as caught:
        log.verify(engine, batch=batch)
    assert (caught.value.position, caught.value.reason) == (
        5,
        "hash mismatch: the row was altered",
    )


def test_progress_counts_every_event_once(engine: Engine, stored: list[RecordedEvent]) -> None:
    told: list[int] = []
    log.verify(engine, batch=3, progress=told.append)
    assert sum(told) == len(stored)
    told.clear()
    log.verify(engine, store_id="a", batch=2, progress=told.append)
    assert sum(told) == len(STORE_POSITIONS["a"])


# ---------------------------------------------------------------------------
# SQLite: the attacker edits the database file with the stdlib, not through the app.
# ---------------------------------------------------------------------------


@pytest.fixture
def sqlite_file(sqlite_url: str) -> Iterator[tuple[str, str]]:
    engine = make_engine(sqlite_url)
    try:
        write_fixture_log(engine)
    finally:
        engine.dispose()
    path = make_url(sqlite_url).database
    assert path
    yield sqlite_url, path


FILE_EDITS = {
    "edit-data": (['UPDATE events SET data = \'{"id":"x"}\' WHERE position = 7'], 7),
    "edit-hash": (["UPDATE events SET hash = prev_hash WHERE position = 3"], 3),
    "delete-row": (["DELETE FROM events WHERE position = 4"], 4),
    "swap-rows": (
        [
            "UPDATE events SET position = -1 WHERE position = 6",
            "UPDATE events SET position = 6 WHERE position = 9",
            "UPDATE events SET position = 9 WHERE position = -1",
        ],
        6,
    ),
}


@pytest.mark.parametrize("edit", sorted(FILE_EDITS))
def test_sqlite_file_edited_with_the_stdlib_is_found(
    sqlite_file: tuple[str, str], edit: str
) -> None:
    url, path = sqlite_file
    statements, first_bad = FILE_EDITS[edit]
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("DROP TRIGGER events_no_delete")
        for statement in statements:
            assert conn.execute(statement).rowcount == 1
        conn.commit()
    finally:
        conn.close()
    engine = make_engine(url)
    try:
        assert_first_bad(engine, first_bad)
    finally:
        engine.dispose()


def test_a_log_from_before_per_event_instants_still_verifies(engine: Engine) -> None:
    """Logs written before every event had its own recorded_at share one instant per
    transaction: such a log is intact, and verify says so."""
    rows = write_fixture_log(engine)
    head = rows[-1]
    forged = {
        "position": head.position + 1, "store_id": head.store_id, "stream_id": "same",
        "stream_version": 1, "event_id": "same-instant", "type": "test.happened",
        "schema_version": 1, "data": "{}", "metadata": "{}", "recorded_at": head.recorded_at,
        "prev_hash": head.hash,
    }
    forged["hash"] = log.row_hash(
        head.hash, head.position + 1, head.store_id, "same", 1, "same-instant", "test.happened", 1,
        head.recorded_at, "{}", "{}",
    )
    columns = ", ".join(forged)
    values = ", ".join(f":{c}" for c in forged)
    execute(engine, (f"INSERT INTO events ({columns}) VALUES ({values})", forged))
    assert log.verify(engine).head_position == head.position + 1
