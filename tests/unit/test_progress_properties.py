"""The progress projection on generated histories, in memory (fold into a MemoryStore)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

from projections.base import fold, memory_view
from projections.progress import ProgressProjection
from tests.progress_helpers import (
    ANN,
    MODULE_1,
    check_against_oracle,
    chunked,
    folded,
    histories,
    learner_statement,
    memory_snapshot,
    to_events,
    voiding,
)


@settings(max_examples=60, deadline=None)
@given(statements=histories(), data=st.data())
def test_folding_in_increments_equals_folding_at_once(statements: list[dict[str, Any]], data: st.DataObject) -> None:
    events = to_events(statements)
    projection = ProgressProjection()
    view = memory_view(projection)
    for piece in data.draw(chunked(events, max_chunks=5)):
        fold(projection, piece, view)
    assert memory_snapshot(view) == folded(events)


@settings(max_examples=80, deadline=None)
@given(statements=histories())
def test_the_view_equals_the_plain_rules(statements: list[dict[str, Any]]) -> None:
    events = to_events(statements)
    note(f"{len(events)} events")
    check_against_oracle(folded(events), events)


@settings(max_examples=40, deadline=None)
@given(statements=histories(min_size=2), cut=st.integers(1, 23))
def test_every_prefix_equals_the_plain_rules(statements: list[dict[str, Any]], cut: int) -> None:
    """Replaying to any position gives what the rules say of the events up to it:
    a statement voided later still counts before its voiding."""
    events = to_events(statements)[: min(cut, len(statements))]
    check_against_oracle(folded(events), events)


def test_voiding_before_and_after_and_voiding_a_voiding_statement() -> None:
    a = learner_statement(ANN, "passed", MODULE_1)
    b = learner_statement(ANN, "failed", MODULE_1)
    void_b_first = voiding(b["id"])
    void_a = voiding(a["id"])
    void_the_voiding = voiding(void_a["id"])
    events = to_events([void_b_first, a, b, void_a, void_the_voiding])
    snapshot = folded(events)
    # Nothing is left: a is voided (the voiding of its voiding does not count),
    # b was voided before it arrived.
    assert snapshot["progress_records"] == {}
    check_against_oracle(snapshot, events)
    # As of before a's voiding, a counts; b never does.
    then = folded(events[:3])
    (record,) = then["progress_records"].values()
    (fact,) = then["progress_facts"].values()
    assert (record["status"], fact["statement_id"]) == ("passed", a["id"])



@settings(max_examples=200, deadline=None)
@given(statements=histories(), batch=st.integers(0, 6))
def test_batch_size_does_not_change_the_view(statements: list[dict[str, Any]], batch: int) -> None:
    """Records are updated fact by fact, in and out of time order: any batching gives
    the same rows."""
    events = to_events(statements)
    assert folded(events, batch=batch) == folded(events, batch=1)


@settings(max_examples=300, deadline=None)
@given(statements=histories(min_size=1, max_size=1))
def test_a_first_fact_gives_the_state_of_a_list_of_one(statements: list[dict[str, Any]]) -> None:
    from projections.progress import logic

    (event,) = to_events(statements)
    fact = logic.fact(event.payload(), event.position)
    assert logic.first_state(fact) == logic.state([fact])


def test_a_fact_is_stored_once_and_counts_in_its_registration_only() -> None:
    first, second = "6f1b1a7e-4a6a-4c39-9e5e-0b1f8f9a1c2d", "a3c9e0b2-5d7f-4e11-8a2b-3c4d5e6f7a8b"
    passed = learner_statement(ANN, "passed", MODULE_1, registration=first)
    failed = learner_statement(ANN, "failed", MODULE_1, registration=second)
    snapshot = folded(to_events([passed, failed]))
    # One fact row per learner x activity x statement, whatever the registration.
    assert sorted(row["statement_id"] for row in snapshot["progress_facts"].values()) == sorted(
        [passed["id"], failed["id"]]
    )
    status = {row["registration"]: row["status"] for row in snapshot["progress_records"].values()}
    assert status == {"": "passed", first: "passed", second: "failed"}
    # Voiding the pass leaves the first registration without facts (its record goes),
    # and the failure alone in the all-registrations record.
    snapshot = folded(to_events([passed, failed, voiding(passed["id"])]))
    status = {row["registration"]: row["status"] for row in snapshot["progress_records"].values()}
    assert status == {"": "failed", second: "failed"}
    check_against_oracle(snapshot, to_events([passed, failed, voiding(passed["id"])]))
