"""The competency view's change feed: cells by the position that last changed them
(projections.feeds reads "what changed after N" for /feed/views/competency and
webhooks subscribed to the view).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_competency_cells_changed", "competency_cells", ["store_id", "updated_position"]
    )


def downgrade() -> None:
    op.drop_index("ix_competency_cells_changed", table_name="competency_cells")
