"""Forwarding speed with real processes (a standalone measure, SQLite):

    python -m bench.forwarding -n 10000 --repeat 3

1. *Forwarded statements/s*: a source `lrs serve` holding ``n`` generated statements
   (bench.generator, posted in batches of 500 before any target exists) and a second,
   empty `lrs serve` as the target LRS. A target pointing at it is added through the
   admin API (``from: start``); the time until the source's status says every
   statement was delivered gives statements/s. The target's own ingest rate of the
   same statements (POSTed in batches of the forwarder's size) is measured on a
   fresh target beforehand: forwarding cannot be faster than the target stores.
   The forwarder's own speed is measured the same way against a sink that answers
   200 and stores nothing.
2. *Single POSTs with two active targets*: one statement per POST, one after
   another, on a fresh source with no target, then on one with two webhook targets
   (a local receiver answering 204 to every request) receiving every statement.
   The median of ``--repeat`` runs of each, and their ratio.

Both servers run with LRS_PROJECTIONS_IN_PROCESS=false (the API alone, as the
harness runs it) and the forwarder in process (the default). Servers are started
and stopped by their process ids; the work directory is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench.generator import TrafficGenerator
from bench.server import KEY, SECRET, Server, SqliteDatabase

V = {"X-Experience-API-Version": "1.0.3"}
API_ALONE = {"LRS_PROJECTIONS_IN_PROCESS": "false", "LRS_FORWARDING_ALLOW_PRIVATE": "true"}


@contextmanager
def _server(workdir: Path, tag: str, **env: str) -> Iterator[Server]:
    server = Server(SqliteDatabase(workdir / f"{tag}.sqlite3"), workdir, tag, {**API_ALONE, **env}).start()
    try:
        yield server
    finally:
        server.stop()


def _client() -> httpx.Client:
    return httpx.Client(auth=(KEY, SECRET), headers=V, timeout=120)


def _post_batches(http: httpx.Client, server: Server, statements: list[dict[str, Any]], size: int) -> float:
    """POST the statements in batches of ``size``; seconds taken."""
    start = time.perf_counter()
    for i in range(0, len(statements), size):
        answer = http.post(f"{server.base}/xapi/statements", json=statements[i:i + size])
        answer.raise_for_status()
    return time.perf_counter() - start


def _delivered(http: httpx.Client, server: Server, target_id: str) -> int:
    answer = http.get(f"{server.base}/admin/forwarding/{target_id}")
    answer.raise_for_status()
    return int(answer.json()["status"]["delivered"])


def forwarded_rate(workdir: Path, statements: list[dict[str, Any]], batch: int) -> dict[str, float]:
    """Statements/s forwarded from a source holding ``statements`` to an empty target."""
    n = len(statements)
    with _server(workdir, "direct") as direct, _client() as http:
        ingest = n / _post_batches(http, direct, statements, batch)
    with _server(workdir, "target") as target, \
            _server(workdir, "source", LRS_FORWARDING_BATCH=str(batch)) as source, _client() as http:
        _post_batches(http, source, statements, 500)
        start = time.perf_counter()
        answer = http.post(f"{source.base}/admin/forwarding", json={
            "id": "bench-target", "kind": "lrs", "url": f"{target.base}/xapi/",
            "auth": {"basic": [KEY, SECRET]}, "xapiVersion": "1.0.3", "from": "start"})
        answer.raise_for_status()
        while _delivered(http, source, "bench-target") < n:
            if time.perf_counter() - start > 600:
                raise RuntimeError("forwarding did not finish in 10 minutes")
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        status = http.get(f"{source.base}/admin/forwarding/bench-target").json()["status"]
        if status["lastError"] or status["rejected"]:
            raise RuntimeError(f"forwarding failed: {status}")
        source_cpu = source.stop().get("cpu_s", 0.0)
        target_cpu = target.stop().get("cpu_s", 0.0)
    return {"statements": n, "batch": batch, "forwarded_per_s": round(n / elapsed, 1),
            "seconds": round(elapsed, 2), "target_ingest_per_s": round(ingest, 1),
            "source_cpu_s": source_cpu, "target_cpu_s": target_cpu}


def forwarded_to_sink_rate(workdir: Path, statements: list[dict[str, Any]], batch: int) -> float:
    """Statements/s the forwarder sends to a sink that stores nothing: its own speed."""
    sink = _Receiver()
    try:
        with _server(workdir, "source-sink", LRS_FORWARDING_BATCH=str(batch)) as source, _client() as http:
            _post_batches(http, source, statements, 500)
            start = time.perf_counter()
            http.post(f"{source.base}/admin/forwarding", json={
                "id": "sink", "kind": "lrs", "url": f"{sink.url}/xapi/", "auth": {"bearer": "sink-token"},
                "xapiVersion": "2.0.0", "from": "start"}).raise_for_status()
            while _delivered(http, source, "sink") < len(statements):
                if time.perf_counter() - start > 600:
                    raise RuntimeError("forwarding to the sink did not finish in 10 minutes")
                time.sleep(0.05)
            return len(statements) / (time.perf_counter() - start)
    finally:
        sink.stop()


class _Receiver:
    """A receiver answering 2xx to everything (a webhook, or a sink standing in for
    an LRS that stores nothing); counts the events or statements it got."""

    def __init__(self) -> None:
        self.events = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as an LRS answers

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.events += len(body["events"] if isinstance(body, dict) else body)
                self.send_response(204 if isinstance(body, dict) else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def single_post_rate(workdir: Path, statements: list[dict[str, Any]], targets: int) -> float:
    """Single-statement POSTs per second, one after another, with ``targets`` webhooks."""
    receiver = _Receiver()
    try:
        with _server(workdir, f"single-{targets}") as source, \
                httpx.Client(auth=(KEY, SECRET), headers=V, timeout=60) as http:
            for i in range(targets):
                http.post(f"{source.base}/admin/forwarding", json={
                    "id": f"hook-{i}", "kind": "webhook", "url": receiver.url,
                    "secret": "bench-webhook-secret-0123456789"}).raise_for_status()
            for statement in statements[:20]:  # warm-up
                http.post(f"{source.base}/xapi/statements", json=statement).raise_for_status()
            start = time.perf_counter()
            for statement in statements[20:]:
                http.post(f"{source.base}/xapi/statements", json=statement).raise_for_status()
            rate = (len(statements) - 20) / (time.perf_counter() - start)
            deadline = time.monotonic() + 60
            while targets and receiver.events < targets * len(statements) and time.monotonic() < deadline:
                time.sleep(0.1)
            if receiver.events < targets * len(statements):
                raise RuntimeError(f"webhooks got {receiver.events} of {targets * len(statements)} events")
    finally:
        receiver.stop()
    return rate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.forwarding", description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="statements forwarded (default 10,000)")
    parser.add_argument("--batch", type=int, default=500, help="LRS_FORWARDING_BATCH (default 500)")
    parser.add_argument("--singles", type=int, default=300, help="single POSTs per run (default 300)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("forward", "single"), default=None)
    args = parser.parse_args(argv)
    generator = TrafficGenerator(seed=7)
    statements = generator.take(args.n)
    singles = generator.take(args.singles)
    workdir = Path(tempfile.mkdtemp(prefix="bench-forwarding-"))
    result: dict[str, Any] = {}
    try:
        if args.only in (None, "forward"):
            runs = []
            for i in range(args.repeat):
                run_dir = workdir / f"forward-{i}"
                run_dir.mkdir()
                runs.append(forwarded_rate(run_dir, statements, args.batch))
                runs[-1]["forwarded_to_sink_per_s"] = round(forwarded_to_sink_rate(run_dir, statements, args.batch), 1)
                print(json.dumps(runs[-1]), flush=True)
            result["forwarded_per_s_median"] = statistics.median(r["forwarded_per_s"] for r in runs)
            result["target_ingest_per_s_median"] = statistics.median(r["target_ingest_per_s"] for r in runs)
            result["forwarded_to_sink_per_s_median"] = statistics.median(r["forwarded_to_sink_per_s"] for r in runs)
        if args.only in (None, "single"):
            none, two = [], []
            for i in range(args.repeat):
                run_dir = workdir / f"single-{i}"
                run_dir.mkdir()
                none.append(single_post_rate(run_dir, singles, 0))
                two.append(single_post_rate(run_dir, singles, 2))
                print(json.dumps({"single_per_s_no_target": round(none[-1], 1),
                                  "single_per_s_two_targets": round(two[-1], 1)}), flush=True)
            result["single_per_s_no_target_median"] = round(statistics.median(none), 1)
            result["single_per_s_two_targets_median"] = round(statistics.median(two), 1)
            result["two_targets_over_none"] = round(statistics.median(two) / statistics.median(none), 3)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
