"""Shared pieces of the projection and progress-view tests (no ``test_`` prefix).

- a small course (a course, two modules, a lesson under each) and a few learners;
- ``histories()``: hypothesis strategy for realistic statement sequences, voiding
  included (of earlier, of later, of unknown and of voiding statements);
- ways to turn a history into log events: in memory (``to_events``) or through the
  real write path (``write``);
- snapshots of a view (SQL tables or an in-memory view) in one comparable shape;
- ``oracle``: the progress rules written again, plainly, from the docstrings.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from lrs import clock, log
from lrs.credentials import Credential
from lrs.db import make_engine
from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.statements import Written, prepare
from lrs.statements import write as write_statements
from lrs.xapi.statement_rules import complete
from projections.base import Projection, fold, snapshot
from projections.progress import ProgressProjection, logic
from projections.progress.schema import EDGES, FACTS, LEDGER, RECORDS
from projections.schema import checkpoints
from projections.view import View

ADL = "http://adlnet.gov/expapi/verbs/"
VOIDED = ADL + "voided"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
VIDEO_PROGRESS = "https://w3id.org/xapi/video/extensions/progress"

COURSE = "http://example.com/courses/safety"
MODULE_1 = COURSE + "/module-1"
MODULE_2 = COURSE + "/module-2"
LESSON_1 = MODULE_1 + "/lesson-a"
LESSON_2 = MODULE_2 + "/lesson-b"
PARENT = {MODULE_1: COURSE, MODULE_2: COURSE, LESSON_1: MODULE_1, LESSON_2: MODULE_2}
ACTIVITIES = (COURSE, MODULE_1, MODULE_2, LESSON_1, LESSON_2)

ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"objectType": "Agent", "name": "Bob", "account": {"homePage": "http://lms.example.com", "name": "bob"}}
CY = {"name": "Cy", "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}
LEARNERS = (ANN, BOB, CY)

REGISTRATIONS = ("6f1b1a7e-4a6a-4c39-9e5e-0b1f8f9a1c2d", "A3C9E0B2-5D7F-4E11-8A2B-3C4D5E6F7A8B")

VERBS = (
    "attempted", "launched", "initialized", "experienced", "completed", "passed", "failed",
    "scored", "progressed", "terminated", "answered",
)
OTHER_VERBS = (
    "https://w3id.org/xapi/adl/verbs/satisfied",
    "https://w3id.org/xapi/adl/verbs/waived",
    "http://example.com/verbs/bookmarked",
)
VERB_IDS = tuple(ADL + v for v in VERBS) + OTHER_VERBS
ZONES = (UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)))
BASE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

AUTHORITY = {"objectType": "Agent", "name": "writer", "account": {"homePage": "http://lrs.test", "name": "writer"}}
CREDENTIAL = Credential(
    id="test-writer", store_id="default", key="writer", scopes=frozenset(("all",)),
    authority=AUTHORITY, label="writer",
)


def credential_for(store_id: str) -> Credential:
    return Credential(
        id=f"test-writer-{store_id}", store_id=store_id, key=f"writer-{store_id}",
        scopes=frozenset(("all",)), authority=AUTHORITY, label="writer",
    )


def timestamp(moment: datetime, zone: timezone = UTC) -> str:
    """An xAPI timestamp of ``moment`` written in ``zone`` (the same instant)."""
    local = moment.astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S.%f")
    offset = local.strftime("%z")
    return text + ("Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}")


def learner_statement(
    actor: dict[str, Any],
    verb: str,
    activity: str,
    *,
    at: datetime | None = None,
    zone: timezone = UTC,
    registration: str | None = None,
    result: dict[str, Any] | None = None,
    statement_id: str | None = None,
    tree: bool = True,
) -> dict[str, Any]:
    """A statement about ``activity`` placed in the course tree."""
    out: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb if "://" in verb else ADL + verb},
        "object": {"objectType": "Activity", "id": activity},
    }
    if at is not None:
        out["timestamp"] = timestamp(at, zone)
    context: dict[str, Any] = {}
    if registration is not None:
        context["registration"] = registration
    if tree and activity in PARENT:
        context["contextActivities"] = {"parent": [{"id": PARENT[activity]}]}
        if PARENT[activity] != COURSE:
            context["contextActivities"]["grouping"] = [{"id": COURSE}]
    if context:
        out["context"] = context
    if result:
        out["result"] = result
    return out


def voiding(target: str, *, actor: dict[str, Any] = ANN, at: datetime | None = None,
            statement_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
    }
    if at is not None:
        out["timestamp"] = timestamp(at)
    return out


# ------------------------------------------------------------------ hypothesis


_SCALED = (-0.5, 0.0, 0.25, 0.5, 0.8, 1.0)
_DURATIONS = ("PT30S", "PT1M", "PT1H2M3.5S", "P1D", "PT0S")


@st.composite
def results(draw: Any) -> dict[str, Any] | None:
    if draw(st.integers(0, 2)) == 0:
        return None
    result: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        result["success"] = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        result["completion"] = draw(st.booleans())
    if draw(st.integers(0, 2)) == 0:
        result["score"] = {"scaled": draw(st.sampled_from(_SCALED))}
    if draw(st.integers(0, 2)) == 0:
        result["duration"] = draw(st.sampled_from(_DURATIONS))
    which = draw(st.integers(0, 5))
    if which == 0:
        result["extensions"] = {CMI5_PROGRESS: draw(st.sampled_from((0, 40, 100)))}
    elif which == 1:
        result["extensions"] = {VIDEO_PROGRESS: draw(st.sampled_from((0.5, 1.0)))}
    return result or None


@st.composite
def actors(draw: Any) -> dict[str, Any]:
    if draw(st.integers(0, 5)) > 0:
        return dict(draw(st.sampled_from(LEARNERS)))
    # A member may be listed twice: it is still one learner.
    members = draw(st.lists(st.sampled_from(LEARNERS), min_size=1, max_size=3))
    group: dict[str, Any] = {"objectType": "Group", "name": "Team", "member": [dict(m) for m in members]}
    if draw(st.booleans()):
        group["mbox"] = "mailto:team@example.com"
    return group


@st.composite
def histories(draw: Any, min_size: int = 1, max_size: int = 24) -> list[dict[str, Any]]:
    """Statements in the order they are stored; ids given, voiding included.

    A voiding statement may target an earlier statement, a later one (voided
    before it arrives), a voiding statement, or an id never stored.
    """
    n = draw(st.integers(min_size, max_size))
    ids = [str(u) for u in draw(st.lists(st.uuids(version=4), min_size=n, max_size=n, unique=True))]
    out: list[dict[str, Any]] = []
    for index in range(n):
        at = BASE + timedelta(minutes=draw(st.integers(0, 600)), microseconds=draw(st.sampled_from((0, 0, 7))))
        zone = draw(st.sampled_from(ZONES))
        if n > 1 and draw(st.integers(0, 4)) == 0:
            choice = draw(st.integers(0, n))
            unknown = str(draw(st.uuids(version=4)))
            target = unknown if choice in (n, index) else ids[choice]
            # A voiding statement's id in upper case now and then: ids compare lowercased.
            if draw(st.integers(0, 5)) == 0:
                target = target.upper()
            statement = voiding(target, actor=dict(draw(st.sampled_from(LEARNERS))), statement_id=ids[index])
            if draw(st.booleans()):
                statement["timestamp"] = timestamp(at, zone)
            out.append(statement)
            continue
        activity = draw(st.sampled_from(ACTIVITIES))
        registration = draw(st.sampled_from((None, None, *REGISTRATIONS)))
        statement = learner_statement(
            draw(actors()), draw(st.sampled_from(VERB_IDS)), activity,
            at=at if draw(st.integers(0, 6)) else None, zone=zone, registration=registration,
            result=draw(results()), statement_id=ids[index], tree=draw(st.integers(0, 4)) > 0,
        )
        context_activities = (statement.get("context") or {}).get("contextActivities")
        if context_activities and draw(st.integers(0, 3)) == 0:
            # A single Activity instead of an array (allowed; stored as an array).
            context_activities["parent"] = context_activities["parent"][0]
        out.append(statement)
    return out


@st.composite
def chunked(draw: Any, items: Sequence[Any], max_chunks: int = 4) -> list[list[Any]]:
    """``items`` cut into 1..max_chunks consecutive non-empty pieces."""
    if len(items) <= 1:
        return [list(items)]
    cuts = sorted(draw(st.sets(st.integers(1, len(items) - 1), max_size=max_chunks - 1)))
    bounds = [0, *cuts, len(items)]
    return [list(items[a:b]) for a, b in itertools.pairwise(bounds)]


# ------------------------------------------------------------- events and writes


def to_events(statements: Sequence[dict[str, Any]], *, store_id: str = "default", first: int = 1) -> list[RecordedEvent]:
    """Statements as the write path would log them, with positions first, first+1, ..."""
    prepared = prepare(list(statements), "1.0.3", batch=True)  # checks they are valid
    out = []
    for offset, (statement_id, statement) in enumerate(prepared):
        position = first + offset
        stored = clock.format_utc(BASE + timedelta(days=30, seconds=position))
        item = complete(statement, statement_id=statement_id, stored=stored, authority=AUTHORITY,
                        request_version="1.0.3")
        out.append(
            RecordedEvent(
                position=position, store_id=store_id, stream_id=f"statement:{statement_id}",
                stream_version=1, event_id=statement_id, type=STATEMENT_STORED, schema_version=1,
                data=orjson.dumps(item).decode(), metadata="{}", recorded_at=stored,
                prev_hash="", hash="",
            )
        )
    return out


def write(engine: Engine, statements: Sequence[dict[str, Any]], *, credential: Credential = CREDENTIAL) -> Written:
    """Store statements through the real write path (one request)."""
    return write_statements(engine, credential, prepare(list(statements), "1.0.3", batch=True), version="1.0.3")


def log_events(engine: Engine, *, until: int | None = None, store_id: str | None = None) -> list[RecordedEvent]:
    with engine.connect() as conn:
        return log.read_forward(conn, 0, 10**9, until=until, store_id=store_id)


def head(engine: Engine) -> int:
    with engine.connect() as conn:
        return log.head(conn)[0]


# -------------------------------------------------------------------- snapshots

TABLES = (RECORDS, FACTS, LEDGER, EDGES)
Snapshot = dict[str, dict[Any, dict[str, Any]]]


def sql_snapshot(engine: Engine, projection: Projection | None = None) -> Snapshot:
    """Every row of the projection's tables by key (JSON columns parsed), in the
    shape of an in-memory view's snapshot."""
    tables = (projection or ProgressProjection()).tables
    out: Snapshot = {}
    with engine.connect() as conn:
        for spec in tables:
            rows = {spec.key_of(dict(r._mapping)): dict(r._mapping) for r in conn.execute(select(spec.sql))}
            out[spec.name] = dict(sorted(rows.items()))
    return out


def memory_snapshot(view: View, projection: Projection | None = None) -> Snapshot:
    return snapshot(view, projection or ProgressProjection())


def folded(events: Sequence[RecordedEvent], projection: Projection | None = None, batch: int = 0) -> Snapshot:
    chosen = projection or ProgressProjection()
    return snapshot(fold(chosen, events, batch=batch), chosen)


def checkpoint(engine: Engine, name: str = "progress") -> Any:
    with engine.connect() as conn:
        return conn.execute(select(checkpoints).where(checkpoints.c.name == name)).first()


def diff(left: Snapshot, right: Snapshot) -> str:
    """A short description of how two snapshots differ (for assertion messages)."""
    lines = []
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name, {}), right.get(name, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                lines.append(f"{name}[{key!r}]:\n  {a.get(key)}\n  {b.get(key)}")
    return "\n".join(lines[:6])


def scratch_sqlite(path: Path) -> Engine:
    """A new, empty SQLite file (the kind of target a replay writes to)."""
    return make_engine(f"sqlite:///{path}")


# ----------------------------------------------------------- fresh databases


@dataclass
class Databases:
    """Fresh migrated databases on the backend of the test's ``db_url``."""

    request: pytest.FixtureRequest
    tmp_path: Path
    backend: str
    made: list[tuple[Engine, str]] = field(default_factory=list)

    def new(self) -> Engine:
        if self.backend == "sqlite":
            template: Path = self.request.getfixturevalue("_sqlite_template")
            path = self.tmp_path / f"db-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(template, path)
            engine = make_engine(f"sqlite:///{path}", lock_timeout_seconds=30)
            self.made.append((engine, ""))
            return engine
        server = self.request.getfixturevalue("_postgres")
        name = server.create()
        engine = make_engine(server.url_for(name), lock_timeout_seconds=30)
        self.made.append((engine, name))
        return engine

    def drop(self, engine: Engine) -> None:
        for index, (made, name) in enumerate(self.made):
            if made is engine:
                made.dispose()
                if name:
                    self.request.getfixturevalue("_postgres").drop(name)
                else:
                    Path(str(made.url.database)).unlink(missing_ok=True)
                del self.made[index]
                return

    def close(self) -> None:
        while self.made:
            self.drop(self.made[-1][0])


def databases(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Databases]:
    """Body of a ``databases`` fixture (declare it in the test module)."""
    dbs = Databases(request, tmp_path, "sqlite" if db_url.startswith("sqlite") else "postgresql")
    try:
        yield dbs
    finally:
        dbs.close()


# ---------------------------------------------------------------------- oracle


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def learner_id(agent: dict[str, Any]) -> tuple[str, ...]:
    for key in ("mbox", "mbox_sha1sum", "openid"):
        if key in agent:
            return (key, agent[key].lower() if key != "openid" else agent[key])
    account = agent["account"]
    return ("account", account["homePage"], account["name"])


@dataclass
class Expected:
    status: str
    attempts: int
    first_at: datetime
    last_at: datetime
    completed_at: datetime | None
    best_scaled: float | None
    last_scaled: float | None
    time_spent_s: float
    progress: float | None
    status_evidence: set[str]
    attempt_evidence: set[str]


_SECONDS = {"PT30S": 30.0, "PT1M": 60.0, "PT1H2M3.5S": 3723.5, "P1D": 86400.0, "PT0S": 0.0}


def _progress_of(statement: dict[str, Any]) -> float | None:
    extensions = (statement.get("result") or {}).get("extensions") or {}
    if CMI5_PROGRESS in extensions:
        return float(extensions[CMI5_PROGRESS])
    if VIDEO_PROGRESS in extensions:
        return float(extensions[VIDEO_PROGRESS]) * 100
    return None


def oracle(events: Sequence[RecordedEvent]) -> tuple[dict[tuple[Any, ...], Expected], dict[tuple[str, str, str, str], int]]:
    """Records by (store, learner, activity, registration) and edges with their counts.

    Straight from the rules: a statement counts unless it is voiding or voided;
    only a statement that is not itself voiding can be voided (Data 2.3.2).
    """
    statements = [(e.store_id, e.position, e.payload()) for e in events if e.type == STATEMENT_STORED]
    voiding_ids = {(s, st_["id"].lower()) for s, _, st_ in statements if st_["verb"]["id"] == VOIDED}
    voided = {(s, st_["object"]["id"].lower()) for s, _, st_ in statements if st_["verb"]["id"] == VOIDED}
    counted = [
        (s, p, st_) for s, p, st_ in statements
        if (s, st_["id"].lower()) not in voiding_ids and (s, st_["id"].lower()) not in voided
    ]
    grouped: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]] = {}
    edge_counts: dict[tuple[str, str, str, str], int] = {}
    for store_id, position, statement in counted:
        obj = statement["object"]
        if obj.get("objectType", "Activity") != "Activity":
            continue
        actor = statement["actor"]
        people = actor.get("member", []) if actor.get("objectType") == "Group" else [actor]
        registration = (statement.get("context") or {}).get("registration")
        for person in {learner_id(p): p for p in people}:
            for scope in {"", (registration or "").lower()}:
                grouped.setdefault((store_id, person, obj["id"], scope), []).append((position, statement))
        context_activities = (statement.get("context") or {}).get("contextActivities") or {}
        for kind in ("parent", "grouping"):
            for parent in context_activities.get(kind) or []:
                edge = (store_id, parent["id"], obj["id"], kind)
                if parent["id"] != obj["id"]:
                    edge_counts[edge] = edge_counts.get(edge, 0) + 1
    records = {}
    for key, items in grouped.items():
        def verb(s: dict[str, Any]) -> str:
            return s["verb"]["id"].rsplit("/", 1)[-1]

        def result(s: dict[str, Any]) -> dict[str, Any]:
            return s.get("result") or {}

        passed = [s for _, s in items if verb(s) in ("passed", "satisfied", "waived") or result(s).get("success") is True]
        failed = [s for _, s in items if verb(s) == "failed" or result(s).get("success") is False]
        completed = [
            s for _, s in items
            if verb(s) == "completed" or result(s).get("completion") is True
            or (_progress_of(s) or 0) >= 100 or s in passed
        ]
        if passed:
            status, support = "passed", passed
        elif failed:
            status, support = "failed", failed
        elif completed:
            status, support = "completed", completed
        else:
            status, support = "in progress", [s for _, s in items]
        attempts = [s for _, s in items if verb(s) in ("attempted", "launched", "initialized")]
        when = [(_instant(s["timestamp"]), p) for p, s in items]
        scored = [(_instant(s["timestamp"]), p, result(s)["score"]["scaled"]) for p, s in items if "score" in result(s)]
        progresses = [v for _, s in items if (v := _progress_of(s)) is not None]
        records[key] = Expected(
            status=status,
            attempts=max(1, len(attempts)),
            first_at=min(when)[0],
            last_at=max(when)[0],
            completed_at=min(_instant(s["timestamp"]) for s in completed) if completed else None,
            best_scaled=max((v for _, _, v in scored), default=None),
            last_scaled=max(scored)[2] if scored else None,
            time_spent_s=sum(_SECONDS[result(s)["duration"]] for _, s in items if "duration" in result(s)),
            progress=100.0 if completed else (max(progresses) if progresses else None),
            status_evidence={s["id"].lower() for s in support},
            attempt_evidence={s["id"].lower() for s in attempts},
        )
    return records, edge_counts


def check_against_oracle(snapshot: Snapshot, events: Sequence[RecordedEvent]) -> None:
    """Assert the view's records and edges are what the plain rules say."""
    expected, expected_edges = oracle(events)
    facts_of: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for fact in snapshot[FACTS.name].values():
        # A fact counts in its learner x activity's all-registrations record and in
        # its registration's.
        for scope in logic.scopes(fact["registration"]):
            record_key = (fact["store_id"], fact["learner_hash"], fact["activity_hash"], scope)
            facts_of.setdefault(record_key, []).append(logic.fact_of(fact))
    got = {}
    for record_key, row in snapshot[RECORDS.name].items():
        key = (row["store_id"], learner_id(row["learner"]), row["activity_id"], row["registration"])
        assert key not in got, f"two rows for {key}"
        # Evidence is worked out from the record's facts when asked for (queries.detail).
        got[key] = {**row, "evidence": logic.summarize(facts_of[record_key])["evidence"]}
        assert {k: v for k, v in logic.state(facts_of[record_key]).items()} == {
            k: row[k] for k in logic.state(facts_of[record_key])
        }, f"record {key} is not the state of its facts"
    assert set(got) == set(expected), f"records: extra {set(got) - set(expected)}, missing {set(expected) - set(got)}"
    for key, want in expected.items():
        row = got[key]
        where = f"record {key}"
        assert row["status"] == want.status, where
        assert row["attempts"] == want.attempts, where
        assert _instant(row["first_at"]) == want.first_at, where
        assert _instant(row["last_at"]) == want.last_at, where
        assert (None if row["completed_at"] is None else _instant(row["completed_at"])) == want.completed_at, where
        assert row["best_scaled"] == want.best_scaled, where
        assert row["last_scaled"] == want.last_scaled, where
        assert row["time_spent_s"] == pytest.approx(want.time_spent_s), where
        assert row["progress"] == want.progress, where
        assert set(row["evidence"]["status"]) == want.status_evidence, where
        assert set(row["evidence"]["attempts"]) == want.attempt_evidence, where
    edges = {
        (row["store_id"], row["parent_id"], row["child_id"], row["kind"]): row["statements"]
        for row in snapshot[EDGES.name].values()
    }
    assert edges == expected_edges
