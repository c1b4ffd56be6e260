"""Verify an export with no database: every row's hash and link, positions, times,
every blob's SHA-256, every self-checked line, the manifest and the file digest.

The first problem is reported with where it is: the line, the byte offset of that
line in the file, and the log position when the line is an event row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from lrs.audit import archive
from lrs.log import GENESIS, first_unexplained
from lrs.log.redactions import ERASURE, UNCONFIRMED, Redactions


class ExportError(Exception):
    """The export does not verify; says where."""

    def __init__(self, line: int, offset: int, reason: str, position: int | None = None) -> None:
        where = f"line {line} (byte {offset})"
        if position is not None:
            where += f", position {position}"
        super().__init__(f"{where}: {reason}")
        self.line = line
        self.offset = offset
        self.position = position
        self.reason = reason


@dataclass
class ExportReport:
    store: str | None = None
    events: int = 0
    blobs: int = 0
    attachments: int = 0
    gaps: int = 0
    last_position: int = 0
    store_heads: dict[str, str] = field(default_factory=dict)
    store_counts: dict[str, int] = field(default_factory=dict)
    exported_at: str = ""
    # Rows an erasure redacted, by erasure event id (see lrs.log.redactions).
    redacted: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        stores = ", ".join(
            f"{store}: {self.store_counts[store]} events, head {digest}"
            for store, digest in sorted(self.store_heads.items())
        )
        return (
            f"export intact: {self.events} events up to position {self.last_position}, "
            f"{self.blobs} blob(s), {self.attachments} attachment(s)"
            + (f" ({stores})" if stores else "")
            + Redactions(confirmed=dict(self.redacted)).describe()
        )


class _Bad(Exception):
    def __init__(self, reason: str, position: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.position = position


# What a row's columns must be, in archive.ROW_FIELDS order.
_ROW_TYPES = (int, str, str, int, str, str, int, str, str, str, str, str)


def verify_export(
    stream: BinaryIO | Iterable[bytes],
    *,
    on_row: Callable[[list[Any]], None] | None = None,
    on_blob: Callable[[str, bytes], None] | None = None,
    on_attachment: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportReport:
    """Read an export start to end; raise :class:`ExportError` at the first problem.

    The callbacks see each verified part as it goes (a checkpoint checker, an
    importer); what they raise as ValueError is reported at that line too.
    """
    sha256 = hashlib.sha256
    dumps = orjson.dumps
    digest = sha256()
    report = ExportReport()
    heads: dict[str, tuple[str, bytes, int]] = {}
    redactions = Redactions()
    genesis = (GENESIS, bytes.fromhex(GENESIS), 0)
    seen_blobs: set[str] = set()
    contiguous = False
    last_position = 0
    last_recorded = ""
    manifest: dict[str, Any] | None = None
    gaps: list[tuple[int, int]] = []
    line_no = 0
    offset = 0
    pending = 0
    for line in stream:
        line_no += 1
        try:
            if manifest is not None:
                raise _Bad("data after the manifest")
            if not line.endswith(b"\n"):
                raise _Bad("the line does not end with a newline (truncated export?)")
            if line_no == 1:
                header = _checked(line, "header")
                if header.get("format") != archive.FORMAT or header.get("version") != archive.VERSION:
                    raise _Bad(f"not an {archive.FORMAT} version {archive.VERSION} file")
                report.store = header.get("store")
                report.exported_at = str(header.get("exported_at", ""))
                contiguous = report.store is None
            elif line[:1] == b"[":
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise _Bad(f"not JSON: {exc}") from None
                if len(row) != 12 or tuple(map(type, row)) != _ROW_TYPES:
                    raise _Bad("an event row must be an array of 12 columns: " + ", ".join(archive.ROW_FIELDS))
                position = row[0]
                if position <= last_position or (
                    contiguous and position != last_position + 1
                    and first_unexplained([row], last_position, gaps)[0] is not None
                ):
                    raise _Bad(f"position follows {last_position}", position)
                if report.store is not None and row[1] != report.store:
                    raise _Bad(f"an event of store {row[1]!r} in an export of {report.store!r}", position)
                prev, prev_bytes, count = heads.get(row[1], genesis)
                if row[10] != prev:
                    raise _Bad("prev_hash does not link to the store's previous event", position)
                computed = sha256(prev_bytes + dumps(row[: archive.HASHED]))
                if computed.hexdigest() == row[11]:
                    head_bytes = computed.digest()
                elif redactions.accept(row):
                    # Redacted by an erasure (lrs.log.redactions): the stored hash
                    # commits to the original payload, which is gone.
                    head_bytes = bytes.fromhex(row[11])
                else:
                    raise _Bad("hash mismatch: the row was altered", position)
                if row[5] == ERASURE:
                    redactions.erasure(row)
                if row[7] < last_recorded:
                    raise _Bad("recorded_at goes backwards", position)
                blob = archive.document_blob(row)
                if blob is not None and blob not in seen_blobs:
                    raise _Bad(f"the document's bytes (sha256 {blob}) are not in the export before it", position)
                if on_row is not None:
                    try:
                        on_row(row)
                    except ValueError as exc:
                        raise _Bad(str(exc), position) from None
                heads[row[1]] = (row[11], head_bytes, count + 1)
                last_recorded = row[7]
                last_position = position
                report.events += 1
                pending += 1
                if pending == 5000 and progress is not None:
                    progress(pending)
                    pending = 0
            else:
                record = _object(line)
                kind = record.get("t")
                if kind == "blob":
                    content = _blob(record)
                    seen_blobs.add(record["sha256"])
                    report.blobs += 1
                    if on_blob is not None:
                        on_blob(record["sha256"], content)
                elif kind == "gap":
                    record = _checked(line, "gap", record)
                    first, last = record.get("first"), record.get("last")
                    if report.events or not isinstance(first, int) or not isinstance(last, int) or last < first:
                        raise _Bad("gap: first <= last, integers, before every row")
                    if gaps and first <= gaps[-1][1]:
                        raise _Bad("gap: gaps must be in order and disjoint")
                    gaps.append((first, last))
                    report.gaps += 1
                elif kind == "attachment":
                    record = _checked(line, "attachment", record)
                    for name in ("store_id", "sha2", "sha256"):
                        if not isinstance(record.get(name), str):
                            raise _Bad(f"attachment: {name} must be a string")
                    if record["sha256"] not in seen_blobs:
                        raise _Bad(f"attachment: its bytes (sha256 {record['sha256']}) are not in the export")
                    if not isinstance(record.get("authorities"), list):
                        raise _Bad("attachment: authorities must be a list")
                    report.attachments += 1
                    if on_attachment is not None:
                        on_attachment(record)
                elif kind == "manifest":
                    manifest = _checked(line, "manifest", record)
                    unconfirmed = redactions.first_unconfirmed()
                    if unconfirmed is not None:
                        raise _Bad(UNCONFIRMED, unconfirmed)
                    report.redacted = dict(redactions.confirmed)
                    report.last_position = last_position
                    report.store_heads = {s: h[0] for s, h in heads.items()}
                    report.store_counts = {s: h[2] for s, h in heads.items()}
                    _check_manifest(manifest, report, digest.hexdigest())
                else:
                    raise _Bad(f"unknown line type {kind!r}")
        except _Bad as bad:
            raise ExportError(line_no, offset, bad.reason, bad.position) from None
        if manifest is None:
            digest.update(line)
        offset += len(line)
    if progress is not None and pending:
        progress(pending)
    if line_no == 0:
        raise ExportError(1, 0, "empty file")
    if manifest is None:
        raise ExportError(line_no + 1, offset, "no manifest: the export is truncated")
    return report


def _object(line: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise _Bad(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise _Bad("a line must be an event row (array) or an object")
    return value


def _checked(line: bytes, kind: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    record = record if record is not None else _object(line)
    if record.get("t") != kind:
        raise _Bad(f"expected a {kind} line")
    if record.get("check") != archive.check_of(record):
        raise _Bad(f"{kind}: its check does not match its content (altered)")
    return record


def _blob(record: dict[str, Any]) -> bytes:
    sha = record.get("sha256")
    data = record.get("data")
    if not isinstance(sha, str) or not isinstance(data, str) or not isinstance(record.get("length"), int):
        raise _Bad("blob: sha256, length and data are required")
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(f"blob {sha}: data is not base64") from None
    if hashlib.sha256(content).hexdigest() != sha:
        raise _Bad(f"blob {sha}: the bytes do not have this SHA-256 (altered)")
    if len(content) != record["length"]:
        raise _Bad(f"blob {sha}: length {record['length']} but {len(content)} bytes")
    return content


def _check_manifest(manifest: dict[str, Any], report: ExportReport, digest: str) -> None:
    expected = {
        "events": report.events, "blobs": report.blobs, "attachments": report.attachments,
        "gaps": report.gaps,
        "last_position": report.last_position,
        "stores": {s: {"head": report.store_heads[s], "events": report.store_counts[s]}
                   for s in sorted(report.store_heads)},
    }
    for name, value in expected.items():
        if manifest.get(name) != value:
            raise _Bad(f"manifest: {name} is {manifest.get(name)!r} but the export holds {value!r}")
    if manifest.get("digest") != digest:
        raise _Bad("manifest: the digest of the lines before it does not match (altered)")
