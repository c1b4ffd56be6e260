"""Who uploaded each attachment's bytes: a statements/read/mine credential gets only
the bytes that came with statements of its own authority.

Existing bytes are credited from the log: an Attachment without a ``fileUrl`` could
only be stored together with its bytes (Communication 1.5.2), so the authority of
its statement sent them. Bytes that only came next to a ``fileUrl`` are credited to
no one: full readers of the store still get them, read/mine credentials no longer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_uploads",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("sha2", sa.String(128), primary_key=True),
        sa.Column("authority_hash", sa.String(32), primary_key=True),
    )
    _credit_existing_bytes(op.get_bind())


def downgrade() -> None:
    op.drop_table("attachment_uploads")


def _attachments(statement: dict[str, Any]) -> Iterator[dict[str, Any]]:
    # The statement's own and its SubStatement's (the places Data 2.4.11 allows).
    yield from statement.get("attachments") or ()
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        yield from obj.get("attachments") or ()


def _credit_existing_bytes(conn: sa.Connection) -> None:
    held = {
        (store_id, sha2)
        for store_id, sha2 in conn.execute(sa.text("SELECT store_id, sha2 FROM attachment_blobs"))
    }
    if not held:
        return
    rows = conn.execute(
        sa.text(
            "SELECT s.store_id, s.authority_hash, e.data FROM statements s "
            "JOIN events e ON e.position = s.position "
            "WHERE s.authority_hash IS NOT NULL AND e.data LIKE '%\"sha2\"%'"
        ),
        execution_options={"stream_results": True},
    )
    credited: set[tuple[str, str, str]] = set()
    for store_id, authority_hash, data in rows:
        for attachment in _attachments(json.loads(data)):
            sha2 = str(attachment.get("sha2", "")).lower()
            if "fileUrl" not in attachment and (store_id, sha2) in held:
                credited.add((store_id, sha2, authority_hash))
    if credited:
        conn.execute(
            sa.text(
                "INSERT INTO attachment_uploads (store_id, sha2, authority_hash) "
                "VALUES (:store_id, :sha2, :authority_hash)"
            ),
            [{"store_id": s, "sha2": h, "authority_hash": a} for s, h, a in sorted(credited)],
        )
