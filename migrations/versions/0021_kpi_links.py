"""The KPI view's context links (projections.kpi.schema LINKS): per activity, how
many valid statements name each parent, grouping or category activity. Reads take
the activity tree and a programme's membership by context from it instead of
scanning every fact's JSON arrays. The view's version changes with it, so the
runner rebuilds the view and fills the table.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_links",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("context_hash", sa.String(32), primary_key=True),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("context_id", sa.Text, nullable=False),
        sa.Column("statements", sa.Integer, nullable=False),
    )
    op.create_index("ix_kpi_links_context", "kpi_links", ["store_id", "context_id"])


def downgrade() -> None:
    op.drop_index("ix_kpi_links_context", table_name="kpi_links")
    op.drop_table("kpi_links")
