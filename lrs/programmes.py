"""Programme definitions, as events in the log (``kpi.programme.defined`` and
``kpi.programme.retired``): what a programme is made of, for the KPI view.

A definition names the activities of a programme (roots, ordered modules, tags),
when a learner has completed it, its surveys (satisfaction and NPS items), what
counts as applying it at work, its business-metric activity types and its
quarterly theme. Each definition is a new version of the programme's stream,
so ``asOf`` before a redefinition answers with the old one and nothing needs a
rebuild. Validation is here, once, for the admin API and the CLI: a bad value is
a 400 naming the property path and the rule, and nothing is written.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from sqlalchemy import Engine, select

from lrs import log
from lrs.errors import BadRequest, InvalidParameter, NotFound
from lrs.events import NewEvent, dumps
from lrs.schema import events
from lrs.xapi import value_formats
from lrs.xapi.languages import is_language_tag

PROGRAMME_DEFINED = "kpi.programme.defined"
PROGRAMME_RETIRED = "kpi.programme.retired"
EVENT_TYPES = frozenset((PROGRAMME_DEFINED, PROGRAMME_RETIRED))

PROGRAMME_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
COMPLETION_RULES = ("all-modules", "any-root")
SURVEY_METRICS = ("satisfaction", "nps")
QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
FIELDS = (
    "name", "roots", "modules", "tags", "completion", "surveys", "application",
    "businessMetrics", "theme",
)
MAX_ACTIVITIES = 1000


class InvalidDefinition(InvalidParameter):
    """A programme definition breaks a rule: names the property path (a 400)."""

    def __init__(self, path: str, rule: str) -> None:
        BadRequest.__init__(self, f"programme definition, property {path!r}: {rule}")
        self.parameter = path
        self.rule = rule

    def details(self) -> dict[str, object]:
        return {"property": self.parameter, "rule": self.rule}


def stream(programme_id: str) -> str:
    return f"kpi:programme:{programme_id}"


def check_id(programme_id: str) -> str:
    if not re.match(PROGRAMME_ID, programme_id):
        raise InvalidParameter(
            "programme", "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return programme_id


def _object(path: str, value: Any, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidDefinition(path, "must be a JSON object")
    for key in value:
        if key not in known:
            raise InvalidDefinition(f"{path}.{key}" if path else key, f"is not a known property (known: {', '.join(known)})")
    return value


def _iris(path: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ACTIVITIES:
        raise InvalidDefinition(path, f"must be an array of at most {MAX_ACTIVITIES} IRIs")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not value_formats.is_iri(item):
            raise InvalidDefinition(f"{path}[{index}]", "must be an IRI")
    if len(set(value)) != len(value):
        raise InvalidDefinition(path, "must not list an IRI twice")
    return list(value)


def _language_map(path: str, value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidDefinition(path, "must be a language map (Data 4.2), e.g. {\"en\": \"Onboarding\"}")
    for tag, text in value.items():
        if not is_language_tag(tag):
            raise InvalidDefinition(f"{path}.{tag}", "must be keyed by an RFC 5646 language tag")
        if not isinstance(text, str) or len(text) > 500 or "\x00" in text:
            raise InvalidDefinition(f"{path}.{tag}", "must be a text of at most 500 characters")
    return dict(value)


def _days(path: str, value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
        raise InvalidDefinition(path, "must be an integer number of days from 1 to 3660")
    return value


def check_definition(body: Any) -> dict[str, Any]:
    """The definition in its stored form (defaults filled in), or an InvalidParameter."""
    body = _object("", body, FIELDS)
    roots, modules, tags = _iris("roots", body.get("roots")), _iris("modules", body.get("modules")), _iris("tags", body.get("tags"))
    if not roots and not modules and not tags:
        raise InvalidDefinition("roots", "a programme must name at least one activity (roots, modules or tags)")
    # Without modules or roots (tags only) a programme has no completion rule.
    completion = body.get("completion", "all-modules" if modules else "any-root" if roots else None)
    if completion is not None and completion not in COMPLETION_RULES:
        raise InvalidDefinition("completion", f"must be one of {', '.join(COMPLETION_RULES)}")
    if completion == "all-modules" and not modules:
        raise InvalidDefinition("completion", "'all-modules' needs modules")
    if completion == "any-root" and not roots:
        raise InvalidDefinition("completion", "'any-root' needs roots")
    surveys = body.get("surveys") or []
    if not isinstance(surveys, list):
        raise InvalidDefinition("surveys", "must be an array")
    checked_surveys = []
    for index, item in enumerate(surveys):
        path = f"surveys[{index}]"
        item = _object(path, item, ("activity", "metric", "scale"))
        activity = item.get("activity")
        if not isinstance(activity, str) or not value_formats.is_iri(activity):
            raise InvalidDefinition(f"{path}.activity", "must be an IRI")
        metric = item.get("metric")
        if metric not in SURVEY_METRICS:
            raise InvalidDefinition(f"{path}.metric", f"must be one of {', '.join(SURVEY_METRICS)}")
        scale = item.get("scale", [1, 5] if metric == "satisfaction" else [0, 10])
        if metric == "nps" and scale != [0, 10]:
            raise InvalidDefinition(f"{path}.scale", "an NPS item is answered from 0 to 10")
        if (
            not isinstance(scale, list) or len(scale) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scale)
            or scale[0] >= scale[1]
        ):
            raise InvalidDefinition(f"{path}.scale", "must be [lowest, highest], two numbers, lowest first")
        checked_surveys.append({"activity": activity, "metric": metric, "scale": scale})
    application = None
    if body.get("application") is not None:
        app = _object("application", body["application"], ("activityTypes", "activities", "withinDays"))
        application = {
            "activityTypes": _iris("application.activityTypes", app.get("activityTypes")),
            "activities": _iris("application.activities", app.get("activities")),
            "withinDays": _days("application.withinDays", app.get("withinDays"), 90),
        }
        if not application["activityTypes"] and not application["activities"]:
            raise InvalidDefinition("application.activityTypes", "must name activity types or activities")
    business = None
    if body.get("businessMetrics") is not None:
        metrics = _object("businessMetrics", body["businessMetrics"], ("activityTypes", "activities"))
        business = {
            "activityTypes": _iris("businessMetrics.activityTypes", metrics.get("activityTypes")),
            "activities": _iris("businessMetrics.activities", metrics.get("activities")),
        }
        if not business["activityTypes"] and not business["activities"]:
            raise InvalidDefinition("businessMetrics.activityTypes", "must name activity types or activities")
    theme = None
    if body.get("theme") is not None:
        raw = _object("theme", body["theme"], ("quarter", "label", "id"))
        if not isinstance(raw.get("quarter"), str) or not QUARTER.match(raw["quarter"]):
            raise InvalidDefinition("theme.quarter", "must be a quarter, YYYY-Qn")
        theme_id = raw.get("id", tags[0] if tags else None)
        if theme_id is not None and (not isinstance(theme_id, str) or not value_formats.is_iri(theme_id)):
            raise InvalidDefinition("theme.id", "must be an IRI")
        theme = {"quarter": raw["quarter"], "label": _language_map("theme.label", raw.get("label")), "id": theme_id}
    return {
        "name": _language_map("name", body.get("name")),
        "roots": roots, "modules": modules, "tags": tags,
        "completion": completion,
        "surveys": checked_surveys,
        "application": application,
        "businessMetrics": business,
        "theme": theme,
    }


def define(engine: Engine, store_id: str, programme_id: str, body: Any, *, actor: str) -> tuple[int, int]:
    """Record a (new version of a) programme definition: (version, position)."""
    check_id(programme_id)
    definition = check_definition(body)
    with log.writing(engine, store_id=store_id) as writer:
        (event,) = writer.append(
            store_id,
            [NewEvent(
                PROGRAMME_DEFINED, stream(programme_id), f"kpi:programme:{uuid.uuid4()}",
                dumps({"programme": programme_id, "definition": definition}), dumps({"actor": actor}),
            )],
        )
    return event.stream_version, event.position


def current(engine: Engine, store_id: str) -> dict[str, Any]:
    """Every programme's newest definition, by id (retired ones left out)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(events.c.data, events.c.type, events.c.stream_version, events.c.position)
            .where(events.c.store_id == store_id, events.c.type.in_(sorted(EVENT_TYPES)))
            .order_by(events.c.position)
        ).all()
    out: dict[str, Any] = {}
    for data, kind, version, position in rows:
        payload = orjson.loads(data)
        if kind == PROGRAMME_RETIRED:
            out.pop(payload["programme"], None)
        else:
            out[payload["programme"]] = {"version": version, "position": position, "definition": payload["definition"]}
    return out


def retire(engine: Engine, store_id: str, programme_id: str, *, actor: str) -> tuple[int, int]:
    """Record that a programme is retired (its facts stay; it leaves the lists)."""
    check_id(programme_id)
    with log.writing(engine, store_id=store_id) as writer:
        history = log.read_stream(writer.conn, store_id, stream(programme_id))
        if not history or history[-1].type == PROGRAMME_RETIRED:
            raise NotFound(f"no programme {programme_id!r} is defined")
        (event,) = writer.append(
            store_id,
            [NewEvent(
                PROGRAMME_RETIRED, stream(programme_id), f"kpi:programme:{uuid.uuid4()}",
                dumps({"programme": programme_id}), dumps({"actor": actor}),
                expected_version=history[-1].stream_version,
            )],
        )
    return event.stream_version, event.position
