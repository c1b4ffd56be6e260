"""Alembic is the only DDL path: the migrated database must match lrs.schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import projections.progress.schema  # noqa: F401 - registers the progress tables
from lrs.migrate import current_revision, head_revision
from lrs.schema import metadata
from projections.schema import metadata as projection_metadata


def test_migrated_schema_matches_the_table_definitions(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, [metadata, projection_metadata])
    assert diff == []


def test_database_is_at_the_head_revision(engine):
    assert current_revision(engine) == head_revision()
