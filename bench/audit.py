"""Speed of export, offline verification and import (issue: audit and data lifecycle).

    python -m bench.audit --statements 50000 [--database-url URL --target-url URL] [--runs 3]

Fills the source database (default: a new SQLite file) with the generator's
statements through the LRS's own write path (batches of 500), then times
``export_lines`` to a file, ``verify_export`` on it, and ``import_export`` into the
target (default: another new SQLite file; both must be freshly migrated), each
``--runs`` times. Prints events per second for each step, wall and CPU (process
user+sys), and their medians. A PostgreSQL target is emptied between runs (its
public schema dropped and migrated again): point it at a database of its own.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, text

from bench import generator
from lrs import log, statements
from lrs.audit.export import export_lines
from lrs.audit.load import import_export
from lrs.audit.offline import verify_export
from lrs.credentials import FULL_RIGHTS, create_credential, ensure_default_store
from lrs.db import is_sqlite, make_engine
from lrs.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--target-url", default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # The store, its export and every import target: gone when the run ends.
    with tempfile.TemporaryDirectory(prefix="lrs-audit-bench-") as scratch:
        _run(args, Path(scratch))


def _run(args: argparse.Namespace, folder: Path) -> None:
    source = make_engine(args.database_url or f"sqlite:///{folder / 'source.sqlite3'}")
    upgrade(source)
    ensure_default_store(source)
    credential, _ = create_credential(source, store_id="default", scopes=FULL_RIGHTS,
                                      public_url="http://bench")
    items = generator.generate(7, args.statements)
    started = time.perf_counter()
    for start in range(0, len(items), 500):
        prepared = statements.prepare(items[start : start + 500], "1.0.3", batch=True)
        statements.write(source, credential, prepared, version="1.0.3")
    print(f"filled {len(items)} statements in {time.perf_counter() - started:.1f} s")
    total = log.verify(source).events
    path = folder / "export.jsonl"

    def export() -> None:
        with path.open("wb") as stream:
            for line in export_lines(source):
                stream.write(line)

    def verify() -> None:
        with path.open("rb") as stream:
            verify_export(io.BufferedReader(stream, 1 << 20))

    runs = {"export": [], "offline verify": [], "import (verify + write)": []}  # type: dict[str, list[tuple[float, float]]]
    for run in range(args.runs):
        runs["export"].append(_timed(export))
        runs["offline verify"].append(_timed(verify))
        target = _fresh_target(args.target_url, folder / f"target-{run}.sqlite3")
        runs["import (verify + write)"].append(_timed(partial(import_export, target, path)))
        target.dispose()
    source.dispose()
    print(f"{total} events, export {path.stat().st_size / 1e6:.1f} MB, {args.runs} runs")
    for step, timings in runs.items():
        wall = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        print(f"{step}: median wall {wall:.2f} s = {total / wall:,.0f} events/s; "
              f"median CPU {cpu:.2f} s = {total / cpu:,.0f} events/s "
              f"(walls {', '.join(f'{t[0]:.2f}' for t in timings)})")


def _timed(step: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    return time.perf_counter() - wall, time.process_time() - cpu


def _fresh_target(url: str | None, default: Path) -> Engine:
    engine = make_engine(url or f"sqlite:///{default}")
    if not is_sqlite(engine):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


if __name__ == "__main__":
    main()
