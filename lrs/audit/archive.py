"""The export format: one JSON value per line (JSON Lines, UTF-8), in this order.

1. A header object: ``{"t": "header", "format": "lrs-export", "version": 1, ...}``,
   then (an export of every store only) ``gap`` objects: position ranges an earlier
   import left out (``log_gaps``), the only positions missing from the rows.
2. The log's rows in position order, each a JSON array of the twelve columns in the
   order the chain hashes them (see :func:`lrs.log.row_hash`): position, store_id,
   stream_id, stream_version, event_id, type, schema_version, recorded_at, data,
   metadata, then prev_hash and hash. A ``blob`` object carrying bytes an event
   refers to (a non-JSON document) comes before the first event that needs it.
3. ``attachment`` objects: which attachment hash (``sha2``) a store holds, the
   SHA-256 its bytes are kept under and the authorities that sent them, each
   preceded by its ``blob`` unless already written.
4. A ``manifest`` object, last: counts, each store's head hash and event count, the
   last position, and the SHA-256 of every byte before the manifest line.

Objects that no hash of the chain or of their bytes covers (header, gap,
attachment, manifest) carry ``check``: the SHA-256 of their own canonical JSON without it, so a
changed byte in them is found on its line rather than only by the file digest.
Rows are arrays and objects are objects, so a reader tells them apart by the first
byte of the line.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from lrs.documents import WRITTEN

_DOCUMENT_WRITES = frozenset(WRITTEN.values())

FORMAT = "lrs-export"
VERSION = 1

# Columns of an event row, in the order of a row line (and of the chain's hash).
ROW_FIELDS = (
    "position", "store_id", "stream_id", "stream_version", "event_id", "type",
    "schema_version", "recorded_at", "data", "metadata", "prev_hash", "hash",
)
HASHED = 10  # the first ten columns are what row_hash serialises


def check_of(record: dict[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON (sorted keys) without its ``check``."""
    body = {k: v for k, v in record.items() if k != "check"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def checked_line(record: dict[str, Any]) -> bytes:
    """A header, attachment or manifest line, with its ``check``."""
    return orjson.dumps({**record, "check": check_of(record)}) + b"\n"


def row_line(row: tuple[Any, ...] | list[Any]) -> bytes:
    return orjson.dumps(list(row)) + b"\n"


def blob_line(sha256: str, content: bytes) -> bytes:
    import base64

    return orjson.dumps(
        {"t": "blob", "sha256": sha256, "length": len(content),
         "data": base64.b64encode(content).decode("ascii")}
    ) + b"\n"


def document_blob(row: list[Any] | tuple[Any, ...]) -> str | None:
    """The SHA-256 of the bytes a document event refers to (None: none, or not a
    document event). Only document events keep a ``sha256`` in their data."""
    if row[5] not in _DOCUMENT_WRITES:
        return None
    data = orjson.loads(row[8])
    value = data.get("sha256") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
