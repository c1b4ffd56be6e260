"""The programme KPI view: facts per relevant statement, activities as first
declared, programme definitions (versions), bucket settings, team memberships
from HR imports, and its ledger.

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpi_facts",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("agent_hash", sa.String(32), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("activity_type", sa.Text, nullable=True),
        sa.Column("registration", sa.String(36), nullable=False),
        sa.Column("verb_class", sa.String(16), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("iso_week", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("quarter", sa.String(7), nullable=False),
        sa.Column("scaled_score", sa.Float, nullable=True),
        sa.Column("raw_score", sa.Float, nullable=True),
        sa.Column("success", sa.Boolean, nullable=True),
        sa.Column("completion", sa.Boolean, nullable=True),
        sa.Column("duration_s", sa.Float, nullable=True),
        sa.Column("group_mode", sa.Boolean, nullable=False),
        sa.Column("rating_value", sa.Float, nullable=True),
        sa.Column("response_hash", sa.String(32), nullable=True),
        sa.Column("parent_ids", sa.Text, nullable=False),
        sa.Column("grouping_ids", sa.Text, nullable=False),
        sa.Column("category_ids", sa.Text, nullable=False),
    )
    op.create_index("ix_kpi_facts_time", "kpi_facts", ["store_id", "ts"])
    op.create_index("ix_kpi_facts_activity", "kpi_facts", ["store_id", "activity_id"])
    op.create_table(
        "kpi_activities",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("first_position", sa.BigInteger, nullable=False),
        sa.Column("statements", sa.Integer, nullable=False),
    )
    op.create_table(
        "kpi_programmes",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("programme_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("definition", sa.Text, nullable=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "kpi_settings",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("fiscal_start_month", sa.Integer, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "kpi_memberships",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("agent_hash", sa.String(32), primary_key=True),
        sa.Column("team", sa.String(128), primary_key=True),
        sa.Column("valid_from", sa.String(10), primary_key=True),
        sa.Column("valid_to", sa.String(10), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "kpi_statements",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("voided", sa.Boolean, nullable=False),
        sa.Column("contributions", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("kpi_statements", "kpi_memberships", "kpi_settings", "kpi_programmes", "kpi_activities", "kpi_facts"):
        op.drop_table(name)
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'kpi'")
