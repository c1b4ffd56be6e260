"""The KPI view's fact extraction and fold (in memory): buckets, scores, ratings,
modes, voiding, configuration events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from lrs.events import RecordedEvent
from lrs.programmes import PROGRAMME_DEFINED
from projections.base import fold, memory_view
from projections.kpi import MEMBERSHIP_IMPORTED, SETTINGS_CHANGED, KpiProjection, logic
from projections.kpi.schema import FACTS, MEMBERSHIPS, PROGRAMMES
from tests.progress_helpers import (
    ANN,
    BOB,
    MODULE_1,
    chunked,
    histories,
    learner_statement,
    memory_snapshot,
    to_events,
    voiding,
)

UTC_SETTINGS = {"timezone": "UTC", "fiscal_start_month": 1}


def config_event(kind: str, payload: dict[str, Any], position: int, *, version: int = 1) -> RecordedEvent:
    return RecordedEvent(
        position=position, store_id="default", stream_id=f"config:{kind}", stream_version=version,
        event_id=str(uuid.uuid4()), type=kind, schema_version=1, data=orjson.dumps(payload).decode(),
        metadata="{}", recorded_at=f"2026-05-01T00:00:{position % 60:02d}.000000Z", prev_hash="", hash="",
    )


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    zone=st.sampled_from(("UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")),
    start=st.integers(1, 12),
)
def test_buckets_nest_day_in_week_month_and_fiscal_quarter(moment: datetime, zone: str, start: int) -> None:
    ts = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    got = logic.buckets(ts, {"timezone": zone, "fiscal_start_month": start})
    day = date.fromisoformat(got["day"])
    iso = day.isocalendar()
    assert got["iso_week"] == f"{iso.year}-W{iso.week:02d}"
    assert got["month"] == got["day"][:7]
    year, quarter = int(got["quarter"][:4]), int(got["quarter"][-1])
    # The quarter's first month, counted from the fiscal-year start, holds the day.
    months_in = (day.year - year) * 12 + day.month - start
    assert 0 <= months_in < 12 and months_in // 3 + 1 == quarter
    # The local day is within a day of the UTC one.
    assert abs((day - moment.date()).days) <= 1


def test_calendar_quarters_with_a_january_start_and_a_july_fiscal_year() -> None:
    assert logic.fiscal_quarter(datetime(2026, 7, 1), 1) == "2026-Q3"
    assert logic.fiscal_quarter(datetime(2026, 7, 1), 7) == "2026-Q1"
    assert logic.fiscal_quarter(datetime(2027, 3, 31), 7) == "2026-Q3"


def test_amsterdam_new_year_is_a_local_day() -> None:
    got = logic.buckets("2026-12-31T23:30:00.000000Z", {"timezone": "Europe/Amsterdam", "fiscal_start_month": 1})
    assert got == {"day": "2027-01-01", "iso_week": "2026-W53", "month": "2027-01", "quarter": "2027-Q1"}


def test_fact_fields() -> None:
    statement = learner_statement(ANN, "passed", MODULE_1, at=datetime(2026, 7, 3, 9, tzinfo=UTC), result={
        "score": {"raw": 30, "min": 10, "max": 50}, "success": True, "duration": "PT1H30M",
    })
    statement["context"]["team"] = {"objectType": "Group", "mbox": "mailto:team@example.com"}
    (row,) = logic.facts(statement, 7, UTC_SETTINGS)
    assert row["verb_class"] == "passed" and row["position"] == 7
    assert row["scaled_score"] == 0.5 and row["raw_score"] == 30 and row["success"] is True
    assert row["duration_s"] == 5400 and row["group_mode"] is True
    assert row["quarter"] == "2026-Q3" and row["parent_ids"] == ["http://example.com/courses/safety"]


def test_ratings_from_a_response_an_extension_or_a_rated_score() -> None:
    def rated(verb: str, result: dict[str, Any]) -> float | None:
        (row,) = logic.facts(learner_statement(ANN, verb, MODULE_1, result=result, at=datetime(2026, 1, 1, tzinfo=UTC)), 1, UTC_SETTINGS)
        return row["rating_value"]

    assert rated("answered", {"response": "9"}) == 9.0
    assert rated("answered", {"response": "great course"}) is None
    assert rated("answered", {"extensions": {logic.RATING_EXTENSIONS[0]: {"raw": 4}}}) == 4.0
    assert rated("http://id.tincanapi.com/verb/rated", {"score": {"raw": 3}}) == 3.0


def test_a_group_actor_gives_one_fact_per_identified_member_and_unrelated_statements_none() -> None:
    group = {"objectType": "Group", "member": [ANN, BOB, ANN]}
    assert len(logic.facts(learner_statement(group, "completed", MODULE_1, at=datetime(2026, 1, 1, tzinfo=UTC)), 1, UTC_SETTINGS)) == 2
    plain = learner_statement(ANN, "http://example.com/verbs/bookmarked", "http://example.com/x", tree=False)
    assert logic.facts(plain, 1, UTC_SETTINGS) == []
    assert logic.facts(voiding(str(uuid.uuid4())), 1, UTC_SETTINGS) == []


@settings(max_examples=60, deadline=None)
@given(statements=histories(), data=st.data())
def test_folding_in_increments_equals_folding_at_once(statements: list[dict[str, Any]], data: st.DataObject) -> None:
    events = to_events(statements)
    projection = KpiProjection()
    view = memory_view(projection)
    for piece in data.draw(chunked(events, max_chunks=5)):
        fold(projection, piece, view)
    assert memory_snapshot(view, projection) == memory_snapshot(fold(projection, events), projection)


@settings(max_examples=60, deadline=None)
@given(statements=histories(), extra=st.sampled_from(("completed", "passed", "answered")))
def test_void_neutrality(statements: list[dict[str, Any]], extra: str) -> None:
    """Adding S and later voiding it leaves the facts as if S had never been stored."""
    projection = KpiProjection()
    s = learner_statement(BOB, extra, MODULE_1, at=datetime(2026, 8, 1, tzinfo=UTC))
    # The same positions (and so the same stored times) for the statements both ways.
    without = memory_snapshot(fold(projection, to_events(statements, first=2)), projection)
    with_void = fold(projection, to_events([s, *statements, voiding(s["id"])]))
    got = memory_snapshot(with_void, projection)
    assert got["kpi_facts"] == without["kpi_facts"]


def test_a_settings_change_rebuckets_and_a_programme_is_kept_by_version() -> None:
    projection = KpiProjection()
    late = learner_statement(ANN, "completed", MODULE_1, at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    events = to_events([late])
    view = fold(projection, events)
    (row,) = view.scan(FACTS, ("default",))
    assert (row["day"], row["quarter"]) == ("2026-06-30", "2026-Q2")
    fold(projection, [config_event(SETTINGS_CHANGED, {"settings": {"timezone": "Europe/Amsterdam", "fiscalYearStartMonth": 7}}, 2)], view)
    (row,) = view.scan(FACTS, ("default",))
    assert (row["day"], row["quarter"]) == ("2026-07-01", "2026-Q1")
    fold(projection, [config_event(PROGRAMME_DEFINED, {"programme": "p", "definition": {"roots": [MODULE_1]}}, 3),
                      config_event(PROGRAMME_DEFINED, {"programme": "p", "definition": {"roots": ["http://x.example/"]}}, 4, version=2)], view)
    assert [r["version"] for r in view.scan(PROGRAMMES, ("default", "p"))] == [1, 2]


def test_membership_imports_replace_unless_they_merge() -> None:
    projection = KpiProjection()
    ann = {"agentKey": "mbox:mailto:ann@example.com", "team": "a", "validFrom": "2026-01-01", "validTo": None}
    bob = {"agentKey": "mbox:mailto:bob@example.com", "team": "b", "validFrom": None, "validTo": "2026-07-01"}
    view = fold(projection, [config_event(MEMBERSHIP_IMPORTED, {"merge": False, "memberships": [ann]}, 1)])
    fold(projection, [config_event(MEMBERSHIP_IMPORTED, {"merge": True, "memberships": [bob]}, 2)], view)
    assert sorted(r["team"] for r in view.scan(MEMBERSHIPS, ("default",))) == ["a", "b"]
    fold(projection, [config_event(MEMBERSHIP_IMPORTED, {"merge": False, "memberships": [bob]}, 3)], view)
    (row,) = view.scan(MEMBERSHIPS, ("default",))
    assert (row["team"], row["valid_from"], row["valid_to"]) == ("b", "", "2026-07-01")
