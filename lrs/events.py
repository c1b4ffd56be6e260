"""Events of the log: what a writer appends and what a reader gets back.

Type names are stable dotted strings; payloads are plain JSON text. Nothing here
ever names a Python class, so the log stays readable by any future code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

# Statements (xAPI Data 2): a voiding statement is a statement like any other.
STATEMENT_STORED = "xapi.statement.stored"
# Access control (stores and credentials): every change is part of the history.
STORE_CREATED = "lrs.store.created"
CREDENTIAL_CREATED = "lrs.credential.created"
CREDENTIAL_ROTATED = "lrs.credential.rotated"
CREDENTIAL_REVOKED = "lrs.credential.revoked"

# Every store has its own hash chain; this is the store single-store users get.
DEFAULT_STORE = "default"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended. ``data`` and ``metadata`` are JSON text."""

    type: str
    stream_id: str
    event_id: str
    data: str
    metadata: str = "{}"
    schema_version: int = 1
    # None: append after whatever the stream holds. An int: the stream must be at
    # exactly that version (0 = must not exist yet); optimistic concurrency.
    expected_version: int | None = None
    # Taken from LogWriter.stamp() when the data must name it (a statement's
    # ``stored``); None: the writer stamps the event when it is appended.
    recorded_at: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: int
    store_id: str
    stream_id: str
    stream_version: int
    event_id: str
    type: str
    schema_version: int
    data: str
    metadata: str
    recorded_at: str
    prev_hash: str
    hash: str
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def payload(self) -> Any:
        """The parsed ``data`` (parsed once, then kept)."""
        if "data" not in self._cache:
            self._cache["data"] = orjson.loads(self.data)
        return self._cache["data"]

    def meta(self) -> Any:
        if "meta" not in self._cache:
            self._cache["meta"] = orjson.loads(self.metadata)
        return self._cache["meta"]


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
