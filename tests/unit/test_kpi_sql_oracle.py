"""The KPI reads aggregate in SQL (projections.kpi.scope); they must answer
exactly as the plain-Python fold over every fact row they replaced
(tests/kpi_oracle), on random fact tables, on both backends: evaluation (with and
without the previous period), funnel, series by all and by team at every grain,
themes and the programme list, tidy rows included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from lrs.programmes import check_definition
from projections.kpi import logic, queries
from projections.kpi.schema import ACTIVITIES, FACTS, LINKS, MEMBERSHIPS, PROGRAMMES, SETTINGS
from tests.kpi_oracle import queries as oracle
from tests.kpi_oracle.links import derived

ROOT = "http://example.com/c"
MODULES = [f"{ROOT}/m{i}" for i in (1, 2, 3)]
LESSONS = [f"{MODULES[0]}/l1", f"{MODULES[1]}/l1", f"{MODULES[0]}/l1/part"]
PARENTS = {MODULES[0]: ROOT, MODULES[1]: ROOT, MODULES[2]: ROOT, LESSONS[0]: MODULES[0], LESSONS[1]: MODULES[1],
           LESSONS[2]: LESSONS[0]}
SURVEY, NPS = "http://example.com/s/sat", "http://example.com/s/nps"
TAG, OTHER = "http://example.com/themes/care", "http://example.com/elsewhere"
CHECKLIST, METRIC = "http://example.com/checklist/1", "http://example.com/metric/1"
CHECKLIST_TYPE, METRIC_TYPE = "http://id.tincanapi.com/activitytype/checklist", "http://example.com/types/metric"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
AGENTS = [f"{i:032x}" for i in range(10)]
REGISTRATIONS = ("", "6f1c5d2e-0000-4000-8000-000000000001", "6f1c5d2e-0000-4000-8000-000000000002")
START = datetime(2026, 2, 20, tzinfo=UTC)

DEFINITIONS = {
    "full": {
        "roots": [ROOT], "modules": MODULES, "tags": [TAG],
        "surveys": [{"activity": SURVEY, "metric": "satisfaction", "scale": [1, 5]}, {"activity": NPS, "metric": "nps"}],
        "application": {"activityTypes": [CHECKLIST_TYPE], "withinDays": 30},
        "businessMetrics": {"activityTypes": [METRIC_TYPE], "activities": [CHECKLIST]},
        "theme": {"quarter": "2026-Q3", "label": {"en": "Care"}},
    },
    "modules": {"modules": MODULES[:2], "tags": [TAG], "theme": {"quarter": "2026-Q2", "label": {"en": "Two"}}},
    "root": {"roots": [ROOT], "completion": "any-root", "surveys": [{"activity": NPS, "metric": "nps"}],
             "theme": {"quarter": "2025-Q4", "label": {"en": "Before"}}},
    "tags": {"tags": [TAG, MODULES[2]], "theme": {"quarter": "2026-Q3", "label": {"en": "Tags"}}},
}


@st.composite
def fact_rows(draw: Any, zone: str, fiscal: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for position in range(2, draw(st.integers(1, 80)) + 2):
        activity = draw(st.sampled_from((ROOT, *MODULES, *LESSONS, SURVEY, NPS, OTHER, CHECKLIST, METRIC)))
        kind = CHECKLIST_TYPE if activity == CHECKLIST else METRIC_TYPE if activity == METRIC else None
        parents = [PARENTS[activity]] if activity in PARENTS and draw(st.booleans()) else draw(st.sampled_from(([], [], [OTHER])))
        ts = (START + timedelta(minutes=draw(st.integers(0, 300 * 24 * 60)))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        verb = draw(st.sampled_from(logic.VERB_CLASS_NAMES))
        common = {
            "store_id": "", "statement_id": str(uuid.uuid4()), "position": position, "activity_id": activity,
            "activity_type": kind, "registration": draw(st.sampled_from(REGISTRATIONS)), "verb_class": verb, "ts": ts,
            **logic.buckets(ts, {"timezone": zone, "fiscal_start_month": fiscal}),
            "scaled_score": draw(st.none() | st.floats(0, 1)),
            "raw_score": draw(st.none() | st.integers(-5, 100).map(float)),
            "success": draw(st.none() | st.booleans()), "completion": draw(st.none() | st.booleans()),
            # Halves of seconds add up exactly in any order (the SQL sums in its own).
            "duration_s": draw(st.none() | st.integers(0, 7200).map(lambda n: n / 2)),
            "group_mode": draw(st.booleans()),
            "rating_value": draw(st.none() | st.integers(-1, 11).map(float)),
            "response_hash": None, "parent_ids": parents,
            "grouping_ids": draw(st.sampled_from(([], [], [TAG], [MODULES[1]], [OTHER, TAG]))),
            "category_ids": draw(st.sampled_from(([], [CMI5], [TAG]))),
        }
        # A Group actor's members share the statement: one row each.
        for agent in draw(st.lists(st.sampled_from(AGENTS), min_size=1, max_size=2, unique=True)):
            rows.append({**common, "agent_hash": agent})
    return rows


@st.composite
def stores(draw: Any) -> dict[str, Any]:
    zone = draw(st.sampled_from(("UTC", "America/New_York")))
    fiscal = draw(st.sampled_from((1, 4)))
    memberships = {
        (agent, draw(st.sampled_from(("red", "blue"))), draw(st.sampled_from(("", "2026-05-01", "2026-08-15")))):
            draw(st.sampled_from(("", "2026-07-01", "2026-10-01")))
        for agent in draw(st.lists(st.sampled_from(AGENTS), max_size=6))
    }
    return {
        "zone": zone, "fiscal": fiscal, "k": 3, "inactivity": draw(st.sampled_from((7, 30))),
        "facts": draw(fact_rows(zone, fiscal)),
        "programmes": draw(st.lists(st.sampled_from(sorted(DEFINITIONS)), min_size=1, max_size=3, unique=True)),
        "memberships": [(a, t, f, to) for (a, t, f), to in memberships.items() if not to or f < to],
    }


def _load(engine: Engine, store: dict[str, Any]) -> str:
    store_id = uuid.uuid4().hex
    with engine.begin() as conn:
        # The facts, and the per-activity counts the fold keeps beside them.
        found, links = derived(store_id, store["facts"])
        if found:
            conn.execute(FACTS.sql.insert(), [{**f, "store_id": store_id} for f in store["facts"]])
            conn.execute(ACTIVITIES.sql.insert(), found)
        if links:
            conn.execute(LINKS.sql.insert(), links)
        conn.execute(PROGRAMMES.sql.insert(), [
            {"store_id": store_id, "programme_id": name, "version": 1, "definition": check_definition(DEFINITIONS[name]),
             "position": 1, "recorded_at": "2026-01-01T00:00:00.000000Z"}
            for name in store["programmes"]
        ])
        conn.execute(SETTINGS.sql.insert(), {
            "store_id": store_id, "timezone": store["zone"], "fiscal_start_month": store["fiscal"], "position": 0,
            "settings": {"timezone": store["zone"], "minGroupSize": store["k"], "minGroupSizePerformance": store["k"],
                         "inactivityDays": store["inactivity"]},
        })
        if store["memberships"]:
            conn.execute(MEMBERSHIPS.sql.insert(), [
                {"store_id": store_id, "agent_hash": a, "team": t, "valid_from": f, "valid_to": to, "position": 1}
                for a, t, f, to in store["memberships"]
            ])
    return store_id


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(store=stores(), window=st.sampled_from(("2026-Q2", "2026-Q3", "2026-07", "2026-W30", "2026")),
       grain=st.sampled_from(("day", "week", "month", "quarter")), data=st.data())
def test_sql_reads_answer_as_the_python_fold(engine: Engine, store: dict[str, Any], window: str, grain: str,
                                             data: st.DataObject) -> None:
    store_id = _load(engine, store)
    programme = data.draw(st.sampled_from(store["programmes"]))
    with engine.connect() as conn:
        for compare in (False, True):
            assert (queries.evaluation(conn, store_id, programme, window=window, compare=compare)
                    == oracle.evaluation(conn, store_id, programme, window=window, compare=compare))
        assert queries.funnel(conn, store_id, programme, window=window) == oracle.funnel(conn, store_id, programme, window=window)
        for by in ("all", "team"):
            arguments: dict[str, Any] = {"metrics": list(queries.SERIES_METRICS), "grain": grain, "window": window,
                                         "explicit": None, "by": by}
            assert (queries.series(conn, store_id, programme, **arguments)
                    == oracle.series(conn, store_id, programme, **arguments))
        assert queries.themes(conn, store_id, year="2026") == oracle.themes(conn, store_id, year="2026")
        assert queries.programme_list(conn, store_id, window=window) == oracle.programme_list(conn, store_id, window=window)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(store=stores(), window=st.sampled_from(("2026-Q2", "2026-Q3", "2026")), data=st.data())
def test_an_objection_answers_as_if_the_learner_had_no_facts(engine: Engine, store: dict[str, Any], window: str,
                                                            data: st.DataObject) -> None:
    """P10 (design part d): with an opt-out in force, every answer equals the answer
    over the same store without that learner's facts."""
    # Learners with facts (one who has none would test nothing).
    objecting = data.draw(st.lists(st.sampled_from(sorted({f["agent_hash"] for f in store["facts"]})),
                                   min_size=1, max_size=3, unique=True))
    with_them = _load(engine, store)
    without = _load(engine, {**store, "facts": [f for f in store["facts"] if f["agent_hash"] not in objecting]})
    programme = data.draw(st.sampled_from(store["programmes"]))
    out = frozenset(objecting)
    with engine.connect() as conn:
        def same(read: Any, **arguments: Any) -> None:
            left, right = read(conn, with_them, excluded=out, **arguments), read(conn, without, **arguments)
            assert left == right
        same(queries.evaluation, programme_id=programme, window=window, compare=True)
        same(queries.funnel, programme_id=programme, window=window)
        for by in ("all", "team"):
            same(queries.series, programme_id=programme, metrics=list(queries.SERIES_METRICS), grain="week",
                 window=window, explicit=None, by=by)
        same(queries.themes, year="2026")
        same(queries.programme_list, window=window)
