"""Tables of the learner progress view, declared once (projections.tables)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Text

from projections.statements import ledger
from projections.tables import Json, table

# One row per learner x activity x registration ("" = all registrations together).
RECORDS = table(
    "progress_records",
    Column("store_id", String(64), primary_key=True),
    Column("learner_hash", String(32), primary_key=True),
    Column("activity_hash", String(32), primary_key=True),
    Column("registration", String(36), primary_key=True),
    Column("learner", Json, nullable=False),
    Column("activity_id", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_at", String(32), nullable=False),
    Column("last_at", String(32), nullable=False),
    Column("completed_at", String(32), nullable=True),
    Column("best_scaled", Float, nullable=True),
    Column("last_scaled", Float, nullable=True),
    Column("time_spent_s", Float, nullable=False),
    Column("progress", Float, nullable=True),
    Column("evidence", Json, nullable=False),
    # The facts the row is the summary of, in time order (withdrawn on voiding).
    Column("facts", Json, nullable=False),
    Column("updated_position", BigInteger, nullable=False),
    Index("ix_progress_records_activity", "store_id", "activity_hash", "registration", "status"),
    Index("ix_progress_records_learner", "store_id", "learner_hash", "registration", "last_at"),
)

# The activity tree: child activities under a parent (or grouping) activity.
EDGES = table(
    "progress_edges",
    Column("store_id", String(64), primary_key=True),
    Column("parent_hash", String(32), primary_key=True),
    Column("child_hash", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("parent_id", Text, nullable=False),
    Column("child_id", Text, nullable=False),
    Column("statements", Integer, nullable=False),
)

# What each statement contributed (projections.statements).
LEDGER = ledger("progress")

records, edges = RECORDS.sql, EDGES.sql
