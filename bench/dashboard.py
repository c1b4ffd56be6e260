"""How long each dashboard page takes to be usable on a large store (issue: dashboard).

    python -m bench.dashboard [--statements 100000] [--learners 1000] [--runs 5]

Fills a new SQLite store through the LRS's own write path with the generator's
statements, a competency framework aligned to its lessons (bench.competency), a
team and a programme over its most used course; starts a real ``lrs serve`` with
the views folded in process, waits until every view has caught up, then signs in
to ``/dashboard/`` in headless Chromium (Debian's package, driven by Playwright)
and opens every page in turn, ``runs`` times. A page counts as usable when its
container says ``aria-busy="false"``: every request it makes has answered and its
tables and charts are drawn. Prints the median and the slowest load per page.

Windows are chosen to cover the generated traffic (it starts on 2023-09-04), so
the social and KPI pages aggregate the whole store rather than an empty quarter.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.competency import configure
from bench.generator import TrafficGenerator
from bench.server import KEY, SECRET, Server, SqliteDatabase
from lrs import programmes, statements
from lrs.credentials import FULL_RIGHTS, create_credential, ensure_default_store
from lrs.db import make_engine
from lrs.migrate import upgrade

CHROMIUM = "/usr/bin/chromium"
PROGRAMME = "bench-programme"


def fill(db: SqliteDatabase, statements_count: int, learners: int) -> dict[str, str]:
    """The store, and the page parameters that make each page show real data."""
    engine = make_engine(db.url, lock_timeout_seconds=60)
    upgrade(engine)
    ensure_default_store(engine)
    credential, _ = create_credential(engine, store_id="default", scopes=FULL_RIGHTS, public_url="http://bench")
    gen = TrafficGenerator(1, learners)
    configure(engine, gen)
    course = gen.org.courses[0]
    programmes.define(engine, "default", PROGRAMME, {
        "name": {"en": "Bench programme"},
        "roots": [course.activity["id"]],
        "modules": [m.activity["id"] for m in course.modules],
    }, actor="bench")
    items = gen.take(statements_count)
    for start in range(0, len(items), 500):
        prepared = statements.prepare(items[start:start + 500], "1.0.3", batch=True)
        statements.write(engine, credential, prepared, version="1.0.3")
    learner = next(s["actor"] for s in items if s["actor"].get("objectType", "Agent") == "Agent"
                   and "mbox" in s["actor"])
    engine.dispose()
    agent = json.dumps({"mbox": learner["mbox"]})
    return {
        "overview": "overview?days=30",
        "progress": f"progress?agent={quote(agent)}&activity={quote(course.activity['id'])}",
        "competency": f"competency?agent={quote(agent)}&team=team-0",
        "social": "social?window=2023-09",
        "kpi": f"kpi?programme={PROGRAMME}&window=2023-Q3&year=2023",
        "me": "me",
    }


def _get(server: Server, path: str) -> Any:
    auth = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    request = urllib.request.Request(f"{server.base}{path}", headers={
        "Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def wait_for_views(server: Server, head: int, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        listed = _get(server, "/views")["views"]
        if all(v.get("position", head) >= head for v in listed):
            return time.perf_counter() - started
        time.sleep(1.0)
    raise SystemExit(f"the views did not reach position {head} in {timeout:.0f} s")


def time_pages(server: Server, routes: dict[str, str], runs: int) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Load times per page, and the error a page showed (a page that failed fast is no result)."""
    from playwright.sync_api import sync_playwright

    timings: dict[str, list[float]] = {name: [] for name in routes}
    errors: dict[str, str] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{server.base}/dashboard/")
        page.fill("#key", KEY)
        page.fill("#secret", SECRET)
        page.click("#sign-in-button")
        page.wait_for_selector("#sign-out")
        page.wait_for_selector("#page-overview[aria-busy='false']", timeout=120_000)
        order = [name for name in routes if name != "overview"] + ["overview"]
        for _ in range(runs):
            for name in order:
                started = time.perf_counter()
                page.evaluate("route => { location.hash = '#/' + route; }", routes[name])
                page.wait_for_selector(f"#page-{name}[aria-busy='false']", timeout=120_000)
                timings[name].append(time.perf_counter() - started)
                shown = page.query_selector(f"#page-{name} .message.error")
                if shown is not None:
                    errors[name] = shown.text_content() or "error"
        browser.close()
    return timings, errors


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lrs-dashboard-bench-"))
    db = SqliteDatabase(folder / "lrs.sqlite3")
    started = time.perf_counter()
    routes = fill(db, args.statements, args.learners)
    head = db.count_events()
    print(f"filled {args.statements} statements ({head} events) in {time.perf_counter() - started:.0f} s")
    server = Server(db, folder, "dashboard", {"LRS_PROJECTIONS_IN_PROCESS": "true"}).start()
    try:
        print(f"views caught up in {wait_for_views(server, head, timeout=3600):.0f} s")
        timings, errors = time_pages(server, routes, args.runs)
    finally:
        server.stop()
    for name, values in timings.items():
        print(f"{name:11s} median {statistics.median(values):6.2f} s   slowest {max(values):6.2f} s   ({len(values)} loads)"
              + (f"   ERROR: {errors[name]}" if name in errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
