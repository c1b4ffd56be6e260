"""Positions an import left out (lrs.audit.load), which `lrs verify` then accepts;
the last rejected statement requests of each credential (lrs.rejections).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_gaps",
        sa.Column("first_position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_table(
        "rejections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("credential_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_length", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_rejections_credential_at", "rejections", ["credential_id", "at"])
    op.create_index("ix_rejections_store_at", "rejections", ["store_id", "at"])


def downgrade() -> None:
    op.drop_table("rejections")
    op.drop_table("log_gaps")
