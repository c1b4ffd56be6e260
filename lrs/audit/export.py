"""Write a store's log (or the whole log) as an export (format: lrs.audit.archive).

Streaming: rows are read in keyset batches, one short transaction each (as
``lrs verify`` reads them), and written as they come; memory holds one batch, the
set of blob hashes already written (64 characters each) and one blob at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, func, select

from lrs import blobs, clock, log
from lrs.audit import archive
from lrs.db import is_sqlite
from lrs.schema import attachment_blobs, attachment_uploads, events, log_gaps

_ROW_COLUMNS = ", ".join(archive.ROW_FIELDS)


def count_events(engine: Engine, store_id: str | None = None) -> int:
    query = select(func.count()).select_from(events)
    if store_id is not None:
        query = query.where(events.c.store_id == store_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def export_lines(
    engine: Engine,
    store_id: str | None = None,
    *,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The export, line by line (each ends with a newline)."""
    digest = hashlib.sha256()
    written: set[str] = set()
    heads: dict[str, list[Any]] = {}
    counts = {"events": 0, "blobs": 0, "attachments": 0, "gaps": 0}
    last_position = 0

    def emit(line: bytes) -> bytes:
        digest.update(line)
        return line

    yield emit(
        archive.checked_line(
            {"t": "header", "format": archive.FORMAT, "version": archive.VERSION,
             "store": store_id, "exported_at": clock.format_utc(clock.utcnow()),
             "hash": "sha256(prev_hash || JSON array of the first ten row columns)"}
        )
    )
    # The log as it stands now: rows appended while the export runs are left for the
    # next one, so the export is one prefix of the log.
    with engine.connect() as conn:
        until = log.head(conn)[0]
        gaps = conn.execute(
            select(log_gaps.c.first_position, log_gaps.c.last_position, log_gaps.c.reason)
            .where(log_gaps.c.first_position <= until).order_by(log_gaps.c.first_position)
        ).all()
    if store_id is None:
        # Positions an earlier import left out (lrs.audit.load): an export of every
        # store states them, or its positions would not verify as 1, 2, 3, ...
        for first, last, reason in gaps:
            yield emit(archive.checked_line({"t": "gap", "first": first, "last": last, "reason": reason}))
            counts["gaps"] += 1
    mark = "?" if is_sqlite(engine) else "%s"
    # Batches are position ranges, not LIMITs: a planner without statistics (a
    # freshly imported PostgreSQL database) answered "position > p ORDER BY
    # position LIMIT n" by sorting every row after p, on disk, for every batch.
    sql = f"SELECT {_ROW_COLUMNS} FROM events WHERE position > {mark} AND position <= {mark}"
    if store_id is not None:
        sql += f" AND store_id = {mark}"
    sql += " ORDER BY position"
    raw = engine.raw_connection()
    after = 0
    try:
        cursor = raw.cursor()
        while after < until:
            upper = min(after + batch, until)
            params = (after, upper) if store_id is None else (after, upper, store_id)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            raw.rollback()
            after = upper
            if not rows:
                continue
            for row in rows:
                sha = archive.document_blob(row)
                if sha is not None and sha not in written:
                    yield emit(archive.blob_line(sha, _blob(engine, sha)))
                    written.add(sha)
                    counts["blobs"] += 1
                yield emit(archive.row_line(row))
                head = heads.setdefault(row[1], [None, 0])
                head[0] = row[11]
                head[1] += 1
            counts["events"] += len(rows)
            last_position = rows[-1][0]
            if progress is not None:
                progress(len(rows))
        cursor.close()
    finally:
        raw.close()

    for attachment in _attachments(engine, store_id):
        if attachment["sha256"] not in written:
            yield emit(archive.blob_line(attachment["sha256"], _blob(engine, attachment["sha256"])))
            written.add(attachment["sha256"])
            counts["blobs"] += 1
        yield emit(archive.checked_line({"t": "attachment", **attachment}))
        counts["attachments"] += 1

    yield archive.checked_line(
        {"t": "manifest", **counts, "last_position": last_position,
         "stores": {store: {"head": head[0], "events": head[1]} for store, head in sorted(heads.items())},
         "digest": digest.hexdigest()}
    )


def _blob(engine: Engine, sha256: str) -> bytes:
    with engine.connect() as conn:
        return blobs.get(conn, sha256)


def _attachments(engine: Engine, store_id: str | None, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """The attachment rows of the exported store(s), in (store, sha2) order, each with
    the authorities that sent its bytes; read in keyset batches."""
    after = ("", "")
    while True:
        query = select(attachment_blobs.c.store_id, attachment_blobs.c.sha2, attachment_blobs.c.sha256)
        if store_id is not None:
            query = query.where(attachment_blobs.c.store_id == store_id)
        query = query.where(
            (attachment_blobs.c.store_id > after[0])
            | ((attachment_blobs.c.store_id == after[0]) & (attachment_blobs.c.sha2 > after[1]))
        ).order_by(attachment_blobs.c.store_id, attachment_blobs.c.sha2).limit(batch)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return
            uploads: dict[tuple[str, str], list[str]] = {}
            for store, sha2, authority in conn.execute(
                select(attachment_uploads.c.store_id, attachment_uploads.c.sha2,
                       attachment_uploads.c.authority_hash)
                .where(attachment_uploads.c.store_id.in_(sorted({r[0] for r in rows})),
                       attachment_uploads.c.sha2.in_(sorted({r[1] for r in rows})))
            ):
                uploads.setdefault((store, sha2), []).append(authority)
        for store, sha2, sha256 in rows:
            yield {"store_id": store, "sha2": sha2, "sha256": sha256,
                   "authorities": sorted(uploads.get((store, sha2), []))}
        after = (rows[-1][0], rows[-1][1])
