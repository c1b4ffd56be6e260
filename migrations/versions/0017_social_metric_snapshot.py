"""The social view's metric snapshots: team-level graph measures as computed at a
checkpoint, with the library version and parameters (design part a, "batch
metrics"; projections.social.snapshots).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "social_metric_snapshot",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("window", sa.String(64), primary_key=True),
        sa.Column("level", sa.String(16), primary_key=True),
        sa.Column("measure", sa.String(32), primary_key=True),
        sa.Column("params_hash", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("result_json", sa.Text, nullable=False),
        sa.Column("library_version", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("social_metric_snapshot")
