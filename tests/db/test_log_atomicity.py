"""All-or-nothing appends and optimistic concurrency (both backends)."""

from __future__ import annotations

from contextlib import suppress

import pytest
from sqlalchemy import Engine

from lrs import log
from lrs.errors import Conflict
from lrs.events import RecordedEvent

from ._log_helpers import GENESIS, all_events, assert_log_invariants, assert_verifies, new_event


@pytest.fixture
def seeded(engine: Engine) -> list[RecordedEvent]:
    """A log with two stores; stream "s" of store "a" is at version 2."""
    with log.writing(engine) as writer:
        writer.append("a", [new_event("s", "a1"), new_event("s", "a2")])
        writer.append("b", [new_event("s", "b1")])
    return all_events(engine)


class Boom(Exception):
    pass


def test_an_exception_inside_the_block_appends_nothing(
    engine: Engine, seeded: list[RecordedEvent]
) -> None:
    with pytest.raises(Boom), log.writing(engine) as writer:
        writer.append("a", [new_event("s", "x1"), new_event("t", "x2")])
        writer.append("c", [new_event("s", "x3")])
        raise Boom()
    assert all_events(engine) == seeded
    # Nothing of the failed block leaks into the next one: it appends right after
    # the old head and links to the old chain heads.
    with log.writing(engine) as writer:
        (event,) = writer.append("a", [new_event("s", "x1", expected_version=2)])
    assert event.position == len(seeded) + 1
    assert event.prev_hash == seeded[1].hash
    assert_log_invariants(all_events(engine))
    assert_verifies(engine, all_events(engine))


CONFLICTS = {
    # expected_version k: the stream must be at version k.
    "expected-version-ahead": lambda: [new_event("s", "n1", expected_version=3)],
    "expected-version-stale": lambda: [new_event("s", "n1", expected_version=1)],
    # expected_version 0: the stream must be new.
    "stream-not-new": lambda: [new_event("s", "n1", expected_version=0)],
    "mismatch-after-a-good-event": lambda: [
        new_event("s", "n1", expected_version=2),
        new_event("s", "n2", expected_version=2),
    ],
    "new-stream-twice-in-one-batch": lambda: [
        new_event("fresh", "n1", expected_version=0),
        new_event("fresh", "n2", expected_version=0),
    ],
    # Unique (store, event_id): against the stored log and within the batch.
    "duplicate-stored-event-id": lambda: [new_event("t", "n1"), new_event("u", "a2")],
    "duplicate-id-within-batch": lambda: [new_event("t", "n1"), new_event("u", "n1")],
}


@pytest.mark.parametrize("kind", sorted(CONFLICTS))
def test_a_conflict_appends_nothing_of_its_transaction(
    engine: Engine, seeded: list[RecordedEvent], kind: str
) -> None:
    with pytest.raises(Conflict), log.writing(engine) as writer:
        # A valid append earlier in the same transaction is rolled back too.
        writer.append("c", [new_event("other", "c1")])
        writer.append("a", CONFLICTS[kind]())
    assert all_events(engine) == seeded
    with log.writing(engine) as writer:
        (event,) = writer.append("c", [new_event("other", "c1", expected_version=0)])
    assert event.position == len(seeded) + 1
    assert_verifies(engine, all_events(engine))


def test_a_conflict_in_a_later_append_of_the_transaction_rolls_back_the_earlier_ones(
    engine: Engine, seeded: list[RecordedEvent]
) -> None:
    with pytest.raises(Conflict), log.writing(engine) as writer:
        writer.append("a", [new_event("s", "n1", expected_version=2)])
        # The first append moved the stream to 3, so 2 is now stale ...
        writer.append("a", [new_event("s", "n2", expected_version=2)])
    assert all_events(engine) == seeded
    with pytest.raises(Conflict), log.writing(engine) as writer:
        writer.append("a", [new_event("s", "n1")])
        # ... and an event id used earlier in the same transaction is a duplicate.
        writer.append("a", [new_event("t", "n1")])
    assert all_events(engine) == seeded


def test_expected_version_semantics(engine: Engine) -> None:
    with log.writing(engine) as writer:
        # 0: a new stream; None: after whatever it holds; k: exactly at version k.
        assert writer.append("a", [new_event("s", expected_version=0)])[0].stream_version == 1
        assert writer.append("a", [new_event("s")])[0].stream_version == 2
        assert writer.append("a", [new_event("s", expected_version=2)])[0].stream_version == 3
        batch = writer.append(
            "a",
            [
                new_event("s", expected_version=3),
                new_event("s"),
                new_event("t", expected_version=0),
            ],
        )
        assert [e.stream_version for e in batch] == [4, 5, 1]
        assert writer.stream_version("a", "s") == 5
    # Streams and versions are per store.
    with log.writing(engine) as writer:
        assert writer.append("b", [new_event("s", expected_version=0)])[0].stream_version == 1
        assert writer.append("a", [new_event("s", expected_version=5)])[0].stream_version == 6
    rows = all_events(engine)
    assert_log_invariants(rows)
    assert_verifies(engine, rows)


def test_event_ids_are_unique_per_store_not_across_stores(engine: Engine) -> None:
    with log.writing(engine) as writer:
        writer.append("a", [new_event("s", "same")])
        writer.append("b", [new_event("s", "same")])
    with pytest.raises(Conflict), log.writing(engine) as writer:
        writer.append("b", [new_event("t", "same")])
    assert [(e.store_id, e.event_id) for e in all_events(engine)] == [("a", "same"), ("b", "same")]


def test_empty_appends_and_empty_blocks_append_nothing(engine: Engine) -> None:
    with log.writing(engine) as writer:
        assert writer.append("a", []) == []
    with log.writing(engine):
        pass
    assert all_events(engine) == []
    with log.writing(engine) as writer:
        (event,) = writer.append("a", [new_event("s")])
    assert (event.position, event.prev_hash) == (1, GENESIS)


# ---------------------------------------------------------------------------
# A Conflict caught inside the block. The block's contract still holds: either it
# fails as a whole (nothing appended), or it commits exactly the appends that
# returned, and the log stays gap-free and verifiable.
# ---------------------------------------------------------------------------

CAUGHT = {
    "expected-version": lambda: [new_event("x", "ok2"), new_event("s", "bad", expected_version=9)],
    "duplicate-event-id": lambda: [new_event("x", "ok2"), new_event("y", "a1")],
}


@pytest.mark.parametrize("then_append", [False, True], ids=["then-commit", "then-append"])
@pytest.mark.parametrize("kind", sorted(CAUGHT))
def test_a_conflict_caught_inside_the_block_leaves_a_consistent_log(
    engine: Engine, seeded: list[RecordedEvent], kind: str, then_append: bool
) -> None:
    committed = False
    try:
        with log.writing(engine) as writer:
            writer.append("a", [new_event("t", "ok1")])
            with suppress(Conflict):
                writer.append("a", CAUGHT[kind]())
                pytest.fail("the conflicting append did not raise Conflict")
            if then_append:
                writer.append("a", [new_event("t", "ok3")])
        committed = True
    except Conflict:
        # The block refused to commit after a failed append: it must have failed
        # as a whole, which the assertions below check.
        pass
    rows = all_events(engine)
    if committed:
        expected = ["ok1", "ok3"] if then_append else ["ok1"]
        assert [e.event_id for e in rows[len(seeded) :]] == expected, (
            "a block that exits normally commits exactly the appends that returned"
        )
    else:
        assert rows == seeded
    assert_log_invariants(rows)
    assert_verifies(engine, rows)
