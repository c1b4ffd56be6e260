"""Projection checkpoints and the learner progress view.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("error_position", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "progress_records",
        sa.Column("key", sa.String(160), primary_key=True),
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
        "ix_progress_records_activity",
        "progress_records",
        ["store_id", "activity_hash", "registration", "status"],
    )
    op.create_index(
        "ix_progress_records_learner",
        "progress_records",
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


def downgrade() -> None:
    for table in ("progress_edges", "progress_statements", "progress_records", "projection_checkpoints"):
        op.drop_table(table)
