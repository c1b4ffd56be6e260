"""progress_records.key holds store id (up to 64), two hashes and a registration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("progress_records") as batch:
        batch.alter_column("key", type_=sa.String(200), existing_type=sa.String(160), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("progress_records") as batch:
        batch.alter_column("key", type_=sa.String(160), existing_type=sa.String(200), existing_nullable=False)
