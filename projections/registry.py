"""Every projection the LRS maintains, and every table it can rebuild from the log."""

from __future__ import annotations

from projections.base import Projection
from projections.progress import ProgressProjection


def all_projections() -> list[Projection]:
    return [ProgressProjection()]


def by_name(name: str) -> Projection:
    for projection in all_projections():
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in all_projections())
    raise KeyError(f"no projection {name!r} (known: {known})")
