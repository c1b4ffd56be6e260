"""Concurrent writers: threads and real OS processes (both backends).

Writers are serialised by the log's lock, so whatever the interleaving: every
event is stored exactly once, positions run 1..n, each transaction's events are
contiguous, recorded_at strictly increases from one event to the next, and the
chains verify.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from lrs import log
from lrs.db import make_engine
from lrs.errors import Unavailable

from ._log_helpers import (
    all_events,
    assert_concurrent_outcome,
    assert_verifies,
    new_event,
    process_worker,
    run_worker,
    writer_switches,
)

WORKERS = 8
TRANSACTIONS = 25


def test_concurrent_writer_threads(engine: Engine) -> None:
    start = threading.Barrier(WORKERS)

    def work(worker: int) -> list[tuple[list[str], list[int]]]:
        start.wait(timeout=60)
        return run_worker(engine, worker, TRANSACTIONS)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {w: pool.submit(work, w) for w in range(WORKERS)}
        results = {w: f.result(timeout=300) for w, f in futures.items()}

    rows = all_events(engine)
    assert_concurrent_outcome(rows, results, WORKERS, TRANSACTIONS)
    assert_verifies(engine, rows)
    assert writer_switches(rows) >= 2 * WORKERS, "the writers never overlapped"


def test_concurrent_writer_processes(db_url: str, engine: Engine) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WORKERS + 1)
    results_queue = ctx.Queue()
    children = [
        ctx.Process(
            target=process_worker,
            args=(db_url, w, TRANSACTIONS, start, results_queue),
            name=f"log-writer-{w}",
        )
        for w in range(WORKERS)
    ]
    for child in children:
        child.start()
    try:
        start.wait(timeout=120)
        results: dict[int, list[tuple[list[str], list[int]]]] = {}
        errors: list[str] = []
        for _ in range(WORKERS):
            try:
                status, worker, payload = results_queue.get(timeout=300)
            except queue.Empty:
                pytest.fail("a writer process did not report back")
            if status == "ok":
                results[worker] = payload
            else:
                errors.append(f"worker {worker}:\n{payload}")
        assert not errors, "\n".join(errors)
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.terminate()
                child.join()
    assert all(child.exitcode == 0 for child in children)

    rows = all_events(engine)
    assert_concurrent_outcome(rows, results, WORKERS, TRANSACTIONS)
    assert_verifies(engine, rows)
    assert writer_switches(rows) >= 2 * WORKERS, "the writer processes never overlapped"


def test_a_second_writer_waits_for_the_lock_and_gives_up_with_unavailable(
    db_url: str, engine: Engine
) -> None:
    impatient = make_engine(db_url, lock_timeout_seconds=0.5)
    try:
        with log.writing(engine) as writer:
            writer.append("a", [new_event("s", "first")])
            began = time.monotonic()
            with (
                pytest.raises(Unavailable),
                log.writing(impatient, lock_timeout_seconds=0.5) as other,
            ):
                other.append("a", [new_event("s", "second")])
            assert time.monotonic() - began >= 0.4, "the second writer did not wait"
        # The lock is free again: the second writer goes right after the first.
        with log.writing(impatient, lock_timeout_seconds=0.5) as other:
            (event,) = other.append("a", [new_event("s", "second")])
        assert event.position == 2
    finally:
        impatient.dispose()
    assert [e.event_id for e in all_events(engine)] == ["first", "second"]


def test_readers_see_only_committed_events_and_never_block_on_a_writer(engine: Engine) -> None:
    with log.writing(engine) as writer:
        writer.append("a", [new_event("s", "e1")])
    with log.writing(engine) as writer:
        writer.append("a", [new_event("s", "e2"), new_event("s", "e3")])
        with engine.connect() as reader:
            assert [e.event_id for e in log.read_forward(reader)] == ["e1"]
            assert log.head(reader)[0] == 1
    with engine.connect() as reader:
        assert [e.event_id for e in log.read_forward(reader)] == ["e1", "e2", "e3"]
