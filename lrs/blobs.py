"""Content-addressed bytes: stored once per SHA-256, referred to by that hash."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, select

from lrs.errors import NotFound
from lrs.schema import blobs


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def put(conn: Connection, content: bytes, sha256: str | None = None) -> str:
    """Store ``content`` unless already there; returns its SHA-256 (hex)."""
    key = sha256 or digest(content)
    exists = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == key)).first()
    if exists is None:
        conn.execute(blobs.insert().values(sha256=key, length=len(content), content=content))
    return key


def get(conn: Connection, sha256: str) -> bytes:
    row = conn.execute(select(blobs.c.content).where(blobs.c.sha256 == sha256)).first()
    if row is None:
        raise NotFound(f"no stored content with sha256 {sha256}")
    return bytes(row[0])


def get_many(conn: Connection, keys: set[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 200):
        for key, content in conn.execute(
            select(blobs.c.sha256, blobs.c.content).where(blobs.c.sha256.in_(ordered[start : start + 200]))
        ):
            found[key] = bytes(content)
    return found
