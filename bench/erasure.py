"""Time of one erasure in a filled store (issue: audit and data lifecycle).

    python -m bench.erasure --statements 20000 [--runs 3]

Fills a SQLite store with the generator's statements through the write path, then
erases the first generator learner (``lrs.erasure.erase``) --runs times, each on a
fresh copy of the filled database; prints what was erased and the median wall and
CPU (process user+sys) time. The views are not folded again (that is the
projections' cost, measured by their own benchmarks).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import generator
from lrs import erasure, statements
from lrs.credentials import FULL_RIGHTS, create_credential, ensure_default_store
from lrs.db import make_engine
from lrs.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lrs-erasure-bench-"))
    base = folder / "base.sqlite3"
    engine = make_engine(f"sqlite:///{base}")
    upgrade(engine)
    ensure_default_store(engine)
    credential, _ = create_credential(engine, store_id="default", scopes=FULL_RIGHTS,
                                      public_url="http://bench")
    items = generator.generate(7, args.statements)
    for start in range(0, len(items), 500):
        prepared = statements.prepare(items[start : start + 500], "1.0.3", batch=True)
        statements.write(engine, credential, prepared, version="1.0.3")
    engine.dispose()
    agent = items[0]["actor"]
    walls, cpus = [], []
    for run in range(args.runs):
        copy = folder / f"copy-{run}.sqlite3"
        shutil.copyfile(base, copy)
        target = make_engine(f"sqlite:///{copy}")
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = erasure.erase(target, erasure.Request("default", agent, "bench", {"operator": "bench"}),
                                b"bench-secret")
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        target.dispose()
    print(f"{args.statements} statements; erased {outcome.plan.counts()}")
    print(f"median wall {statistics.median(walls):.2f} s, median CPU {statistics.median(cpus):.2f} s "
          f"(walls {', '.join(f'{w:.2f}' for w in walls)})")


if __name__ == "__main__":
    main()
