"""Voiding statements an erasure removed whole keep voiding (Data 2.3.2): the
``erased_voiding`` index table (lrs.schema), so that a target arriving after the
erasure is voided too. Filled from the log: statements an earlier erasure redacted
whole keep ``"voids"`` in their marker.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erased_voiding",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("voids_statement_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_erased_voiding_target", "erased_voiding", ["store_id", "voids_statement_id"])
    # Erasures made before this table existed: their redacted voiding statements
    # carry what they voided in the marker payload.
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT store_id, data FROM events WHERE type = 'xapi.statement.stored' "
        "AND data LIKE '%\"lrs:redacted\"%' AND data LIKE '%\"voids\"%'"
    )).all()
    values = []
    for store_id, data in rows:
        payload = json.loads(data)
        if isinstance(payload.get("voids"), str) and isinstance(payload.get("id"), str):
            values.append({"store_id": store_id, "statement_id": payload["id"].lower(),
                           "voids_statement_id": payload["voids"]})
    if values:
        op.bulk_insert(sa.table(
            "erased_voiding", sa.column("store_id"), sa.column("statement_id"),
            sa.column("voids_statement_id"),
        ), values)


def downgrade() -> None:
    op.drop_index("ix_erased_voiding_target", table_name="erased_voiding")
    op.drop_table("erased_voiding")
