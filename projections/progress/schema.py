"""Tables of the learner progress view."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Table, Text

from projections.schema import metadata

# One row per learner x activity x registration ("" = all registrations together).
records = Table(
    "progress_records",
    metadata,
    # store id (up to 64) + learner hash + activity hash + registration + separators.
    Column("key", String(200), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("learner_hash", String(32), nullable=False),
    Column("activity_hash", String(32), nullable=False),
    Column("registration", String(36), nullable=False),
    Column("learner", Text, nullable=False),
    Column("activity_id", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_at", String(40), nullable=False),
    Column("last_at", String(40), nullable=False),
    Column("completed_at", String(40), nullable=True),
    Column("best_scaled", Float, nullable=True),
    Column("last_scaled", Float, nullable=True),
    Column("time_spent_s", Float, nullable=False),
    Column("progress", Float, nullable=True),
    Column("evidence", Text, nullable=False),
    Column("facts", Text, nullable=False),
    Column("updated_position", BigInteger, nullable=False),
    Index("ix_progress_records_activity", "store_id", "activity_hash", "registration", "status"),
    Index("ix_progress_records_learner", "store_id", "learner_hash", "registration", "last_at"),
)

# What each statement contributed, so that voiding can withdraw it; a statement
# voided before it arrives is remembered here too.
statements = Table(
    "progress_statements",
    metadata,
    Column("key", String(110), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("statement_id", String(36), nullable=False),
    Column("contributions", Text, nullable=True),
    Column("voided", Boolean, nullable=False),
)

# The activity tree: child activities under a parent (or grouping) activity.
edges = Table(
    "progress_edges",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("store_id", String(64), nullable=False),
    Column("parent_hash", String(32), nullable=False),
    Column("child_hash", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_id", Text, nullable=False),
    Column("child_id", Text, nullable=False),
    Column("statements", Integer, nullable=False),
    Index("ix_progress_edges_parent", "store_id", "parent_hash"),
)
