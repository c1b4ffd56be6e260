"""The store's competency settings, as events in its hash chain (who changed what, and
when, is auditable).

- ``negativeEvidence``: whether whole-store readers (competency/read) see evidence rows
  below the mastery threshold (failed attempts) in ``/views/competency/evidence``.
  Negative evidence is always kept and counted; CaSS leaves showing it to the store
  (design §3, §9). Unset, a store follows LRS_COMPETENCY_NEGATIVE_EVIDENCE.

A read applies the settings as they are now, also to an ``asOf`` answer: they are an
access policy, and hiding failed attempts today must not be undone by asking about
yesterday.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from lrs.competency import SETTINGS_CHANGED, SETTINGS_STREAM
from lrs.competency.config import InvalidConfiguration
from lrs.events import NewEvent, dumps
from lrs.log import LogWriter, read_stream

KNOWN = ("negativeEvidence",)


def check(change: Any) -> dict[str, Any]:
    """A settings change: an object of known settings with valid values, or the 400."""
    if not isinstance(change, dict) or not change:
        raise InvalidConfiguration(f"$: must be an object with at least one of {', '.join(KNOWN)}")
    for name, value in change.items():
        if name not in KNOWN:
            raise InvalidConfiguration(f"$.{name}: is not a competency setting (known: {', '.join(KNOWN)})")
        if not isinstance(value, bool):
            raise InvalidConfiguration(f"$.{name}: must be true or false")
    return dict(change)


def stored(conn: Connection, store_id: str) -> dict[str, Any]:
    """The settings the store has set (the last change holds them all); {} when none."""
    found = read_stream(conn, store_id, SETTINGS_STREAM)
    return dict(found[-1].payload()["settings"]) if found else {}


def current(conn: Connection, store_id: str, *, negative_evidence_default: bool) -> dict[str, Any]:
    """The settings in force: the store's, else the deployment's defaults."""
    return {"negativeEvidence": negative_evidence_default, **stored(conn, store_id)}


def change_in(writer: LogWriter, store_id: str, change: Any, metadata: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record a change (settings left out keep their value): the store's settings after
    it, and the event's position."""
    settings = {**stored(writer.conn, store_id), **check(change)}
    version = writer.stream_version(store_id, SETTINGS_STREAM)
    (recorded,) = writer.append(store_id, [NewEvent(
        SETTINGS_CHANGED, SETTINGS_STREAM, f"{SETTINGS_STREAM}:{version + 1}",
        dumps({"settings": settings, "changed": sorted(change)}), dumps(metadata))])
    return settings, recorded.position
