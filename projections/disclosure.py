"""The disclosure layer every analytics answer passes through (pure: no database).

Analytics views (social learning, programme KPIs) count people. Small counts
single people out, so an answer never shows a cell counting fewer than *k*
people (0 < n < k; an empty cell may show 0), where *k* is the store's minimum
group size for that kind of answer: ``count`` cells (who took part, who shared)
use ``min_group_size`` (5 by default), ``performance`` cells (scores, pass and
completion rates broken down by team) ``min_group_size_performance`` (10: the
German Federal Labour Court's reading of co-determination over performance
monitoring, BAG 1 ABR 6/94). Neither may be set below 3.

Hiding a cell is not enough when the total is shown: total - sum(visible cells)
would give it back. ``Disclosure.breakdown`` therefore also hides the next
smallest cells (complementary suppression) until the hidden cells together hold
at least *k* people and are at least two, or, when no cell is left to hide,
withholds the total. A filter whose population is below *k* is refused outright
(``require_population``): a breakdown of one person is not an aggregate.

People appear as pseudonyms (HMAC-SHA-256 of the store's pseudonym secret and
the canonical agent key, truncated), never as names, unless the store runs in
identified mode or the person reads about themself.

Every answer carries the block ``privacy: {mode, minGroupSize, suppressedCells}``
from ``Disclosure.block()``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from lrs.errors import BadRequest, InvalidParameter

AGGREGATE = "aggregate"
IDENTIFIED = "identified"
MODES = (AGGREGATE, IDENTIFIED)
# The lowest threshold a store may configure: below it "aggregate" means little.
FLOOR = 3
DEFAULT_MIN_GROUP_SIZE = 5
DEFAULT_MIN_GROUP_SIZE_PERFORMANCE = 10

Kind = Literal["count", "performance"]
K = TypeVar("K", bound=Hashable)


class PopulationTooSmall(InvalidParameter):
    """A filter selects fewer people than the threshold (a 400 naming the parameter)."""

    def __init__(self, parameter: str, k: int) -> None:
        super().__init__(
            parameter,
            f"selects fewer than {k} people: analytics answers only about groups of at least "
            f"{k} (the store's minimum group size)",
        )


@dataclass(frozen=True)
class Policy:
    """What a store's analytics settings say about disclosure."""

    mode: str = AGGREGATE
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    min_group_size_performance: int = DEFAULT_MIN_GROUP_SIZE_PERFORMANCE

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise BadRequest(f"privacy mode {self.mode!r} must be one of {', '.join(MODES)}")
        for name in ("min_group_size", "min_group_size_performance"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < FLOOR:
                raise BadRequest(f"{name} must be an integer of at least {FLOOR}, not {value!r}")

    @property
    def identified(self) -> bool:
        return self.mode == IDENTIFIED

    def k(self, kind: Kind = "count") -> int:
        return self.min_group_size_performance if kind == "performance" else self.min_group_size


def hidden(n: int, k: int) -> bool:
    """Whether a cell counting ``n`` people is too small to show (0 < n < k)."""
    return 0 < n < k


@dataclass
class Breakdown:
    """The outcome of ``Disclosure.breakdown``: the cells to hide, and whether the
    total may be shown."""

    suppressed: frozenset[Any]
    total_shown: bool


@dataclass
class Disclosure:
    """One answer's disclosure: applies the policy and counts what it hid."""

    policy: Policy
    suppressed_cells: int = 0
    kinds: set[str] = field(default_factory=set)

    def k(self, kind: Kind = "count") -> int:
        self.kinds.add(kind)
        return self.policy.k(kind)

    def count(self, n: int, kind: Kind = "count") -> int | None:
        """A single count cell: itself, or None when it must be hidden."""
        if hidden(n, self.k(kind)):
            self.suppressed_cells += 1
            return None
        return n

    def require_population(self, n: int, parameter: str, kind: Kind = "count") -> None:
        """Refuse a filter (named ``parameter``) whose population is 0 < n < k."""
        k = self.k(kind)
        if hidden(n, k):
            raise PopulationTooSmall(parameter, k)

    def breakdown(self, cells: Mapping[K, int], kind: Kind = "count", *, with_total: bool = True) -> Breakdown:
        """Which cells of a breakdown (label -> people) to hide.

        Primary: every cell with 0 < n < k. Complementary, when the total is shown:
        a lone hidden cell, or hidden cells holding fewer than k people together,
        could be worked out from the total, so the next smallest visible non-empty
        cells are hidden too (ties by label order, so the choice is deterministic);
        with none left to hide, the total is withheld instead.
        """
        k = self.k(kind)
        order = sorted(cells, key=lambda label: (cells[label], repr(label)))
        hide = {label for label in order if hidden(cells[label], k)}
        total_shown = with_total
        if hide and with_total:
            spare = [label for label in order if label not in hide and cells[label] > 0]
            # Hidden cells hold at least one person each: with two or more whose sum is
            # at least k and exceeds their number, none of them is determined.
            while len(hide) < 2 or sum(cells[label] for label in hide) < max(k, len(hide) + 1):
                if not spare:
                    total_shown = False
                    break
                hide.add(spare.pop(0))
        if with_total and total_shown and hidden(sum(cells.values()), k):
            total_shown = False
        self.suppressed_cells += len(hide) + (1 if with_total and not total_shown else 0)
        return Breakdown(frozenset(hide), total_shown)

    def block(self) -> dict[str, Any]:
        """The ``privacy`` block of the answer."""
        out: dict[str, Any] = {"mode": self.policy.mode, "minGroupSize": self.policy.min_group_size}
        if "performance" in self.kinds:
            out["minGroupSizePerformance"] = self.policy.min_group_size_performance
        out["suppressedCells"] = self.suppressed_cells
        return out


def suppressed_row(label_field: str, label: Any, k: int) -> dict[str, Any]:
    """How a hidden row of a list reads: its label, and why it says nothing else."""
    return {label_field: label, "suppressed": True, "reason": f"fewer than {k} people"}


def pseudonym(secret: bytes, store_id: str, agent_key: str) -> str:
    """A stable pseudonymous id for a person: HMAC-SHA-256 over the store and the
    canonical agent key, truncated to 64 bits (unlinkable across stores and to anyone
    without the secret)."""
    mac = hmac.new(secret, f"{store_id}\x00{agent_key}".encode("utf-8", "surrogatepass"), hashlib.sha256)
    return "p-" + mac.hexdigest()[:16]


def share(numerator: int, denominator: int) -> float | None:
    """A ratio rounded for display (None when there is nothing to divide by)."""
    return None if denominator == 0 else round(numerator / denominator, 3)
