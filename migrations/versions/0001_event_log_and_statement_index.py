"""Event log, stores, credentials and the inline statement index.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END""",
)

_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'events are append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
       FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
       FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("stream_id", sa.String(512), nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint(
            "store_id", "stream_id", "stream_version", name="uq_events_stream_version"
        ),
        sa.UniqueConstraint("store_id", "event_id", name="uq_events_event_id"),
    )
    op.create_index("ix_events_store_position", "events", ["store_id", "position"])

    op.create_table(
        "stores",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("authority", sa.Text, nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
    )

    op.create_table(
        "statements",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("statement_id", sa.String(36), nullable=False),
        sa.Column("stored_us", sa.BigInteger, nullable=False),
        sa.Column("voided", sa.Boolean, nullable=False),
        sa.Column("voids_statement_id", sa.String(36), nullable=True),
        sa.Column("ref_statement_id", sa.String(36), nullable=True),
        sa.Column("has_attachments", sa.Boolean, nullable=False),
        sa.UniqueConstraint("store_id", "statement_id", name="uq_statements_store_id"),
    )
    op.create_index("ix_statements_store_position", "statements", ["store_id", "position"])
    op.create_index("ix_statements_store_ref", "statements", ["store_id", "ref_statement_id"])
    op.create_index(
        "ix_statements_store_voids", "statements", ["store_id", "voids_statement_id"]
    )
    op.create_index("ix_statements_store_stored", "statements", ["store_id", "stored_us"])
    op.create_table(
        "statement_keys",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("key_hash", sa.String(32), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_statement_keys_lookup",
        "statement_keys",
        ["store_id", "kind", "key_hash", "position"],
    )

    op.create_table(
        "activities",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("activity_hash", sa.String(32), primary_key=True),
        sa.Column("activity_id", sa.Text, nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("updated_position", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "verbs",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("verb_hash", sa.String(32), primary_key=True),
        sa.Column("verb_id", sa.Text, nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("updated_position", sa.BigInteger, nullable=False),
    )

    dialect = op.get_bind().dialect.name
    for ddl in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(ddl)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_update_delete ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    for table in (
        "verbs", "activities", "statement_keys", "statements",
        "credentials", "stores", "events",
    ):
        op.drop_table(table)
