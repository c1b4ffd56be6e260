"""``create_app(settings)`` builds the ASGI application; nothing happens at import."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine
from starlette.middleware.cors import CORSMiddleware

import lrs
from api import errors, openapi, web
from api.deps import Services
from api.middleware import (
    AlternateSyntax,
    CatchAll,
    ConsistentThrough,
    SecurityHeaders,
    XapiVersion,
)
from api.observe import DatabaseReadings, Observe
from api.routers import (
    about,
    activities,
    admin,
    admin_analytics,
    admin_programmes,
    audit,
    competency,
    competency_admin,
    competency_directory,
    competency_people,
    documents,
    erasure,
    feed,
    forwarding,
    me,
    operations,
    overview,
    progress,
    social,
    statements,
    views_kpi,
)
from lrs.audit.checkpoints import checkpoint_schedule
from lrs.config import Settings
from lrs.credentials import CredentialVerifier
from lrs.db import make_engine, make_replica_engine
from lrs.ratelimit import FailedLogins, RateLimiter
from lrs.reads import Reads
from lrs.tokens import TokenVerifier
from lrs.writer import GroupWriter
from projections.forwarding.forwarder import BackgroundForwarder, Forwarder
from projections.registry import all_projections
from projections.service import ViewService

CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Experience-API-Version",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
    "X-Requested-With",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Last-Modified",
    "Content-Type",
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
    "X-LRS-Position",
]


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, completed by api/openapi.py: the xAPI resources' parameters,
    bodies and answers, 400 (never 422) for invalid input, and the auth schemes."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        openapi.describe(schema)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(
        settings.database_url, lock_timeout_seconds=settings.lock_timeout_seconds
    )
    # Read now, so that a key that cannot be read stops the server before it starts.
    schedule = checkpoint_schedule(settings, engine)
    replica = (
        make_replica_engine(settings.database_read_url) if settings.database_read_url else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = app.state.services
        # Started in this order, stopped in the reverse one: the views and the writer
        # first, then what reads what they write (forwarding, the signing schedule).
        background = [services.views, services.writer, services.forwarder, schedule]
        running = [part for part in background if part is not None]
        for part in running:
            part.start()
        try:
            yield
        finally:
            for part in reversed(running):
                part.stop()

    app = FastAPI(
        title="LRS",
        version=lrs.__version__,
        description="An event-sourced xAPI 1.0.3 and 2.0 Learning Record Store.",
        lifespan=lifespan,
        # api.web serves /docs from files this package ships (FastAPI's pages load
        # them from a CDN); ReDoc has no such package, so it is left out.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.services = Services(
        settings=settings,
        engine=engine,
        verifier=CredentialVerifier(
            engine,
            ttl=settings.auth_cache_seconds,
            failures=FailedLogins(
                settings.auth_failures_per_key,
                settings.auth_failures_per_address,
                settings.auth_failure_window_seconds,
            ),
        ),
        tokens=TokenVerifier(settings),
        limiter=RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst),
        views=ViewService(
            engine, all_projections(), in_process=settings.projections_in_process,
            wait_seconds=settings.view_wait_seconds, replica=replica,
            replica_wait_seconds=settings.read_replica_wait_seconds,
        ),
        reads=Reads(engine, replica, settings.read_replica_wait_seconds),
        writer=GroupWriter(engine, lock_timeout_seconds=settings.lock_timeout_seconds),
    )
    services = app.state.services
    if settings.forwarding_in_process:
        # Embedded use: the API process forwards too, woken by each write.
        services.forwarder = BackgroundForwarder(Forwarder(engine, settings))
        services.views.listeners.append(services.forwarder.notify)
    services.database_readings = DatabaseReadings(
        lambda: operations.readings(services), lambda: operations.forwarding_readings(services)
    )
    services.writer.on_group = services.metrics.group_commits.observe
    errors.install(app)
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    app.include_router(about.router, tags=["xAPI"])
    app.include_router(statements.router, tags=["xAPI"])
    app.include_router(documents.router, tags=["xAPI documents"])
    app.include_router(activities.router, tags=["xAPI"])
    app.include_router(admin.router)
    app.include_router(erasure.router)
    app.include_router(audit.router)
    app.include_router(forwarding.router)
    app.include_router(feed.router)
    app.include_router(progress.router)
    app.include_router(overview.router)
    app.include_router(me.router)
    app.include_router(competency.router)
    app.include_router(competency_people.router)
    app.include_router(competency_admin.router)
    app.include_router(competency_directory.router)
    app.include_router(admin_analytics.router)
    app.include_router(social.router)
    app.include_router(admin_programmes.router)
    app.include_router(views_kpi.router)
    app.include_router(operations.router)
    web.install(app)

    # Added innermost first. CORS stays outside the others so that every answer,
    # errors included, carries its headers; the security headers go on outside it,
    # preflight answers included. A wildcard origin never comes with
    # Access-Control-Allow-Credentials: a hostile page must not read statements
    # with a browser's cached credentials.
    app.add_middleware(statements.DirectWrites)
    app.add_middleware(XapiVersion, default_version=settings.default_xapi_version)
    app.add_middleware(
        AlternateSyntax, max_body_bytes=settings.max_body_bytes, cors_origins=settings.cors_origins
    )
    app.add_middleware(CatchAll)
    app.add_middleware(ConsistentThrough, engine=engine)
    app.add_middleware(Observe, metrics=services.metrics, access_log_enabled=settings.access_log)
    wildcard = "*" in settings.cors_origins
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if wildcard else list(settings.cors_origins),
        allow_credentials=not wildcard,
        allow_methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"],
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(
        SecurityHeaders,
        pages=(web.DOCS, web.DOCS + "/"),
        dashboard=web.DASHBOARD,
    )
    return app


def app_from_env() -> FastAPI:
    """The app of one server process of `lrs serve --workers N` (uvicorn's factory):
    settings from the environment the parent prepared, read now, not at import."""
    app = create_app(Settings.from_env())
    # See `lrs serve`: what lives as long as the process leaves the collector's work.
    gc.collect()
    gc.freeze()
    return app
