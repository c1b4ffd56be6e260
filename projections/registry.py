"""Every projection the LRS maintains, and everything it can rebuild from the log.

``rebuildables()`` names each derived part of the database with one way to rebuild
it: the inline statement index and the document heads (kept in the write
transaction, so rebuilt under the log's lock), and every projection (forgotten,
then folded again from position 0). `lrs rebuild` drives them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from projections.base import Projection
from projections.competency import CompetencyProjection
from projections.kpi import KpiProjection
from projections.progress import ProgressProjection
from projections.social import SocialProjection

Progress = Callable[[int], None] | None


def all_projections() -> list[Projection]:
    return [ProgressProjection(), CompetencyProjection(), SocialProjection(), KpiProjection()]


def by_name(name: str) -> Projection:
    for projection in all_projections():
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in all_projections())
    raise KeyError(f"no projection {name!r} (known: {known})")


@dataclass(frozen=True)
class Rebuildable:
    name: str
    what: str
    # engine, progress callback (events) -> how much was rebuilt (statements, documents, position)
    rebuild: Callable[[Engine, Progress], int]


def _index(engine: Engine, progress: Progress) -> int:
    from lrs.index import reindex

    return reindex(engine, progress=progress)


def _documents(engine: Engine, progress: Progress) -> int:
    from lrs.documents import rebuild_heads

    return rebuild_heads(engine)


def _projection(name: str) -> Callable[[Engine, Progress], int]:
    def rebuild(engine: Engine, progress: Progress) -> int:
        from projections.runner import Runner

        runner = Runner(engine, [by_name(name)])
        try:
            return runner.rebuild(name, progress=progress)
        finally:
            runner.release()

    return rebuild


def rebuildables() -> list[Rebuildable]:
    return [
        Rebuildable("index", "statement index, canonical definitions, agent names", _index),
        Rebuildable("documents", "current version of every document", _documents),
        *(Rebuildable(p.name, f"the {p.name} view", _projection(p.name)) for p in all_projections()),
    ]
