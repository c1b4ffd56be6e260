"""Running every forwarding target: one consumer each, retries, pausing, status.

Each pass reads the targets (they change through the admin API, in any process),
and for each active target whose next attempt is due delivers batches until it
has caught up or a batch fails. A failing target waits before its next attempt,
doubling from one second up to LRS_FORWARDING_RETRY_MAX_SECONDS with full jitter
(or as long as a 429's Retry-After asks); the others go on meanwhile. A target
that has failed for LRS_FORWARDING_PAUSE_AFTER_SECONDS is paused, with the reason,
by a ``lrs.forwarding.target.paused`` event. On PostgreSQL each target is leased
to one process at a time (the platform's lease), so several `lrs serve` workers
and a projector never send the same batch twice at once.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from lrs import clock, log
from lrs.config import Settings
from lrs.events import STATEMENT_STORED
from lrs.forwarding import sealing
from lrs.forwarding import targets as targets_service
from lrs.forwarding.filters import ViewFilter
from lrs.forwarding.targets import Target, write_transaction
from lrs.schema import events, forwarding_status
from projections.feeds import VIEW_FEEDS
from projections.forwarding.consumer import TargetConsumer
from projections.forwarding.delivery import Unavailable
from projections.forwarding.views import ViewDelivery
from projections.runner import ProjectionError, Runner
from projections.schema import checkpoints

logger = logging.getLogger("lrs.forwarding")


@dataclass(frozen=True)
class TargetStatus:
    """What `lrs forwarding status` and GET /admin/forwarding/{id} report."""

    position: int
    head: int
    lag_events: int
    lag_seconds: float
    last_success_at: str | None
    last_attempt_at: str | None
    last_error: str | None
    last_error_at: str | None
    failing_since: str | None
    retries: int
    next_attempt_at: str | None
    delivered: int
    rejected: int
    last_rejection: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position, "head": self.head,
            "lag": {"events": self.lag_events, "seconds": round(self.lag_seconds, 3)},
            "lastSuccessAt": self.last_success_at, "lastAttemptAt": self.last_attempt_at,
            "lastError": self.last_error, "lastErrorAt": self.last_error_at,
            "failingSince": self.failing_since, "retries": self.retries,
            "nextAttemptAt": self.next_attempt_at, "delivered": self.delivered,
            "rejected": self.rejected, "lastRejection": self.last_rejection,
        }


def _now() -> str:
    return clock.format_utc(clock.utcnow())


def status(engine: Engine, target_id: str) -> TargetStatus:
    """A target's delivery status (NotFound for an unknown target)."""
    target = next((t for t in targets_service.load(engine) if t.id == target_id), None)
    if target is None:
        targets_service.get(engine, target_id)  # raises NotFound
        raise AssertionError("unreachable")
    with engine.connect() as conn:
        row = conn.execute(
            select(checkpoints.c.position).where(checkpoints.c.name == target.consumer_name)
        ).first()
        position = max(int(row.position) if row else 0, target.start)
        head = log.head(conn)[0]
        # The oldest statement not yet passed: how far behind, in time.
        oldest = conn.execute(
            select(events.c.recorded_at)
            .where(events.c.position > position, events.c.type == STATEMENT_STORED)
            .order_by(events.c.position).limit(1)
        ).scalar()
        state = conn.execute(
            select(forwarding_status).where(forwarding_status.c.target_id == target_id)
        ).first()
    lag_seconds = 0.0
    if oldest is not None:
        lag_seconds = max((clock.utcnow() - clock.parse_utc(oldest)).total_seconds(), 0.0)
    return TargetStatus(
        position=position, head=head, lag_events=max(head - position, 0), lag_seconds=lag_seconds,
        last_success_at=state.last_success_at if state else None,
        last_attempt_at=state.last_attempt_at if state else None,
        last_error=state.last_error if state else None,
        last_error_at=state.last_error_at if state else None,
        failing_since=state.failing_since if state else None,
        retries=int(state.retries) if state else 0,
        next_attempt_at=state.next_attempt_at if state else None,
        delivered=int(state.delivered) if state else 0,
        rejected=int(state.rejected) if state else 0,
        last_rejection=state.last_rejection if state else None,
    )


class Forwarder:
    """Delivers to every active target from one process (the API or the projector)."""

    def __init__(self, engine: Engine, settings: Settings, *, client: httpx.Client | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.runner = Runner(engine, [], batch=settings.forwarding_batch)
        self.sealer = sealing.Sealer.from_setting(settings.forwarding_key)
        self.client = client or httpx.Client(
            timeout=httpx.Timeout(settings.forwarding_timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: the address checked is the one reached
        )
        self._known: dict[str, Target] = {}
        self._incarnations: frozenset[int] | None = None
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lrs-forwarding")
        # One line per request at INFO would drown the server's log; failures are
        # logged here, once per attempt.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.runner.release()
        self.client.close()

    # ------------------------------------------------------------------ targets

    def _sync(self) -> list[Target]:
        """The active targets now; consumers of removed or paused ones are dropped."""
        with self.engine.connect() as conn:
            head = log.head(conn)[0]  # read first: a target added later lies beyond it
        every = targets_service.load(self.engine, self.sealer)
        incarnations = frozenset(t.added_at for t in every)
        if incarnations != self._incarnations:
            self._forget_removed(incarnations, head)
            self._incarnations = incarnations
        current = {t.consumer_name: t for t in every if not t.paused}
        for name in list(self._known):
            if name not in current:
                self.runner.drop(name)
                del self._known[name]
        for name, target in current.items():
            if self._known.get(name) != target:
                self._known[name] = target
                self.runner.add(TargetConsumer(
                    self.engine, target, self.client,
                    allow_private=self.settings.forwarding_allow_private,
                    response_bytes=self.settings.forwarding_response_bytes,
                ))
                self._start_at(target)
        return list(current.values())

    def _forget_removed(self, incarnations: frozenset[int], head: int) -> None:
        """Checkpoints of removed targets go (``fw:<id>:<added at>``, ``fwv:<added
        at>:<view>``): a target added again under the same id is a new incarnation
        and starts afresh, so nothing will read them again. Only incarnations up to
        ``head`` (read before the targets were): one added since, by another process,
        is not in ``incarnations`` but is not removed either."""
        with self.engine.connect() as conn:
            names = conn.execute(select(checkpoints.c.name).where(
                checkpoints.c.name.like("fw:%") | checkpoints.c.name.like("fwv:%"))).scalars().all()
        stale = [name for name in names
                 if (at := _incarnation(name)) is not None and at <= head and at not in incarnations]
        if stale:
            with write_transaction(self.engine) as conn:
                conn.execute(delete(checkpoints).where(checkpoints.c.name.in_(stale)))

    def _start_at(self, target: Target) -> None:
        """A target added with from=now starts at the position it was added at."""
        if not target.start:
            return
        try:
            with write_transaction(self.engine) as conn:
                if conn.execute(select(checkpoints.c.name).where(
                        checkpoints.c.name == target.consumer_name)).first() is None:
                    conn.execute(checkpoints.insert().values(
                        name=target.consumer_name, version=0, position=target.start,
                        updated_at=_now(),
                    ))
        except IntegrityError:
            pass  # another process created it first

    # ----------------------------------------------------------------- delivery

    def run_once(self, stop: threading.Event | None = None) -> dict[str, int]:
        """One pass over the targets; returns how many events each one moved.

        Targets are served side by side (a few threads), so that one slow to answer
        or timing out holds up no other."""
        due = [t for t in self._sync() if self._due(t)]
        if not due:
            return {}
        futures = {target.id: self._pool.submit(self._serve, target, stop) for target in due}
        return {target_id: moved for target_id, future in futures.items()
                if (moved := future.result()) is not None}

    def _serve(self, target: Target, stop: threading.Event | None) -> int | None:
        if stop is not None and stop.is_set():
            return None
        try:
            with self.runner._lease(target.consumer_name) as leased:
                return self._drain(target, stop) if leased else None
        except Exception:
            # A database hiccup: this target waits for the next pass, the others go on.
            logger.exception("forwarding to %s failed; retrying on the next pass", target.id)
            return None

    def _due(self, target: Target) -> bool:
        with self.engine.connect() as conn:
            due = conn.execute(
                select(forwarding_status.c.next_attempt_at)
                .where(forwarding_status.c.target_id == target.id)
            ).scalar()
        return due is None or due <= _now()

    def _drain(self, target: Target, stop: threading.Event | None) -> int:
        consumer = self.runner.projections[target.consumer_name]
        total = 0
        while stop is None or not stop.is_set():
            try:
                step = self.runner.step(target.consumer_name)
            except ProjectionError as exc:
                cause = exc.__cause__
                if isinstance(cause, Unavailable):
                    self._failed(target, cause.reason, cause.retry_after)
                else:
                    self._failed(target, exc.reason, None)
                return total
            outcome = consumer.outcome
            consumer.outcome = type(outcome)()
            if outcome.delivered or outcome.rejected or step:
                self._succeeded(target, outcome.delivered, outcome.rejected)
            total += step
            if not step:
                break
        for view, view_filter in target.views:
            total += self._drain_view(target, view, view_filter, stop)
        return total

    def _drain_view(self, target: Target, view: str, view_filter: ViewFilter,
                    stop: threading.Event | None) -> int:
        if view not in VIEW_FEEDS:
            return 0  # a view this version no longer has: nothing to send
        source = ViewDelivery(
            self.engine, target, view, view_filter, self.client,
            batch=self.settings.forwarding_batch,
            allow_private=self.settings.forwarding_allow_private,
            response_bytes=self.settings.forwarding_response_bytes,
        )
        total = 0
        while stop is None or not stop.is_set():
            try:
                delivered, rejected = source.step()
            except Unavailable as exc:
                self._failed(target, exc.reason, exc.retry_after)
                return total
            if delivered or rejected:
                self._succeeded(target, delivered, rejected)
                total += delivered
            else:
                break
        return total

    def _succeeded(self, target: Target, delivered: int, rejected: list[str]) -> None:
        values: dict[str, Any] = {
            "last_attempt_at": _now(), "failing_since": None, "retries": 0,
            "next_attempt_at": None,
            "delivered": forwarding_status.c.delivered + delivered,
            "rejected": forwarding_status.c.rejected + len(rejected),
        }
        if delivered:
            values["last_success_at"] = values["last_attempt_at"]
        if rejected:
            values["last_rejection"] = rejected[-1][:2000]
            for reason in rejected:
                logger.warning("forwarding target %s rejected %s", target.id, reason)
        with write_transaction(self.engine) as conn:
            conn.execute(update(forwarding_status)
                         .where(forwarding_status.c.target_id == target.id).values(**values))

    def _failed(self, target: Target, reason: str, wait_hint: float | None) -> None:
        now = clock.utcnow()
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(forwarding_status)
                               .where(forwarding_status.c.target_id == target.id)).first()
            retries = (int(row.retries) if row else 0) + 1
            failing_since = (row.failing_since if row else None) or clock.format_utc(now)
            ceiling = min(2.0 ** (retries - 1), self.settings.forwarding_retry_max_seconds)
            wait = random.uniform(0, ceiling) if wait_hint is None else wait_hint
            conn.execute(update(forwarding_status)
                         .where(forwarding_status.c.target_id == target.id)
                         .values(last_attempt_at=clock.format_utc(now), last_error=reason[:2000],
                                 last_error_at=clock.format_utc(now), failing_since=failing_since,
                                 retries=retries,
                                 next_attempt_at=clock.format_utc(now + timedelta(seconds=wait))))
        logger.warning("forwarding target %s failed (attempt %d, next in %.1f s): %s",
                       target.id, retries, wait, reason)
        failing_for = (now - clock.parse_utc(failing_since)).total_seconds()
        if failing_for >= self.settings.forwarding_pause_after_seconds:
            targets_service.pause(
                self.engine, target.id,
                f"failing for {failing_for:.0f} s (limit LRS_FORWARDING_PAUSE_AFTER_SECONDS): {reason}",
                actor="forwarder",
            )


def _incarnation(checkpoint_name: str) -> int | None:
    parts = checkpoint_name.split(":")
    index = -1 if parts[0] == "fw" else 1
    try:
        return int(parts[index])
    except (IndexError, ValueError):
        return None


class BackgroundForwarder:
    """The forwarder in a thread of `lrs serve` (embedded use); woken after writes."""

    def __init__(self, forwarder: Forwarder, interval: float = 1.0) -> None:
        self.forwarder = forwarder
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lrs-forwarding", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.forwarder.settings.forwarding_timeout_seconds + 5)
        self.forwarder.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.forwarder.run_once(self._stop)
            except Exception:
                logger.exception("forwarding pass failed; retrying")
            self._wake.wait(self.interval)
            self._wake.clear()
