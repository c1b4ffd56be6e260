"""Speed of export, offline verification and import (issue: audit and data lifecycle).

    python -m bench.audit --statements 50000 [--database-url URL --target-url URL]

Fills the source database (default: a new SQLite file) with the generator's
statements through the LRS's own write path (batches of 500), then times
``export_lines`` to a file, ``verify_export`` on it, and ``import_export`` into the
target (default: another new SQLite file; both must be freshly migrated). Prints
events per second for each step.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from bench import generator
from lrs import log, statements
from lrs.audit.export import export_lines
from lrs.audit.load import import_export
from lrs.audit.offline import verify_export
from lrs.credentials import FULL_RIGHTS, create_credential, ensure_default_store
from lrs.db import make_engine
from lrs.migrate import upgrade


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--target-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lrs-audit-bench-"))
    source = make_engine(args.database_url or f"sqlite:///{folder / 'source.sqlite3'}")
    target = make_engine(args.target_url or f"sqlite:///{folder / 'target.sqlite3'}")
    upgrade(source)
    upgrade(target)
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
    started = time.perf_counter()
    with path.open("wb") as stream:
        for line in export_lines(source):
            stream.write(line)
    _report("export", total, started, f"{path.stat().st_size / 1e6:.1f} MB")

    started = time.perf_counter()
    with path.open("rb") as stream:
        verify_export(io.BufferedReader(stream, 1 << 20))
    _report("offline verify", total, started)

    started = time.perf_counter()
    import_export(target, path)
    _report("import (verify + write)", total, started)


def _report(step: str, events: int, started: float, extra: str = "") -> None:
    elapsed = time.perf_counter() - started
    print(f"{step}: {events} events in {elapsed:.2f} s = {events / elapsed:,.0f} events/s {extra}")


if __name__ == "__main__":
    main()
