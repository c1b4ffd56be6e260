"""The disclosure layer (projections.disclosure): thresholds, complementary
suppression, refusal of small populations, pseudonyms (design part c, P10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrs.errors import BadRequest
from projections.disclosure import (
    Disclosure,
    Policy,
    PopulationTooSmall,
    pseudonym,
)

POLICIES = st.builds(
    Policy,
    mode=st.sampled_from(("aggregate", "identified")),
    min_group_size=st.integers(3, 12),
    min_group_size_performance=st.integers(3, 15),
)
CELLS = st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 30), max_size=8)


@given(policy=POLICIES, cells=CELLS, kind=st.sampled_from(("count", "performance")))
def test_no_shown_cell_is_small_and_no_hidden_cell_follows_from_the_total(
    policy: Policy, cells: dict[str, int], kind: str
) -> None:
    disclosure = Disclosure(policy)
    outcome = disclosure.breakdown(cells, kind)  # type: ignore[arg-type]
    k = policy.k(kind)  # type: ignore[arg-type]
    for label, n in cells.items():
        if label not in outcome.suppressed:
            assert not 0 < n < k, (label, n)
    total = sum(cells.values())
    if outcome.total_shown:
        assert not 0 < total < k
        hidden = [cells[label] for label in outcome.suppressed]
        if hidden:
            # Each hidden cell holds >= 1 person; total - visible gives their sum s.
            # A cell is determined when only one value fits: never with 2+ cells and s > their number.
            s = total - sum(n for label, n in cells.items() if label not in outcome.suppressed)
            assert s == sum(hidden)
            assert len(hidden) >= 2 and s > len(hidden) and s >= k
    assert disclosure.suppressed_cells == len(outcome.suppressed) + (0 if outcome.total_shown else 1)


@given(cells=CELLS)
def test_a_breakdown_without_small_cells_is_shown_whole(cells: dict[str, int]) -> None:
    big = {label: (0 if n == 0 else n + 5) for label, n in cells.items()}
    disclosure = Disclosure(Policy())
    outcome = disclosure.breakdown(big)
    assert outcome.suppressed == frozenset()
    assert outcome.total_shown == (not 0 < sum(big.values()) < 5)


def test_the_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    disclosure = Disclosure(Policy())
    outcome = disclosure.breakdown({"sales": 40, "ops": 3, "support": 7, "hr": 12})
    assert outcome.suppressed == {"ops", "support"} and outcome.total_shown
    assert disclosure.block() == {"mode": "aggregate", "minGroupSize": 5, "suppressedCells": 2}


def test_with_nothing_left_to_hide_the_total_is_withheld() -> None:
    disclosure = Disclosure(Policy())
    outcome = disclosure.breakdown({"sales": 2, "ops": 0})
    assert outcome.suppressed == {"sales"} and not outcome.total_shown


def test_performance_breakdowns_use_the_higher_threshold_and_say_so() -> None:
    disclosure = Disclosure(Policy())
    assert disclosure.count(7) == 7
    assert disclosure.count(7, "performance") is None
    assert disclosure.block() == {
        "mode": "aggregate", "minGroupSize": 5, "minGroupSizePerformance": 10, "suppressedCells": 1,
    }


@given(n=st.integers(0, 40), k=st.integers(3, 12))
def test_a_filter_below_the_threshold_is_refused_naming_the_parameter(n: int, k: int) -> None:
    disclosure = Disclosure(Policy(min_group_size=k))
    if 0 < n < k:
        with pytest.raises(PopulationTooSmall) as refused:
            disclosure.require_population(n, "team")
        assert refused.value.details()["parameter"] == "team"
    else:
        disclosure.require_population(n, "team")


@pytest.mark.parametrize(
    "kwargs", [{"min_group_size": 2}, {"min_group_size_performance": 1}, {"mode": "open"}, {"min_group_size": True}]
)
def test_policies_below_the_floor_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadRequest):
        Policy(**kwargs)  # type: ignore[arg-type]


@given(key=st.text(min_size=1), other=st.text(min_size=1))
def test_pseudonyms_are_stable_and_tell_people_and_stores_apart(key: str, other: str) -> None:
    secret = b"s" * 32
    assert pseudonym(secret, "default", key) == pseudonym(secret, "default", key)
    assert pseudonym(secret, "default", key).startswith("p-")
    assert len(pseudonym(secret, "default", key)) == 18
    if key != other:
        assert pseudonym(secret, "default", key) != pseudonym(secret, "default", other)
    assert pseudonym(secret, "default", key) != pseudonym(secret, "other", key)
    assert pseudonym(secret, "default", key) != pseudonym(b"t" * 32, "default", key)
