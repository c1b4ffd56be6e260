"""Tables of the competency view, declared once (projections.tables).

IRIs and agents are keyed by their 128-bit hash (lrs.xapi.agents.key_hash), with
the IRI itself in a column of its own: keys stay short on every backend. Times are
integer microseconds since the epoch (``*_us``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Text

from projections.statements import ledger
from projections.tables import Json, table

H = 32  # key_hash width

FRAMEWORKS = table(
    "competency_frameworks",
    Column("store_id", String(64), primary_key=True),
    Column("framework_hash", String(H), primary_key=True),
    Column("framework_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("version", Text, nullable=False),
    Column("retired", Boolean, nullable=False),
    Column("scale", Json, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("items", Integer, nullable=False),
    Column("from_position", BigInteger, nullable=False),
)

ITEMS = table(
    "competency_items",
    Column("store_id", String(64), primary_key=True),
    Column("iri_hash", String(H), primary_key=True),
    Column("iri", Text, nullable=False),
    Column("framework_hash", String(H), nullable=False),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("parent_iri", Text, nullable=True),
    Column("type", Text, nullable=False),
    Column("mastery_threshold", Float, nullable=True),
    Column("ordinal", Integer, nullable=False),
    Index("ix_competency_items_framework", "store_id", "framework_hash", "ordinal"),
)

RELATIONS = table(
    "competency_relations",
    Column("store_id", String(64), primary_key=True),
    Column("source_hash", String(H), primary_key=True),
    Column("target_hash", String(H), primary_key=True),
    Column("type", String(16), primary_key=True),
    Column("source_iri", Text, nullable=False),
    Column("target_iri", Text, nullable=False),
    Column("framework_hash", String(H), nullable=False),
    Index("ix_competency_relations_target", "store_id", "target_hash", "type"),
    Index("ix_competency_relations_framework", "store_id", "framework_hash"),
)

# Admin alignments (A5), by activity (prefix 2) and by competency (index).
ALIGNMENTS = table(
    "competency_alignments",
    Column("store_id", String(64), primary_key=True),
    Column("activity_hash", String(H), primary_key=True),
    Column("competency_hash", String(H), primary_key=True),
    Column("activity_iri", Text, nullable=False),
    Column("competency_iri", Text, nullable=False),
    Column("type", String(16), nullable=False),
    Column("weight", Float, nullable=False),
    Column("from_position", BigInteger, nullable=False),
    Index("ix_competency_alignments_competency", "store_id", "competency_hash"),
    prefixes=(2,),
)

# Every statement a rule could ever make evidence of: what a later framework or
# alignment re-derives evidence from, without reading the statement index.
OBSERVATIONS = table(
    "competency_observations",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("learner_key", String(H), nullable=False),
    Column("activity_iri", Text, nullable=False),
    Column("verb", Text, nullable=False),
    Column("scaled", Float, nullable=True),
    Column("success", Boolean, nullable=True),
    Column("completion", Boolean, nullable=True),
    Column("t_us", BigInteger, nullable=False),
    Column("data", Json, nullable=False),
    # [competency hash, from_position] of the evidence rows this observation holds open.
    Column("derived", Json, nullable=False),
)

# IRI -> observations that name it (object, context activities, moreInfo, A3).
MENTIONS = table(
    "competency_mentions",
    Column("store_id", String(64), primary_key=True),
    Column("iri_hash", String(H), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    prefixes=(2,),
)

# Bitemporal rows (design §8): a row holds from the log position that derived it
# (``from_position``) until the one that voided or re-derived it differently
# (``to_position``; NULL while it holds). The live rows are those still open; the rows
# as of position P are those with from_position <= P < to_position, so a learner's
# cells as of P are recomputed from them without replaying the log
# (projections.competency.queries). ``theta`` is the threshold the row was derived
# under: a framework re-import that changes it re-derives, so the cell's threshold
# as of P is in its rows too.
EVIDENCE = table(
    "competency_evidence",
    Column("store_id", String(64), primary_key=True),
    Column("learner_key", String(H), primary_key=True),
    Column("competency_hash", String(H), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("from_position", BigInteger, primary_key=True),
    Column("to_position", BigInteger, nullable=True),
    Column("competency_iri", Text, nullable=False),
    Column("activity_iri", Text, nullable=False),
    Column("activity_hash", String(H), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("s", Float, nullable=False),
    Column("w", Float, nullable=False),
    Column("t_us", BigInteger, nullable=False),
    Column("path", Text, nullable=False),
    Column("authority", Text, nullable=False),
    Column("valid_until_us", BigInteger, nullable=True),
    Column("theta", Float, nullable=False),
    Index("ix_competency_evidence_activity", "store_id", "activity_hash", "kind"),
    # A competency's rows across learners: its cells as of a past position (experts).
    Index("ix_competency_evidence_competency", "store_id", "competency_hash"),
    prefixes=(3,),
)

# The cache of recompute(active rows) per learner x competency.
CELLS = table(
    "competency_cells",
    Column("store_id", String(64), primary_key=True),
    Column("learner_key", String(H), primary_key=True),
    Column("competency_hash", String(H), primary_key=True),
    Column("competency_iri", Text, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("level", Float, nullable=False),
    Column("mass_last", Float, nullable=False),
    Column("t_first_us", BigInteger, nullable=False),
    Column("t_last_us", BigInteger, nullable=False),
    Column("t_last_positive_us", BigInteger, nullable=True),
    Column("n_evidence", Integer, nullable=False),
    Column("n_assessed", Integer, nullable=False),
    Column("n_positive", Integer, nullable=False),
    Column("n_negative", Integer, nullable=False),
    Column("n_sources", Integer, nullable=False),
    Column("lapsed_at_us", BigInteger, nullable=True),
    Column("valid_until_us", BigInteger, nullable=True),
    Column("last_kind", String(16), nullable=False),
    Column("trend", String(8), nullable=True),
    Column("updated_position", BigInteger, nullable=False),
    Index("ix_competency_cells_competency", "store_id", "competency_hash", "level"),
    # What changed after a position (the change feed, projections.feeds).
    Index("ix_competency_cells_changed", "store_id", "updated_position"),
)

# Per store, the position of the last configuration event (framework, alignment,
# role, team): the configuration tables as read now are those of any position since.
CONFIGURED = table(
    "competency_configured",
    Column("store_id", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

LEARNERS = table(
    "competency_learners",
    Column("store_id", String(64), primary_key=True),
    Column("learner_key", String(H), primary_key=True),
    Column("agent", Json, nullable=False),
)

ROLES = table(
    "competency_roles",
    Column("store_id", String(64), primary_key=True),
    Column("role_id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
    Column("source", Text, nullable=True),
    # [{competency_iri, min_level (label or 0..1), importance, weight}]
    Column("requirements", Json, nullable=False),
)

TEAMS = table(
    "competency_teams",
    Column("store_id", String(64), primary_key=True),
    Column("team_id", String(128), primary_key=True),
    Column("name", Text, nullable=False),
)

TEAM_MEMBERS = table(
    "competency_team_members",
    Column("store_id", String(64), primary_key=True),
    Column("team_id", String(128), primary_key=True),
    Column("learner_key", String(H), primary_key=True),
    Column("agent", Json, nullable=False),
    Index("ix_competency_team_members_learner", "store_id", "learner_key"),
    prefixes=(2,),
)

LEDGER = ledger("competency")
