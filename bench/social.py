"""Social view answer times: a quarter of social traffic on SQLite.

    python -m bench.social [--statements 100000] [--repeat 20]

Generates a quarter of statements from 2,000 people in 40 teams (webinars,
virtual-classroom sessions, forum threads with posts, replies and views,
documents, mentoring, and plain completions), folds them with the social
projection in memory, writes the view's tables into a fresh SQLite file and times
the overview, teams and team-level metrics answers (reading the facts with SQL
and working the measures out, as the routes do): wall-clock p50 and p95, and the
median CPU time. Each answer is timed read afresh (the first read at a new
checkpoint) and reused (a later read at the same checkpoint: the facts and network
the first read kept, projections.social.reuse; the disclosure layer still runs).

Then the live store: before each read a batch of 1, 10 or 100 new statements is
folded into the SQLite file (the view's SQL store, as the runner writes it) and
the checkpoint moves on, so no read finds its position kept: each answer is timed
read afresh (``reloaded``: what a read at a new position did before the patch) and
patched from the facts kept at the previous position (``patched``,
projections.social.delta).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, insert

from lrs import analytics
from lrs.events import STATEMENT_STORED, RecordedEvent
from projections.base import fold, snapshot
from projections.schema import checkpoints
from projections.social import SocialProjection, delta, metrics, queries
from projections.social.reuse import Reuse
from projections.sqlstore import SqlStore
from projections.view import View
from projections.windows import parse

START = datetime(2026, 7, 1, tzinfo=UTC)
TEAMS = [f"team-{i:02d}" for i in range(40)]


def _people(n: int) -> list[str]:
    return [f"person{i}" for i in range(n)]


def statements(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    people = _people(2000)
    out: list[dict[str, Any]] = []

    def agent(name: str) -> dict[str, Any]:
        return {"objectType": "Agent", "mbox": f"mailto:{name}@example.com"}

    def at() -> str:
        moment = START + timedelta(seconds=rng.randrange(0, 91 * 86400))
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def add(actor: str, verb: str, obj: dict[str, Any], ts: str, **extra: Any) -> None:
        out.append({"id": str(uuid.uuid4()), "actor": agent(actor), "verb": {"id": verb}, "object": obj,
                    "timestamp": ts, "stored": ts, **extra})

    threads: list[str] = []
    while len(out) < n:
        kind = rng.random()
        if kind < 0.2:  # a webinar: 10-60 attendees
            webinar = {"id": f"https://events.example.com/w/{rng.randrange(300)}",
                       "definition": {"type": "http://id.tincanapi.com/activitytype/webinar"}}
            ts = at()
            for name in rng.sample(people, rng.randint(10, 60)):
                add(name, "http://adlnet.gov/expapi/verbs/attended", webinar, ts)
        elif kind < 0.3:  # a virtual classroom session: 5-25
            registration = str(uuid.uuid4())
            room = {"id": f"https://lms.example.com/bbb/{rng.randrange(100)}",
                    "definition": {"type": "https://w3id.org/xapi/virtual-classroom/activity-types/virtual-classroom"}}
            ts = at()
            context = {"registration": registration, "instructor": agent(rng.choice(people)),
                       "contextActivities": {"category": [{"id": "https://w3id.org/xapi/virtual-classroom"}]}}
            for name in rng.sample(people, rng.randint(5, 25)):
                add(name, "http://activitystrea.ms/join", room, ts, context=context)
        elif kind < 0.45:  # a forum thread: a post, replies, views
            thread = {"id": f"https://lms.example.com/forum/d/{len(threads)}",
                      "definition": {"type": "http://id.tincanapi.com/activitytype/discussion"}}
            threads.append(thread["id"])
            add(rng.choice(people), "https://w3id.org/xapi/acrossx/verbs/posted", thread, at())
            for name in rng.sample(people, rng.randint(0, 8)):
                add(name, "http://id.tincanapi.com/verb/replied", thread, at())
            for name in rng.sample(people, rng.randint(0, 20)):
                add(name, "http://id.tincanapi.com/verb/viewed", thread, at())
        elif kind < 0.47:
            add(rng.choice(people), "http://id.tincanapi.com/verb/mentored", agent(rng.choice(people)), at())
        else:  # ordinary learning
            for _ in range(20):
                add(rng.choice(people), "http://adlnet.gov/expapi/verbs/completed",
                    {"id": f"https://lms.example.com/course/{rng.randrange(200)}"}, at())
    return out[:n]


def events(items: list[dict[str, Any]], start: int = 2) -> list[RecordedEvent]:
    memberships = [{"agentKey": f"mbox:mailto:{p}@example.com", "team": TEAMS[i % len(TEAMS)],
                    "validFrom": "2026-01-01", "validTo": None} for i, p in enumerate(_people(2000))]
    out = [RecordedEvent(1, "default", "people:memberships", 1, "import-1", analytics.MEMBERSHIP_IMPORTED, 1,
                         orjson.dumps({"merge": False, "memberships": memberships}).decode(), "{}",
                         "2026-06-30T00:00:00.000000Z", "", "")] if start == 2 else []
    for position, item in enumerate(items, start=start):
        out.append(RecordedEvent(position, "default", f"statement:{item['id']}", 1, item["id"], STATEMENT_STORED, 1,
                                 orjson.dumps(item).decode(), "{}", item["stored"], "", ""))
    return out


def _timed(fn: Any, repeat: int, before: Any = None) -> dict[str, float]:
    """Wall-clock p50 and p95, and the median CPU time of the process (SQLite runs
    in it): on a shared machine the CPU time is the figure that compares runs.
    ``before``: run untimed before each call."""
    times, cpu = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    cpu.sort()
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1), "cpu_p95_ms": round(cpu[int(0.95 * (len(cpu) - 1))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    projection = SocialProjection()
    started = time.perf_counter()
    evs = events(statements(args.statements))
    view = fold(projection, evs, batch=2000)
    folded = time.perf_counter() - started
    snap = snapshot(view, projection)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'social.sqlite3'}")
        for table in projection.tables:
            table.sql.create(engine)
        checkpoints.create(engine)
        with engine.begin() as conn:
            conn.execute(insert(checkpoints), [{"name": projection.name, "version": projection.version,
                                                "position": evs[-1].position, "updated_at": ""}])
            for table in projection.tables:
                rows = list(snap[table.name].values())
                if rows:
                    conn.execute(insert(table.sql), rows)
        window = parse("2026-Q3", None, None, "UTC")

        def read(then: Any) -> Any:
            with engine.connect() as conn:
                return then(queries.load(conn, "default", window, queries.opted_out(conn, "default")))

        reuse = Reuse()

        def reused(then: Any) -> Any:
            with engine.connect() as conn:
                return then(reuse.facts(conn, "default", window, queries.opted_out(conn, "default"), queries.load))

        def overview(f: Any) -> Any:
            return queries.overview(f, window)

        def teams(f: Any) -> Any:
            return queries.teams(f, window)

        def betweenness(f: Any) -> Any:
            return metrics.compute(queries.network(f, window), level="team", measure="betweenness")

        report: dict[str, Any] = {
            "statements": args.statements, "fold_seconds": round(folded, 1),
            "facts": {str(name): len(rows) for name, rows in snap.items()},
        }
        for name, then, repeat in (("overview", overview, args.repeat), ("teams", teams, args.repeat),
                                   ("metrics_team_betweenness", betweenness, max(3, args.repeat // 4))):
            report[name] = _timed(lambda then=then: read(then), repeat)
            reused(then)  # the first read at this checkpoint keeps the facts
            report[name + "_reused"] = _timed(lambda then=then: reused(then), repeat)

        # The live store: a batch folded before every read.
        arriving = iter(statements(args.repeat * 2 * 2 * 111 + 1000, seed=8))
        position = evs[-1].position
        sql = SqlStore()
        view = View(projection.tables, sql)

        def arrive(n: int) -> None:
            nonlocal position
            batch = events([next(arriving) for _ in range(n)], start=position + 1)
            position = batch[-1].position
            with engine.begin() as conn:
                sql.bind(conn)
                fold(projection, batch, view)
                conn.execute(checkpoints.update().where(checkpoints.c.name == projection.name).values(position=position))

        def live(then: Any, patch: Any) -> Any:
            with engine.connect() as conn:
                return then(reuse.facts(conn, "default", window, queries.opted_out(conn, "default"), queries.load,
                                        patch))

        for n in (1, 10, 100):
            for name, then in (("overview", overview), ("teams", teams)):
                for mode, patch in (("reloaded", None), ("patched", delta.patch)):
                    live(then, patch)  # the facts of the position the batches start from
                    report[f"live_{n}_{name}_{mode}"] = _timed(lambda then=then, patch=patch: live(then, patch),
                                                              args.repeat, before=lambda n=n: arrive(n))
        report["live_patched_reads"] = reuse.patched
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


if __name__ == "__main__":
    main()
