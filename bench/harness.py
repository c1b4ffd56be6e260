"""Runs the scenarios of a profile on each backend, K times, and keeps the medians."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.profiles import PROFILES, SEED
from bench.server import (
    DEFAULT_PG_ADMIN,
    KEY,
    SECRET,
    Database,
    PostgresDatabase,
    PostgresServer,
    Server,
    ServerError,
    SqliteDatabase,
    lrs_command,
    postgres_reachable,
    run_lrs,
)

BENCH_DIR = Path(__file__).resolve().parent
# The measured server is the API alone, as deployed with a separate projector
# (`lrs projections run`); projection throughput is its own scenario (commands).
# The `embedded` scenario measures the default `lrs serve` instead: every view and
# the forwarder folded in the server process, as a laptop or a small site runs it.
NO_PROJECTIONS = {"LRS_PROJECTIONS_IN_PROCESS": "false"}
EMBEDDED: dict[str, str] = {}


def post_phase(
    name: str,
    batch: int,
    concurrency: int,
    warmup: int,
    requests: int,
    max_seconds: float,
    offset: int = 0,
) -> dict[str, Any]:
    """A load generator phase of statement POSTs, ``batch`` statements per request."""
    return {
        "kind": "post", "name": name, "concurrency": concurrency, "batch": batch,
        "warmup": warmup, "requests": requests, "max_seconds": max_seconds, "offset": offset,
    }  # fmt: skip


def run_module(module: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """``python -m MODULE`` in its own process (its own GIL): the spec as JSON on
    stdin, the result as JSON on stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", module],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=BENCH_DIR.parent,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} failed ({proc.returncode}):\n" + proc.stderr[-3000:])
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Options:
    profile: str = "quick"
    backend: str = "both"
    repeat: int = 1
    check: bool = False
    million: bool = False
    pg_url: str = DEFAULT_PG_ADMIN
    only: list[str] = field(default_factory=list)
    # Statements in the preloaded store (the profile's size when None).
    stored: int | None = None
    keep: bool = False
    results_dir: Path = BENCH_DIR / "results"
    markdown: Path | None = BENCH_DIR / "RESULTS.md"


class Harness:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.profile = copy.deepcopy(PROFILES[opts.profile])
        if opts.stored:
            self.profile["stored"]["statements"] = opts.stored
        self.workdir = Path(tempfile.mkdtemp(prefix="lrs-bench-"))
        self.pg: PostgresServer | None = None
        self.notes: list[str] = []
        self.crashes: list[dict[str, Any]] = []
        self.counter = 0
        self.masters: dict[tuple[str, str], tuple[Database, str, dict[str, Any]] | None] = {}
        self.startup_cost: float | None = None

    # -- plumbing --------------------------------------------------------------

    def wants(self, scenario: str) -> bool:
        return not self.opts.only or scenario in self.opts.only

    def drop(self, db: Database) -> None:
        if not self.opts.keep:
            db.drop()

    def new_db(self, backend: str, tag: str, copy_of: Database | None = None) -> Database:
        """A new database, empty or a copy of ``copy_of``."""
        self.counter += 1
        if backend == "sqlite":
            path = self.workdir / f"{self.counter:02d}-{tag}.sqlite3"
            return copy_of.copy_to(path) if isinstance(copy_of, SqliteDatabase) else SqliteDatabase(path)
        assert self.pg is not None
        template = copy_of.db_name if isinstance(copy_of, PostgresDatabase) else None
        return self.pg.create(f"bench_{os.getpid()}_{self.counter:02d}_{tag}"[:63], template)

    def loadgen(
        self,
        server: Server,
        db: Database,
        phases: list[dict[str, Any]],
        learners: int | None = None,
    ) -> dict[str, Any]:
        spec = {
            "host": "127.0.0.1",
            "port": server.port,
            "key": KEY,
            "secret": SECRET,
            "server_pid": server.pid,
            "pg_database": db.pg_database,
            "seed": SEED,
            "learners": learners or self.profile["learners"],
            "phases": phases,
        }
        timeout = sum(float(p.get("max_seconds", 60)) * 2 + 60 for p in phases)
        return run_module("bench.loadgen", spec, timeout)

    def scenario(
        self,
        backend: str,
        name: str,
        db: Database,
        phases: list[dict[str, Any]],
        learners: int | None = None,
        env: dict[str, str] = NO_PROJECTIONS,
    ) -> list[dict[str, Any]]:
        """Start a server on ``db``, run the phases, stop it; one record per phase."""
        log(f"{backend}: {name} ({', '.join(p['name'] for p in phases)})")
        server = Server(db, self.workdir, f"{backend}-{name}-{self.counter}", env)
        base = {"backend": backend, "scenario": name}
        try:
            server.start()
        except ServerError as exc:
            self.crash(backend, name, "server did not start", str(exc))
            return [{**base, "phase": p["name"], "crash": "server did not start"} for p in phases]
        if isinstance(db, SqliteDatabase):
            db.checkpoint("PASSIVE")
            size0 = db.path.stat().st_size
        else:
            size0 = db.size_bytes()
        result: dict[str, Any] | None = None
        failure = ""
        try:
            result = self.loadgen(server, db, phases, learners)
        except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            failure = str(exc)
        finally:
            alive = server.alive()
            final = server.stop()
        wal = db.wal_bytes() if isinstance(db, SqliteDatabase) else None
        size1 = db.size_bytes()
        if not alive:
            self.crash(backend, name, "server died during the run", server.log_tail())
        if failure:
            self.crash(backend, name, "load generator failed", failure + "\n" + server.log_tail())
        records = []
        stored = 0
        for p in result["phases"] if result else []:
            stored += int(p.get("statements") or 0) + int(
                p.get("warmup", {}).get("statements") or 0
            )
        for spec_phase, p in zip(phases, result["phases"] if result else [], strict=False):
            rec = {**base, **p}
            if spec_phase.get("scenario"):
                rec["scenario"] = spec_phase["scenario"]
            rec["server_startup_s"] = round(server.startup_s, 3)
            rec["server_peak_rss_mb"] = final.get("peak_rss_mb")
            rec["db_size_bytes"] = size1
            rec["db_growth_bytes"] = size1 - size0
            if wal is not None:
                rec["sqlite_wal_bytes_at_stop"] = wal
            rec["store_statements"] = stored
            if stored:
                rec["bytes_per_statement"] = round((size1 - size0) / stored, 1)
            if not alive:
                rec["crash"] = "server died"
            if rec.get("errors"):
                tail = server.log_tail(60)
                rec["server_log_tail"] = tail[-4000:]
            records.append(rec)
        if not result:
            records = [
                {**base, "phase": p["name"], "crash": failure[:500] or "no result"} for p in phases
            ]
        return records

    def crash(self, backend: str, scenario: str, what: str, detail: str) -> None:
        log(f"{backend}: {scenario}: {what}")
        self.crashes.append(
            {"backend": backend, "scenario": scenario, "what": what, "detail": detail[-4000:]}
        )

    # -- scenarios ---------------------------------------------------------------

    def run_fresh(
        self, backend: str, scenario: str, phases: list[dict[str, Any]],
        env: dict[str, str] = NO_PROJECTIONS,
    ) -> list[dict[str, Any]]:
        """The phases on new databases: one per phase (full profile) or one for all."""
        out: list[dict[str, Any]] = []
        groups = [[p] for p in phases] if self.profile["fresh_per_phase"] else [phases]
        for group in groups:
            db = self.new_db(backend, group[0]["name"] if len(group) == 1 else scenario)
            out += self.scenario(backend, scenario, db, group, env=env)
            self.drop(db)
        return out

    def run_single(self, backend: str) -> list[dict[str, Any]]:
        cfg = self.profile["single"]
        phases = [
            post_phase(f"single_c{c}", 1, c, cfg["warmup"], cfg["requests"][c], cfg["max_seconds"])
            for c in cfg["concurrencies"]
        ]
        return self.run_fresh(backend, "single_post", phases)

    def run_embedded(self, backend: str) -> list[dict[str, Any]]:
        """Single POSTs at the highest concurrency and 100-statement batches against
        the default `lrs serve` (views and forwarder in process)."""
        single, batch = self.profile["single"], self.profile["batch100"]
        c = 16 if 16 in single["concurrencies"] else max(single["concurrencies"])
        # Phase names of their own: the targets read the API-alone phases only.
        phases = [
            post_phase(f"embedded_single_c{c}", 1, c, single["warmup"], single["requests"][c],
                       single["max_seconds"]),
            post_phase(f"embedded_batch100_c{batch['concurrency']}", 100, batch["concurrency"],
                       batch["warmup"], batch["requests"], batch["max_seconds"]),
        ]
        return self.run_fresh(backend, "embedded", phases, env=EMBEDDED)

    def run_scaling(self, backend: str) -> list[dict[str, Any]]:
        """Single POSTs at c16 and 100-statement batches at c4 against `lrs serve
        --workers N` for each N of the profile (PostgreSQL: SQLite refuses N > 1).
        Server and database CPU per statement are both measured, so the rate per
        core of each can be projected to a bigger machine."""
        if backend != "postgresql":
            return []
        single, batch = self.profile["single"], self.profile["batch100"]
        out: list[dict[str, Any]] = []
        for n in self.profile["scaling"]["workers"]:
            phases = [
                post_phase(f"w{n}_single_c16", 1, 16, single["warmup"], single["requests"][16],
                           single["max_seconds"]),
                post_phase(f"w{n}_batch100_c{batch['concurrency']}", 100, batch["concurrency"],
                           batch["warmup"], batch["requests"], batch["max_seconds"]),
            ]
            out += self.run_fresh(backend, "scaling", phases,
                                  env={**NO_PROJECTIONS, "LRS_WORKERS": str(n)})
        return out

    def run_batches(self, backend: str) -> list[dict[str, Any]]:
        phases = []
        for key, size in (("batch100", 100), ("batch1000", 1000)):
            cfg = self.profile[key]
            c = cfg["concurrency"]
            phases.append(
                post_phase(f"{key}_c{c}", size, c, cfg["warmup"], cfg["requests"], cfg["max_seconds"])
            )
        return self.run_fresh(backend, "batch_post", phases)

    def query_phase(self, n: int, catalog: str, rep: int) -> dict[str, Any]:
        q = self.profile["query"]
        return {
            "kind": "query",
            "name": f"query_mix_{n}",
            "catalog": catalog,
            "scenario": "query_mix",
            "concurrency": q["concurrency"],
            "warmup": q["warmup"],
            "requests": q["queries"],
            "max_pages": q["max_pages"],
            "max_seconds": q["max_seconds"],
            "seed": SEED + rep,
        }

    def preloaded(
        self, backend: str, which: str
    ) -> tuple[Database, str, list[dict[str, Any]]] | None:
        """The master store of ``which`` ('stored' or 'million'), preloaded once per run.

        The preload runs with in-process projections off, so the master's
        projections stand at zero: catch-up and rebuild are measured from there,
        and no server later folds a backlog while it is being measured.
        Returns the records of the preload the first time, none later.
        """
        key = (backend, which)
        if key in self.masters:
            master = self.masters[key]
            return None if master is None else (master[0], master[1], [])
        cfg = self.profile[which]
        db = self.new_db(backend, which)
        catalog = str(self.workdir / f"catalog-{backend}-{which}.json")
        learners = cfg.get("learners", self.profile["learners"])
        phases = [
            {
                "kind": "preload",
                "name": f"preload_{cfg['statements']}",
                "scenario": "preload",
                "statements": cfg["statements"],
                "batch": cfg["batch"],
                "concurrency": cfg["concurrency"],
                "catalog": catalog,
                "max_seconds": 3600,
            }
        ]
        records = self.scenario(backend, f"preload_{which}", db, phases, learners)
        rec = records[0]
        if rec.get("crash") or rec.get("errors") or not Path(catalog).exists():
            self.masters[key] = None
            self.notes.append(
                f"{backend}: the preload of {cfg['statements']} statements "
                "failed; the scenarios on that store were skipped"
            )
            return None
        self.masters[key] = (db, catalog, rec)
        return db, catalog, records

    def run_stored(self, backend: str, rep: int) -> list[dict[str, Any]]:
        """Scenarios on the preloaded store, each repeat on a fresh copy of it:
        `lrs verify`, projection catch-up from zero and rebuild (which leave the
        copy's projections caught up), then one server session with the query mix
        and ingestion with the store full."""
        out: list[dict[str, Any]] = []
        master = self.preloaded(backend, "stored")
        if master is None:
            return out
        db, catalog, records = master
        out += records
        n = self.profile["stored"]["statements"]
        work = self.new_db(backend, "work", copy_of=db)
        try:
            if self.wants("commands") and self.profile["commands"]:
                out += self.run_commands(backend, work, n)
            else:
                run_lrs(work, ["projections", "run", "--once"], self.workdir, "catch-up-quiet")
            phases: list[dict[str, Any]] = []
            if self.wants("query"):
                phases.append(self.query_phase(n, catalog, rep))
            if self.wants("stored_ingest"):
                cfg = self.profile["stored_ingest"]
                # New statements only: the single POSTs start after the preloaded
                # ones, and the batches follow them in the same stream.
                for key, size, offset in (("single", 1, n), ("batch100", 100, 0)):
                    c = cfg[key]["concurrency"]
                    name = f"{key}_c{c}_at_{n}"
                    phase = post_phase(
                        name, size, c, cfg[key]["warmup"], cfg[key]["requests"],
                        cfg["max_seconds"], offset,
                    )  # fmt: skip
                    phases.append({**phase, "scenario": "stored_ingest"})
            if phases:
                out += self.scenario(backend, "stored", work, phases)
        finally:
            self.drop(work)
        return out

    def run_million(self, backend: str, rep: int) -> list[dict[str, Any]]:
        """The 1,000,000-statement store: query mix (servers without in-process
        projections, so that none folds a million-event backlog meanwhile) and
        `lrs verify`, on the master itself (both read only)."""
        cfg = self.profile.get("million")
        if not cfg:
            return []
        out: list[dict[str, Any]] = []
        master = self.preloaded(backend, "million")
        if master is None:
            return out
        db, catalog, records = master
        out += records
        phase = self.query_phase(cfg["statements"], catalog, rep)
        out += self.scenario(backend, "query_mix", db, [phase], cfg.get("learners"))
        if rep == 0 and self.profile["commands"]:
            out += self.run_commands(backend, db, cfg["statements"], projections=False)
        return out

    def run_state(self, backend: str) -> list[dict[str, Any]]:
        cfg = self.profile["state"]
        phase = {"kind": "state", "name": f"state_c{cfg['concurrency']}", **cfg}
        return self.run_fresh(backend, "state_docs", [phase])

    # -- lrs verify / projections --------------------------------------------------

    def _startup(self) -> float:
        """Seconds an ``lrs`` command needs to start (subtracted for a net rate)."""
        if self.startup_cost is None:
            # `lrs verify` over an empty, migrated log: imports, engine, one query.
            empty = SqliteDatabase(self.workdir / "startup-probe.sqlite3")
            run_lrs(empty, ["migrate"], self.workdir, "startup-migrate")
            walls = [
                run_lrs(empty, ["verify"], self.workdir, "startup-verify")["wall_s"]
                for _ in range(2)
            ]
            empty.drop()
            self.startup_cost = min(walls)
        return self.startup_cost

    def command_record(
        self,
        backend: str,
        scenario: str,
        phase: str,
        res: dict[str, Any],
        events: int | None,
        ok_pattern: str | None = None,
    ) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "backend": backend,
            "scenario": scenario,
            "phase": phase,
            "command": "lrs " + " ".join(res["args"]),
            "returncode": res["returncode"],
            "wall_s": res["wall_s"],
            "cpu_s": res["cpu_s"],
            "peak_rss_mb": res["peak_rss_mb"],
            "events": events,
            "errors": 0,
        }
        if res["returncode"] != 0 or (ok_pattern and not re.search(ok_pattern, res["output"])):
            rec["errors"] = 1
            rec["error_samples"] = [
                {
                    "request": rec["command"],
                    "status": res["returncode"],
                    "detail": res["output"][-1500:],
                }
            ]
        if not events:
            return rec
        rec["events_per_s"] = round(events / res["wall_s"], 1)
        if res["cpu_s"] is not None:
            rec["cpu_us_per_event"] = round(res["cpu_s"] / events * 1e6, 1)
        if self.profile.get("startup_probe", True):
            startup = self._startup()
            net = res["wall_s"] - startup
            # Too short a run to separate the work from the start-up: no net figure.
            rec["events_per_s_net"] = round(events / net, 1) if net >= 0.1 else None
            rec["startup_s"] = round(startup, 3)
        return rec

    def run_commands(
        self, backend: str, db: Database, stored: int, projections: bool = True
    ) -> list[dict[str, Any]]:
        """`lrs verify`; then every registered projection from position 0, all together
        (`lrs projections run --once`: the store was preloaded without in-process
        projections) and each alone (`lrs projections rebuild NAME`). ``db`` is a
        working copy: it is left with its projections caught up."""
        log(f"{backend}: lrs verify")
        res = run_lrs(db, ["verify"], self.workdir, f"{backend}-verify-{stored}")
        m = re.search(r"log intact: (\d+) events", res["output"])
        events = int(m.group(1)) if m else db.count_events()
        out = [self.command_record(backend, "verify", f"verify_{stored}", res, events, "log intact")]
        if not projections:
            return out
        status = self.projection_status(db)
        if status is None:
            return out
        names = [p["name"] for p in status]
        backlog = max((p["lag"] for p in status), default=None)
        log(f"{backend}: lrs projections run --once ({', '.join(names)}; backlog {backlog} events)")
        res = run_lrs(db, ["projections", "run", "--once"], self.workdir, f"{backend}-proj-run")
        rec = self.command_record(
            backend, "projections", f"catch_up_{stored}", res,
            backlog if backlog is not None else events,
        )  # fmt: skip
        # Text, not a list: lists of repeats are concatenated when they are merged.
        out.append({**rec, "backlog_before": backlog, "projections": ", ".join(names)})
        for name in names:
            log(f"{backend}: lrs projections rebuild {name}")
            args = ["projections", "rebuild", name]
            res = run_lrs(db, args, self.workdir, f"{backend}-proj-rebuild-{name}")
            out.append(
                self.command_record(backend, "projections", f"rebuild_{name}_{stored}", res, events)
            )
        return out

    def projection_status(self, db: Database) -> list[dict[str, Any]] | None:
        """`lrs projections status --json`: each registered projection's name and lag."""
        res = run_lrs(db, ["projections", "status", "--json"], self.workdir, "proj-status", 120)
        # stdout is one JSON line; anything the command logged comes before it.
        lines = [line for line in res["output"].splitlines() if line.startswith("[")]
        try:
            if res["returncode"] == 0 and lines:
                return list(json.loads(lines[-1]))
        except ValueError:
            pass
        what = "`lrs projections status --json` failed"
        self.crash(db.backend, "projections", what, res["output"])
        return None

    # -- baseline -----------------------------------------------------------------

    def run_baseline(self, backend: str) -> dict[str, Any]:
        cfg = self.profile["baseline"]
        log(f"{backend}: direct-driver baseline")
        db = self.new_db(backend, "baseline")
        spec: dict[str, Any] = {
            "backend": backend,
            "seed": SEED,
            "learners": self.profile["learners"],
            "insert": {"modes": cfg["insert"]},
            "scan": True,
            "query": cfg["query"],
            "state": cfg["state"],
        }
        if isinstance(db, SqliteDatabase):
            spec["target"] = str(db.path)
        else:
            assert isinstance(db, PostgresDatabase) and self.pg is not None
            spec["target"] = db.driver_url
            spec["pg_database"] = db.db_name
            spec["admin"] = self.pg.admin_url
        try:
            return run_module("bench.baseline", spec, 900)
        except RuntimeError as exc:
            self.notes.append(f"{backend}: baseline failed: {str(exc)[-500:]}")
            return {}
        finally:
            self.drop(db)

    # -- a whole run ----------------------------------------------------------------

    def backends(self) -> list[str]:
        wanted = ["sqlite", "postgresql"] if self.opts.backend == "both" else [self.opts.backend]
        out = []
        for b in wanted:
            if b == "postgresql":
                self.pg, why = postgres_reachable(self.opts.pg_url)
                if self.pg is None:
                    note = f"PostgreSQL skipped: {why}"
                    self.notes.append(note)
                    log(note)
                    if self.opts.backend == "postgresql":
                        self.crashes.append(
                            {"backend": b, "scenario": "-", "what": note, "detail": ""}
                        )
                    continue
            out.append(b)
        return out

    def run(self) -> dict[str, Any]:
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        machine = report.machine_info()
        backends = self.backends()
        if self.pg is not None:
            machine["postgresql"] = self.pg.version()
            machine["postgresql_settings"] = self.pg.settings()
        repeats: list[dict[str, Any]] = []
        try:
            for rep in range(self.opts.repeat):
                records: list[dict[str, Any]] = []
                baselines: dict[str, Any] = {}
                for backend in backends:
                    log(f"repeat {rep + 1}/{self.opts.repeat}: {backend}")
                    if self.wants("baseline"):
                        baselines[backend] = self.run_baseline(backend)
                    if self.wants("single"):
                        records += self.run_single(backend)
                    if self.wants("batch"):
                        records += self.run_batches(backend)
                    if self.wants("embedded"):
                        records += self.run_embedded(backend)
                    if self.wants("scaling"):
                        records += self.run_scaling(backend)
                    if self.wants("state"):
                        records += self.run_state(backend)
                    if any(self.wants(s) for s in ("query", "stored_ingest", "commands")):
                        records += self.run_stored(backend, rep)
                    if self.opts.million and self.wants("million"):
                        records += self.run_million(backend, rep)
                repeats.append({"records": records, "baseline": baselines})
        finally:
            self.cleanup()
        summary = merge_repeats(repeats)
        result = {
            "profile": self.opts.profile,
            "options": {
                "backend": self.opts.backend,
                "repeat": self.opts.repeat,
                "million": self.opts.million,
                "only": self.opts.only,
                "stored": self.profile["stored"]["statements"],
            },
            "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_s": round(time.perf_counter() - t0, 1),
            "machine": machine,
            "lrs_command": " ".join(lrs_command()),
            "notes": self.notes,
            "crashes": self.crashes,
            "summary": summary,
            "repeats": repeats,
        }
        result["targets"] = report.evaluate_targets(result)
        result["errors_total"] = count_errors(result)
        return result

    def cleanup(self) -> None:
        if not self.opts.keep:
            for master in self.masters.values():
                if master:
                    with contextlib.suppress(Exception):
                        master[0].drop()
        if self.pg is not None:
            if self.opts.keep:
                self.pg.created.clear()  # `python -m bench clean` drops them later
            self.pg.close()
        if not self.opts.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        else:
            log(f"kept {self.workdir}")


# ---------------------------------------------------------------------------
# Medians over repeats
# ---------------------------------------------------------------------------

SUMMED = {"errors"}


def _merge_values(values: list[Any], key: str = "") -> Any:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, bool) for v in present):
        return any(present) if key in ("crash",) else present[0]
    if all(isinstance(v, (int, float)) for v in present):
        if key in SUMMED:
            return sum(present)
        med = statistics.median(present)
        return round(med, 4) if isinstance(med, float) else med
    if all(isinstance(v, dict) for v in present):
        keys: list[str] = []
        for v in present:
            keys += [k for k in v if k not in keys]
        return {k: _merge_values([v.get(k) for v in present], k) for k in keys}
    if all(isinstance(v, list) for v in present):
        merged: list[Any] = []
        for v in present:
            merged += v
        return merged[:8]
    return present[-1]


def merge_repeats(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    order: list[tuple[str, str, str]] = []
    for rep in repeats:
        for rec in rep["records"]:
            key = (rec["backend"], rec["scenario"], rec["phase"])
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(rec)
    records = []
    for key in order:
        merged = _merge_values(groups[key])
        merged["runs"] = len(groups[key])
        records.append(merged)
    baseline: dict[str, Any] = {}
    backends = {b for rep in repeats for b in rep["baseline"]}
    for b in sorted(backends):
        runs = [rep["baseline"][b] for rep in repeats if rep["baseline"].get(b)]
        if not runs:
            continue
        out: dict[str, Any] = {}
        inserts = [{m["name"]: m for m in r.get("insert", [])} for r in runs]
        out["insert"] = {name: _merge_values([i.get(name) for i in inserts]) for name in inserts[0]}
        for part in ("scan", "query", "state"):
            vals = [r.get(part) for r in runs if r.get(part)]
            if vals:
                out[part] = _merge_values(vals)
        baseline[b] = out
    return {"records": records, "baseline": baseline}


def count_errors(result: dict[str, Any]) -> int:
    records = [rec for rep in result["repeats"] for rec in rep["records"]]
    return len(result["crashes"]) + sum(
        report.record_errors(rec) + bool(rec.get("crash")) for rec in records
    )


def run(opts: Options) -> int:
    harness = Harness(opts)
    result = harness.run()
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = opts.results_dir / f"{stamp}-{opts.profile}.json"
    path.write_text(json.dumps(result, indent=1))
    log(f"results: {path}")
    if opts.markdown is not None:
        report.write_markdown(result, opts.markdown, path.name)
        log(f"markdown: {opts.markdown}")
    print(report.console_summary(result))
    if result["errors_total"]:
        log(f"{result['errors_total']} error(s): see 'crashes' and 'error_samples' in {path}")
    if opts.check and result["errors_total"]:
        return 1
    return 0
