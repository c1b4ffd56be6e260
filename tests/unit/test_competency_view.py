"""The competency projection folded in memory, by hypothesis (design §11, properties 2-4,
11): configuration commutes with evidence (retroactivity), arrival order does not
matter, voiding equals never sent, configuration is idempotent."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrs import competency as events
from lrs.competency import frameworks
from lrs.events import STATEMENT_STORED, RecordedEvent, dumps
from projections.base import fold, snapshot
from projections.competency import CompetencyProjection, logic
from tests.competency_helpers import (
    ALIGNMENTS,
    CHAT,
    DATA,
    MEET,
    QUIZ_CHAT,
    QUIZ_CHAT_2,
    QUIZ_DATA,
    case_package,
)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = datetime(2026, 1, 1, tzinfo=UTC)
LEARNERS = ("ann", "bob", "cy")
ACTIVITIES = (QUIZ_CHAT, QUIZ_CHAT_2, QUIZ_DATA, "https://lms.example.org/unaligned")
ADL = "http://adlnet.gov/expapi/verbs/"
TLA = "https://w3id.org/xapi/tla/verbs/"


def framework_event() -> tuple[str, dict[str, Any]]:
    return events.FRAMEWORK_IMPORTED, {**frameworks.case_package(case_package()), "source_sha256": "0" * 64}


def alignment_events() -> list[tuple[str, dict[str, Any]]]:
    return [(events.ALIGNMENT_SET, {"activity_iri": a["activity"], "competency_iri": a["competency"],
                                    "type": a["type"], "weight": a["weight"]}) for a in ALIGNMENTS["alignments"]]


@st.composite
def statements(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 12))):
        who = draw(st.sampled_from(LEARNERS))
        kind = draw(st.sampled_from(("scored", "completed", "asserted", "context", "declared")))
        # The first on an aligned activity: every history has evidence to compare.
        activity = draw(st.sampled_from(ACTIVITIES if i else ACTIVITIES[:-1]))
        statement: dict[str, Any] = {
            # Unique ids (a repeated id is a conflict the write path refuses), in random order.
            "id": str(uuid.UUID(int=(draw(st.integers(0, 2**64)) << 32) + i)),
            "actor": {"objectType": "Agent", "mbox": f"mailto:{who}@example.org"},
            "verb": {"id": ADL + "answered"}, "object": {"objectType": "Activity", "id": activity},
            "authority": {"objectType": "Agent", "mbox": f"mailto:authority{draw(st.integers(0, 1))}@example.org"},
            # Earlier than every `stored`: the clamp min(timestamp, stored) does not bite.
            "timestamp": (T0 + timedelta(hours=draw(st.integers(0, 24 * 200)))).isoformat(),
        }
        if kind == "scored":
            statement["result"] = {"score": {"scaled": draw(st.floats(-1, 1))}}
            if draw(st.booleans()):
                statement["result"]["success"] = draw(st.booleans())
        elif kind == "completed":
            statement["verb"] = {"id": ADL + "completed"}
        elif kind == "asserted":
            statement["verb"] = {"id": TLA + "asserted"}
            statement["object"] = {"objectType": "Activity", "id": draw(st.sampled_from((CHAT, MEET, DATA)))}
        elif kind == "context":
            statement["result"] = {"success": draw(st.booleans())}
            statement["context"] = {"contextActivities": {draw(st.sampled_from(("parent", "other"))): [{"id": MEET}]}}
        else:
            statement["result"] = {"score": {"scaled": draw(st.floats(0, 1))}}
            statement["object"]["definition"] = {"extensions": {
                "https://w3id.org/xapi/lrs/extensions/competency-alignment": [{"competency": DATA, "type": "teaches"}]}}
        out.append(statement)
    return out


def log(items: list[tuple[str, dict[str, Any]]]) -> list[RecordedEvent]:
    """Recorded events in this order; statements get `stored` from their position."""
    recorded = []
    for position, (kind, payload) in enumerate(items, start=1):
        stored = (T0 + timedelta(days=400, seconds=position)).isoformat()
        if kind == STATEMENT_STORED:
            payload = {**payload, "stored": stored}
        recorded.append(RecordedEvent(position, "default", "s", position, str(position), kind, 1, dumps(payload),
                                      "{}", stored, "", ""))
    return recorded


def cells(items: list[tuple[str, dict[str, Any]]], batch: int = 0) -> dict[Any, Any]:
    projection = CompetencyProjection()
    rows = snapshot(fold(projection, log(items), batch=batch), projection)["competency_cells"]
    return {key: {k: v for k, v in row.items() if k != "updated_position"} for key, row in rows.items()}


def as_statements(found: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(STATEMENT_STORED, s) for s in found]


@PROPERTY
@given(statements(), st.integers(0, 12), st.sampled_from((0, 1, 3)))
def test_configuration_commutes_with_the_statements(found: list[dict[str, Any]], split: int, batch: int) -> None:
    config = [framework_event(), *alignment_events()]
    first = cells([*config, *as_statements(found)])
    assert first, "the generated statements always have an aligned one"
    later = cells([*as_statements(found), *config], batch=batch)
    between = cells([*as_statements(found[:split]), config[0], *as_statements(found[split:]), *config[1:]])
    assert later == first and between == first


@PROPERTY
@given(statements(), st.randoms())
def test_arrival_order_does_not_matter(found: list[dict[str, Any]], rnd: random.Random) -> None:
    config = [framework_event(), *alignment_events()]
    shuffled = list(found)
    rnd.shuffle(shuffled)
    assert cells([*config, *as_statements(shuffled)]) == cells([*config, *as_statements(found)])


@PROPERTY
@given(statements(), st.data())
def test_voiding_equals_never_sent(found: list[dict[str, Any]], data: st.DataObject) -> None:
    config = [framework_event(), *alignment_events()]
    victim = data.draw(st.sampled_from(found))
    void = {"id": str(uuid.uuid4()), "actor": {"mbox": "mailto:admin@example.org"}, "verb": {"id": ADL + "voided"},
            "object": {"objectType": "StatementRef", "id": victim["id"]}}
    voided = cells([*config, *as_statements(found), (STATEMENT_STORED, void)])
    never = cells([*config, *as_statements([s for s in found if s is not victim])])
    assert voided == never


@PROPERTY
@given(statements())
def test_configuration_is_idempotent_and_removal_undoes_it(found: list[dict[str, Any]]) -> None:
    config = [framework_event(), *alignment_events()]
    once = cells([*config, *as_statements(found)])
    assert cells([*config, *as_statements(found), *config]) == once
    removal = [(events.ALIGNMENT_REMOVED, payload) for _, payload in alignment_events()]
    assert cells([*config, *as_statements(found), *removal]) == cells([config[0], *as_statements(found)])


@PROPERTY
@given(statements())
def test_retiring_the_framework_removes_its_cells(found: list[dict[str, Any]]) -> None:
    config = [framework_event(), *alignment_events()]
    retired = (events.FRAMEWORK_RETIRED, {"framework_id": config[0][1]["framework_id"]})
    assert cells([*config, *as_statements(found), retired]) == {}


def _reimport(threshold: float) -> tuple[str, dict[str, Any]]:
    kind, payload = framework_event()
    return kind, {**payload, "items": [{**i, "mastery_threshold": threshold} for i in payload["items"]]}


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    """Statements with configuration events anywhere among them (imports, a re-import
    changing every threshold, alignments set and removed, a retirement) and voidings."""
    found = as_statements(draw(statements()))
    config = [framework_event(), *alignment_events()]
    config += draw(st.lists(st.sampled_from([
        _reimport(0.5), framework_event(),
        *[(events.ALIGNMENT_REMOVED, p) for _, p in alignment_events()],
        (events.FRAMEWORK_RETIRED, {"framework_id": config[0][1]["framework_id"]}),
    ]), max_size=4))
    voids = [(STATEMENT_STORED, {
        "id": str(uuid.UUID(int=2**127 + i)), "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": ADL + "voided"}, "object": {"objectType": "StatementRef", "id": victim["id"]}})
        for i, (_, victim) in enumerate(draw(st.lists(st.sampled_from(found), max_size=3, unique_by=lambda s: s[1]["id"])))]
    items = found + voids
    for event in config:  # configuration lands anywhere, in its own order
        items.insert(draw(st.integers(0, len(items))), event)
    return items


@PROPERTY
@given(histories(), st.sampled_from((0, 1, 3)))
def test_cells_as_of_a_position_from_the_rows_intervals_equal_a_replay_to_it(
        items: list[tuple[str, dict[str, Any]]], batch: int) -> None:
    """Design §11.5: the evidence rows of the whole log, selected by their validity
    intervals, give every cell of the view as it was at each position P (what the log
    up to P folds to), updated_position included: asOf needs no replay."""
    projection = CompetencyProjection()
    recorded = log(items)
    evidence = snapshot(fold(projection, recorded, batch=batch), projection)["competency_evidence"]
    by_cell: dict[Any, list[dict[str, Any]]] = {}
    for key, row in evidence.items():
        by_cell.setdefault(key[:3], []).append(row)
    before: dict[Any, Any] = {}
    changed: dict[Any, int] = {}
    for position in range(len(recorded) + 1):
        replay = snapshot(fold(projection, recorded[:position]), projection)
        replayed = replay["competency_cells"]
        from_intervals = {}
        for key, rows in by_cell.items():
            cell = logic.cell_of(rows, position)
            if cell is not None:
                from_intervals[key] = {"store_id": key[0], "learner_key": key[1], "competency_hash": key[2], **cell}
        assert from_intervals == replayed, position
        # updated_position: the last position whose event changed the cell's rows.
        now: dict[Any, Any] = {}
        for key, row in replay["competency_evidence"].items():
            now.setdefault(key[:3], {})[key] = row
        for key in now.keys() | before.keys():
            if now.get(key) != before.get(key):
                changed[key] = position
        before = now
        assert {k: c["updated_position"] for k, c in replayed.items()} == {k: changed[k] for k in replayed}


@PROPERTY
@given(histories())
def test_evidence_rows_are_closed_not_deleted(items: list[tuple[str, dict[str, Any]]]) -> None:
    """What a row said stays in the view: the rows of a prefix of the log are the rows of
    the whole log that began in it, with the same content (only to_position may have
    been set since)."""
    projection = CompetencyProjection()
    recorded = log(items)
    whole = snapshot(fold(projection, recorded), projection)["competency_evidence"]
    for position in range(len(recorded) + 1):
        part = snapshot(fold(projection, recorded[:position]), projection)["competency_evidence"]
        began = {k: r for k, r in whole.items() if r["from_position"] <= position}
        assert part.keys() == began.keys()
        for key, row in part.items():
            later = began[key]
            closed = later["to_position"] if later["to_position"] is not None and later["to_position"] <= position else None
            assert row == {**later, "to_position": closed}
