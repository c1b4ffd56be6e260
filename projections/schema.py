"""SQL tables of the projection engine and of every projection (one MetaData).

Created by Alembic like every other table; ``lrs projections replay`` also uses
this metadata to lay out the scratch SQLite file a replay is written to.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

# One row per projection: how far it has folded the log, with which version of
# its code, and the event it stopped at, if it could not handle one.
checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("error", Text, nullable=True),
    Column("error_position", BigInteger, nullable=True),
)
