"""Tables of the social-learning view, declared once (projections.tables).

Facts carry validity intervals in log positions: ``valid_from`` (the statement's
or event's position) and ``valid_to`` (the voiding's or opt-out's position; NULL
while open). A fact is valid at P when valid_from <= P and (valid_to is NULL or
valid_to > P): the same rows answer "now" and "as of P" (design part a).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Text, text

from projections.statements import ledger
from projections.tables import Json, table


def _interval() -> tuple[Column[int], Column[int]]:
    return Column("valid_from", BigInteger, nullable=False), Column("valid_to", BigInteger, nullable=True)


def _changes(name: str) -> tuple[Index, Index]:
    """What changed between two positions (projections.social.delta): facts opened,
    by valid_from, and facts closed, by valid_to (closed facts only: the few voided
    or objected to, so the index stays small and most writes skip it)."""
    closed = text("valid_to IS NOT NULL")
    return (
        Index(f"ix_{name}_opened", "store_id", "valid_from"),
        Index(f"ix_{name}_closed", "store_id", "valid_to", sqlite_where=closed, postgresql_where=closed),
    )


# Any statement by an agent: who was active, on which day (local to the store).
PRESENCE = table(
    "social_presence",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("agent_hash", String(32), primary_key=True),
    Column("agent_key", Text, nullable=False),
    Column("ts", String(32), nullable=False),
    Column("day", String(10), nullable=False),
    *_interval(),
    Index("ix_social_presence_agent", "store_id", "agent_hash"),
    Index("ix_social_presence_ts", "store_id", "ts"),
    *_changes("social_presence"),
)

# Who took part in which gathering, in which role.
PARTICIPATION = table(
    "social_participation",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("gathering_hash", String(32), primary_key=True),
    Column("agent_hash", String(32), primary_key=True),
    Column("gathering_key", Text, nullable=False),
    Column("gathering_kind", String(32), nullable=False),
    Column("agent_key", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("ts", String(32), nullable=False),
    *_interval(),
    Index("ix_social_participation_agent", "store_id", "agent_hash"),
    Index("ix_social_participation_ts", "store_id", "ts"),
    *_changes("social_participation"),
)

# A gathering as first seen (its name from the activity definition).
GATHERING = table(
    "social_gathering",
    Column("store_id", String(64), primary_key=True),
    Column("gathering_hash", String(32), primary_key=True),
    Column("gathering_key", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("activity_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("first_ts", String(32), nullable=False),
    Column("first_position", BigInteger, nullable=False),
)

# Authoring of an artifact; the author is the earliest valid authoring by position.
ARTIFACT = table(
    "social_artifact",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("artifact_hash", String(32), primary_key=True),
    Column("author_hash", String(32), primary_key=True),
    Column("artifact_id", Text, nullable=False),
    Column("author_key", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("ts", String(32), nullable=False),
    *_interval(),
    Index("ix_social_artifact_artifact", "store_id", "artifact_hash"),
    Index("ix_social_artifact_author", "store_id", "author_hash"),
    *_changes("social_artifact"),
)

# Reply, react, consume, share, mentor, talk, instruct: agent to agent or artifact.
INTERACTION = table(
    "social_interaction",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("src_hash", String(32), nullable=False),
    Column("src_key", Text, nullable=False),
    Column("dst_hash", String(32), nullable=True),
    Column("dst_key", Text, nullable=True),
    Column("artifact_id", Text, nullable=True),
    Column("via_statement_id", String(36), nullable=True),
    Column("ts", String(32), nullable=False),
    *_interval(),
    Index("ix_social_interaction_src", "store_id", "src_hash"),
    Index("ix_social_interaction_dst", "store_id", "dst_hash"),
    *_changes("social_interaction"),
)

# Team memberships: imported from HR (member, with dates) or from statements
# (join / leave of a group activity, at the statement's time).
MEMBERSHIP = table(
    "social_membership",
    Column("store_id", String(64), primary_key=True),
    Column("source_id", String(64), primary_key=True),  # statement id or import event id
    Column("seq", Integer, primary_key=True),
    Column("source", String(16), nullable=False),  # import, statement
    Column("action", String(8), nullable=False),  # member, join, leave
    Column("agent_hash", String(32), nullable=False),
    Column("agent_key", Text, nullable=False),
    Column("team_key", Text, nullable=False),
    Column("from_ts", String(32), nullable=True),
    Column("to_ts", String(32), nullable=True),
    *_interval(),
    Index("ix_social_membership_agent", "store_id", "agent_hash"),
    Index("ix_social_membership_source", "store_id", "source"),
    *_changes("social_membership"),
)

# The actor of each social statement, for replies naming it in context.statement.
ACTORS = table(
    "social_actors",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("actor_key", Text, nullable=False),
)

# Objections (opt-out) in force, by agent.
OPT_OUTS = table(
    "social_opt_outs",
    Column("store_id", String(64), primary_key=True),
    Column("agent_hash", String(32), primary_key=True),
    Column("agent_key", Text, nullable=False),
    Column("opted_out", Boolean, nullable=False),
    Column("position", BigInteger, nullable=False),
)

# The store's analytics settings as of the folded position.
SETTINGS = table(
    "social_settings",
    Column("store_id", String(64), primary_key=True),
    Column("settings", Json, nullable=False),
    Column("position", BigInteger, nullable=False),
)

# Team-level graph measures as computed at a checkpoint (design part a, "batch
# metrics"): one row per store, window, level and measure, replaced when computed
# again (at a later position, or with other parameters). Written by reads, not by the fold: it is
# no part of the view's state (projections.social.snapshots). Team level only, so
# no person's identifier is kept in it.
METRIC_SNAPSHOT = table(
    "social_metric_snapshot",
    Column("store_id", String(64), primary_key=True),
    Column("window", String(64), primary_key=True),
    Column("level", String(16), primary_key=True),
    Column("measure", String(32), primary_key=True),
    Column("params_hash", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("result_json", Json, nullable=False),
    Column("library_version", String(32), nullable=False),
)

LEDGER = ledger("social")

FACT_TABLES = (PRESENCE, PARTICIPATION, ARTIFACT, INTERACTION, MEMBERSHIP)
