"""The KPI answers on generated histories against a naive fold (design part c):
oracle equality (P4) for enrolled, completion, pass rate, NPS, weekly active
learners and the funnel; disclosure (P10); roll-up across weeks, months and
quarters (P11); read-time definitions (P12). The view is folded in memory, its
rows copied into a SQLite database, and read with the same queries the API uses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, create_engine

from lrs.events import RecordedEvent
from lrs.programmes import PROGRAMME_DEFINED, check_definition
from projections.base import fold
from projections.kpi import KpiProjection, queries
from projections.kpi.schema import SETTINGS
from projections.schema import metadata
from projections.windows import parse_period
from tests.kpi_oracle.links import derived
from tests.progress_helpers import to_events, voiding

ADL = "http://adlnet.gov/expapi/verbs/"
ROOT = "http://example.com/c"
MODULES = [f"{ROOT}/m{i}" for i in (1, 2, 3)]
LESSON = f"{MODULES[0]}/lesson"
SURVEY, NPS_ITEM = "http://example.com/s/sat", "http://example.com/s/nps"
OTHER = "http://example.com/elsewhere"
PARENT = {MODULES[0]: ROOT, MODULES[1]: ROOT, MODULES[2]: ROOT, LESSON: MODULES[0]}
AGENTS = [f"mailto:a{i}@example.com" for i in range(8)]
VERBS = ("attempted", "completed", "passed", "failed", "answered", "terminated", "experienced")
DEFINITION = check_definition({
    "roots": [ROOT], "modules": MODULES,
    "surveys": [{"activity": SURVEY, "metric": "satisfaction", "scale": [1, 5]}, {"activity": NPS_ITEM, "metric": "nps"}],
})
QUARTERS = ("2026-Q2", "2026-Q3", "2026-Q4")
START = datetime(2026, 4, 1, tzinfo=UTC)
K = 3  # the lowest threshold a store may set: the most cells shown


@st.composite
def statement(draw: Any) -> dict[str, Any]:
    activity = draw(st.sampled_from((ROOT, *MODULES, LESSON, SURVEY, NPS_ITEM, OTHER)))
    verb = draw(st.sampled_from(VERBS))
    at = START + timedelta(hours=draw(st.integers(0, 270 * 24)))
    out: dict[str, Any] = {
        "id": str(uuid.uuid4()), "actor": {"mbox": draw(st.sampled_from(AGENTS))},
        "verb": {"id": ADL + verb}, "object": {"id": activity}, "timestamp": at.isoformat().replace("+00:00", "Z"),
    }
    if activity in PARENT and draw(st.booleans()):
        out["context"] = {"contextActivities": {"parent": [{"id": PARENT[activity]}]}}
    result: dict[str, Any] = {}
    if activity in (SURVEY, NPS_ITEM):
        result["response"] = str(draw(st.integers(0, 11)))
    if draw(st.integers(0, 3)) == 0:
        result["success"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        result["completion"] = draw(st.booleans())
    if result:
        out["result"] = result
    return out


@st.composite
def histories(draw: Any) -> list[dict[str, Any]]:
    items = draw(st.lists(statement(), min_size=1, max_size=40))
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(items))["id"]
        items.insert(draw(st.integers(0, len(items))), voiding(target))
    return items


def programme_event(position: int, definition: dict[str, Any], version: int = 1) -> RecordedEvent:
    return RecordedEvent(
        position=position, store_id="default", stream_id="kpi:programme:p", stream_version=version,
        event_id=str(uuid.uuid4()), type=PROGRAMME_DEFINED, schema_version=1,
        data=orjson.dumps({"programme": "p", "definition": definition}).decode(), metadata="{}",
        recorded_at="2027-01-01T00:00:00.000000Z", prev_hash="", hash="",
    )


@contextmanager
def read(events: list[RecordedEvent], min_group_size: int = K) -> Iterator[Connection]:
    """The view folded from ``events``, as a SQLite database the queries read."""
    projection = KpiProjection()
    view = fold(projection, events)
    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=[t.sql for t in projection.tables])
    rows = view.store.snapshot(projection.tables)  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for table in projection.tables:
            if rows[table.name]:
                conn.execute(table.sql.insert(), list(rows[table.name].values()))
        conn.execute(
            SETTINGS.sql.insert(),
            {"store_id": "default", "timezone": "UTC", "fiscal_start_month": 1, "position": 0,
             "settings": {"minGroupSize": min_group_size, "minGroupSizePerformance": max(min_group_size, 3)}},
        )
    with engine.connect() as conn:
        yield conn


# ------------------------------------------------------------------ the oracle

def oracle(statements: list[dict[str, Any]], quarter: str) -> dict[str, Any]:
    """The KPIs again, plainly, from the non-voided statements."""
    voided = {s["object"]["id"] for s in statements if s["verb"]["id"] == ADL + "voided"}
    kept = [(i, s) for i, s in enumerate(statements) if s["verb"]["id"] != ADL + "voided" and s["id"] not in voided]
    period = parse_period(quarter, 1)
    start, end = period.start.isoformat(), period.end.isoformat()

    def day(s: dict[str, Any]) -> str:
        return s["timestamp"][:10]

    def parents(s: dict[str, Any]) -> list[str]:
        return [p["id"] for p in (s.get("context") or {}).get("contextActivities", {}).get("parent", [])]

    def in_programme(s: dict[str, Any]) -> bool:
        a = s["object"]["id"]
        declared_lesson = a == LESSON and any(
            x["object"]["id"] == LESSON and MODULES[0] in parents(x) for _, x in kept
        )
        return a in (ROOT, *MODULES, SURVEY, NPS_ITEM) or declared_lesson or any(p in (ROOT, *MODULES) for p in parents(s))

    mine = [(i, s) for i, s in kept if in_programme(s)]
    window = [(i, s) for i, s in mine if start <= day(s) < end]
    enrolled = {s["actor"]["mbox"] for _, s in window}
    done = {(s["actor"]["mbox"], s["object"]["id"]) for _, s in mine if day(s) < end and s["object"]["id"] in MODULES
            and (s["verb"]["id"] in (ADL + "completed", ADL + "passed") or (s.get("result") or {}).get("completion") is True)}
    completed = {a for a in enrolled if all((a, m) in done for m in MODULES)}
    outcomes: dict[str, bool] = {}
    for _, s in window:
        if s["object"]["id"] in (SURVEY, NPS_ITEM):
            continue
        verb, success = s["verb"]["id"], (s.get("result") or {}).get("success")
        result = True if verb == ADL + "passed" else False if verb == ADL + "failed" else success
        if result is not None:
            outcomes[s["actor"]["mbox"]] = outcomes.get(s["actor"]["mbox"], False) or result
    latest: dict[str, tuple[str, int, float]] = {}
    for i, s in window:
        if s["object"]["id"] == NPS_ITEM:
            value = float(s["result"]["response"])
            if 0 <= value <= 10 and (s["actor"]["mbox"] not in latest or (s["timestamp"], i) > latest[s["actor"]["mbox"]][:2]):
                latest[s["actor"]["mbox"]] = (s["timestamp"], i, value)
    scores = [v for _, _, v in latest.values()]
    promoters, detractors = sum(v >= 9 for v in scores), sum(v <= 6 for v in scores)
    weekly: dict[str, set[str]] = {}
    for _, s in window:
        iso = datetime.fromisoformat(day(s)).isocalendar()
        weekly.setdefault(f"{iso.year}-W{iso.week:02d}", set()).add(s["actor"]["mbox"])
    attempted = {m: set() for m in MODULES}
    for _, s in window:
        a = s["object"]["id"]
        module = a if a in MODULES else next((p for p in parents(s) if p in MODULES), None)
        if module is None and a == LESSON and any(x["object"]["id"] == LESSON and MODULES[0] in parents(x) for _, x in kept):
            module = MODULES[0]
        if module:
            attempted[module].add(s["actor"]["mbox"])
    return {
        "enrolled": len(enrolled), "completed": len(completed),
        "assessed": len(outcomes), "passed": sum(outcomes.values()),
        "nps_n": len(scores), "nps": round(100 * (promoters - detractors) / len(scores)) if scores else 0,
        "weekly": {w: len(a) for w, a in weekly.items()},
        "attempted": [len(attempted[m]) for m in MODULES],
    }


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _shown(cell: dict[str, Any], n: int) -> bool:
    """A cell is hidden exactly when 0 < n < k (P10)."""
    assert ("suppressed" in cell) == (0 < n < K), (cell, n)
    return "suppressed" not in cell


@PROPERTY
@given(statements=histories(), quarter=st.sampled_from(QUARTERS))
def test_answers_equal_the_naive_fold(statements: list[dict[str, Any]], quarter: str) -> None:
    events = [programme_event(1, DEFINITION), *to_events(statements, first=2)]
    expected = oracle(statements, quarter)
    note(repr(expected))
    with read(events) as conn:
        got = queries.evaluation(conn, "default", "p", window=quarter)
        series = queries.series(conn, "default", "p", metrics=["active_learners"], grain="week", window=quarter, explicit=None)
        funnel = queries.funnel(conn, "default", "p", window=quarter)
    enrolled = got["levels"]["L0_inputs"]["enrolled"]
    if _shown(enrolled, expected["enrolled"]):
        assert enrolled["value"] == expected["enrolled"]
    if _shown(got["completion"], expected["enrolled"]):
        assert (got["completion"]["numerator"], got["completion"]["denominator"]) == (expected["completed"], expected["enrolled"])
    pass_rate = got["levels"]["L2_learning"]["passRate"]
    if _shown(pass_rate, expected["assessed"]):
        assert (pass_rate["numerator"], pass_rate["denominator"]) == (expected["passed"], expected["assessed"])
    nps = got["levels"]["L1_reaction"]["nps"]
    if _shown(nps, expected["nps_n"]):
        assert (nps["value"], nps["respondents"]) == (expected["nps"], expected["nps_n"])
    for point in series["series"][0]["points"]:
        n = expected["weekly"].get(point["bucket"], 0)
        if _shown(point, n):
            assert point["value"] == n
    for module, n in zip(funnel["modules"], expected["attempted"], strict=True):
        assert module["attempted"] == (None if 0 < n < K else n)
    # P10: the privacy block counts what was hidden; no CSV cell shows 0 < n < k.
    for row in got[queries.TIDY]:
        assert row["n"] is None or not 0 < row["n"] < K


@PROPERTY
@given(statements=histories())
def test_weeks_and_months_roll_up_to_quarters(statements: list[dict[str, Any]]) -> None:
    events = [programme_event(1, DEFINITION), *to_events(statements, first=2)]
    with read(events) as conn:
        p, _, _, _ = queries._programme(conn, "default", "p")
        for quarter in QUARTERS:
            period = parse_period(quarter, 1)
            (whole,) = queries.series_figures(p, period, "quarter", 1).values()
            for grain in ("week", "month", "day"):
                parts = list(queries.series_figures(p, period, grain, 1).values())
                for additive in ("completions", "statements"):
                    assert sum(part[additive] for part in parts) == whole[additive]
                assert round(sum(part["learning_hours"] for part in parts), 2) >= 0
                active = [part["active_learners"] for part in parts]
                assert max(active, default=0) <= whole["active_learners"] <= sum(active)


@PROPERTY
@given(statements=histories(), quarter=st.sampled_from(QUARTERS))
def test_a_redefinition_is_a_read_time_join(statements: list[dict[str, Any]], quarter: str) -> None:
    """P12: a redefinition (a new event at P2) changes no fact, so nothing is
    rebuilt; answers after it equal answers with the new definition from the
    start, and the old version is still kept for reads as of before P2 (the API
    test reads one with asOf)."""
    first = to_events(statements, first=2)
    redefined = check_definition({**DEFINITION, "modules": MODULES[:1]})
    later = programme_event(len(first) + 2, redefined, version=2)
    projection = KpiProjection()
    old_facts = fold(projection, [programme_event(1, DEFINITION), *first]).store.snapshot(projection.tables)  # type: ignore[attr-defined]
    new_view = fold(projection, [programme_event(1, DEFINITION), *first, later])
    new_facts = new_view.store.snapshot(projection.tables)  # type: ignore[attr-defined]
    assert old_facts["kpi_facts"] == new_facts["kpi_facts"]
    assert len(new_facts["kpi_programmes"]) == 2
    with read([programme_event(1, DEFINITION), *first, later]) as conn:
        after = queries.evaluation(conn, "default", "p", window=quarter)
    with read([programme_event(1, redefined), *first]) as conn:
        fresh = queries.evaluation(conn, "default", "p", window=quarter)
    assert after["version"] == 2 and fresh["version"] == 1
    assert {**after, "version": 0} == {**fresh, "version": 0}


@st.composite
def linked_histories(draw: Any) -> list[dict[str, Any]]:
    """Histories whose statements also name groupings and categories (an array or
    a single object, Data 2.4.6.2), some by a Group of several learners."""
    items = draw(histories())
    for s in items:
        if s["verb"]["id"] == ADL + "voided" or not draw(st.booleans()):
            continue
        found = s.setdefault("context", {}).setdefault("contextActivities", {})
        found["grouping"] = [{"id": i} for i in draw(st.lists(st.sampled_from((ROOT, OTHER, MODULES[1])), max_size=2, unique=True))]
        if draw(st.booleans()):
            found["category"] = {"id": draw(st.sampled_from((OTHER, SURVEY)))}
        if draw(st.booleans()):
            s["actor"] = {"objectType": "Group", "member": [{"mbox": m} for m in draw(
                st.lists(st.sampled_from(AGENTS), min_size=1, max_size=3, unique=True))]}
    return items


@PROPERTY
@given(statements=linked_histories())
def test_the_link_counts_equal_the_facts(statements: list[dict[str, Any]]) -> None:
    """The per-activity statement counts and context links the reads take the tree
    and membership from (kpi_activities, kpi_links) equal what the valid facts
    hold, through voidings (before or after their targets) and Group actors."""
    projection = KpiProjection()
    rows = fold(projection, to_events(statements, first=2)).store.snapshot(projection.tables)  # type: ignore[attr-defined]
    found, links = derived("default", rows["kpi_facts"].values())
    key = lambda row: (row["activity_id"], row.get("kind"), row.get("context_id"))  # noqa: E731
    kept = sorted(((key(r), r["statements"]) for r in rows["kpi_activities"].values()), key=str)
    assert kept == sorted(((key(r), r["statements"]) for r in found), key=str)
    kept = sorted(((key(r), r["statements"]) for r in rows["kpi_links"].values()), key=str)
    assert kept == sorted(((key(r), r["statements"]) for r in links), key=str)
