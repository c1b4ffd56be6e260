"""The social-learning view's tables (projections.social.schema): facts with
validity intervals (presence, participation, artifacts, interactions, memberships),
gatherings, the actors of social statements, opt-outs and analytics settings.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = (
    "social_presence", "social_participation", "social_gathering", "social_artifact", "social_interaction",
    "social_membership", "social_actors", "social_opt_outs", "social_settings", "social_statements",
)


def upgrade() -> None:
    op.create_table(
        "social_presence",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("agent_hash", sa.String(32), primary_key=True),
        sa.Column("agent_key", sa.Text, nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_social_presence_agent", "social_presence", ["store_id", "agent_hash"])
    op.create_index("ix_social_presence_ts", "social_presence", ["store_id", "ts"])
    op.create_table(
        "social_participation",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("gathering_hash", sa.String(32), primary_key=True),
        sa.Column("agent_hash", sa.String(32), primary_key=True),
        sa.Column("gathering_key", sa.Text, nullable=False),
        sa.Column("gathering_kind", sa.String(32), nullable=False),
        sa.Column("agent_key", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_social_participation_agent", "social_participation", ["store_id", "agent_hash"])
    op.create_index("ix_social_participation_ts", "social_participation", ["store_id", "ts"])
    op.create_table(
        "social_gathering",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("gathering_hash", sa.String(32), primary_key=True),
        sa.Column("gathering_key", sa.Text, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("first_ts", sa.String(32), nullable=False),
        sa.Column("first_position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "social_artifact",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("artifact_hash", sa.String(32), primary_key=True),
        sa.Column("author_hash", sa.String(32), primary_key=True),
        sa.Column("artifact_id", sa.Text, nullable=False),
        sa.Column("author_key", sa.Text, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_social_artifact_artifact", "social_artifact", ["store_id", "artifact_hash"])
    op.create_index("ix_social_artifact_author", "social_artifact", ["store_id", "author_hash"])
    op.create_table(
        "social_interaction",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("src_hash", sa.String(32), nullable=False),
        sa.Column("src_key", sa.Text, nullable=False),
        sa.Column("dst_hash", sa.String(32), nullable=True),
        sa.Column("dst_key", sa.Text, nullable=True),
        sa.Column("artifact_id", sa.Text, nullable=True),
        sa.Column("via_statement_id", sa.String(36), nullable=True),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_social_interaction_dst", "social_interaction", ["store_id", "dst_hash"])
    op.create_index("ix_social_interaction_src", "social_interaction", ["store_id", "src_hash"])
    op.create_table(
        "social_membership",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("source_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("agent_hash", sa.String(32), nullable=False),
        sa.Column("agent_key", sa.Text, nullable=False),
        sa.Column("team_key", sa.Text, nullable=False),
        sa.Column("from_ts", sa.String(32), nullable=True),
        sa.Column("to_ts", sa.String(32), nullable=True),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_social_membership_agent", "social_membership", ["store_id", "agent_hash"])
    op.create_index("ix_social_membership_source", "social_membership", ["store_id", "source"])
    op.create_table(
        "social_actors",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("actor_key", sa.Text, nullable=False),
    )
    op.create_table(
        "social_opt_outs",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("agent_hash", sa.String(32), primary_key=True),
        sa.Column("agent_key", sa.Text, nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "social_settings",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "social_statements",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("voided", sa.Boolean, nullable=False),
        sa.Column("contributions", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'social'")
