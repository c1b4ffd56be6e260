"""The authority of each statement, for the statements/read/mine scope.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statements") as batch:
        batch.add_column(sa.Column("authority_hash", sa.String(32), nullable=True))
    op.create_index(
        "ix_statements_store_authority", "statements", ["store_id", "authority_hash", "position"]
    )


def downgrade() -> None:
    op.drop_index("ix_statements_store_authority", "statements")
    with op.batch_alter_table("statements") as batch:
        batch.drop_column("authority_hash")
