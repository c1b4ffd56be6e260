"""`lrs verify` accepts a missing position only inside a gap an import recorded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lrs.log import first_unexplained


@given(
    st.lists(st.integers(1, 200), min_size=1, unique=True).map(sorted),
    st.lists(st.tuples(st.integers(1, 200), st.integers(0, 20)), max_size=6),
)
def test_a_missing_position_is_explained_only_by_a_gap_covering_it(positions, raw_gaps):
    # Imports record disjoint ranges, in position order.
    gaps: list[tuple[int, int]] = []
    for first, length in sorted(raw_gaps):
        if not gaps or first > gaps[-1][1]:
            gaps.append((first, first + length))
    covered = {p for first, last in gaps for p in range(first, last + 1)}
    present = set(positions)
    unexplained = [p for p in range(1, positions[-1]) if p not in present and p not in covered]
    rows = [(p,) for p in positions]
    index, expected = first_unexplained(rows, 0, gaps)
    if unexplained:
        assert expected == unexplained[0]
        assert rows[index][0] == min(p for p in positions if p > expected)
    else:
        assert index is None
