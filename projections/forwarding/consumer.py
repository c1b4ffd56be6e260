"""A target as a consumer of the log: a batch of events in, requests out.

The runner hands over statement events in log order after the target's checkpoint
and moves the checkpoint once :meth:`TargetConsumer.consume` returns, so a batch is
delivered at least once, whole, in order. Statements the filter leaves out are
passed over. An answer that refuses statements (delivery.Refused) is narrowed
down by halving the batch until each refused statement is alone; those are
recorded as rejections and skipped, and the others go through in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine

from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.forwarding import translate
from lrs.forwarding.targets import Target
from lrs.log.redactions import MARKER
from lrs.statements import attachment_contents
from lrs.xapi.attachments import attachments_in
from lrs.xapi.validation import VOIDED
from projections.forwarding import delivery


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
    ) -> None:
        self.engine = engine
        self.target = target
        self.client = client
        self.allow_private = allow_private
        self.response_bytes = response_bytes
        self.outcome = Outcome()

    @property
    def name(self) -> str:
        return self.target.consumer_name

    def consume(self, events: Sequence[RecordedEvent]) -> None:
        self.outcome = Outcome()
        chosen = [
            event for event in events
            if event.position > self.target.start
            # Erased whole (lrs.erasure): nothing left to forward.
            and MARKER not in event.payload()
            and self.target.filter.matches(event.payload(), event.store_id)
        ]
        if chosen:
            self._send(chosen)

    # ------------------------------------------------------------------ sending

    def _send(self, chosen: list[RecordedEvent]) -> None:
        try:
            delivery.send(self.client, self._request(chosen), allow_private=self.allow_private,
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


