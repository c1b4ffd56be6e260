"""The competency view over HTTP, a learner's side (``/views/competency/...``):
frameworks, profile, evidence, history and assertion exports. People-wide reads
(experts, gaps, heat map, ...) are in competency_people. Every answer carries
``position`` and the instant ``at`` it was evaluated at.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api import viewing
from api.deps import App, Auth, services
from api.routers import competency_examples as examples
from api.routers.competency_common import (
    AtParam,
    answer_by_interval,
    example,
    learner,
    may_read,
    may_read_configuration,
    negative_evidence,
)
from api.viewing import AgentParam, PositionParams
from lrs.errors import InvalidParameter
from projections.competency import exports, logic, queries

router = APIRouter(prefix="/views/competency", tags=["views: competency"])
Iri = Annotated[str, Query(description="A competency IRI")]
Optional = Annotated[str | None, Query()]
STEPS = {"P1D": 1, "P1W": 7, "P1M": 30, "P1Y": 365}


@router.get("/frameworks", summary="Frameworks of the store, or one framework's tree with its scale",
            responses=example(examples.FRAMEWORKS))
async def frameworks(request: Request, app: App, credential: Auth, window: PositionParams, at: AtParam,
                     framework: Optional = None) -> Response:
    may_read_configuration(credential)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at,
                                    lambda conn, _: queries.frameworks(conn, store) if framework is None
                                    else queries.framework_tree(conn, store, viewing.activity(framework, "framework")))


@router.get("/profile", summary="A learner's competencies: level, label, confidence, status, reason",
            responses=example(examples.PROFILE))
async def profile(request: Request, app: App, credential: Auth, agent: AgentParam, window: PositionParams,
                  at: AtParam, framework: Optional = None) -> Response:
    person = learner(agent)
    may_read(credential, person)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: queries.profile(
        conn, store, person.key, person.agent, framework, at.us, as_of))


@router.get("/evidence", summary="The evidence of one cell with weights (every number explained)",
            responses=example(examples.EVIDENCE))
async def evidence(request: Request, app: App, credential: Auth, agent: AgentParam, competency: Iri,
                   window: PositionParams, at: AtParam) -> Response:
    person = learner(agent)
    may_read(credential, person)
    store, negative = credential.store_id, await negative_evidence(request, credential)
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: queries.evidence(
        conn, store, person.key, competency, at.us, negative, as_of))


@router.get("/history", summary="A cell over valid time: level, confidence and status at each step",
            responses=example(examples.HISTORY))
async def history(request: Request, app: App, credential: Auth, agent: AgentParam, competency: Iri,
                  window: PositionParams, at: AtParam, since: Annotated[str | None, Query(alias="from")] = None,
                  to: Optional = None, step: Annotated[str, Query(description="P1D, P1W, P1M or P1Y")] = "P1M") -> Response:
    person = learner(agent)
    may_read(credential, person)
    if step not in STEPS:
        raise InvalidParameter("step", f"must be one of {', '.join(STEPS)}")
    end = viewing.moment("to", to)
    end_us = at.us if end is None else logic.micros(end) or at.us
    step_us = STEPS[step] * logic.DAY_US
    start = viewing.moment("from", since)
    start_us = end_us - 12 * step_us if start is None else logic.micros(start) or end_us
    if start_us > end_us:
        raise InvalidParameter("from", "must not be later than `to`")
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: queries.history(
        conn, store, person.key, competency, start_us, end_us, step_us, as_of))


@router.get("/assertions", summary="Export: xAPI statements or Open Badges 3.0 credentials (unsigned)",
            responses=example(examples.ASSERTIONS))
async def assertions(request: Request, app: App, credential: Auth, agent: AgentParam, window: PositionParams,
                     at: AtParam, format: Annotated[str, Query(description="xapi or ob3")] = "xapi",
                     flavour: Annotated[str | None, Query(
                         description="format=xapi only: lcp (learner competency achievedcompetency/"
                                     "expiredcompetency, the default) or tla (TLA MOM asserted with confidence "
                                     "in [-1, 1] and evidence)")] = None) -> Response:
    person = learner(agent)
    may_read(credential, person)
    if format not in ("xapi", "ob3"):
        raise InvalidParameter("format", "must be xapi or ob3")
    if flavour is not None and format != "xapi":
        raise InvalidParameter("flavour", "applies to format=xapi only")
    if flavour is not None and flavour not in exports.FLAVOURS:
        raise InvalidParameter("flavour", f"must be one of {', '.join(exports.FLAVOURS)}")
    base = services(request).settings.public_url.rstrip("/")
    issuer = {"objectType": "Agent", "name": "LRS", "account": {"homePage": base, "name": credential.store_id}} \
        if format == "xapi" else {"id": base, "name": f"LRS store {credential.store_id}"}
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: exports.assertions(
        conn, store, person.key, person.agent, at.us, format, issuer, base, flavour or "lcp", as_of))
