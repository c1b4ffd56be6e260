"""View events for webhooks: the changes of a view (projections.feeds), delivered
like statements, at least once and in position order, with a checkpoint of their
own (``fwv:<position the target was added at>:<view>`` in the checkpoints table,
moved by compare-and-set after each delivered batch).

A view publishes its changes by what it already keeps (the log position that last
changed each row): nothing in the projection knows about webhooks, and a webhook
subscribed to the progress view gets, for each statement that moved progress
records, those records (filtered by status and activity), e.g. every learner who
passed or completed a course. Records are read as they stand when delivered: a
record changed twice before delivery is sent once, as it is after the second change.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from lrs import clock
from lrs.forwarding.filters import ViewFilter
from lrs.forwarding.targets import Target, write_transaction
from projections.feeds import VIEW_FEEDS
from projections.forwarding import delivery
from projections.schema import checkpoints


class ViewDelivery:
    def __init__(
        self, engine: Engine, target: Target, view: str, view_filter: ViewFilter,
        client: httpx.Client, *, batch: int, allow_private: bool, response_bytes: int,
    ) -> None:
        self.engine = engine
        self.target = target
        self.view = view
        self.filter = view_filter
        self.client = client
        self.batch = batch
        self.allow_private = allow_private
        self.response_bytes = response_bytes

    @property
    def name(self) -> str:
        return f"fwv:{self.target.added_at}:{self.view}"

    def _position(self) -> int:
        with self.engine.connect() as conn:
            row = conn.execute(select(checkpoints.c.position).where(checkpoints.c.name == self.name)).first()
        if row is not None:
            return int(row.position)
        try:
            with write_transaction(self.engine) as conn:
                conn.execute(checkpoints.insert().values(
                    name=self.name, version=0, position=self.target.start,
                    updated_at=clock.format_utc(clock.utcnow()),
                ))
        except IntegrityError:
            return self._position()
        return self.target.start

    def step(self) -> tuple[int, list[str]]:
        """Deliver one batch: (events delivered, rejections); 0 events and no move
        when caught up. Raises delivery.Unavailable to be retried later."""
        after = self._position()
        with self.engine.connect() as conn:
            row = conn.execute(select(checkpoints.c.position).where(checkpoints.c.name == self.view)).first()
            view_at = int(row.position) if row else 0
            changes = VIEW_FEEDS[self.view](conn, self.target.store_id, after, self.batch)
        if not changes:
            if view_at > after:
                self._advance(after, view_at)
            return 0, []
        events: list[dict[str, Any]] = []
        for position, data in changes:
            chosen = [r for r in orjson.loads(data)["records"] if self.filter.matches(r)]
            if chosen:
                events.append({"position": position, "store": self.target.store_id,
                               "type": f"view.{self.view}", "records": chosen})
        rejections: list[str] = []
        if events:
            try:
                delivery.send(self.client, delivery.webhook_request(self.target, events),
                              allow_private=self.allow_private, limit=self.response_bytes)
            except delivery.Refused as refused:
                rejections.append(f"view {self.view} changes {events[0]['position']}-"
                                  f"{events[-1]['position']}: {refused}")
        moved = self._advance(after, changes[-1][0])
        return (len(events) if moved and not rejections else 0), rejections

    def _advance(self, start: int, end: int) -> bool:
        with write_transaction(self.engine) as conn:
            return bool(conn.execute(
                update(checkpoints)
                .where(checkpoints.c.name == self.name, checkpoints.c.position == start)
                .values(position=end, updated_at=clock.format_utc(clock.utcnow()))
            ).rowcount == 1)
