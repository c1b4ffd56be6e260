"""A target as a consumer of the log: a batch of events in, requests out.

The runner hands over statement events in log order after the target's checkpoint
and moves the checkpoint once :meth:`TargetConsumer.consume` returns, so a batch is
delivered at least once, whole, in order. Statements the filter leaves out are
passed over. An answer that refuses statements (delivery.Refused) is narrowed
down by halving the batch until each refused statement is alone; those are
recorded as rejections and skipped, and the others go through in order.

While a batch's request is in flight (the forwarder mostly waits for the target to
store it), the next batch is read from the log and its request built in a thread
of ``prefetch``: the runner hands that batch over next, and when it holds exactly
the events prepared (the same positions; the log never changes), the request
ready-made is sent. Anything else (the tail of the log grew, the target changed:
a new consumer) is built again as without it, so the prefetch changes only when
the work is done, never what is sent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine

from lrs import log
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.forwarding import translate
from lrs.forwarding.targets import Target
from lrs.statements import attachment_contents
from lrs.xapi.attachments import attachments_in
from lrs.xapi.validation import VOIDED
from projections.forwarding import delivery

_FRESH_SECONDS = 30.0


@dataclass
class Outcome:
    """What the last consume() did (read by the forwarder for the target's status)."""

    delivered: int = 0
    rejected: list[str] = field(default_factory=list)  # "<statement id>: <reason>"


class TargetConsumer:
    event_types = frozenset({STATEMENT_STORED})

    def __init__(
        self, engine: Engine, target: Target, client: httpx.Client, *,
        allow_private: bool, response_bytes: int,
        prefetch: Executor | None = None, batch: int = 0,
    ) -> None:
        self.engine = engine
        self.target = target
        self.client = client
        self.allow_private = allow_private
        self.response_bytes = response_bytes
        self.outcome = Outcome()
        self.prefetch = prefetch
        self.batch = batch  # the runner's batch size: what it will read next
        self._next: Future[_Prepared] | None = None

    @property
    def name(self) -> str:
        return self.target.consumer_name

    def consume(self, events: Sequence[RecordedEvent]) -> None:
        self.outcome = Outcome()
        prepared = self._prepared(events)
        if prepared is None:
            chosen = self._chosen(events)
            request = self._request(chosen) if chosen else None
        else:
            chosen, request = prepared.chosen, prepared.request
        if self.prefetch is not None and len(events) == self.batch:
            # A full batch: more is waiting in the log (a shorter one reached the head).
            self._next = self.prefetch.submit(self._prepare_after, events[-1].position)
        if chosen:
            assert request is not None
            self._send(chosen, request)

    def _chosen(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        return [
            event for event in events
            if event.position > self.target.start
            and self.target.filter.matches(event.payload(), event.store_id)
        ]

    # ---------------------------------------------------------------- prefetch

    def _prepare_after(self, after: int) -> _Prepared:
        with self.engine.connect() as conn:
            events = log.read_forward(conn, after, self.batch, types=[STATEMENT_STORED])
        chosen = self._chosen(events)
        return _Prepared(tuple(e.position for e in events), chosen,
                         self._request(chosen) if chosen else None, time.monotonic())

    def _prepared(self, events: Sequence[RecordedEvent]) -> _Prepared | None:
        """The prefetched batch when it is this one, else None (built here instead)."""
        future, self._next = self._next, None
        if future is None or future.cancel():  # cancelled: not started, quicker built here
            return None
        try:
            prepared = future.result()
        except Exception:
            return None  # a database hiccup in the prefetch: built again, here
        if prepared.positions != tuple(e.position for e in events):
            return None
        # A webhook request is signed when built: one kept long would reach the
        # receiver with an old timestamp (signing.py's tolerance).
        return prepared if time.monotonic() - prepared.made_at < _FRESH_SECONDS else None

    # ------------------------------------------------------------------ sending

    def _send(self, chosen: list[RecordedEvent], request: delivery.Request | None = None) -> None:
        try:
            delivery.send(self.client, request or self._request(chosen), allow_private=self.allow_private,
                          limit=self.response_bytes)
        except delivery.Refused as refused:
            if len(chosen) == 1:
                statement_id = chosen[0].payload().get("id", "?")
                self.outcome.rejected.append(f"{statement_id}: {refused}")
                return
            half = len(chosen) // 2
            self._send(chosen[:half])
            self._send(chosen[half:])
            return
        self.outcome.delivered += len(chosen)

    def _request(self, chosen: list[RecordedEvent]) -> delivery.Request:
        if self.target.kind == "webhook":
            return delivery.webhook_request(self.target, [_webhook_event(e) for e in chosen])
        statements = [
            translate.for_version(_as_sent(e.payload()), self.target.xapi_version) for e in chosen
        ]
        return delivery.lrs_request(self.target, statements, self._attachments(chosen))

    def _attachments(self, chosen: list[RecordedEvent]) -> dict[str, tuple[str, bytes]]:
        """The bytes this LRS holds for the statements' attachments, by hash."""
        wanted: dict[str, dict[str, str]] = {}
        for event in chosen:
            for _, attachment in attachments_in(event.payload()):
                sha2 = str(attachment.get("sha2", "")).lower()
                if sha2:
                    wanted.setdefault(event.store_id, {})[sha2] = attachment.get(
                        "contentType", "application/octet-stream"
                    )
        out: dict[str, tuple[str, bytes]] = {}
        for store_id, hashes in wanted.items():
            contents = attachment_contents(self.engine, store_id, set(hashes))
            for sha2, content in contents.items():
                out.setdefault(sha2, (hashes[sha2], content))
        return out


@dataclass(frozen=True)
class _Prepared:
    positions: tuple[int, ...]  # every event read, chosen or not
    chosen: list[RecordedEvent]
    request: delivery.Request | None
    made_at: float  # time.monotonic()


def _as_sent(statement: dict[str, Any]) -> dict[str, Any]:
    # ``stored`` is the receiving LRS's to set (xAPI Data 2.4.8); the id, the
    # timestamp and the authority go along unchanged.
    return {k: v for k, v in statement.items() if k != "stored"}


def _webhook_event(event: RecordedEvent) -> dict[str, Any]:
    statement = event.payload()
    voiding = statement.get("verb", {}).get("id") == VOIDED
    return {
        "position": event.position,
        "store": event.store_id,
        "type": "statement.voiding" if voiding else "statement",
        "recordedAt": event.recorded_at,
        "statement": statement,
    }


