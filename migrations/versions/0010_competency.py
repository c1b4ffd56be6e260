"""The competency view's tables: frameworks, items, relations, alignments, observations,
mentions, evidence, cells, learners, roles, teams and the statement ledger.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "competency_frameworks",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("framework_hash", sa.String(32), primary_key=True),
        sa.Column("framework_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("retired", sa.Boolean, nullable=False),
        sa.Column("scale", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("from_position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "competency_items",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("iri_hash", sa.String(32), primary_key=True),
        sa.Column("iri", sa.Text, nullable=False),
        sa.Column("framework_hash", sa.String(32), nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_iri", sa.Text, nullable=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("mastery_threshold", sa.Float, nullable=True),
        sa.Column("ordinal", sa.Integer, nullable=False),
    )
    op.create_index("ix_competency_items_framework", "competency_items", ["store_id", "framework_hash", "ordinal"])
    op.create_table(
        "competency_relations",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("source_hash", sa.String(32), primary_key=True),
        sa.Column("target_hash", sa.String(32), primary_key=True),
        sa.Column("type", sa.String(16), primary_key=True),
        sa.Column("source_iri", sa.Text, nullable=False),
        sa.Column("target_iri", sa.Text, nullable=False),
        sa.Column("framework_hash", sa.String(32), nullable=False),
    )
    op.create_index("ix_competency_relations_framework", "competency_relations", ["store_id", "framework_hash"])
    op.create_index("ix_competency_relations_target", "competency_relations", ["store_id", "target_hash", "type"])
    op.create_table(
        "competency_alignments",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
        sa.Column("competency_hash", sa.String(32), primary_key=True),
        sa.Column("activity_iri", sa.Text, nullable=False),
        sa.Column("competency_iri", sa.Text, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("from_position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_competency_alignments_competency", "competency_alignments", ["store_id", "competency_hash"])
    op.create_table(
        "competency_observations",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("learner_key", sa.String(32), nullable=False),
        sa.Column("activity_iri", sa.Text, nullable=False),
        sa.Column("verb", sa.Text, nullable=False),
        sa.Column("scaled", sa.Float, nullable=True),
        sa.Column("success", sa.Boolean, nullable=True),
        sa.Column("completion", sa.Boolean, nullable=True),
        sa.Column("t_us", sa.BigInteger, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("derived", sa.Text, nullable=False),
    )
    op.create_table(
        "competency_mentions",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("iri_hash", sa.String(32), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
    )
    op.create_table(
        "competency_evidence",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_key", sa.String(32), primary_key=True),
        sa.Column("competency_hash", sa.String(32), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("competency_iri", sa.Text, nullable=False),
        sa.Column("activity_iri", sa.Text, nullable=False),
        sa.Column("activity_hash", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("s", sa.Float, nullable=False),
        sa.Column("w", sa.Float, nullable=False),
        sa.Column("t_us", sa.BigInteger, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("authority", sa.Text, nullable=False),
        sa.Column("valid_until_us", sa.BigInteger, nullable=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_competency_evidence_activity", "competency_evidence", ["store_id", "activity_hash", "kind"])
    op.create_table(
        "competency_cells",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_key", sa.String(32), primary_key=True),
        sa.Column("competency_hash", sa.String(32), primary_key=True),
        sa.Column("competency_iri", sa.Text, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("level", sa.Float, nullable=False),
        sa.Column("mass_last", sa.Float, nullable=False),
        sa.Column("t_first_us", sa.BigInteger, nullable=False),
        sa.Column("t_last_us", sa.BigInteger, nullable=False),
        sa.Column("t_last_positive_us", sa.BigInteger, nullable=True),
        sa.Column("n_evidence", sa.Integer, nullable=False),
        sa.Column("n_assessed", sa.Integer, nullable=False),
        sa.Column("n_positive", sa.Integer, nullable=False),
        sa.Column("n_negative", sa.Integer, nullable=False),
        sa.Column("n_sources", sa.Integer, nullable=False),
        sa.Column("lapsed_at_us", sa.BigInteger, nullable=True),
        sa.Column("valid_until_us", sa.BigInteger, nullable=True),
        sa.Column("last_kind", sa.String(16), nullable=False),
        sa.Column("trend", sa.String(8), nullable=True),
        sa.Column("updated_position", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_competency_cells_competency", "competency_cells", ["store_id", "competency_hash", "level"])
    op.create_table(
        "competency_learners",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_key", sa.String(32), primary_key=True),
        sa.Column("agent", sa.Text, nullable=False),
    )
    op.create_table(
        "competency_roles",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("role_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("requirements", sa.Text, nullable=False),
    )
    op.create_table(
        "competency_teams",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(128), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    op.create_table(
        "competency_team_members",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(128), primary_key=True),
        sa.Column("learner_key", sa.String(32), primary_key=True),
        sa.Column("agent", sa.Text, nullable=False),
    )
    op.create_index("ix_competency_team_members_learner", "competency_team_members", ["store_id", "learner_key"])
    op.create_table(
        "competency_statements",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("voided", sa.Boolean, nullable=False),
        sa.Column("contributions", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("competency_statements")
    op.drop_table("competency_team_members")
    op.drop_table("competency_teams")
    op.drop_table("competency_roles")
    op.drop_table("competency_learners")
    op.drop_table("competency_cells")
    op.drop_table("competency_evidence")
    op.drop_table("competency_mentions")
    op.drop_table("competency_observations")
    op.drop_table("competency_alignments")
    op.drop_table("competency_relations")
    op.drop_table("competency_items")
    op.drop_table("competency_frameworks")
