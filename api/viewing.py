"""What every view's routes share: the log position an answer reflects, ``asOf``,
``minPosition``, time windows, paging, parameter checks and the answer itself.

A view router declares its own parameters and calls ``answer`` with a function
that reads its tables from a connection; the same function then answers from the
live tables and from a replay as of a past moment (projections.service). Every
answer carries ``position`` (and ``X-LRS-Position``); times in views are xAPI
timestamps in UTC with microseconds and a ``Z``, the form of ``stored``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api import deps
from api.deps import App
from lrs.clock import format_utc
from lrs.credentials import Credential
from lrs.errors import InvalidParameter
from lrs.xapi import value_formats
from lrs.xapi.agents import ifi_key, parse_agent_parameter
from lrs.xapi.params import MAX_INTEGER, check_names, is_ascii_digits, non_negative_integer
from projections.service import AsOf

POSITION = "X-LRS-Position"
READ_SCOPES = ("statements/read", "all/read")

AgentParam = Annotated[str, Query(description='A JSON Agent, e.g. {"mbox": "mailto:ann@example.com"}')]
ActivityParam = Annotated[str, Query(alias="activityId", description="An Activity IRI")]
Text = Annotated[str | None, Query()]


def moment(name: str, value: str | None) -> str | None:
    """A timestamp parameter in the form views keep times in (text order = time order)."""
    if value is None:
        return None
    parsed = value_formats.parse_timestamp(value)
    if parsed is None:
        raise InvalidParameter(name, "must be a timestamp with a time zone")
    return format_utc(parsed)


def learner_key(agent: str) -> str:
    return ifi_key(parse_agent_parameter(agent, allow_group=False)) or ""


def activity(value: str, name: str = "activityId") -> str:
    if not value_formats.is_iri(value):
        raise InvalidParameter(name, "must be an IRI")
    return value


def registration(value: str | None) -> str | None:
    if value is not None and not value_formats.is_uuid(value):
        raise InvalidParameter("registration", "must be a UUID")
    return None if value is None else value.lower()


@dataclass(frozen=True)
class Window:
    """``asOf``, ``minPosition`` and the ``since``/``until`` window of a view request."""

    as_of: AsOf | None
    min_position: int | None
    since: str | None
    until: str | None


def _window(
    asOf: Text = None,
    minPosition: Annotated[int | None, Query()] = None,
    since: Text = None,
    until: Text = None,
) -> Window:
    as_of = None
    if asOf is not None:
        if is_ascii_digits(asOf):
            as_of = AsOf(position=non_negative_integer("asOf", asOf))
        else:
            parsed = value_formats.parse_timestamp(asOf)
            if parsed is None:
                raise InvalidParameter("asOf", "must be a log position or a timestamp with a time zone")
            as_of = AsOf(moment=format_utc(parsed))
    if minPosition is not None and not 0 <= minPosition <= MAX_INTEGER:
        # No write has such a position: waiting for it would only end in a 503.
        raise InvalidParameter("minPosition", f"must be a log position, from 0 to {MAX_INTEGER}")
    return Window(as_of, minPosition, moment("since", since), moment("until", until))


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def _page(
    limit: Annotated[int | None, Query()] = None, offset: Annotated[int | None, Query()] = None
) -> Page:
    limit = 100 if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= 1000:
        raise InvalidParameter("limit", "must be between 1 and 1000")
    if not 0 <= offset <= MAX_INTEGER:
        raise InvalidParameter("offset", f"must be between 0 and {MAX_INTEGER} (a 63-bit integer)")
    return Page(limit, offset)


def _position_window(asOf: Text = None, minPosition: Annotated[int | None, Query()] = None) -> Window:
    return _window(asOf, minPosition)


WindowParams = Annotated[Window, Depends(_window)]
# ``asOf`` and ``minPosition`` only: for views whose answers have no time window.
PositionParams = Annotated[Window, Depends(_position_window)]
PageParams = Annotated[Page, Depends(_page)]


def _declared(request: Request) -> frozenset[str]:
    """The query parameters the route declares (its own and its dependencies')."""
    route = request.scope["route"]
    names: frozenset[str] | None = getattr(route, "_lrs_query_names", None)
    if names is None:
        found: set[str] = set()
        pending = [route.dependant]
        while pending:
            dependant = pending.pop()
            found.update(param.alias for param in dependant.query_params)
            pending.extend(dependant.dependencies)
        names = frozenset(found)
        route._lrs_query_names = names
    return names


async def answer(
    request: Request, app: App, view: str, store_id: str, window: Window,
    read: Callable[[Connection], Any],
) -> Response:
    """Run ``read`` on the view as the window asks, and answer it with its position.

    A parameter the route does not declare is a 400, as on the xAPI resources.
    """
    check_declared(request)

    def read_view() -> tuple[int, Any]:
        with app.views.reading(
            view, store_id, as_of=window.as_of, min_position=window.min_position
        ) as (conn, position):
            return position, read(conn)

    # asOf may replay, minPosition may wait: a thread (deps.run).
    position, data = await deps.run(app, read_view, heavy=True)
    return respond(position, data)


def check_declared(request: Request) -> None:
    """A query parameter the route does not declare is a 400, as on the xAPI resources."""
    check_names(list(request.query_params.multi_items()), _declared(request))


def respond(position: int, data: Any) -> Response:
    """A view's answer: its data with the log ``position`` it reflects, in the body
    and in ``X-LRS-Position``."""
    body = {"position": position, **data} if isinstance(data, dict) else {"position": position, "records": data}
    return Response(orjson.dumps(body), media_type="application/json", headers={POSITION: str(position)})


def credential_learner(credential: Credential) -> dict[str, Any]:
    """The learner a credential stands for, for the views' "me" answers: the user of
    a token that names one (the Group authority's member other than the
    application, Data 2.4.9), else the credential's authority agent itself."""
    authority = credential.authority
    members = authority.get("member") if authority.get("objectType") == "Group" else None
    if isinstance(members, list) and len(members) == 2:
        return dict(members[1])
    return dict(authority)
