"""The social-learning view over HTTP (``/views/social/...``).

Purpose: programme design and evaluation (who learns with whom, which teams learn
in isolation, what knowledge travels), not appraisal of people. Every answer
passes the disclosure layer and carries ``privacy: {mode, minGroupSize,
suppressedCells}``. Windows: ``window`` (2026-Q3, 2026-W27, 2026-07) or
``from``/``to`` dates, in the store's time zone; ``asOf`` and ``minPosition`` as
in every view (api.viewing).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api import deps, viewing
from api.deps import App, Auth, require
from api.routers import social_examples as examples
from lrs.credentials import Credential
from lrs.errors import Forbidden, InvalidParameter
from lrs.xapi.agents import ifi_key
from lrs.xapi.params import check_names
from projections import windows
from projections.disclosure import pseudonym
from projections.social import programmes, queries, retention, snapshots
from projections.social.network import Facts

router = APIRouter(prefix="/views/social", tags=["views: social learning"])
VIEW = "social"
KPI_VIEW = "kpi"
IDENTIFIED_SCOPE = "views/social/identified"
GRAPHML = "application/graphml+xml"

Text = Annotated[str | None, Query()]
WindowText = Annotated[str | None, Query(description="2026-Q3, FY2026-Q1, 2026-W27 or 2026-07 (the store's time zone and fiscal year)")]
FromText = Annotated[str | None, Query(alias="from", description="First local date, YYYY-MM-DD (with to)")]
ToText = Annotated[str | None, Query(alias="to", description="Local date after the last one, YYYY-MM-DD")]


def _position(
    asOf: Text = None, minPosition: Annotated[int | None, Query()] = None
) -> viewing.Window:
    """``asOf`` and ``minPosition`` as in every view (time windows are ``window``/``from``/``to`` here)."""
    return viewing._window(asOf=asOf, minPosition=minPosition)


Position = Annotated[viewing.Window, Depends(_position)]


def _example(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": example}}}}


@functools.cache
def _process_secret() -> bytes:
    return secrets.token_bytes(32)


def _secret(app: App) -> bytes:
    configured = app.settings.pseudonym_secret
    return configured.encode() if configured else _process_secret()


def _reader(
    app: App, store: str, window: str | None, start: str | None, end: str | None,
    then: Callable[[Facts, windows.Window | None], Any], *, person_level: bool = False,
) -> Callable[[Connection], Any]:
    """Read the valid facts of the window (less the objections in force now) and
    answer; a person-level answer's window starts no earlier than the retention
    horizon (projections.social.retention)."""

    def read(conn: Connection) -> Any:
        parsed = _window(conn, store, window, start, end)
        if person_level:
            parsed = retention.person_window(conn, store, parsed, queries.settings(conn, store))
        return then(*_facts(app, conn, store, parsed))

    return read


def _window(conn: Connection, store: str, window: str | None, start: str | None, end: str | None) -> windows.Window | None:
    settings = queries.settings(conn, store)
    return windows.parse(window, start, end, settings["timezone"], fiscal_start=settings["fiscalYearStartMonth"])


def _facts(app: App, conn: Connection, store: str, parsed: windows.Window | None) -> tuple[Facts, windows.Window | None]:
    with app.engine.connect() as live:
        current = queries.opted_out(live, store)
    return queries.read(conn, store, parsed, current), parsed


def _own_agent(credential: Credential) -> str:
    """The learner a credential or token speaks for: its authority, or the user of an
    OAuth authority Group (application and user, Data 2.4.9)."""
    authority = credential.authority
    if authority.get("objectType") == "Group":
        members = [m for m in authority.get("member") or () if isinstance(m, dict)]
        if len(members) == 2:
            return ifi_key(members[1]) or ""
        raise Forbidden("this credential names no single learner")
    return ifi_key(authority) or ""


@router.get(
    "/overview", summary="Collective learning at a glance: active, social and isolated learners, gatherings, sharing",
    responses=_example(examples.OVERVIEW),
)
async def overview(
    request: Request, app: App, credential: Auth, position: Position, window: WindowText = None,
    start: FromText = None, end: ToText = None, team: Text = None,
    programme: Annotated[str | None, Query(description="A KPI programme id: its learners in the window only")] = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store = credential.store_id
    if programme is None:
        return await viewing.answer(
            request, app, VIEW, store, position,
            _reader(app, store, window, start, end, lambda facts, w: queries.overview(facts, w, team=team)),
        )
    viewing.check_declared(request)
    if position.as_of is not None:
        raise InvalidParameter(
            "programme", "cannot be combined with asOf: programmes are read as the KPI view holds them now"
        )

    def read_view() -> tuple[int, Any]:
        # The programme's learners from the KPI view, once it has folded at least
        # what this answer reflects (a read-time join, design part b).
        with app.views.reading(VIEW, store, min_position=position.min_position) as (conn, at):
            parsed = _window(conn, store, window, start, end)
            with app.views.reading(KPI_VIEW, store, min_position=at) as (kpi, _):
                people = programmes.learners(kpi, store, programme, parsed)
            facts, _ = _facts(app, conn, store, parsed)
            return at, queries.overview(facts, parsed, team=team, programme=people)

    at, data = await deps.run(app, read_view, heavy=True)
    return viewing.respond(at, data)


@router.get(
    "/teams", summary="The team-level network: activity, social share, density, bridging, ties between teams",
    responses=_example(examples.TEAMS),
)
async def teams(
    request: Request, app: App, credential: Auth, position: Position, window: WindowText = None,
    start: FromText = None, end: ToText = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store = credential.store_id
    return await viewing.answer(request, app, VIEW, store, position, _reader(app, store, window, start, end, queries.teams))


@router.get(
    "/me", summary="The learner's own view: co-learners, gatherings, what their contributions reached",
    responses=_example(examples.ME),
)
async def me(
    request: Request, app: App, credential: Auth, position: Position, window: WindowText = None,
    start: FromText = None, end: ToText = None,
) -> Response:
    require(credential, *viewing.READ_SCOPES, "statements/read/mine")
    store, agent = credential.store_id, _own_agent(credential)
    return await viewing.answer(
        request, app, VIEW, store, position,
        _reader(app, store, window, start, end, lambda facts, w: queries.me(facts, w, agent), person_level=True),
    )


@router.get(
    "/contributions", summary="Artifacts by reach (distinct consumers, teams reached); authors only in identified mode",
    responses=_example(examples.CONTRIBUTIONS),
)
async def contributions(
    request: Request, app: App, credential: Auth, position: Position, page: viewing.PageParams,
    window: WindowText = None, start: FromText = None, end: ToText = None, sort: str = "reach",
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store, viewer = credential.store_id, _viewer(credential)
    return await viewing.answer(
        request, app, VIEW, store, position,
        _reader(
            app, store, window, start, end,
            lambda facts, w: queries.contributions(
                facts, w, sort=sort, viewer=viewer, limit=page.limit, offset=page.offset
            ),
        ),
    )


def _viewer(credential: Credential) -> str | None:
    try:
        return _own_agent(credential)
    except Forbidden:
        return None


@router.get(
    "/graph",
    summary="The person-level graph (identified mode and the views/social/identified scope): JSON or GraphML",
    responses={
        200: {"content": {"application/json": {"example": examples.GRAPH},
                          GRAPHML: {"schema": {"type": "string"}, "example": examples.GRAPHML_EXAMPLE}}},
        403: {"description": "Aggregate mode, or a credential without the views/social/identified scope"},
    },
)
async def graph(
    request: Request, app: App, credential: Auth, position: Position, window: WindowText = None,
    start: FromText = None, end: ToText = None,
    kinds: Annotated[str, Query(description="Comma-separated: " + ", ".join(queries.GRAPH_KINDS))] = "co_participation,reply",
    level: str = "person", format: Text = None,
) -> Response:
    if IDENTIFIED_SCOPE not in credential.scopes:
        raise Forbidden(f"the person-level graph needs the {IDENTIFIED_SCOPE} scope")
    if level != "person":
        raise InvalidParameter("level", "must be person (the team-level network is /views/social/teams)")
    if format not in (None, "json", "graphml"):
        raise InvalidParameter("format", "must be json or graphml")
    store, secret = credential.store_id, _secret(app)
    wanted = [kind.strip() for kind in kinds.split(",") if kind.strip()]

    def name(agent: str) -> str:
        return pseudonym(secret, store, agent)

    read = _reader(app, store, window, start, end, lambda facts, w: queries.graph(facts, w, kinds=wanted, pseudonym=name),
                   person_level=True)
    as_graphml = format == "graphml" or (format is None and GRAPHML in request.headers.get("accept", ""))
    if not as_graphml:
        return await viewing.answer(request, app, VIEW, store, position, read)
    check_names(list(request.query_params.multi_items()), viewing._declared(request))

    def read_view() -> tuple[int, Any]:
        with app.views.reading(VIEW, store, as_of=position.as_of, min_position=position.min_position) as (conn, at):
            return at, read(conn)

    at, data = await deps.run(app, read_view, heavy=True)
    return Response(
        queries.graphml({"position": at, **data}), media_type=GRAPHML,
        headers={viewing.POSITION: str(at), "Content-Disposition": f'attachment; filename="social-{store}-{at}.graphml"'},
    )


@router.get(
    "/metrics",
    summary="Graph measures (networkx, reproducible): degree, betweenness, closeness, communities by team or person",
    description=(
        "Team level is always available. Person level needs identified mode and the views/social/identified "
        "scope; betweenness over more than 3,000 people is refused unless approximate=true (a seeded sample "
        "of 500 pivots, flagged in the answer). The algorithm, library version and parameters come with the result."
    ),
    responses=_example(examples.METRICS),
)
async def metrics(
    request: Request, app: App, credential: Auth, position: Position, window: WindowText = None,
    start: FromText = None, end: ToText = None, level: str = "team", measure: str = "betweenness",
    approximate: bool = False,
) -> Response:
    require(credential, *viewing.READ_SCOPES)
    if level == "person" and IDENTIFIED_SCOPE not in credential.scopes:
        raise Forbidden(f"person-level measures need the {IDENTIFIED_SCOPE} scope")
    store, secret = credential.store_id, _secret(app)

    def name(agent: str) -> str:
        return pseudonym(secret, store, agent)

    def read(conn: Connection) -> Any:
        parsed = _window(conn, store, window, start, end)
        if level == "person":
            parsed = retention.person_window(conn, store, parsed, queries.settings(conn, store))
        with app.engine.connect() as live:
            current = queries.opted_out(live, store)
        facts = queries.read(conn, store, parsed, current)

        def kept(compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return snapshots.kept(conn, store, parsed, facts, level=level, measure=measure, approximate=approximate,
                                  current_opt_outs=current, compute=compute)

        return queries.metrics(
            facts, parsed, level=level, measure=measure, approximate=approximate, pseudonym=name, kept=kept
        )

    return await viewing.answer(request, app, VIEW, store, position, read)


@router.get("/definitions", summary="How every measure of the social view is defined, and what feeds it")
async def definitions(credential: Auth) -> Response:
    require(credential, *viewing.READ_SCOPES, "statements/read/mine")
    return Response(orjson.dumps(examples.DEFINITIONS), media_type="application/json")
