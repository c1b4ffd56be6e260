"""The programme KPI view over HTTP (``/views/kpi/...``): programme list,
evaluation by Kirkpatrick level, completion, funnel, time series, quarterly themes.

What every view shares (position, ``asOf``, ``minPosition``, unknown parameters
refused) is api.viewing's. Every answer passed the disclosure layer and carries
its ``privacy`` block; every ratio carries numerator and denominator. Each route
also answers CSV (``Accept: text/csv`` or ``format=csv``): the tidy long format
of docs/kpi.md, RFC 4180, the log position in ``X-LRS-Position``, in a column
and in the file name. The KPI definitions: docs/kpi.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api import deps, viewing
from api.deps import App, Auth, require
from api.viewing import POSITION, Text, WindowParams
from lrs.errors import InvalidParameter
from lrs.programmes import check_id
from lrs.xapi.agents import key_hash
from lrs.xapi.params import check_names
from projections.kpi import queries
from projections.social.queries import opted_out
from projections.windows import Period, date_range

DEFINITIONS = "Each figure is defined in docs/kpi.md (the `definitions` field of the answer names the section)."
router = APIRouter(prefix="/views/kpi", tags=["views: programme KPIs"])
VIEW = "kpi"
FromParam = Annotated[str | None, Query(alias="from", description="First local day, YYYY-MM-DD (with to)")]
ToParam = Annotated[str | None, Query(alias="to", description="Last local day, YYYY-MM-DD (with from)")]
WindowLabel = Annotated[
    str | None,
    Query(alias="window", description="2026-Q3 (fiscal quarter), 2026-W27, 2026-07 or 2026 (fiscal year); default: this quarter"),
]
Format = Annotated[str | None, Query(alias="format", description="json (default) or csv")]
CSV = "text/csv"
# Both forms of every answer, for the OpenAPI document.
FORMS: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/json": {"schema": {"type": "object"}},
    "text/csv": {"schema": {"type": "string"}, "example": "programme,period,grain,metric,dimension,dimension_value,"
                 "value,numerator,denominator,n,suppressed,as_of_position\r\n"},
}}}


def _wants_csv(request: Request, format_: str | None) -> bool:
    if format_ is not None:
        if format_ not in ("json", "csv"):
            raise InvalidParameter("format", "must be json or csv")
        return format_ == "csv"
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip().lower() == CSV for part in accept.split(","))


def _csv(rows: list[dict[str, Any]], position: int) -> bytes:
    """RFC 4180: CRLF line ends, fields quoted when needed; empty = no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*queries.COLUMNS, "as_of_position"])
    for row in rows:
        cells = []
        for column in queries.COLUMNS:
            value = row[column]
            if isinstance(value, bool):
                cells.append("true" if value else "false")
            elif value is None:
                cells.append("")
            elif isinstance(value, float):
                cells.append(format(value, ".6g") if abs(value) < 1e15 else repr(value))
            else:
                cells.append(str(value))
        writer.writerow([*cells, position])
    return out.getvalue().encode()


async def _answer(
    request: Request, app: App, store: str, window: WindowParams, format_: str | None, name: str,
    read: Callable[[Connection, frozenset[str]], dict[str, Any]],
) -> Response:
    check_names(list(request.query_params.multi_items()), viewing._declared(request))
    as_csv = _wants_csv(request, format_)

    def read_view() -> tuple[int, dict[str, Any]]:
        # Objections in force now apply to answers about the past too (design part
        # d): read from the live social view, as its own answers do.
        with app.engine.connect() as live:
            excluded = frozenset(key_hash(agent) for agent in opted_out(live, store))
        with app.views.reading(VIEW, store, as_of=window.as_of, min_position=window.min_position) as (conn, position):
            return position, read(conn, excluded)

    position, data = await deps.run(app, read_view, heavy=True)
    rows = data.pop(queries.TIDY)
    headers = {POSITION: str(position)}
    if as_csv:
        headers["Content-Disposition"] = f'attachment; filename="kpi-{name}-at-{position}.csv"'
        return Response(_csv(rows, position), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(orjson.dumps({"position": position, **data}), media_type="application/json", headers=headers)


def _dates(label: str | None, start: str | None, end: str | None) -> Period | None:
    explicit = date_range(start, end)
    if explicit is not None and label is not None:
        raise InvalidParameter("window", "give either window or from/to, not both")
    return explicit


def _programme(value: str) -> str:
    try:
        return check_id(value)
    except InvalidParameter:
        raise InvalidParameter("programme", "must be a programme id (1-128 letters, digits, '.', '_' or '-')") from None


@router.get("/programmes", summary="Programmes with headline KPIs (this quarter by default) and Kirkpatrick coverage", description=DEFINITIONS, responses=FORMS)
async def programmes(request: Request, app: App, credential: Auth, window: WindowParams,
                     label: WindowLabel = None, format_: Format = None) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store = credential.store_id
    return await _answer(request, app, store, window, format_, "programmes",
                         lambda conn, excluded: queries.programme_list(conn, store, window=label, excluded=excluded))


@router.get("/programmes/{programme_id}/evaluation",
            summary="Evaluation by Kirkpatrick level, completion with median days, group vs solo (observational)", description=DEFINITIONS, responses=FORMS)
async def evaluation(request: Request, app: App, credential: Auth, programme_id: str, window: WindowParams,
                     label: WindowLabel = None, start: FromParam = None, end: ToParam = None,
                     compare: Text = None, format_: Format = None) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store, pid = credential.store_id, _programme(programme_id)
    explicit = _dates(label, start, end)
    if compare not in (None, "previous"):
        raise InvalidParameter("compare", "must be 'previous' (the period just before)")
    return await _answer(request, app, store, window, format_, f"{pid}-evaluation",
                         lambda conn, excluded: queries.evaluation(conn, store, pid, window=label, explicit=explicit, excluded=excluded,
                                                         compare=compare == "previous"))


@router.get("/programmes/{programme_id}/completion", summary="Completion rate, median days to complete, group vs solo", description=DEFINITIONS, responses=FORMS)
async def completion(request: Request, app: App, credential: Auth, programme_id: str, window: WindowParams,
                     label: WindowLabel = None, start: FromParam = None, end: ToParam = None,
                     compare: Text = None, format_: Format = None) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store, pid = credential.store_id, _programme(programme_id)
    explicit = _dates(label, start, end)
    if compare not in (None, "previous"):
        raise InvalidParameter("compare", "must be 'previous' (the period just before)")

    def read(conn: Connection, excluded: frozenset[str]) -> dict[str, Any]:
        full = queries.evaluation(conn, store, pid, window=label, explicit=explicit, compare=compare == "previous",
                                  excluded=excluded)
        keep = ("completion_rate", "median_days_to_complete", "learners", "pass_rate")
        rows = [r for r in full[queries.TIDY] if r["metric"] in keep and (r["metric"] != "pass_rate" or r["dimension"] == "mode")]
        return {k: full[k] for k in ("programme", "version", "window", "privacy", "completion", "byMode")} | {queries.TIDY: rows}

    return await _answer(request, app, store, window, format_, f"{pid}-completion", read)


@router.get("/programmes/{programme_id}/funnel", summary="Funnel per module: attempted, completed, stalled here", description=DEFINITIONS, responses=FORMS)
async def funnel(request: Request, app: App, credential: Auth, programme_id: str, window: WindowParams,
                 label: WindowLabel = None, start: FromParam = None, end: ToParam = None,
                 format_: Format = None) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store, pid = credential.store_id, _programme(programme_id)
    explicit = _dates(label, start, end)
    return await _answer(request, app, store, window, format_, f"{pid}-funnel",
                         lambda conn, excluded: queries.funnel(conn, store, pid, window=label, explicit=explicit, excluded=excluded))


@router.get("/programmes/{programme_id}/series", summary="Time series by day, ISO week, month or fiscal quarter", description=DEFINITIONS, responses=FORMS)
async def series(request: Request, app: App, credential: Auth, programme_id: str, window: WindowParams,
                 metrics: Text = None, grain: Text = None, label: WindowLabel = None,
                 start: FromParam = None, end: ToParam = None, by: Text = None,
                 format_: Format = None) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store, pid = credential.store_id, _programme(programme_id)
    explicit = _dates(label, start, end)
    chosen = [m.strip() for m in (metrics or "active_learners,completions").split(",") if m.strip()]
    if not chosen:
        raise InvalidParameter("metrics", "name at least one metric")
    if by not in (None, "all", "team"):
        raise InvalidParameter("by", "must be 'all' or 'team' (teams from HR membership imports)")
    return await _answer(request, app, store, window, format_, f"{pid}-series",
                         lambda conn, excluded: queries.series(conn, store, pid, metrics=chosen, grain=grain or "week", excluded=excluded,
                                                     window=label, explicit=explicit, by=by or "all"))


@router.get("/themes", summary="Quarterly themes of a fiscal year: reach, completions, quarter-over-quarter change", description=DEFINITIONS, responses=FORMS)
async def themes(request: Request, app: App, credential: Auth, window: WindowParams, year: Text = None,
                 format_: Format = None) -> Response:
    require(credential, *viewing.READ_SCOPES)
    store = credential.store_id
    if year is None:
        raise InvalidParameter("year", "is required: a fiscal year, YYYY")
    return await _answer(request, app, store, window, format_, f"themes-{year}",
                         lambda conn, excluded: queries.themes(conn, store, year=year, excluded=excluded))
