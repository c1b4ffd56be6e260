"""Progress facts: one row per learner x activity x statement, its registration a
column (projections.progress.schema), instead of one per record: a statement with
a registration wrote the same fact twice, for the all-registrations record and for
its registration's.

The view's rows are emptied and its checkpoint dropped: the projection (version 6)
folds them again from the log, as after any change of its version.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_EMPTIED = ("progress_records", "progress_edges", "progress_statements")
_FIELDS = (
    ("at", sa.String(32), False),
    ("position", sa.BigInteger, False),
    ("verb", sa.Text, False),
    ("success", sa.Boolean, True),
    ("completion", sa.Boolean, True),
    ("scaled", sa.Float, True),
    ("duration", sa.Float, True),
    ("progress", sa.Float, True),
)


def _facts(*, per_record: bool) -> None:
    """progress_facts keyed by learner x activity x statement, or (``per_record``,
    the 0018 layout) by learner x activity x registration x statement."""
    key = [
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_hash", sa.String(32), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
    ]
    registration = sa.Column("registration", sa.String(36), primary_key=per_record, nullable=False)
    statement = sa.Column("statement_id", sa.String(36), primary_key=True)
    op.create_table(
        "progress_facts",
        *key,
        *([registration, statement] if per_record else [statement, registration]),
        *(sa.Column(name, kind, nullable=nullable) for name, kind, nullable in _FIELDS),
    )


def _empty() -> None:
    op.drop_table("progress_facts")
    for name in _EMPTIED:
        op.execute(f"DELETE FROM {name}")
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'progress'")


def upgrade() -> None:
    _empty()
    _facts(per_record=False)


def downgrade() -> None:
    # The 0018 layout, empty: the code of that time (version 5) rebuilds the view.
    _empty()
    _facts(per_record=True)
