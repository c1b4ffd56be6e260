"""Forwarding targets (their current state and secrets) and their delivery status;
progress records by the position that last changed them (the view's change feed).

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forwarding_targets",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("paused_reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "forwarding_status",
        sa.Column("target_id", sa.String(48), primary_key=True),
        sa.Column("last_success_at", sa.String(32), nullable=True),
        sa.Column("last_attempt_at", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_error_at", sa.String(32), nullable=True),
        sa.Column("failing_since", sa.String(32), nullable=True),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.String(32), nullable=True),
        sa.Column("delivered", sa.BigInteger, nullable=False),
        sa.Column("rejected", sa.BigInteger, nullable=False),
        sa.Column("last_rejection", sa.Text, nullable=True),
    )

    op.create_index(
        "ix_progress_records_changed", "progress_records", ["store_id", "updated_position"]
    )


def downgrade() -> None:
    op.drop_index("ix_progress_records_changed", table_name="progress_records")
    op.drop_table("forwarding_status")
    op.drop_table("forwarding_targets")
