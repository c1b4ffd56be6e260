"""The load generator: runs in its own process, drives one server, measures it.

Run as ``python -m bench.loadgen`` with a JSON spec on stdin; prints one JSON
result on stdout. The harness (``bench.harness``) starts it once per phase list,
so the client's interpreter never shares a GIL with the server or the harness.

Each phase has a warm-up (not measured) and a measured part, closed-loop: every
connection sends its next request as soon as the previous answer arrived. Bodies
are encoded before the measured part starts, so the client's CPU during the
measurement is network I/O and bookkeeping only. The client reads the server's
CPU time (process and children) and RSS from /proc at the edges of the measured
part, and samples RSS during it; on PostgreSQL it also reads the CPU time of the
database's backend processes.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import resource
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bench import generator
from bench.httpclient import Connection, HttpError, RequestBuilder, Response
from bench.procstats import ProcessProbe

_MORE = re.compile(rb'"more"\s*:\s*"([^"]*)"')


@dataclass(slots=True)
class Job:
    raw: bytes
    statements: int = 0
    label: str = ""
    # For queries: follow "more" up to this many pages in all.
    max_pages: int = 1
    # For statement POSTs: the ids sent (checked against the answer on a sample).
    ids: list[str] | None = None
    # For queries: the kind of query (latencies are also kept per kind).
    kind: str = ""


@dataclass
class PhaseStats:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    ok: int = 0
    statements: int = 0
    errors: int = 0
    error_samples: list[dict[str, Any]] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    queries: int = 0
    rows: int = 0
    checked: int = 0
    by_kind: dict[str, list[float]] = field(default_factory=dict)

    def error(self, label: str, status: int | str, detail: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 8:
            self.error_samples.append(
                {"request": label[:300], "status": status, "detail": detail[:500]}
            )


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def latency_ms(latencies: list[float]) -> dict[str, float | None]:
    """Percentiles, maximum and mean of latencies in seconds, in milliseconds."""
    lats = sorted(latencies)
    return {
        "p50": ms(percentile(lats, 0.50)),
        "p95": ms(percentile(lats, 0.95)),
        "p99": ms(percentile(lats, 0.99)),
        "max": ms(lats[-1] if lats else None),
        "mean": ms(sum(lats) / len(lats) if lats else None),
    }


def per_kind(by_kind: dict[str, list[float]]) -> dict[str, dict[str, Any]] | None:
    """Pages and latencies of each kind of query."""
    if not by_kind:
        return None
    out = {}
    for kind, lats in sorted(by_kind.items()):
        summary = latency_ms(lats)
        out[kind] = {"pages": len(lats), "p50_ms": summary["p50"], "p95_ms": summary["p95"],
                     "max_ms": summary["max"]}  # fmt: skip
    return out


class Driver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.host = spec.get("host", "127.0.0.1")
        self.port = int(spec["port"])
        self.builder = RequestBuilder(
            self.host, self.port, spec["key"], spec["secret"], spec.get("version", "1.0.3")
        )
        self.probe = ProcessProbe(spec.get("server_pid"), spec.get("pg_database"))
        self.timeout = float(spec.get("request_timeout", 60))

    # -- the closed loop ------------------------------------------------------

    async def drive(
        self,
        jobs: Iterator[Job],
        concurrency: int,
        max_seconds: float,
        stats: PhaseStats,
        check: Callable[[Job, Response, PhaseStats], None] | None,
    ) -> float:
        deadline = time.perf_counter() + max_seconds
        conns = [Connection(self.host, self.port, timeout=self.timeout) for _ in range(concurrency)]
        lats = stats.latencies
        perf = time.perf_counter

        async def worker(conn: Connection) -> None:
            for job in jobs:
                raw: bytes | None = job.raw
                pages = 0
                label = job.label
                while raw is not None:
                    t0 = perf()
                    try:
                        resp = await conn.send(raw)
                    except (HttpError, OSError) as exc:
                        stats.requests += 1
                        stats.error(label, "exception", str(exc))
                        conn.close()
                        break
                    took = perf() - t0
                    lats.append(took)
                    if job.kind:
                        stats.by_kind.setdefault(job.kind, []).append(took)
                    stats.requests += 1
                    pages += 1
                    key = str(resp.status)
                    stats.status_counts[key] = stats.status_counts.get(key, 0) + 1
                    if not 200 <= resp.status < 300:
                        stats.error(label, resp.status, resp.body.decode("utf-8", "replace"))
                        break
                    stats.ok += 1
                    stats.statements += job.statements
                    if check is not None:
                        check(job, resp, stats)
                    raw = None
                    if pages < job.max_pages:
                        more = _extract_more(resp.body)
                        if more:
                            stats.pages += 1
                            label = "GET " + more
                            raw = self.builder.build("GET", more)
                if job.max_pages > 1:
                    stats.queries += 1
                if perf() >= deadline:
                    return

        started = perf()
        try:
            await asyncio.gather(*(worker(c) for c in conns))
        finally:
            for c in conns:
                c.close()
        return perf() - started

    async def measured(
        self,
        name: str,
        warmup: Iterator[Job] | None,
        jobs: Iterator[Job],
        concurrency: int,
        max_seconds: float,
        check: Callable[[Job, Response, PhaseStats], None] | None = None,
        extra: dict[str, Any] | None = None,
        warmup_max_seconds: float | None = None,
        rss_every: float = 0.25,
    ) -> dict[str, Any]:
        warm = PhaseStats()
        if warmup is not None:
            await self.drive(warmup, concurrency, warmup_max_seconds or max_seconds, warm, check)
        stats = PhaseStats()
        sampler = asyncio.create_task(self.probe.sample_rss(rss_every))
        before = self.probe.snapshot()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        elapsed = await self.drive(jobs, concurrency, max_seconds, stats, check)
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        after = self.probe.snapshot()
        sampler.cancel()
        rss_samples = self.probe.take_rss_samples()
        result = summarise(name, stats, elapsed, before, after, rss_samples, concurrency)
        client_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        result["client_cpu_s"] = round(client_cpu, 4)
        # At low request rates this is mostly the kernel's loopback TCP cost.
        result["client_cpu_us_per_request"] = round(client_cpu / max(stats.requests, 1) * 1e6, 1)
        result["warmup"] = {
            "requests": warm.requests,
            "errors": warm.errors,
            "statements": warm.statements,
            "error_samples": warm.error_samples,
        }
        if extra:
            result.update(extra)
        return result


def _extract_more(body: bytes) -> str:
    # The "more" member is at one end of the object; look there before parsing.
    for part in (body[-700:], body[:700]):
        m = _MORE.search(part)
        if m:
            return m.group(1).decode().replace("\\/", "/")
    if b'"more"' not in body:
        return ""
    try:
        return orjson.loads(body).get("more") or ""
    except orjson.JSONDecodeError:
        return ""


def summarise(
    name: str,
    stats: PhaseStats,
    elapsed: float,
    before: dict[str, Any],
    after: dict[str, Any],
    rss_samples: list[int],
    concurrency: int,
) -> dict[str, Any]:
    server_cpu = after["server_cpu"] - before["server_cpu"]
    db_cpu = after["db_cpu"] - before["db_cpu"] if after.get("db_cpu") is not None else None
    reqs = max(stats.ok, 1)
    stmts = max(stats.statements, 1)

    rss_peak = max([*rss_samples, before["server_rss"], after["server_rss"]])
    return {
        "phase": name,
        "concurrency": concurrency,
        "elapsed_s": round(elapsed, 4),
        "requests": stats.requests,
        "ok": stats.ok,
        "errors": stats.errors,
        "error_samples": stats.error_samples,
        "status_counts": stats.status_counts,
        "statements": stats.statements,
        "queries": stats.queries,
        "pages_followed": stats.pages,
        "requests_per_s": round(stats.ok / elapsed, 2) if elapsed else None,
        "statements_per_s": round(stats.statements / elapsed, 2) if elapsed else None,
        "latency_ms": latency_ms(stats.latencies),
        "server_cpu_s": round(server_cpu, 4),
        "server_cpu_util": round(server_cpu / elapsed, 3) if elapsed else None,
        "server_cpu_us_per_request": round(server_cpu / reqs * 1e6, 1),
        "server_cpu_us_per_statement": round(server_cpu / stmts * 1e6, 1)
        if stats.statements
        else None,
        "db_cpu_s": round(db_cpu, 4) if db_cpu is not None else None,
        "db_cpu_us_per_request": round(db_cpu / reqs * 1e6, 1) if db_cpu is not None else None,
        "db_cpu_us_per_statement": round(db_cpu / stmts * 1e6, 1)
        if db_cpu is not None and stats.statements
        else None,
        "server_rss_start_mb": round(before["server_rss"] / 2**20, 1),
        "server_rss_end_mb": round(after["server_rss"] / 2**20, 1),
        "server_rss_peak_mb": round(rss_peak / 2**20, 1),
        "server_rss_hwm_mb": round(after["server_hwm"] / 2**20, 1)
        if after.get("server_hwm")
        else None,
        "answers_checked": stats.checked,
        "by_kind": per_kind(stats.by_kind),
    }


# ---------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------


def statement_stream(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    gen = generator.TrafficGenerator(
        int(spec["seed"]), int(spec.get("learners", generator.DEFAULT_LEARNERS))
    )
    it = iter(gen)
    for _ in range(int(spec.get("offset", 0))):
        next(it)
    return it


def post_jobs(
    builder: RequestBuilder, stream: Iterator[dict[str, Any]], batch: int, count: int
) -> list[Job]:
    jobs = []
    for _ in range(count):
        if batch == 1:
            stmt = next(stream)
            body = orjson.dumps(stmt)
            ids = [stmt["id"]]
        else:
            stmts = [next(stream) for _ in range(batch)]
            body = orjson.dumps(stmts)
            ids = [s["id"] for s in stmts]
        raw = builder.build("POST", "/xapi/statements", body)
        jobs.append(
            Job(
                raw,
                statements=len(ids),
                label=f"POST /xapi/statements ({len(ids)} statement(s), first id {ids[0]})",
                ids=ids,
            )
        )
    return jobs


def check_post(job: Job, resp: Response, stats: PhaseStats) -> None:
    # Check the ids in the answer on a sample of requests (parsing costs client CPU).
    if stats.checked >= 20 or job.ids is None:
        return
    stats.checked += 1
    try:
        answer = orjson.loads(resp.body)
    except orjson.JSONDecodeError:
        stats.error(
            job.label,
            resp.status,
            "answer is not JSON: " + resp.body[:200].decode("utf-8", "replace"),
        )
        return
    if answer != job.ids:
        stats.error(
            job.label, resp.status, f"answer ids differ from the posted ids: {str(answer)[:200]}"
        )


async def phase_post(
    d: Driver, p: dict[str, Any], stream: Iterator[dict[str, Any]]
) -> dict[str, Any]:
    batch = int(p.get("batch", 1))
    warm = post_jobs(d.builder, stream, batch, int(p.get("warmup", 0)))
    jobs = post_jobs(d.builder, stream, batch, int(p["requests"]))
    return await d.measured(
        p["name"],
        iter(warm),
        iter(jobs),
        int(p["concurrency"]),
        float(p.get("max_seconds", 60)),
        check_post,
        {"batch": batch},
    )


# Each kind of query: its weight in the mix and the filters it combines, drawn in
# this order. The load generator turns a filter into xAPI query parameters, the
# driver baseline into SQL on its indexed table: both run the same mix.
QUERY_MIX: dict[str, tuple[int, tuple[str, ...]]] = {
    "agent": (20, ("agent",)),
    "agent+verb": (10, ("agent", "verb")),
    "verb": (8, ("verb",)),
    "activity": (14, ("activity",)),
    "activity+related": (10, ("related_activity",)),
    "registration": (16, ("registration",)),
    "since/until": (10, ("window",)),
    "agent+activity+related": (6, ("agent", "related_activity")),
    "team+related_agents": (6, ("team",)),
}


def draw_query(rng: random.Random) -> tuple[str, tuple[str, ...], int]:
    """The next query of the mix: its kind, its filters and its page size."""
    kind = rng.choices(list(QUERY_MIX), [weight for weight, _ in QUERY_MIX.values()])[0]
    return kind, QUERY_MIX[kind][1], rng.choice((10, 25, 25, 50, 100))


def query_jobs(
    d: Driver, p: dict[str, Any], catalog: dict[str, Any], count: int, rng: random.Random
) -> list[Job]:
    learners = catalog["learners"]
    activities = catalog["activities"]
    contexts = catalog["context_activities"] or activities
    since_lo = datetime.fromisoformat(catalog["stored_from"].replace("Z", "+00:00"))
    since_hi = datetime.fromisoformat(catalog["stored_until"].replace("Z", "+00:00"))
    span = max((since_hi - since_lo).total_seconds(), 1.0)
    max_pages = int(p.get("max_pages", 4))

    def agent(pool: list[dict[str, Any]]) -> str:
        return "agent=" + urllib.parse.quote(orjson.dumps(rng.choice(pool)).decode(), safe="")

    def iri(name: str, pool: list[str]) -> str:
        return f"{name}=" + urllib.parse.quote(rng.choice(pool), safe="")

    def window() -> list[str]:
        start = since_lo + timedelta(seconds=rng.uniform(0, span * 0.9))
        end = start + timedelta(seconds=rng.uniform(span * 0.01, span * 0.1))
        return [
            f"{name}=" + urllib.parse.quote(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), safe="")
            for name, t in (("since", start), ("until", end))
        ]

    params_of: dict[str, Callable[[], list[str]]] = {
        "agent": lambda: [agent(learners)],
        "verb": lambda: [iri("verb", catalog["verbs"])],
        "activity": lambda: [iri("activity", activities)],
        "related_activity": lambda: [iri("activity", contexts), "related_activities=true"],
        "registration": lambda: ["registration=" + rng.choice(catalog["registrations"])],
        "window": window,
        "team": lambda: [agent(catalog.get("teams") or learners), "related_agents=true"],
    }
    jobs = []
    for _ in range(count):
        kind, filters, limit = draw_query(rng)
        params = [param for f in filters for param in params_of[f]()]
        if rng.random() < 0.1:
            params.append("ascending=true")
        params.append(f"limit={limit}")
        path = "/xapi/statements?" + "&".join(params)
        jobs.append(
            Job(
                d.builder.build("GET", path),
                label=f"GET {path} [{kind}]",
                max_pages=max_pages,
                kind=kind,
            )
        )
    return jobs


def check_query(job: Job, resp: Response, stats: PhaseStats) -> None:
    if stats.checked >= 30:
        return
    stats.checked += 1
    try:
        answer = orjson.loads(resp.body)
        assert isinstance(answer.get("statements"), list)
        assert isinstance(answer.get("more", ""), str)
        stats.rows += len(answer["statements"])
    except (orjson.JSONDecodeError, AssertionError, AttributeError):
        stats.error(
            job.label,
            resp.status,
            "not a StatementResult: " + resp.body[:200].decode("utf-8", "replace"),
        )


async def phase_query(d: Driver, p: dict[str, Any]) -> dict[str, Any]:
    with open(p["catalog"], "rb") as fh:
        catalog = orjson.loads(fh.read())
    rng = random.Random(f"queries:{p.get('seed', 0)}:{p['name']}")
    warm = query_jobs(d, p, catalog, int(p.get("warmup", 0)), rng)
    jobs = query_jobs(d, p, catalog, int(p["requests"]), rng)
    return await d.measured(
        p["name"],
        iter(warm),
        iter(jobs),
        int(p["concurrency"]),
        float(p.get("max_seconds", 60)),
        check_query,
        {"max_pages": int(p.get("max_pages", 4))},
    )


def state_keys(n: int, seed: int, learners: int) -> list[tuple[str, str, str, str]]:
    org = generator.Organisation(seed, learners)
    rng = random.Random(f"state:{seed}")
    lessons = [
        lesson.activity["id"] for c in org.courses for m in c.modules for lesson in m.lessons
    ]
    keys = []
    for i in range(n):
        person = org.learners[rng.randrange(len(org.learners))]
        ifi = generator._ifi(person.agent)
        keys.append(
            (
                rng.choice(lessons),
                orjson.dumps(ifi).decode(),
                rng.choice(
                    ("suspend_data", "bookmark", "LMS.LaunchData", "cmi5LearnerPreferences")
                ),
                str(generator.uuid.UUID(int=rng.getrandbits(128), version=4)) if i % 4 else "",
            )
        )
    return keys


def state_path(key: tuple[str, str, str, str]) -> str:
    activity, agent, state_id, registration = key
    q = (
        f"activityId={urllib.parse.quote(activity, safe='')}"
        f"&agent={urllib.parse.quote(agent, safe='')}"
        f"&stateId={urllib.parse.quote(state_id, safe='')}"
    )
    if registration:
        q += f"&registration={registration}"
    return "/xapi/activities/state?" + q


async def phase_state(d: Driver, p: dict[str, Any]) -> dict[str, Any]:
    seed = int(p.get("seed", 0))
    keys = state_keys(
        int(p.get("keys", 1000)), seed, int(p.get("learners", generator.DEFAULT_LEARNERS))
    )
    rng = random.Random(f"state-docs:{seed}")

    def put(key: tuple[str, str, str, str]) -> Job:
        doc = orjson.dumps(generator.state_document(rng, key[0]))
        path = state_path(key)
        return Job(d.builder.build("PUT", path, doc), label=f"PUT {path}")

    warm = [put(k) for k in keys]  # every document exists before GETs start
    jobs = []
    for _ in range(int(p["requests"])):
        key = rng.choice(keys)
        if rng.random() < 0.5:
            jobs.append(put(key))
        else:
            path = state_path(key)
            jobs.append(Job(d.builder.build("GET", path), label=f"GET {path}"))
    # The warm-up PUTs every document (GETs must find them): it is not time-capped.
    result = await d.measured(
        p["name"],
        iter(warm),
        iter(jobs),
        int(p["concurrency"]),
        float(p.get("max_seconds", 60)),
        None,
        {"keys": len(keys)},
        warmup_max_seconds=3600,
    )
    if result["warmup"]["requests"] < len(warm):
        result["errors"] += 1
        result["error_samples"].insert(
            0,
            {
                "request": "warm-up PUTs",
                "status": "incomplete",
                "detail": f"{result['warmup']['requests']} of {len(warm)} documents written",
            },
        )
    return result


async def phase_preload(d: Driver, p: dict[str, Any]) -> dict[str, Any]:
    """Fill the store quickly (batches over HTTP) and write the query catalog."""
    gen = generator.TrafficGenerator(
        int(p["seed"]), int(p.get("learners", generator.DEFAULT_LEARNERS))
    )
    it = iter(gen)
    total = int(p["statements"])
    batch = int(p.get("batch", 1000))

    def jobs() -> Iterator[Job]:
        # Encoded as they are sent: a million statements' bodies do not fit in memory.
        for sent in range(0, total, batch):
            stmts = [next(it) for _ in range(min(batch, total - sent))]
            yield Job(
                d.builder.build("POST", "/xapi/statements", orjson.dumps(stmts)),
                statements=len(stmts),
                label=f"POST /xapi/statements (preload batch of {len(stmts)})",
            )

    stored_from = datetime.now(UTC)
    result = await d.measured(
        p["name"], None, jobs(), int(p.get("concurrency", 2)),
        float(p.get("max_seconds", 3600)), extra={"batch": batch}, rss_every=1.0,
    )  # fmt: skip
    catalog = gen.catalog(int(p.get("catalog_sample", 500))).as_dict()
    catalog["stored_from"] = stored_from.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    catalog["stored_until"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    catalog["statements"] = result["statements"]
    with open(p["catalog"], "wb") as fh:
        fh.write(orjson.dumps(catalog))
    return result


PHASES = {"query": phase_query, "state": phase_state, "preload": phase_preload}


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    d = Driver(spec)
    results = []
    # POST phases of one run continue one statement stream: each sends new statements.
    stream = None
    for phase in spec["phases"]:
        p = {"seed": spec["seed"], "learners": spec["learners"], **phase}
        if p["kind"] == "post":
            stream = stream or statement_stream(p)
            results.append(await phase_post(d, p, stream))
        else:
            results.append(await PHASES[p["kind"]](d, p))
    return {"phases": results}


def main() -> int:
    spec = json.load(sys.stdin)
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover - uvloop is a server dependency
        runner = asyncio.Runner()
    with runner:
        result = runner.run(run(spec))
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
