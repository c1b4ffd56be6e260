"""Export and offline verification hold one batch at a time, whatever the log's size."""

from __future__ import annotations

import io
import tracemalloc

from sqlalchemy import Engine

from lrs import log
from lrs.audit.export import export_lines
from lrs.audit.offline import verify_export
from tests.db._log_helpers import new_event


def _append(engine: Engine, count: int, start: int) -> None:
    with log.writing(engine) as writer:
        writer.append("default", [
            new_event(f"s{start + i}", data={"n": start + i, "pad": "x" * 200}) for i in range(count)
        ])


def _peaks(engine: Engine) -> tuple[int, int]:
    """Peak memory of exporting (to a sink) and of verifying the export."""
    tracemalloc.start()
    size = 0
    for line in export_lines(engine, batch=100):
        size += len(line)
    exported = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    data = b"".join(export_lines(engine, batch=100))
    tracemalloc.start()
    verify_export(io.BytesIO(data))
    verified = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert size > 0
    return exported, verified


def test_memory_does_not_grow_with_the_log(engine: Engine):
    _append(engine, 500, 0)
    small = _peaks(engine)
    for part in range(6):
        _append(engine, 500, 500 * (part + 1))
    large = _peaks(engine)
    # Seven times the events: the peaks stay within a batch's worth of each other.
    assert large[0] < small[0] * 1.5 + 200_000, (small, large)
    assert large[1] < small[1] * 1.5 + 200_000, (small, large)
