"""Projection tables keyed by their primary key columns (no joined ``key`` column);
progress facts in a table of their own.

The progress tables are laid out again; the progress view rebuilds itself from the
log on its next step (its version changed with its code).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ("progress_records", "progress_statements", "progress_edges"):
        op.drop_table(name)
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'progress'")
    op.create_table(
        "progress_records",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_hash", sa.String(32), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
        sa.Column("registration", sa.String(36), primary_key=True),
        sa.Column("learner", sa.Text, nullable=False),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_at", sa.String(32), nullable=False),
        sa.Column("last_at", sa.String(32), nullable=False),
        sa.Column("completed_at", sa.String(32), nullable=True),
        sa.Column("best_scaled", sa.Float, nullable=True),
        sa.Column("last_scaled", sa.Float, nullable=True),
        sa.Column("time_spent_s", sa.Float, nullable=False),
        sa.Column("progress", sa.Float, nullable=True),
        sa.Column("attempt_count", sa.Integer, nullable=False),
        sa.Column("best_at", sa.String(32), nullable=True),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("last_id", sa.String(36), nullable=False),
        sa.Column("updated_position", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_progress_records_activity", "progress_records",
        ["store_id", "activity_hash", "registration", "status"],
    )
    op.create_index(
        "ix_progress_records_learner", "progress_records",
        ["store_id", "learner_hash", "registration", "last_at"],
    )
    op.create_table(
        "progress_facts",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_hash", sa.String(32), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
        sa.Column("registration", sa.String(36), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("verb", sa.Text, nullable=False),
        sa.Column("success", sa.Boolean, nullable=True),
        sa.Column("completion", sa.Boolean, nullable=True),
        sa.Column("scaled", sa.Float, nullable=True),
        sa.Column("duration", sa.Float, nullable=True),
        sa.Column("progress", sa.Float, nullable=True),
    )
    op.create_table(
        "progress_edges",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("parent_hash", sa.String(32), primary_key=True),
        sa.Column("child_hash", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("parent_id", sa.Text, nullable=False),
        sa.Column("child_id", sa.Text, nullable=False),
        sa.Column("statements", sa.Integer, nullable=False),
    )
    op.create_table(
        "progress_statements",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("voided", sa.Boolean, nullable=False),
        sa.Column("contributions", sa.Text, nullable=False),
    )


def downgrade() -> None:
    # The 0007 layout, empty: the code of that time rebuilds the view from the log.
    for name in ("progress_records", "progress_facts", "progress_statements", "progress_edges"):
        op.drop_table(name)
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'progress'")
    op.create_table(
        "progress_records",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("learner_hash", sa.String(32), nullable=False),
        sa.Column("activity_hash", sa.String(32), nullable=False),
        sa.Column("registration", sa.String(36), nullable=False),
        sa.Column("learner", sa.Text, nullable=False),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_at", sa.String(40), nullable=False),
        sa.Column("last_at", sa.String(40), nullable=False),
        sa.Column("completed_at", sa.String(40), nullable=True),
        sa.Column("best_scaled", sa.Float, nullable=True),
        sa.Column("last_scaled", sa.Float, nullable=True),
        sa.Column("time_spent_s", sa.Float, nullable=False),
        sa.Column("progress", sa.Float, nullable=True),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("updated_position", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_progress_records_activity", "progress_records",
        ["store_id", "activity_hash", "registration", "status"],
    )
    op.create_index(
        "ix_progress_records_learner", "progress_records",
        ["store_id", "learner_hash", "registration", "last_at"],
    )
    op.create_table(
        "progress_statements",
        sa.Column("key", sa.String(110), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("statement_id", sa.String(36), nullable=False),
        sa.Column("contributions", sa.Text, nullable=True),
        sa.Column("voided", sa.Boolean, nullable=False),
    )
    op.create_table(
        "progress_edges",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("parent_hash", sa.String(32), nullable=False),
        sa.Column("child_hash", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Text, nullable=False),
        sa.Column("child_id", sa.Text, nullable=False),
        sa.Column("statements", sa.Integer, nullable=False),
    )
    op.create_index("ix_progress_edges_parent", "progress_edges", ["store_id", "parent_hash"])
