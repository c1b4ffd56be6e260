"""What `verify` accepts in place of a row's hash: a redaction by an erasure.

An erasure (lrs.erasure) replaces the ``data`` (statements, documents) or adds to
the ``metadata`` (statements only partly about the person) of earlier events, and
marks the new payload with a top-level ``"lrs:redacted": {"erasure": <event id>}``.
Everything else in the row stays, its stored hash included: that hash is now an
opaque commitment to the original, which can no longer be recomputed. The chain
still links through it (the next row's ``prev_hash``), and the erasure event, whose
own hash does recompute, lists every position it redacted.

So a row whose hash does not recompute passes only when its payload carries the
marker and a later ``lrs.erasure`` event of the same store, naming itself in that
marker, lists its position. Anything else is reported as altered, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

MARKER = "lrs:redacted"
ERASURE = "lrs.erasure"
_MARKER_TEXT = f'"{MARKER}"'


def marker(erasure_event_id: str) -> dict[str, Any]:
    return {MARKER: {"erasure": erasure_event_id}}


def erasure_named(data: str, metadata: str) -> str | None:
    """The erasure event id a redacted payload names (None: not redacted)."""
    for text in (data, metadata):
        if _MARKER_TEXT not in text:
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict) and isinstance(value.get(MARKER), dict):
            named = value[MARKER].get("erasure")
            if isinstance(named, str):
                return named
    return None


def is_redacted(data: str, metadata: str) -> bool:
    return erasure_named(data, metadata) is not None


def listed_positions(data: str) -> list[int]:
    """The positions an erasure event's data says it redacted."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return []
    listed = value.get("redacted") if isinstance(value, dict) else None
    return [p for p in listed if isinstance(p, int)] if isinstance(listed, list) else []


@dataclass
class Redactions:
    """Redacted rows seen on a walk, waiting for the erasure event that lists them.

    Rows are (position, store_id, ..., type, ..., data, metadata, ...) in the chain's
    column order (see lrs.log.row_hash): 0 position, 1 store, 4 event id, 5 type,
    8 data, 9 metadata.
    """

    # position -> (store, erasure event id named by its marker)
    pending: dict[int, tuple[str, str]] = field(default_factory=dict)
    # erasure event id -> positions it redacted (confirmed)
    confirmed: dict[str, int] = field(default_factory=dict)

    def accept(self, row: Any) -> bool:
        """A row whose hash did not recompute: True if it is a redaction (kept
        pending until its erasure event is seen), False if it is simply altered."""
        named = erasure_named(row[8], row[9])
        if named is None or not _is_digest(row[11]):
            return False
        self.pending[row[0]] = (row[1], named)
        return True

    def erasure(self, row: Any) -> None:
        """An ``lrs.erasure`` row (its own hash verified): confirm what it lists."""
        for position in listed_positions(row[8]):
            if self.pending.get(position) == (row[1], row[4]):
                del self.pending[position]
                self.confirmed[row[4]] = self.confirmed.get(row[4], 0) + 1

    def first_unconfirmed(self) -> int | None:
        return min(self.pending) if self.pending else None

    @property
    def count(self) -> int:
        return sum(self.confirmed.values())

    def describe(self) -> str:
        """", R redacted by erasure E" for a summary line (empty when none)."""
        if not self.confirmed:
            return ""
        parts = [f"{n} by erasure {event_id}" for event_id, n in sorted(self.confirmed.items())]
        return f", {self.count} redacted ({'; '.join(parts)})"


def _is_digest(value: Any) -> bool:
    """A SHA-256 as the chain stores it (64 lowercase hex digits)."""
    return (
        isinstance(value, str) and len(value) == 64
        and all(c in "0123456789abcdef" for c in value)
    )


UNCONFIRMED = (
    "hash mismatch: the row carries a redaction marker, but no later lrs.erasure event "
    "of its store lists it (altered)"
)
