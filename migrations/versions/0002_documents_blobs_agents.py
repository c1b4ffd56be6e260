"""Documents (State, Activity Profile, Agent Profile), content-addressed blobs, agents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "document_heads",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("doc_hash", sa.String(32), primary_key=True),
        sa.Column("scope_hash", sa.String(32), nullable=False),
        sa.Column("registration", sa.String(36), nullable=True),
        sa.Column("doc_id", sa.Text, nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("updated_us", sa.BigInteger, nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("etag", sa.String(40), nullable=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
    )
    op.create_index(
        "ix_document_heads_scope",
        "document_heads",
        ["store_id", "kind", "scope_hash", "updated_us"],
    )


    op.create_table(
        "agents",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("agent_hash", sa.String(32), primary_key=True),
        sa.Column("identity", sa.Text, nullable=False),
        sa.Column("names", sa.Text, nullable=False),
        sa.Column("updated_position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("agents")
    op.drop_table("document_heads")
    op.drop_table("blobs")
