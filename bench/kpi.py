"""KPI view read times over a synthetic fact table (``python -m bench.kpi``).

Fills a scratch SQLite database with N fact rows (learners working through a
three-module programme with a survey over a fiscal year, in 40 HR teams) and
times the evaluation, a weekly series over the year, a weekly series by team over
a quarter and the funnel, median of several runs. Prints one line each.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from lrs.programmes import check_definition
from lrs.xapi.agents import key_hash
from projections.kpi import logic, queries
from projections.kpi.schema import ACTIVITIES, FACTS, LINKS, MEMBERSHIPS, PROGRAMMES, SETTINGS
from projections.schema import metadata

ROOT = "https://lms.example.com/course/42"
MODULES = [f"{ROOT}/m{i}" for i in (1, 2, 3)]
SURVEY, NPS = "https://lms.example.com/feedback/7/item/3", "https://lms.example.com/feedback/7/item/4"
VERBS = ("attempted", "progressed", "completed", "passed", "failed", "answered", "terminated")


def fill(url: str, n: int, seed: int = 7, in_time_order: bool = False) -> None:
    rng = random.Random(seed)
    engine = create_engine(url)
    metadata.create_all(engine, tables=[FACTS.sql, PROGRAMMES.sql, SETTINGS.sql, MEMBERSHIPS.sql, ACTIVITIES.sql, LINKS.sql])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    settings = dict(logic.DEFAULT_SETTINGS)
    rows = []
    for i in range(n):
        at = start + timedelta(minutes=rng.randrange(365 * 24 * 60))
        ts = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        activity = rng.choice((*MODULES, SURVEY, NPS, f"{MODULES[0]}/lesson-{rng.randrange(5)}"))
        verb = "answered" if activity in (SURVEY, NPS) else rng.choice(VERBS)
        rows.append({
            "store_id": "default", "statement_id": f"{i:036d}", "agent_hash": f"{rng.randrange(5000):032x}",
            "position": i + 2, "activity_id": activity, "activity_type": None, "registration": "",
            "verb_class": verb, "ts": ts, **logic.buckets(ts, settings),
            "scaled_score": rng.random() if verb in ("passed", "failed") else None, "raw_score": None,
            "success": verb == "passed" if verb in ("passed", "failed") else None, "completion": None,
            "duration_s": rng.choice((None, 600.0, 1800.0)), "group_mode": rng.random() < 0.3,
            "rating_value": float(rng.randrange(11) if activity == NPS else rng.randrange(1, 6)) if verb == "answered" else None,
            "response_hash": None, "parent_ids": [MODULES[0]] if "lesson" in activity else [ROOT] if activity in MODULES else [],
            "grouping_ids": [], "category_ids": [],
        })
    if in_time_order:
        # As a live store writes them: positions (and table order) follow time.
        rows.sort(key=lambda row: row["ts"])
        for i, row in enumerate(rows):
            row.update({"statement_id": f"{i:036d}", "position": i + 2})
    # The per-activity counts the fold keeps beside the facts (one statement a row here).
    activities: dict[str, dict[str, object]] = {}
    links: dict[tuple[str, str], dict[str, object]] = {}
    for row in rows:
        a = row["activity_id"]
        activities.setdefault(a, {"store_id": "default", "activity_hash": key_hash(a), "activity_id": a, "type": None,
                                  "name": None, "first_position": row["position"], "statements": 0})
        activities[a]["statements"] += 1  # type: ignore[operator]
        for parent in row["parent_ids"]:
            links.setdefault((a, parent), {"store_id": "default", "activity_hash": key_hash(a), "kind": "parent",
                                           "context_hash": key_hash(parent), "activity_id": a, "context_id": parent,
                                           "statements": 0})
            links[(a, parent)]["statements"] += 1  # type: ignore[operator]
    definition = check_definition({
        "roots": [ROOT], "modules": MODULES,
        "surveys": [{"activity": SURVEY, "metric": "satisfaction"}, {"activity": NPS, "metric": "nps"}],
    })
    with engine.begin() as conn:
        for chunk in range(0, n, 10_000):
            conn.execute(FACTS.sql.insert(), rows[chunk:chunk + 10_000])
        # 40 teams of the HR import; a fifth of the learners move team on 1 July.
        conn.execute(MEMBERSHIPS.sql.insert(), [
            {"store_id": "default", "agent_hash": f"{a:032x}", "team": f"team-{(a + moved) % 40}",
             "valid_from": start, "valid_to": end, "position": 1}
            for a in range(5000)
            for moved, start, end in ([(0, "", "2026-07-01"), (1, "2026-07-01", "")] if a % 5 == 0 else [(0, "", "")])
        ])
        conn.execute(ACTIVITIES.sql.insert(), list(activities.values()))
        conn.execute(LINKS.sql.insert(), list(links.values()))
        conn.execute(PROGRAMMES.sql.insert(), {"store_id": "default", "programme_id": "onboarding", "version": 1,
                                               "definition": definition, "position": 1, "recorded_at": ts})


def timed(url: str, label: str, read, runs: int = 5) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    took = []
    for _ in range(runs):
        with engine.connect() as conn:
            began = time.perf_counter()
            read(conn)
            took.append(time.perf_counter() - began)
    print(f"{label}: median {statistics.median(took) * 1000:.0f} ms (min {min(took) * 1000:.0f} ms, {runs} runs)")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 100_000
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'kpi.sqlite3'}"
        # --in-time-order: facts written in time order, as a live store writes them
        # (by default in random time order, the benchmark's first form).
        fill(url, n, in_time_order="--in-time-order" in sys.argv)
        timed(url, f"evaluation over {n:,} facts (2026-Q3)",
              lambda conn: queries.evaluation(conn, "default", "onboarding", window="2026-Q3"))
        timed(url, f"weekly series over {n:,} facts (2026)",
              lambda conn: queries.series(conn, "default", "onboarding", metrics=["active_learners", "completions"],
                                          grain="week", window="2026", explicit=None))
        timed(url, f"weekly series by team over {n:,} facts (2026-Q3)",
              lambda conn: queries.series(conn, "default", "onboarding", metrics=["active_learners", "completions"],
                                          grain="week", window="2026-Q3", explicit=None, by="team"))
        timed(url, f"funnel over {n:,} facts (2026-Q3)",
              lambda conn: queries.funnel(conn, "default", "onboarding", window="2026-Q3"))


if __name__ == "__main__":
    main()
