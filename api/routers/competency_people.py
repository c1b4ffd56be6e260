"""The competency view over HTTP, people-wide (``/views/competency/...``): experts,
pairings, role gaps with readiness and recommendations, the heat map and coverage
(knowledge at risk). Whole-store reads (competency/read), except a learner's own gaps
and recommendations, which competency/read/mine may ask for.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import App, Auth
from api.routers import competency_examples as examples
from api.routers.competency_common import AtParam, answer_by_interval, example, learner, may_read
from api.viewing import AgentParam, PositionParams
from lrs.errors import InvalidParameter
from lrs.xapi.agents import ifi_key, key_hash, parse_agent_parameter
from projections.competency import people, queries

router = APIRouter(prefix="/views/competency", tags=["views: competency"])
Iri = Annotated[str, Query(description="A competency IRI")]
Optional = Annotated[str | None, Query()]
Limit = Annotated[int, Query(ge=1, le=1000)]


def _one_of(role: str | None, framework: str | None) -> None:
    if (role is None) == (framework is None):
        raise InvalidParameter("role", "give exactly one of role and framework")


@router.get("/experts", summary="Who can help with a competency: proficient people, ranked",
            responses=example(examples.EXPERTS))
async def experts(request: Request, app: App, credential: Auth, competency: Iri, window: PositionParams,
                  at: AtParam, team: Optional = None, minLevel: Annotated[str | None, Query(
                      description="A number from 0 to 1, or a label of the competency's framework scale "
                                  "(e.g. Proficient: the level its band starts at)")] = None,
                  limit: Limit = 10) -> Response:
    may_read(credential, None)
    least = _level(minLevel)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: people.experts(
        conn, store, competency, at.us, team=team, min_level=least, limit=limit, as_of=as_of))


def _level(text: str | None) -> float | str | None:
    """A number from 0 to 1, else a scale label (checked against the framework's scale)."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if not 0 <= value <= 1:  # also refuses nan
        raise InvalidParameter("minLevel", "must be a number from 0 to 1 or a label of the framework's scale")
    return value


@router.get("/pairings", summary="Who can teach whom in a team", responses=example(examples.PAIRINGS))
async def pairings(request: Request, app: App, credential: Auth, competency: Iri, team: str,
                   window: PositionParams, at: AtParam, perExpert: Annotated[int, Query(ge=1, le=100)] = 3) -> Response:
    may_read(credential, None)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: people.pairings(
        conn, store, competency, team, at.us, perExpert, as_of))


@router.get("/gaps", summary="A learner against a role: gaps, readiness, recommendations, helpers",
            responses=example(examples.GAPS))
async def gaps(request: Request, app: App, credential: Auth, agent: AgentParam, role: str,
               window: PositionParams, at: AtParam) -> Response:
    person = learner(agent)
    may_read(credential, person)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: people.gaps(
        conn, store, person.key, person.agent, role, at.us, as_of=as_of))


@router.get("/recommendations", summary="Next activities for a role's gaps or one competency, prerequisites first",
            responses=example(examples.RECOMMENDATIONS))
async def recommendations(request: Request, app: App, credential: Auth, agent: AgentParam,
                          window: PositionParams, at: AtParam, role: Optional = None,
                          competency: Optional = None) -> Response:
    person = learner(agent)
    may_read(credential, person)
    if (role is None) == (competency is None):
        raise InvalidParameter("role", "give exactly one of role and competency")
    store = credential.store_id

    def read(conn: Any, as_of: int | None) -> dict[str, Any]:
        if role is not None:
            found = people.gaps(conn, store, person.key, person.agent, role, at.us, as_of=as_of)
            return {"agent": person.agent, "role": found["role"], "recommendations": [
                {**rec, "gap": g["competency"]} for g in found["gaps"] for rec in g["recommendations"]]}
        comp = queries.item(conn, store, competency or "")
        cells = queries.learner_cells(conn, store, person.key, at.us, as_of)
        threshold = comp["mastery_threshold"] if comp["mastery_threshold"] is not None else people.P.theta
        gap = {"competency": comp["iri"], **people.logic.gap(threshold, cells.get(comp["iri_hash"]), at.us)}
        return {"agent": person.agent, "competency": comp["iri"], "gapType": gap["gapType"],
                "recommendations": people.recommend(conn, store, person.key, gap, cells, at.us, as_of)}

    return await answer_by_interval(request, app, credential, window, at, read)


@router.get("/heatmap", summary="A team (or agents) x a role's or framework's competencies",
            responses=example(examples.HEATMAP))
async def heatmap(request: Request, app: App, credential: Auth, window: PositionParams, at: AtParam,
                  team: Optional = None, agents: Optional = None, role: Optional = None,
                  framework: Optional = None) -> Response:
    may_read(credential, None)
    _one_of(role, framework)
    if (team is None) == (agents is None):
        raise InvalidParameter("team", "give exactly one of team and agents (a JSON array of Agents)")
    listed = _agents(agents) if agents is not None else None
    store = credential.store_id

    def read(conn: Any, as_of: int | None) -> dict[str, Any]:
        members = listed if listed is not None else {
            m["learner_key"]: m["agent"] for m in queries.team_members(conn, store, team or "")}
        return {"team": team, **people.heatmap(conn, store, members, people.scope_items(conn, store, role, framework),
                                               at.us, as_of)}

    return await answer_by_interval(request, app, credential, window, at, read)


def _agents(text: str) -> dict[str, Any]:
    import orjson

    try:
        values = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidParameter("agents", "must be a JSON array of Agents") from None
    if not isinstance(values, list) or not values:
        raise InvalidParameter("agents", "must be a non-empty JSON array of Agents")
    found = {}
    for value in values:
        agent = parse_agent_parameter(orjson.dumps(value).decode(), allow_group=False)
        found[key_hash(ifi_key(agent) or "")] = agent
    return found


@router.get("/coverage", summary="Knowledge at risk: competencies with fewer than minExperts proficient people",
            responses=example(examples.COVERAGE))
async def coverage(request: Request, app: App, credential: Auth, window: PositionParams, at: AtParam,
                   role: Optional = None, framework: Optional = None,
                   minExperts: Annotated[int, Query(ge=1, le=1000)] = 2) -> Response:
    may_read(credential, None)
    _one_of(role, framework)
    store = credential.store_id
    return await answer_by_interval(request, app, credential, window, at, lambda conn, as_of: people.coverage(
        conn, store, people.scope_items(conn, store, role, framework), minExperts, at.us, as_of))
