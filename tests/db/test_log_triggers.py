"""The database itself refuses to change or remove stored events (both backends)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from lrs import log
from lrs.events import RecordedEvent

from ._log_helpers import all_events, assert_verifies, new_event, raw_rows


@pytest.fixture
def seeded(engine: Engine) -> list[RecordedEvent]:
    for i in range(3):
        with log.writing(engine) as writer:
            writer.append("a", [new_event("s", f"a{i}"), new_event("t", f"b{i}")])
            writer.append("b", [new_event("s", f"c{i}")])
    return all_events(engine)


REFUSED_STATEMENTS = {
    "update-data": "UPDATE events SET data = '{\"n\": 1}' WHERE position = 2",
    "update-hash": "UPDATE events SET hash = prev_hash WHERE position = 2",
    "update-position": "UPDATE events SET position = position + 100 WHERE position = 9",
    "update-no-op": "UPDATE events SET data = data WHERE position = 2",
    "update-all": "UPDATE events SET metadata = '{}'",
    "delete-one": "DELETE FROM events WHERE position = 5",
    "delete-last": "DELETE FROM events WHERE position = 9",
    "delete-all": "DELETE FROM events",
}


@pytest.mark.parametrize("statement", sorted(REFUSED_STATEMENTS))
def test_update_and_delete_are_refused(
    engine: Engine, seeded: list[RecordedEvent], statement: str
) -> None:
    before = raw_rows(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(REFUSED_STATEMENTS[statement]))
    assert raw_rows(engine) == before
    # The log still takes appends, and still verifies.
    with log.writing(engine) as writer:
        (event,) = writer.append("a", [new_event("s")])
    assert event.position == len(seeded) + 1
    assert_verifies(engine, all_events(engine))


def test_truncate_is_refused_on_postgresql(engine: Engine, seeded: list[RecordedEvent]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    before = raw_rows(engine)
    for statement in ("TRUNCATE events", "TRUNCATE TABLE events CASCADE"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert raw_rows(engine) == before


_COLUMNS = (
    "position, store_id, stream_id, stream_version, event_id, type, schema_version, "
    "data, metadata, recorded_at, prev_hash, hash"
)
_FORGED = _COLUMNS.replace(" data,", " '\"forged\"',")
OVERWRITING_INSERTS = {
    # Both dialects: an upsert on the primary key.
    "upsert": (
        None,
        f"INSERT INTO events ({_COLUMNS}) SELECT {_FORGED} FROM events WHERE position = 2 "
        "ON CONFLICT (position) DO UPDATE SET data = excluded.data",
    ),
    # SQLite's REPLACE deletes the conflicting row: same position, replaced in place.
    "insert-or-replace-same-position": (
        "sqlite",
        f"INSERT OR REPLACE INTO events ({_COLUMNS}) "
        f"SELECT {_FORGED} FROM events WHERE position = 2",
    ),
    # Same (store, event_id) at a new position: row 4 disappears from its place.
    "replace-same-event-id": (
        "sqlite",
        f"REPLACE INTO events ({_COLUMNS}) "
        f"SELECT {_FORGED.replace('position,', 'position + 100,', 1)} "
        "FROM events WHERE position = 4",
    ),
}


@pytest.mark.parametrize("kind", sorted(OVERWRITING_INSERTS))
def test_an_insert_cannot_overwrite_a_stored_event(
    engine: Engine, seeded: list[RecordedEvent], kind: str
) -> None:
    """Overwriting a row through INSERT is an UPDATE or a DELETE too: refused."""
    dialect, statement = OVERWRITING_INSERTS[kind]
    if dialect is not None and engine.dialect.name != dialect:
        pytest.skip(f"{kind} is {dialect} syntax")
    assert _FORGED.count("forged") == 1
    before = raw_rows(engine)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    except DBAPIError as exc:
        assert "append-only" in str(exc), exc
    assert raw_rows(engine) == before, "a stored event was overwritten"


def test_triggers_also_refuse_a_direct_sqlite3_connection(sqlite_url: str) -> None:
    """An attacker with the file but not the app: the triggers live in the file."""
    from lrs.db import make_engine

    engine = make_engine(sqlite_url)
    try:
        with log.writing(engine) as writer:
            writer.append("a", [new_event("s", "e1"), new_event("s", "e2")])
        before = raw_rows(engine)
    finally:
        engine.dispose()
    path = make_url(sqlite_url).database
    conn = sqlite3.connect(path)
    try:
        for statement in (
            "UPDATE events SET data = '{}' WHERE position = 1",
            "DELETE FROM events WHERE position = 2",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)
            conn.rollback()
    finally:
        conn.close()
    engine = make_engine(sqlite_url)
    try:
        assert raw_rows(engine) == before
    finally:
        engine.dispose()


# ------------------------------------------------------------------ erasure (0016)
# An erasure (lrs.erasure) may rewrite a row's data or metadata with a redaction
# marker, for a position listed in event_redactions, nothing else of the row.

_MARKED = "'{\"lrs:redacted\": {\"erasure\": \"e1\"}}'"


def _list_redaction(engine: Engine, position: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO event_redactions (position, store_id, erasure_position) "
            f"VALUES ({position}, 'a', 9)"
        ))


REFUSED_EVEN_WHEN_LISTED = {
    "no-marker": "UPDATE events SET data = '{\"n\": 1}' WHERE position = 2",
    "no-op": "UPDATE events SET data = data WHERE position = 2",
    "marker-and-hash": f"UPDATE events SET data = {_MARKED}, hash = prev_hash WHERE position = 2",
    "marker-and-time": f"UPDATE events SET data = {_MARKED}, recorded_at = '2000-01-01' WHERE position = 2",
    "marker-and-type": f"UPDATE events SET data = {_MARKED}, type = 'x' WHERE position = 2",
    "marker-and-position": f"UPDATE events SET data = {_MARKED}, position = 100 WHERE position = 2",
    "marker-on-unlisted-row": f"UPDATE events SET data = {_MARKED} WHERE position = 3",
    "marker-on-every-row": f"UPDATE events SET metadata = {_MARKED}",
    "delete-listed-row": "DELETE FROM events WHERE position = 2",
}


@pytest.mark.parametrize("statement", sorted(REFUSED_EVEN_WHEN_LISTED))
def test_only_a_marked_redaction_of_a_listed_row_passes(
    engine: Engine, seeded: list[RecordedEvent], statement: str
) -> None:
    _list_redaction(engine, 2)
    before = raw_rows(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(REFUSED_EVEN_WHEN_LISTED[statement]))
    assert raw_rows(engine) == before


@pytest.mark.parametrize("column", ["data", "metadata"])
def test_a_redaction_of_a_listed_row_passes_and_keeps_the_rest_of_it(
    engine: Engine, seeded: list[RecordedEvent], column: str
) -> None:
    _list_redaction(engine, 2)
    before = raw_rows(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE events SET {column} = {_MARKED} WHERE position = 2"))
    after = raw_rows(engine)
    changed = [i for i, (old, new) in enumerate(zip(before[1], after[1], strict=True)) if old != new]
    assert len(changed) == 1 and after[1][changed[0]] == _MARKED.strip("'")
    assert after[:1] + after[2:] == before[:1] + before[2:]


@pytest.mark.parametrize("statement", [
    "UPDATE event_redactions SET position = 3",
    "DELETE FROM event_redactions",
    "TRUNCATE event_redactions",
])
def test_the_list_of_redactions_only_grows(
    engine: Engine, seeded: list[RecordedEvent], statement: str
) -> None:
    if statement.startswith("TRUNCATE") and engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    _list_redaction(engine, 2)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT position FROM event_redactions")).scalars().all() == [2]
