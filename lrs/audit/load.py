"""`lrs import`: put an export's events into a database, exactly as they were.

The chain hashes each row's position, store and time, so rows keep all three:
an import reproduces the source's rows byte for byte, and the target's `lrs verify`
then ends on the source's head hashes. That asks three things of the target, each
checked under the log's lock before anything is written:

- no event of an exported store is there yet (an import does not merge chains);
- its log ends before the export's first position (positions are not renumbered);
- its newest event is not later than the export's first (time never goes backwards).

A freshly migrated database meets all three. Positions between the target's head
and the export's rows (an export of one store skips its source's other stores) are
recorded in ``log_gaps``, the only missing positions `lrs verify` accepts.

Every row's hash is checked against the one computed from the row as the export is
read (a second time: the whole file is verified before the transaction starts), and
that original hash is what is stored. The statement index, canonical definitions,
agents, document heads, attachment bytes and stores are written in the same
transaction; views catch up from the log afterwards, as they always do.
Credentials are not carried: their secrets' hashes are not in the log, and an
export is meant to travel. Their events (created, rotated, revoked) are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from lrs import blobs, log
from lrs.audit.offline import ExportReport, verify_export
from lrs.documents import DOCUMENT_EVENTS, Heads, fold_head
from lrs.errors import Conflict
from lrs.events import STATEMENT_STORED, STORE_CREATED, RecordedEvent
from lrs.index import apply_statements
from lrs.log.redactions import ERASURE, listed_positions
from lrs.schema import (
    attachment_blobs,
    attachment_uploads,
    document_heads,
    event_redactions,
    events,
    log_gaps,
    stores,
)


class ImportRefused(Conflict):
    """The target cannot take this export as it is."""

    code = "import_refused"


@dataclass
class ImportReport:
    export: ExportReport
    gaps: int

    def summary(self) -> str:
        heads = ", ".join(f"{store}: head {h}" for store, h in sorted(self.export.store_heads.items()))
        return (
            f"imported {self.export.events} events up to position {self.export.last_position}, "
            f"{self.export.blobs} blob(s), {self.export.attachments} attachment(s) ({heads})"
        )


def _first_row(path: Path) -> list[Any] | None:
    with path.open("rb") as stream:
        for line in stream:
            if line[:1] == b"[":
                row: list[Any] = orjson.loads(line)
                return row
    return None


def import_export(
    engine: Engine,
    path: Path,
    *,
    lock_timeout_seconds: float = 30.0,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Verify ``path``, then import it in one transaction; raises ExportError (the
    file does not verify) or ImportRefused (the target cannot take it)."""
    with path.open("rb") as stream:
        report = verify_export(stream)
    first = _first_row(path)
    if first is None:
        raise ImportRefused("the export holds no events")
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        conn = writer.conn
        head_position, head_recorded = log.head(conn)
        _check_target(conn, report, first, head_position, head_recorded)
        loader = _Loader(conn, head_position, report.store, progress)
        with path.open("rb") as stream:
            verify_export(
                stream, on_row=loader.row, on_blob=loader.blob, on_attachment=loader.attachment
            )
        loader.finish()
    return ImportReport(report, loader.gaps)


def _check_target(
    conn: Connection, report: ExportReport, first: list[Any], head_position: int,
    head_recorded: str | None,
) -> None:
    taken = sorted(
        store
        for store in report.store_heads
        if conn.execute(select(events.c.position).where(events.c.store_id == store).limit(1)).first()
    )
    if taken:
        raise ImportRefused(
            f"store(s) {', '.join(taken)} already hold events here: an import goes into an "
            "empty store (it does not merge chains)"
        )
    if head_position >= first[0]:
        raise ImportRefused(
            f"this log already reaches position {head_position} and the export starts at "
            f"{first[0]}: rows keep their positions (the chain hashes them), so import into "
            "a freshly migrated database (`lrs migrate`, before `lrs serve` creates anything)"
        )
    if head_recorded is not None and head_recorded > first[7]:
        raise ImportRefused(
            f"this log's newest event was recorded at {head_recorded}, after the export's "
            f"first ({first[7]}): the log's time would go backwards"
        )


def _event(row: list[Any]) -> RecordedEvent:
    # Export rows follow the hash's column order; RecordedEvent has recorded_at later.
    return RecordedEvent(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                         row[8], row[9], row[7], row[10], row[11])


class _Loader:
    """Writes what verify_export hands over, in batches."""

    def __init__(
        self, conn: Connection, head_position: int, store: str | None,
        progress: Callable[[int], None] | None, batch: int = 2000,
    ) -> None:
        self.conn = conn
        self.last_position = head_position
        self.store = store
        self.progress = progress
        self.batch = batch
        self.pending: list[list[Any]] = []
        self.heads: Heads = {}
        self.gaps = 0
        self.known_blobs: set[str] = set()

    def row(self, row: list[Any]) -> None:
        if row[0] != self.last_position + 1:
            self.conn.execute(log_gaps.insert().values(
                first_position=self.last_position + 1, last_position=row[0] - 1,
                reason=f"imported export of store {self.store!r}: positions its source gave "
                "to other stores" if self.store else "imported export starts here",
            ))
            self.gaps += 1
        self.last_position = row[0]
        self.pending.append(row)
        if len(self.pending) >= self.batch:
            self.flush()

    def blob(self, sha256: str, content: bytes) -> None:
        if sha256 not in self.known_blobs:
            blobs.put(self.conn, content, sha256)
            self.known_blobs.add(sha256)

    def attachment(self, record: dict[str, Any]) -> None:
        self.flush()
        self.conn.execute(attachment_blobs.insert().values(
            store_id=record["store_id"], sha2=record["sha2"], sha256=record["sha256"]
        ))
        if record["authorities"]:
            self.conn.execute(attachment_uploads.insert(), [
                {"store_id": record["store_id"], "sha2": record["sha2"], "authority_hash": a}
                for a in record["authorities"]
            ])

    def flush(self) -> None:
        if not self.pending:
            return
        recorded = [_event(row) for row in self.pending]
        self.conn.execute(events.insert(), [
            {"position": e.position, "store_id": e.store_id, "stream_id": e.stream_id,
             "stream_version": e.stream_version, "event_id": e.event_id, "type": e.type,
             "schema_version": e.schema_version, "data": e.data, "metadata": e.metadata,
             "recorded_at": e.recorded_at, "prev_hash": e.prev_hash, "hash": e.hash}
            for e in recorded
        ])
        by_store: dict[str, list[tuple[RecordedEvent, dict[str, Any]]]] = {}
        for event in recorded:
            if event.type == STATEMENT_STORED:
                by_store.setdefault(event.store_id, []).append((event, event.payload()))
            elif event.type in DOCUMENT_EVENTS:
                fold_head(self.heads, event)
            elif event.type == STORE_CREATED:
                self._store(event)
            elif event.type == ERASURE and listed_positions(event.data):
                # verify_export confirmed that each listed row carries its marker.
                self.conn.execute(event_redactions.insert(), [
                    {"position": p, "store_id": event.store_id, "erasure_position": event.position}
                    for p in listed_positions(event.data)
                ])
        for store_id, items in by_store.items():
            apply_statements(self.conn, store_id, items)
        if self.progress is not None:
            self.progress(len(recorded))
        self.pending = []

    def _store(self, event: RecordedEvent) -> None:
        data = event.payload()
        exists = self.conn.execute(select(stores.c.id).where(stores.c.id == data["id"])).first()
        if exists is None:
            self.conn.execute(stores.insert().values(
                id=data["id"], name=data.get("name") or data["id"], created_at=event.recorded_at
            ))

    def finish(self) -> None:
        self.flush()
        rows = list(self.heads.values())
        for start in range(0, len(rows), 500):
            self.conn.execute(document_heads.insert(), rows[start : start + 500])
