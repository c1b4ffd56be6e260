"""SQLite: refuse INSERT OR REPLACE over a stored event.

REPLACE removes the conflicting row without firing DELETE triggers (unless a
connection turns recursive triggers on), which would let a stored event be
overwritten. This trigger lives in the database file, so it also holds for
connections that are not the LRS's.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's ON CONFLICT DO UPDATE fires the UPDATE trigger.
    op.execute(
        """CREATE TRIGGER events_no_replace BEFORE INSERT ON events
           WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
             OR EXISTS (SELECT 1 FROM events
                        WHERE store_id = NEW.store_id AND event_id = NEW.event_id)
             OR EXISTS (SELECT 1 FROM events
                        WHERE store_id = NEW.store_id AND stream_id = NEW.stream_id
                          AND stream_version = NEW.stream_version)
           BEGIN SELECT RAISE(ABORT, 'events are append-only: a stored event cannot be replaced'); END"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_replace")
