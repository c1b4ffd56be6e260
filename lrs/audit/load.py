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

The file is read once, verified as it is written (lrs.audit.offline: every row's
hash is checked against the one computed from the row, and that original hash is
what is stored), all in one transaction: an export that does not verify, to its
manifest, leaves nothing behind. The statement index, canonical definitions, agents,
document heads, attachment bytes and stores are written in the same transaction;
views catch up from the log afterwards, as they always do.

Speed (the issue asks 20,000 events/s): rows go in through the driver itself
(``executemany`` on SQLite, ``COPY`` on PostgreSQL), not through SQLAlchemy's
per-row parameter building. The index is built the way ``lrs reindex`` would leave
it, with less work: keys and statement rows are written as they come, while what
depends on other statements (Data 2.3.2 voiding, whichever arrives first;
StatementRef targets' keys, Communication 2.1.3) is settled once at the end in set
operations over the imported stores, and canonical definitions and names are merged
in memory (Communication 4.2 "define", position order) and written once. Memory:
one batch of rows (two on PostgreSQL: one read, one in writing) plus one entry
per distinct Activity, Verb and Agent.
Credentials are not carried: their secrets' hashes are not in the log, and an
export is meant to travel. Their events (created, rotated, revoked) are.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select, text

from lrs import blobs, clock, log
from lrs.audit import archive
from lrs.audit.offline import ExportReport, verify_export
from lrs.documents import DOCUMENT_EVENTS, Heads, fold_head
from lrs.errors import Conflict
from lrs.events import STATEMENT_STORED, STORE_CREATED, RecordedEvent
from lrs.index.canonical import Canonical
from lrs.log.redactions import ERASURE, MARKER, listed_positions
from lrs.schema import (
    attachment_blobs,
    attachment_uploads,
    document_heads,
    event_redactions,
    events,
    log_gaps,
    stores,
)
from lrs.xapi.statement_rules import index_entry


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


def _header_and_first_row(path: Path) -> tuple[dict[str, Any], list[Any] | None]:
    header: dict[str, Any] = {}
    with path.open("rb") as stream:
        for number, line in enumerate(stream):
            if number == 0 and line[:1] == b"{":
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError:
                    value = None
                header = value if isinstance(value, dict) else {}
            elif line[:1] == b"[":
                try:
                    row: list[Any] = orjson.loads(line)
                except orjson.JSONDecodeError:
                    return header, None
                return header, row
    return header, None


def import_export(
    engine: Engine,
    path: Path,
    *,
    lock_timeout_seconds: float = 30.0,
    progress: Callable[[int], None] | None = None,
    batch: int = 5000,
) -> ImportReport:
    """Import ``path`` in one transaction, verifying it on the way, ``batch`` event
    rows at a time; raises ExportError (the file does not verify: nothing is
    written) or ImportRefused (the target cannot take it)."""
    header, first = _header_and_first_row(path)
    store = header.get("store") if isinstance(header.get("store"), str) else None
    # The cyclic collector kept walking the batch in hand (thousands of parsed
    # statements and row tuples, none in a cycle): paused while importing, 3 to 5 %
    # of the CPU time of 20,000 events (3 alternated runs each). `lrs import` is a
    # command of its own; the collector runs again as soon as the import ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(engine, path, first, store, lock_timeout_seconds, progress, batch)
    finally:
        if collecting:
            gc.enable()


def _import(
    engine: Engine, path: Path, first: list[Any] | None,
    store: str | None, lock_timeout_seconds: float, progress: Callable[[int], None] | None,
    batch: int,
) -> ImportReport:
    with log.writing(engine, lock_timeout_seconds=lock_timeout_seconds) as writer:
        conn = writer.conn
        head_position, head_recorded = log.head(conn)
        loader = _Loader(conn, head_position, head_recorded, store, progress, batch)
        try:
            with path.open("rb") as stream:
                report = verify_export(
                    stream, on_row=loader.row, on_blob=loader.blob, on_attachment=loader.attachment
                )
            if first is None or report.events == 0:
                raise ImportRefused("the export holds no events")
            loader.finish()
        finally:
            loader.close()
    if engine.dialect.name == "postgresql":
        # Planner statistics for what was just filled: without them (autovacuum
        # comes later) PostgreSQL planned the keyset batches of `lrs verify` right
        # after an import as a sort of every remaining row, for each batch.
        with engine.connect() as conn:
            conn.execute(text("ANALYZE events, statements, statement_keys"))
            conn.commit()
    return ImportReport(report, loader.gaps)


def _check_start(first: list[Any], head_position: int, head_recorded: str | None) -> None:
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


_EVENT_COLUMNS = ", ".join(archive.ROW_FIELDS)
_STATEMENT_COLUMNS = (
    "position, store_id, statement_id, stored_us, voided, voids_statement_id, "
    "ref_statement_id, has_attachments, authority_hash"
)
_KEY_COLUMNS = "position, kind, key_hash, store_id"


class _Loader:
    """Writes what verify_export hands over, in batches, through the driver.

    PostgreSQL: a batch is written by a thread of its own while the next one is
    read, verified and indexed, so the server's work behind COPY overlaps the
    client's (wall 1.85 -> 1.67 s for 20,002 events, 3 alternated runs each). The
    connection is used by one thread at a time: anything else that touches it first
    waits for the batch in writing (``_drain``), and so does the end of the import,
    commit or rollback. Not on SQLite: its engine runs in this process, mostly
    holding the interpreter's lock while it binds rows, and the thread cost 4 % of
    CPU for no wall time (same runs)."""

    def __init__(
        self, conn: Connection, head_position: int, head_recorded: str | None,
        store: str | None, progress: Callable[[int], None] | None, batch: int = 5000,
    ) -> None:
        self.conn = conn
        # The DBAPI connection under ``conn``: the same transaction.
        raw = conn.connection.dbapi_connection
        assert raw is not None
        self.raw = raw
        self.sqlite = conn.dialect.name == "sqlite"
        self.cache_size: int | None = None
        if self.sqlite:
            # SQLite's page cache (2 MB by default) is far smaller than the index
            # pages an import touches: 128 MB for this connection while it imports
            # took a third off the wall time of 10,000 events (more pages stay put).
            cursor = raw.cursor()
            self.cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute("PRAGMA cache_size=-131072")
            cursor.close()
        self.head_position = head_position
        self.head_recorded = head_recorded
        self.last_position = head_position
        self.store = store
        self.progress = progress
        self.batch = batch
        self.pending: list[list[Any]] = []
        self.statements: list[tuple[Any, ...]] = []
        self.keys: list[tuple[Any, ...]] = []
        self.erased_voiding: list[tuple[str, str, str]] = []
        self.canonical: dict[str, Canonical] = {}
        self.heads: Heads = {}
        self.gaps = 0
        self.known_blobs: set[str] = set()
        self.stores_seen: set[str] = set()
        self.started = False
        self.writer = None if self.sqlite else ThreadPoolExecutor(1, "lrs-import")
        self.writing: Future[None] | None = None

    def _drain(self) -> None:
        """Wait for the batch in writing; its error, if any, is raised here."""
        if self.writing is not None:
            writing, self.writing = self.writing, None
            writing.result()

    def row(self, row: list[Any]) -> None:
        if row[1] not in self.stores_seen:
            self._drain()
            self._check_store(row[1])
            self.stores_seen.add(row[1])
        if not self.started:
            _check_start(row, self.head_position, self.head_recorded)
            self.started = True
        if row[0] != self.last_position + 1:
            self._drain()
            self.conn.execute(log_gaps.insert().values(
                first_position=self.last_position + 1, last_position=row[0] - 1,
                reason=f"imported export of store {self.store!r}: positions its source gave "
                "to other stores" if self.store else "imported export starts here",
            ))
            self.gaps += 1
        self.last_position = row[0]
        self.pending.append(row)
        if row[5] == STATEMENT_STORED:
            self._statement(row)
        if len(self.pending) >= self.batch:
            self.flush()

    def _check_store(self, store_id: str) -> None:
        if self.conn.execute(
            select(events.c.position).where(events.c.store_id == store_id).limit(1)
        ).first():
            raise ImportRefused(
                f"store(s) {store_id} already hold events here: an import goes into an "
                "empty store (it does not merge chains)"
            )

    def _statement(self, row: list[Any]) -> None:
        statement = orjson.loads(row[8])
        store_id = row[1]
        if MARKER in statement:
            # Erased whole: not indexed, its voiding stands (lrs.index).
            if isinstance(statement.get("voids"), str) and isinstance(statement.get("id"), str):
                self.erased_voiding.append((store_id, statement["id"].lower(), statement["voids"]))
            return
        entry = index_entry(statement)
        position = row[0]
        self.statements.append((
            position, store_id, entry.statement_id,
            clock.to_micros(clock.parse_utc(row[7])), False, entry.voids, entry.ref,
            entry.has_attachments, entry.authority_hash,
        ))
        self.keys += [(position, kind, digest, store_id) for kind, digest in entry.keys]
        # Communication 4.2 "define": the flag travels in the event's metadata.
        if '"define"' in row[9] and orjson.loads(row[9]).get("define", True) is False:
            return
        canonical = self.canonical.get(store_id)
        if canonical is None:
            canonical = self.canonical[store_id] = Canonical()
        canonical.add(position, statement, entry)

    def blob(self, sha256: str, content: bytes) -> None:
        if sha256 not in self.known_blobs:
            self._drain()
            blobs.put(self.conn, content, sha256)
            self.known_blobs.add(sha256)

    def attachment(self, record: dict[str, Any]) -> None:
        self.flush()
        self._drain()
        self.conn.execute(attachment_blobs.insert().values(
            store_id=record["store_id"], sha2=record["sha2"], sha256=record["sha256"]
        ))
        if record["authorities"]:
            self.conn.execute(attachment_uploads.insert(), [
                {"store_id": record["store_id"], "sha2": record["sha2"], "authority_hash": a}
                for a in record["authorities"]
            ])

    def _insert(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        cursor = self.raw.cursor()
        try:
            if self.sqlite:
                marks = ", ".join("?" * (columns.count(",") + 1))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            else:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for values in rows:
                        copy.write_row(values)
        finally:
            cursor.close()

    def flush(self) -> None:
        """Write the batch (PostgreSQL: hand it to the writing thread, once the
        previous one is written)."""
        if not self.pending:
            return
        pending, statements, keys = self.pending, self.statements, self.keys
        self.pending, self.statements, self.keys = [], [], []
        self._drain()
        if self.writer is None:
            self._write(pending, statements, keys)
        else:
            self.writing = self.writer.submit(self._write, pending, statements, keys)
        if self.progress is not None:
            self.progress(len(pending))

    def _write(
        self, pending: list[list[Any]], statements: list[tuple[Any, ...]], keys: list[tuple[Any, ...]],
    ) -> None:
        self._insert("events", _EVENT_COLUMNS, pending)
        self._insert("statements", _STATEMENT_COLUMNS, statements)
        self._insert("statement_keys", _KEY_COLUMNS, keys)
        for row in pending:
            kind = row[5]
            if kind in DOCUMENT_EVENTS:
                fold_head(self.heads, _event(row))
            elif kind == STORE_CREATED:
                self._store(_event(row))
            elif kind == ERASURE and listed_positions(row[8]):
                # verify_export confirms that each listed row carries its marker
                # (by the manifest at the latest; else nothing is committed).
                self.conn.execute(event_redactions.insert(), [
                    {"position": p, "store_id": row[1], "erasure_position": row[0]}
                    for p in listed_positions(row[8])
                ])

    def _store(self, event: RecordedEvent) -> None:
        data = event.payload()
        exists = self.conn.execute(select(stores.c.id).where(stores.c.id == data["id"])).first()
        if exists is None:
            self.conn.execute(stores.insert().values(
                id=data["id"], name=data.get("name") or data["id"], created_at=event.recorded_at
            ))

    def finish(self) -> None:
        self.flush()
        self._drain()
        self._insert("erased_voiding", "store_id, statement_id, voids_statement_id",
                     self.erased_voiding)
        for store_id, canonical in sorted(self.canonical.items()):
            for table, values in canonical.rows(store_id).items():
                name, _, columns = table.partition(" ")
                self._insert(name, columns.strip("()"), values)
        self._settle(sorted(self.stores_seen))
        rows = list(self.heads.values())
        for start in range(0, len(rows), 500):
            self.conn.execute(document_heads.insert(), rows[start : start + 500])

    def close(self) -> None:
        # After a failure elsewhere the batch in writing is only waited for (the
        # transaction is rolled back whole); its own error, if any, is secondary.
        writing, self.writing = self.writing, None
        if writing is not None:
            writing.exception()
        if self.writer is not None:
            self.writer.shutdown()
        if self.cache_size is not None:
            cursor = self.raw.cursor()
            cursor.execute(f"PRAGMA cache_size={int(self.cache_size)}")
            cursor.close()

    def _settle(self, store_ids: list[str]) -> None:
        """What depends on other statements, once all are in (see the module's docstring)."""
        for store_id in store_ids:
            # Data 2.3.2: voided iff not itself voiding and a voiding statement (kept
            # or erased) names it, whichever came first.
            self.conn.execute(_VOID_ALL, {"store_id": store_id})
            # Communication 2.1.3: a statement targeting another (StatementRef)
            # matches its target's filters, through chains: repeat to the fixed point.
            while self.conn.execute(_INHERIT_KEYS, {"store_id": store_id}).rowcount:
                pass


_VOID_ALL = text("""
    UPDATE statements SET voided = TRUE
    WHERE store_id = :store_id AND voids_statement_id IS NULL AND (
        statement_id IN (SELECT v.voids_statement_id FROM statements v
                         WHERE v.store_id = :store_id AND v.voids_statement_id IS NOT NULL)
        OR statement_id IN (SELECT e.voids_statement_id FROM erased_voiding e
                            WHERE e.store_id = :store_id))
""")
_INHERIT_KEYS = text("""
    INSERT INTO statement_keys (position, kind, key_hash, store_id)
    SELECT DISTINCT r.position, k.kind, k.key_hash, r.store_id
    FROM statements r
    JOIN statements t ON t.store_id = r.store_id AND t.statement_id = r.ref_statement_id
    JOIN statement_keys k ON k.position = t.position
    WHERE r.store_id = :store_id AND r.ref_statement_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM statement_keys o
                      WHERE o.position = r.position AND o.kind = k.kind AND o.key_hash = k.key_hash)
""")
