"""What operators watch: a request id on every answer, Prometheus metrics, access logs.

``Observe`` (pure ASGI, outside the error handling so it sees every final status)
gives each request an id (the caller's ``X-Request-ID`` when it is a sane token,
else a new one), answers with it, counts the request and its latency by route
template and status, and writes an access log line when asked to. The id is the
one a 500's body names and the logs carry.

Metrics live in a registry of the app's own; with several server processes the
Prometheus client's multiprocess mode aggregates them (``PROMETHEUS_MULTIPROC_DIR``,
set by ``lrs serve --workers``). What is read from the database (the log head, the
views' lag) is read when scraped.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("lrs.access")

REQUEST_ID = "x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The counters and histograms of one app (see the module docstring)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "lrs_http_requests", "HTTP requests answered", ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "lrs_http_request_duration_seconds", "Time to answer, by route", ("method", "route"),
            buckets=_BUCKETS, registry=self.registry,
        )
        self.statements = Counter(
            "lrs_statements_written", "Statements accepted by PUT and POST (re-sends included)",
            registry=self.registry,
        )
        self.documents = Counter(
            "lrs_documents_written", "State and profile document writes (PUT, POST, DELETE)",
            ("kind",), registry=self.registry,
        )
        self.group_commits = Histogram(
            "lrs_group_commit_requests", "Write requests sharing one transaction (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64), registry=self.registry,
        )
        self.refusals = Counter(
            "lrs_rate_limit_refusals", "Requests answered 429 (rate or failed-login limits)",
            registry=self.registry,
        )

    def exposition_registry(self, read_now: Collector) -> CollectorRegistry:
        """What a scrape reads: this process's metrics, or every process's when the
        server runs several; plus ``read_now`` (values read from the database)."""
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)
        else:
            registry = self.registry
        scrape = CollectorRegistry()
        scrape.register(_Merged(registry, read_now))
        return scrape


class _Merged(Collector):
    def __init__(self, registry: CollectorRegistry, read_now: Collector) -> None:
        self.registry = registry
        self.read_now = read_now

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()
        yield from self.read_now.collect()


class DatabaseReadings(Collector):
    """The log head and each view's lag, read when Prometheus scrapes."""

    def __init__(
        self, read: Callable[[], tuple[int, dict[str, int]]],
        forwarding: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.read = read
        # Each forwarding target's status (id, lag, retries, paused, counts).
        self.forwarding = forwarding

    def collect(self) -> Iterator[Any]:
        head, lags = self.read()
        yield GaugeMetricFamily("lrs_log_head_position", "Position of the newest event", value=head)
        lag = GaugeMetricFamily(
            "lrs_projection_lag_events", "Events of the log a view has not folded yet", labels=["view"]
        )
        for name, behind in sorted(lags.items()):
            lag.add_metric([name], behind)
        yield lag
        if self.forwarding is not None:
            yield from _forwarding_metrics(self.forwarding())


def _forwarding_metrics(targets: list[dict[str, Any]]) -> Iterator[Any]:
    families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {
        "lag_events": GaugeMetricFamily(
            "lrs_forwarding_lag_events", "Events of the log a forwarding target has not been passed",
            labels=["target"]),
        "lag_seconds": GaugeMetricFamily(
            "lrs_forwarding_lag_seconds", "Age of the oldest statement not yet passed to a target",
            labels=["target"]),
        "retries": GaugeMetricFamily(
            "lrs_forwarding_retries", "Failed attempts in a row at a target (0: healthy)",
            labels=["target"]),
        "paused": GaugeMetricFamily(
            "lrs_forwarding_paused", "1 while a target is paused", labels=["target"]),
        "delivered": CounterMetricFamily(
            "lrs_forwarding_delivered", "Statements and view events a target accepted",
            labels=["target"]),
        "rejected": CounterMetricFamily(
            "lrs_forwarding_rejected", "Statements a target refused (skipped)", labels=["target"]),
    }
    for target in targets:
        for key, family in families.items():
            family.add_metric([target["id"]], float(target[key]))
    yield from families.values()


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics, access_log_enabled: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_id(scope) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        encoded = request_id.encode()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID.encode(), encoded)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            if self.access_log:
                client = scope.get("client") or ("", 0)
                access_log.info(
                    "%s %s %s", method, scope["path"], status,
                    extra={
                        "request_id": request_id, "method": method, "path": scope["path"],
                        "route": route, "status": status, "duration_ms": round(elapsed * 1000, 3),
                        "client": client[0],
                    },
                )


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID.encode():
            text = value.decode("latin-1")
            return text if _SANE_ID.fullmatch(text) else None
    return None


def request_id_of(scope: Scope) -> str:
    found: str | None = scope.get("state", {}).get("request_id")
    return found or new_request_id()


class _RequestIds:
    """Ids of 32 hex digits, unique across processes and machines: 64 random bits
    drawn once per process (again in a forked child), then a counter. A uuid4 per
    request read the kernel's random source on the event loop: the call lets go of
    the GIL, and taking it back behind the group-commit thread cost up to a switch
    interval per request (7-25% of a single POST's time in profiles)."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = uuid.uuid4().hex[:16]
        self.counter = itertools.count()

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFFFFFF:016x}"


new_request_id = _RequestIds()
