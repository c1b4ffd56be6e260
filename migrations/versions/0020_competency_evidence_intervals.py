"""The competency view's evidence rows with validity intervals in log positions
(competency design §8): ``from_position`` joins the key, ``to_position`` closes a
row, ``theta`` is the threshold it was derived under, and an index by competency reads
a competency's cells as of a past position; ``competency_configured``
holds each store's last configuration position. The table is derived data: it is
recreated empty, and the view's version bump (2) folds it again from the log.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ROW = (
    ("competency_iri", sa.Text, False), ("activity_iri", sa.Text, False), ("activity_hash", sa.String(32), False),
    ("kind", sa.String(16), False), ("s", sa.Float, False), ("w", sa.Float, False), ("t_us", sa.BigInteger, False),
    ("path", sa.Text, False), ("authority", sa.Text, False), ("valid_until_us", sa.BigInteger, True),
)


def _evidence(*columns: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        "competency_evidence",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("learner_key", sa.String(32), primary_key=True),
        sa.Column("competency_hash", sa.String(32), primary_key=True),
        sa.Column("statement_id", sa.String(36), primary_key=True),
        *columns,
    )
    op.create_index("ix_competency_evidence_activity", "competency_evidence", ["store_id", "activity_hash", "kind"])


def upgrade() -> None:
    op.drop_table("competency_evidence")
    _evidence(
        sa.Column("from_position", sa.BigInteger, primary_key=True),
        sa.Column("to_position", sa.BigInteger, nullable=True),
        *(sa.Column(name, kind, nullable=null) for name, kind, null in _ROW),
        sa.Column("theta", sa.Float, nullable=False),
    )
    op.create_index("ix_competency_evidence_competency", "competency_evidence", ["store_id", "competency_hash"])
    op.create_table(
        "competency_configured",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("competency_configured")
    op.drop_table("competency_evidence")
    _evidence(
        *(sa.Column(name, kind, nullable=null) for name, kind, null in _ROW),
        sa.Column("position", sa.BigInteger, nullable=False),
    )
