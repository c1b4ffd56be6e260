"""Tables of the programme KPI view, declared once (projections.tables).

A star schema: one compact fact row per relevant statement and learner, KPIs
worked out when asked for (projections.kpi.scope), so programmes and quarterly
themes (read-time joins) can change without a rebuild. A voiding deletes the
voided statement's rows (projections.statements); ``asOf`` answers from a replay.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, String, Text

from projections.statements import ledger
from projections.tables import Json, table

# One row per (statement, learner): a Group actor's identified members each get one.
FACTS = table(
    "kpi_facts",
    Column("store_id", String(64), primary_key=True),
    Column("statement_id", String(36), primary_key=True),
    Column("agent_hash", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),       # valid from (log position)
    Column("activity_id", Text, nullable=False),
    Column("activity_type", Text, nullable=True),
    Column("registration", String(36), nullable=False),   # "" when none
    Column("verb_class", String(16), nullable=False),
    Column("ts", String(32), nullable=False),             # UTC, the xAPI form of stored
    # Buckets in the store's time zone and fiscal year (analytics settings at fold time;
    # a settings change re-buckets the store's facts).
    Column("day", String(10), nullable=False),
    Column("iso_week", String(8), nullable=False),
    Column("month", String(7), nullable=False),
    Column("quarter", String(7), nullable=False),
    Column("scaled_score", Float, nullable=True),
    Column("raw_score", Float, nullable=True),
    Column("success", Boolean, nullable=True),
    Column("completion", Boolean, nullable=True),
    Column("duration_s", Float, nullable=True),
    Column("group_mode", Boolean, nullable=False),
    Column("rating_value", Float, nullable=True),
    Column("response_hash", String(32), nullable=True),
    Column("parent_ids", Json, nullable=False),
    Column("grouping_ids", Json, nullable=False),
    Column("category_ids", Json, nullable=False),
    Index("ix_kpi_facts_time", "store_id", "ts"),
    Index("ix_kpi_facts_activity", "store_id", "activity_id"),
    prefixes=(1,),
)

# Activities as first declared: type and name from the first statement that named
# them (kept while any statement of theirs counts).
ACTIVITIES = table(
    "kpi_activities",
    Column("store_id", String(64), primary_key=True),
    Column("activity_hash", String(32), primary_key=True),
    Column("activity_id", Text, nullable=False),
    Column("type", Text, nullable=True),
    Column("name", Json, nullable=True),
    Column("first_position", BigInteger, nullable=False),
    Column("statements", Integer, nullable=False),
)

# The context activities of the facts, counted per activity: how many valid
# statements on an activity name a parent, grouping or category. A read takes the
# activity tree (the parent rows) and a programme's membership by context (an
# activity whose every statement names a programme activity is a member whole; one
# whose statements only sometimes do is checked fact by fact) from here instead of
# scanning every fact's JSON arrays. Keyed by activity, never by programme, so
# definitions stay read-time joins; kept equal to the facts (a property checks it).
LINKS = table(
    "kpi_links",
    Column("store_id", String(64), primary_key=True),
    Column("activity_hash", String(32), primary_key=True),
    Column("kind", String(8), primary_key=True),          # parent, grouping, category
    Column("context_hash", String(32), primary_key=True),
    Column("activity_id", Text, nullable=False),
    Column("context_id", Text, nullable=False),
    Column("statements", Integer, nullable=False),
    Index("ix_kpi_links_context", "store_id", "context_id"),
)

# Programme definitions (kpi.programme.defined / .retired), every version kept: a
# read joins the newest version at or before the position it answers for.
PROGRAMMES = table(
    "kpi_programmes",
    Column("store_id", String(64), primary_key=True),
    Column("programme_id", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", Json, nullable=True),            # None: retired
    Column("position", BigInteger, nullable=False),
    Column("recorded_at", String(32), nullable=False),
    prefixes=(1, 2),
)

# The store's analytics settings: the buckets were made with its time zone and fiscal
# start; thresholds, mode and inactivity days are read by the queries.
SETTINGS = table(
    "kpi_settings",
    Column("store_id", String(64), primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("fiscal_start_month", Integer, nullable=False),
    Column("settings", Json, nullable=False),             # the whole settings event
    Column("position", BigInteger, nullable=False),
)

# Team memberships from HR imports (people.membership.imported, the social view's
# event): who was in which team from which local day (inclusive) to which (exclusive;
# "" = open). An import replaces the store's earlier imports unless it says merge.
MEMBERSHIPS = table(
    "kpi_memberships",
    Column("store_id", String(64), primary_key=True),
    Column("agent_hash", String(32), primary_key=True),
    Column("team", String(128), primary_key=True),
    Column("valid_from", String(10), primary_key=True),   # "" = since always
    Column("valid_to", String(10), nullable=False),       # "" = open
    Column("position", BigInteger, nullable=False),
    prefixes=(1,),
)

LEDGER = ledger("kpi")

facts, activities, links, programmes, settings, memberships = (
    FACTS.sql, ACTIVITIES.sql, LINKS.sql, PROGRAMMES.sql, SETTINGS.sql, MEMBERSHIPS.sql
)
