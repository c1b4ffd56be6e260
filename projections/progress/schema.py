"""Tables of the learner progress view, declared once (projections.tables)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Text

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
    # What lets a fact arriving in time order update the row alone (logic.advance).
    Column("attempt_count", Integer, nullable=False),
    Column("best_at", String(32), nullable=True),
    Column("last_position", BigInteger, nullable=False),
    Column("last_id", String(36), nullable=False),
    Column("updated_position", BigInteger, nullable=False),
    Index("ix_progress_records_activity", "store_id", "activity_hash", "registration", "status"),
    Index("ix_progress_records_learner", "store_id", "learner_hash", "registration", "last_at"),
    # The change feed (/feed/views/progress, webhooks): rows changed after a position.
    Index("ix_progress_records_changed", "store_id", "updated_position"),
)

# The facts records summarise, one row per learner x activity x statement (written
# once, deleted on voiding): the all-registrations record reads them all, a
# registration's record those of its registration. Read by learner x activity (a key
# prefix) when a fact arrives out of time order, on voiding, and for the evidence a
# detail answer lists. One row serves both records a statement with a registration
# counts in: a row per record wrote nearly twice as many.
FACTS = table(
    "progress_facts",
    Column("store_id", String(64), primary_key=True),
    Column("learner_hash", String(32), primary_key=True),
    Column("activity_hash", String(32), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("registration", String(36), nullable=False),
    Column("at", String(32), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("verb", Text, nullable=False),
    Column("success", Boolean, nullable=True),
    Column("completion", Boolean, nullable=True),
    Column("scaled", Float, nullable=True),
    Column("duration", Float, nullable=True),
    Column("progress", Float, nullable=True),
    prefixes=(3,),
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

records, edges, facts = RECORDS.sql, EDGES.sql, FACTS.sql
