"""Erasure (lrs.erasure): the positions whose payload an erasure redacted, and
append-only triggers that let exactly that redaction through.

The log stays append-only for everything else: an UPDATE of ``events`` passes only
when every column but ``data`` and ``metadata`` is unchanged, the new ``data`` or
``metadata`` carries the redaction marker (top-level key ``lrs:redacted``) and the
position is listed in ``event_redactions``. DELETE and TRUNCATE stay refused, and so does any
change to ``event_redactions`` once written (it only grows).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Every column the chain hashes except data and metadata, and the links.
_KEPT = (
    "position", "store_id", "stream_id", "stream_version", "event_id", "type",
    "schema_version", "recorded_at", "prev_hash", "hash",
)
_MARKER = '"lrs:redacted"'
_SAME = " AND ".join(f"NEW.{c} = OLD.{c}" for c in _KEPT)

_SQLITE_UP = (
    "DROP TRIGGER events_no_update",
    f"""CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       WHEN NOT ({_SAME}
                 AND (instr(NEW.data, '{_MARKER}') > 0 OR instr(NEW.metadata, '{_MARKER}') > 0)
                 AND EXISTS (SELECT 1 FROM event_redactions r WHERE r.position = OLD.position))
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused (only an erasure''s redaction may change a row)'); END""",
    """CREATE TRIGGER event_redactions_no_update BEFORE UPDATE ON event_redactions
       BEGIN SELECT RAISE(ABORT, 'event_redactions are append-only: UPDATE refused'); END""",
    """CREATE TRIGGER event_redactions_no_delete BEFORE DELETE ON event_redactions
       BEGIN SELECT RAISE(ABORT, 'event_redactions are append-only: DELETE refused'); END""",
)
_SQLITE_DOWN = (
    "DROP TRIGGER event_redactions_no_delete",
    "DROP TRIGGER event_redactions_no_update",
    "DROP TRIGGER events_no_update",
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
       BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END""",
)

_POSTGRES_UP = (
    f"""CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND {_SAME}
            AND (strpos(NEW.data, '{_MARKER}') > 0 OR strpos(NEW.metadata, '{_MARKER}') > 0)
            AND EXISTS (SELECT 1 FROM event_redactions r WHERE r.position = OLD.position) THEN
           RETURN NEW;
         END IF;
         IF TG_OP = 'UPDATE' THEN
           RAISE EXCEPTION 'events are append-only: UPDATE refused (only an erasure''s redaction may change a row)';
         END IF;
         RAISE EXCEPTION 'events are append-only: % refused', TG_OP;
       END $$""",
    """CREATE FUNCTION event_redactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'event_redactions are append-only: % refused', TG_OP; END $$""",
    """CREATE TRIGGER event_redactions_no_update_delete BEFORE UPDATE OR DELETE ON event_redactions
       FOR EACH ROW EXECUTE FUNCTION event_redactions_append_only()""",
    """CREATE TRIGGER event_redactions_no_truncate BEFORE TRUNCATE ON event_redactions
       FOR EACH STATEMENT EXECUTE FUNCTION event_redactions_append_only()""",
)
_POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS event_redactions_no_truncate ON event_redactions",
    "DROP TRIGGER IF EXISTS event_redactions_no_update_delete ON event_redactions",
    "DROP FUNCTION IF EXISTS event_redactions_append_only()",
    """CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'events are append-only: % refused', TG_OP; END $$""",
)


def upgrade() -> None:
    op.create_table(
        "event_redactions",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        # The lrs.erasure event that redacted it (that event lists the position too);
        # a later erasure may redact the same row again (another person in it).
        sa.Column("erasure_position", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.create_index(
        "ix_event_redactions_store", "event_redactions", ["store_id", "erasure_position"]
    )
    dialect = op.get_bind().dialect.name
    for ddl in _POSTGRES_UP if dialect == "postgresql" else _SQLITE_UP:
        op.execute(ddl)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for ddl in _POSTGRES_DOWN if dialect == "postgresql" else _SQLITE_DOWN:
        op.execute(ddl)
    op.drop_table("event_redactions")
