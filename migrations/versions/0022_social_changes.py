"""The social facts opened and closed between two positions, by index: a read after
new statements patches the facts kept at the earlier position
(projections.social.delta) instead of reading the window again.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TABLES = ("social_presence", "social_participation", "social_artifact", "social_interaction", "social_membership")


def upgrade() -> None:
    closed = sa.text("valid_to IS NOT NULL")
    for table in TABLES:
        op.create_index(f"ix_{table}_opened", table, ["store_id", "valid_from"])
        op.create_index(
            f"ix_{table}_closed", table, ["store_id", "valid_to"], sqlite_where=closed, postgresql_where=closed
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_closed", table_name=table)
        op.drop_index(f"ix_{table}_opened", table_name=table)
