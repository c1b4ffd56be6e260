"""Activities and Agents resources (Communication 2.4, 2.5)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import App, Auth, require, run
from api.routing import get_and_head
from lrs import statements as service
from lrs.errors import InvalidParameter
from lrs.index.agents import person
from lrs.xapi import value_formats
from lrs.xapi.activities import activity_object
from lrs.xapi.agents import parse_agent_parameter
from lrs.xapi.document_rules import etag
from lrs.xapi.params import check_names

router = APIRouter()

# Both read from the read replica when there is one (lrs.reads): definitions and
# names a few moments old are what any client of a replicated store can expect.

# Activity definitions are shared metadata; Person objects name people, so they need
# a scope that could read those names anyway (Communication 2.4.s3.b1).
_ACTIVITIES_READ = ("statements/read", "statements/read/mine", "all/read", "state", "profile", "define")
_AGENTS_READ = ("statements/read", "all/read", "profile")


def _json(value: object) -> Response:
    body = orjson.dumps(value)
    return Response(body, media_type="application/json", headers={"ETag": f'"{etag(body)}"'})


@get_and_head(router, "/xapi/activities", summary="The Activity with its canonical definition")
async def get_activity(request: Request, app: App, credential: Auth) -> Response:
    require(credential, *_ACTIVITIES_READ)
    params = check_names(list(request.query_params.multi_items()), frozenset(("activityId",)))
    activity_id = params.get("activityId")
    if activity_id is None:
        raise InvalidParameter("activityId", "is required (Communication 2.5)")
    if not value_formats.is_iri(activity_id):
        raise InvalidParameter("activityId", "must be an IRI (Data 4.3)")
    store_id = credential.store_id
    definition = await run(
        app, lambda: app.reads.read(lambda engine: service.get_activity(engine, store_id, activity_id))
    )
    # Communication 2.5.s2.b1: an unknown Activity is still returned, by its id.
    return _json(activity_object(activity_id, definition))


@get_and_head(router, "/xapi/agents", summary="The Person object of an Agent")
async def get_agents(request: Request, app: App, credential: Auth) -> Response:
    require(credential, *_AGENTS_READ)
    params = check_names(list(request.query_params.multi_items()), frozenset(("agent",)))
    if "agent" not in params:
        raise InvalidParameter("agent", "is required (Communication 2.4)")
    agent = parse_agent_parameter(params["agent"], allow_group=False)
    store_id = credential.store_id
    return _json(await run(app, lambda: app.reads.read(lambda engine: person(engine, store_id, agent))))
