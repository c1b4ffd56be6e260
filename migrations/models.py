"""The tables the migrations must produce: the log, the index and every projection's.

``migrations/env.py`` gives them to Alembic (``alembic revision --autogenerate``,
``alembic check``), and tests/db/test_migrations.py fails when a migrated database
and these declarations disagree.
"""

from __future__ import annotations

from sqlalchemy import MetaData


def target_metadata() -> list[MetaData]:
    from lrs.schema import metadata
    from projections.registry import all_projections
    from projections.schema import metadata as projection_metadata

    all_projections()  # importing each projection declares its tables
    return [metadata, projection_metadata]
