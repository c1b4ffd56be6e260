"""Competency view catch-up and read latency on SQLite (a quick, standalone measure).

    python -m bench.competency -n 20000

A framework with one competency per course module and per lesson (lessons under
their module), the lesson quizzes and pages aligned to them (assesses / teaches),
one team per generator team; then ``n`` generated statements (bench.generator),
the competency view caught up from zero (events per second, wall and CPU), and
profile, experts and heat map answers timed at the query layer (p50/p95). With
``--as-of N``: N profiles as of random positions in the log's second half, from the
evidence rows' intervals and from replays (projections.replays, as ``asOf`` answered
before the rows had intervals), CPU per read.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench.generator import TrafficGenerator
from lrs import log
from lrs.clock import to_micros, utcnow
from lrs.competency import config, frameworks
from lrs.credentials import ensure_default_store
from lrs.db import make_engine
from lrs.migrate import upgrade
from lrs.xapi.agents import ifi_key, key_hash
from projections.competency import CompetencyProjection, people, queries
from projections.replays import Replays
from projections.runner import Runner
from tests.progress_helpers import write

META = {"actor": "bench"}


def _framework(gen: TrafficGenerator) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    items, alignments = [], []
    for course in gen.org.courses:
        for module in course.modules:
            module_iri = module.activity["id"] + "#competency"
            items.append({"id": module_iri, "name": module.activity["id"].rsplit("/", 1)[-1]})
            for lesson in module.lessons:
                lesson_iri = lesson.activity["id"] + "#competency"
                items.append({"id": lesson_iri, "parent": module_iri, "name": lesson.activity["id"].rsplit("/", 1)[-1]})
                alignments.append({"activity": lesson.activity["id"], "competency": lesson_iri, "type": "teaches"})
                if lesson.quiz is not None:
                    alignments.append({"activity": lesson.quiz["id"], "competency": lesson_iri, "type": "assesses"})
    return {"id": "urn:bench:framework", "title": "Bench", "items": items}, alignments


def configure(engine: Engine, gen: TrafficGenerator) -> dict[str, Any]:
    """Import the generator's framework, align its lessons and define team-0 (the
    first generated team) in the default store; returns the framework."""
    framework, alignments = _framework(gen)
    body = json.dumps(framework).encode()
    with log.writing(engine, store_id="default") as writer:
        config.import_in(writer, "default", frameworks.parse(body), body, META)
        config.align_in(writer, "default", {"alignments": alignments}, META)
        members = [gen.org.learners[i] for i in gen.org.team_members[0]]
        config.team_in(writer, "default", "team-0", {"members": [p.agent for p in members]}, META)
    return framework


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.competency", description=__doc__)
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--as-of", type=int, default=0, help="asOf profiles to time each way (default: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", lock_timeout_seconds=30)
        upgrade(engine)
        ensure_default_store(engine)
        gen = TrafficGenerator(1, args.learners)
        framework = configure(engine, gen)
        statements = gen.take(args.n)
        for start in range(0, len(statements), 1000):
            write(engine, statements[start:start + 1000])
        runner = Runner(engine, [CompetencyProjection()], batch=500)
        wall, cpu = time.perf_counter(), time.process_time()
        reached = runner.catch_up()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        runner.release()
        events = reached["competency"]
        print(f"catch-up: {events} events in {wall:.1f} s wall ({events / wall:,.0f}/s), "
              f"{cpu:.1f} s CPU ({events / cpu:,.0f}/CPU s)")
        at = to_micros(utcnow())
        learners = [p.agent for p in gen.org.learners[:50]]
        competencies = [i["id"] for i in framework["items"] if i.get("parent")][:50]
        timings: dict[str, list[float]] = {"profile": [], "experts": [], "heatmap": []}
        with engine.connect() as conn:
            items = people.scope_items(conn, "default", None, "urn:bench:framework")
            team = {m["learner_key"]: m["agent"] for m in queries.team_members(conn, "default", "team-0")}
            for i in range(args.requests):
                agent, competency = learners[i % len(learners)], competencies[i % len(competencies)]
                reads: dict[str, Callable[[], Any]] = {
                    "profile": partial(queries.profile, conn, "default", key_hash(ifi_key(agent) or ""), agent, None, at),
                    "experts": partial(people.experts, conn, "default", competency, at),
                    "heatmap": partial(people.heatmap, conn, "default", team, items, at),
                }
                for name, read in reads.items():
                    start = time.perf_counter()
                    read()
                    timings[name].append((time.perf_counter() - start) * 1000)
        if args.as_of:
            with engine.connect() as conn:
                head = log.head(conn)[0]
            rnd = random.Random(7)
            asked = [(rnd.choice(learners), rnd.randint(head // 2, head)) for _ in range(args.as_of)]
            replays = Replays(engine, {"competency": CompetencyProjection()}, Path(tmp) / "replays")
            for name, read in (("asOf by interval", _by_interval(engine, at)), ("asOf by replay", _by_replay(replays, at))):
                timings[name] = []
                for agent, position in asked:
                    start = time.process_time()
                    read(agent, position)
                    timings[name].append((time.process_time() - start) * 1000)
            replays.close()
        for name, values in timings.items():
            values.sort()
            print(f"{name}: p50 {statistics.median(values):.1f} ms, p95 {values[int(len(values) * 0.95) - 1]:.1f} ms"
                  + (" CPU" if name.startswith("asOf") else ""))
    return 0


def _by_interval(engine: Engine, at: int) -> Callable[[dict[str, Any], int], Any]:
    def read(agent: dict[str, Any], position: int) -> Any:
        with engine.connect() as conn:
            return queries.profile(conn, "default", key_hash(ifi_key(agent) or ""), agent, None, at, position)
    return read


def _by_replay(replays: Replays, at: int) -> Callable[[dict[str, Any], int], Any]:
    def read(agent: dict[str, Any], position: int) -> Any:
        with replays.reading("competency", "default", position) as conn:
            return queries.profile(conn, "default", key_hash(ifi_key(agent) or ""), agent, None, at)
    return read


if __name__ == "__main__":
    raise SystemExit(main())
