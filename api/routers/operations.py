"""For load balancers, orchestrators and Prometheus: ``/health``, ``/ready``, ``/metrics``.

``/health`` says the process answers (nothing else is checked: a liveness probe
must not restart a server because its database is slow). ``/ready`` says it can
serve: the database answers, its schema is at this code's migration, and every
view is within ``LRS_READY_MAX_LAG`` events of the log's head. ``/metrics`` is the
Prometheus text format, for a credential with the ``admin`` scope or the bearer
token ``LRS_METRICS_TOKEN``.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from api.deps import App, identify, run, services
from lrs import log
from lrs.errors import Forbidden, Unauthorized
from lrs.forwarding import targets as forwarding_targets
from lrs.migrate import current_revision, head_revision
from projections.forwarding.forwarder import status as forwarding_status

router = APIRouter(tags=["operations"])

# A readiness answer is reused this long: probes come every few seconds from every
# balancer, and each reading is a few queries.
_READY_CACHE_SECONDS = 1.0


_JSON_STATUS = {"application/json": {"schema": {"type": "object"}}}
_OPEN: dict[str, Any] = {"security": []}


@router.get(
    "/health", summary="The process is alive (liveness probe)", openapi_extra=_OPEN,
    responses={200: {"description": "Alive", "content": {"application/json": {"example": {"status": "ok"}}}}},
)
async def health() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def readings(app: Any) -> tuple[int, dict[str, int]]:
    """The log head and each view's lag (for /ready and /metrics)."""
    with app.engine.connect() as conn:
        head = log.head(conn)[0]
    lags = {status.name: max(head - status.position, 0) for status in app.views.runner.status()}
    return head, lags


def forwarding_readings(app: Any) -> list[dict[str, Any]]:
    """Each forwarding target's lag and health (for /metrics)."""
    out = []
    for target in forwarding_targets.list_targets(app.engine):
        state = forwarding_status(app.engine, target["id"])
        out.append({
            "id": target["id"], "lag_events": state.lag_events, "lag_seconds": state.lag_seconds,
            "retries": state.retries, "paused": int(target["paused"]),
            "delivered": state.delivered, "rejected": state.rejected,
        })
    return out


def _readiness(app: Any) -> tuple[bool, dict[str, Any]]:
    checks: dict[str, Any] = {}
    try:
        revision = current_revision(app.engine)
    except Exception as exc:  # the database does not answer: that is the answer
        return False, {"database": f"unreachable: {type(exc).__name__}"}
    checks["database"] = "ok"
    wanted = head_revision()
    checks["migrations"] = "ok" if revision == wanted else f"at {revision}, code needs {wanted}"
    head, lags = readings(app)
    limit = app.settings.ready_max_lag
    checks["log_head"] = head
    checks["views"] = {name: {"lag": lag, "ok": lag <= limit} for name, lag in lags.items()}
    replica = app.reads.replica_lag()
    if replica is not None:
        # Information only: reads the replica cannot serve go to the primary.
        checks["replica"] = replica if isinstance(replica, str) else {"lag": replica}
    ready = revision == wanted and all(lag <= limit for lag in lags.values())
    return ready, checks


@router.get(
    "/ready", summary="The server can serve (readiness probe)", openapi_extra=_OPEN,
    responses={
        200: {"description": "Ready", "content": _JSON_STATUS},
        503: {"description": "Not ready: the checks say which failed", "content": _JSON_STATUS},
    },
)
async def ready(app: App) -> Response:
    cached = getattr(app, "_ready_cache", None)
    now = time.monotonic()
    if cached is None or now - cached[0] > _READY_CACHE_SECONDS:
        cached = (now, *await run(app, _readiness, app, heavy=True))
        app._ready_cache = cached  # type: ignore[attr-defined]
    _, is_ready, checks = cached
    body = orjson.dumps({"status": "ready" if is_ready else "not ready", "checks": checks})
    return Response(body, status_code=200 if is_ready else 503, media_type="application/json")


@router.get(
    "/metrics", summary="Prometheus metrics (admin credential or LRS_METRICS_TOKEN)",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format", "content": {
        "text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    app = services(request)
    token = app.settings.metrics_token
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if not (token and scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)):
        if not header:
            raise Unauthorized("credentials are required: an admin credential or LRS_METRICS_TOKEN")
        credential = await run(app, identify, request, heavy=True)
        if "admin" not in credential.scopes:
            raise Forbidden("the admin scope is required to read metrics")
    registry = app.metrics.exposition_registry(app.database_readings)
    body = await run(app, generate_latest, registry, heavy=True)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
