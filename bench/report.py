"""Machine description, targets, ratios to the driver baseline, and the Markdown."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

DASH = "\u2013"  # an en dash: "no value" in the tables
TIMES = "\u00d7"  # the multiplication sign of ratios

# ---------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for pkg in (
        "lrs",
        "fastapi",
        "starlette",
        "uvicorn",
        "sqlalchemy",
        "psycopg",
        "orjson",
        "uvloop",
        "httptools",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    commit = None
    try:
        root = Path(__file__).resolve().parent.parent
        commit = (
            subprocess.run(
                ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.strip()
            or None
        )
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "--",
                "lrs",
                "api",
                "projections",
                "migrations",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if commit and dirty:
            commit += "+dirty"
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {
        "cpu_model": cpu,
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "packages": versions,
        "commit": commit,
    }


# ---------------------------------------------------------------------------
# Lookups and ratios
# ---------------------------------------------------------------------------


def find(records: list[dict[str, Any]], backend: str, phase: str) -> dict[str, Any] | None:
    for rec in records:
        if rec.get("backend") == backend and rec.get("phase") == phase:
            return rec
    return None


def find_prefix(
    records: list[dict[str, Any]], backend: str, scenario: str, prefix: str
) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if r.get("backend") == backend
        and r.get("scenario") == scenario
        and str(r.get("phase", "")).startswith(prefix)
    ]


def baseline_for(
    rec: dict[str, Any], baseline: dict[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The driver-baseline counterpart of an LRS record (name, figures)."""
    base = baseline.get(rec.get("backend", ""))
    if not base:
        return None
    phase = str(rec.get("phase", ""))
    scenario = rec.get("scenario")
    inserts = base.get("insert", {})
    name = None
    single = re.match(r"single_c(\d+)", phase)
    if single:
        name = "single_c1" if single.group(1) == "1" else "single_c16"
    elif phase.startswith("batch100"):
        name = "batch100_c4"
    elif phase.startswith("batch1000") or scenario == "preload":
        name = "batch1000_c1"
    if name:
        return (f"insert {name}", inserts[name]) if name in inserts else None
    if scenario == "query_mix" and base.get("query"):
        return "query", base["query"]
    if scenario == "state_docs" and base.get("state"):
        return "state", base["state"]
    if scenario in ("verify", "projections") and base.get("scan"):
        return "scan+sha256", base["scan"]
    return None


def _ratio(a: Any, b: Any) -> float | None:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        return None
    return round(a / b, 3)


def cpu_per_statement(rec: dict[str, Any]) -> float | None:
    app = rec.get("server_cpu_us_per_statement")
    if app is None:
        return None
    return app + (rec.get("db_cpu_us_per_statement") or 0)


def cpu_per_request(rec: dict[str, Any]) -> float | None:
    app = rec.get("server_cpu_us_per_request")
    if app is None:
        return None
    return app + (rec.get("db_cpu_us_per_request") or 0)


def ratios(rec: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any] | None:
    found = baseline_for(rec, baseline)
    if not found:
        return None
    name, base = found
    out: dict[str, Any] = {"baseline": name}
    lat = rec.get("latency_ms") or {}
    blat = base.get("latency_ms") or {}
    if name.startswith("insert"):
        out["rate"] = _ratio(rec.get("statements_per_s"), base.get("rows_per_s"))
        out["cpu"] = _ratio(cpu_per_statement(rec), base.get("cpu_us_per_row"))
        out["bytes"] = _ratio(rec.get("bytes_per_statement"), base.get("bytes_per_row"))
        out["p50"] = _ratio(lat.get("p50"), blat.get("p50"))
        out["p99"] = _ratio(lat.get("p99"), blat.get("p99"))
    elif name in ("query", "state"):
        out["rate"] = _ratio(rec.get("requests_per_s"), base.get("operations_per_s"))
        out["cpu"] = _ratio(cpu_per_request(rec), base.get("cpu_us_per_op"))
        out["p50"] = _ratio(lat.get("p50"), blat.get("p50"))
        out["p95"] = _ratio(lat.get("p95"), blat.get("p95"))
        out["p99"] = _ratio(lat.get("p99"), blat.get("p99"))
    else:
        out["rate"] = _ratio(
            rec.get("events_per_s_net") or rec.get("events_per_s"), base.get("rows_per_s")
        )
        out["cpu"] = _ratio(rec.get("cpu_us_per_event"), base.get("cpu_us_per_row"))
    return out


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------


def evaluate_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    records = result["summary"]["records"]
    quick = result["profile"] == "quick"
    out: list[dict[str, Any]] = []

    def add(
        backend: str, what: str, value: Any, op: str, threshold: float, unit: str, note: str = ""
    ) -> None:
        if value is None:
            met = None
        elif op == ">=":
            met = value >= threshold
        elif op == "<=":
            met = value <= threshold
        elif op == "<":
            met = value < threshold
        else:
            met = value == threshold
        out.append(
            {
                "backend": backend,
                "target": what,
                "measured": value,
                "op": op,
                "threshold": threshold,
                "unit": unit,
                "met": met,
                "note": note,
            }
        )

    def get(backend: str, phase: str, *path: str) -> Any:
        rec = find(records, backend, phase)
        for key in path:
            if rec is None:
                return None
            rec = rec.get(key)  # type: ignore[assignment]
        return rec

    backends = sorted({r["backend"] for r in records}, key=lambda b: b != "sqlite")
    for b in backends:
        if b == "sqlite":
            add(
                b,
                "single POST c16: statements/s",
                get(b, "single_c16", "statements_per_s"),
                ">=",
                1500,
                "stmt/s",
            )
            add(
                b,
                "single POST c16: p99 latency",
                get(b, "single_c16", "latency_ms", "p99"),
                "<=",
                50,
                "ms",
            )
            add(
                b,
                "single POST c16: server CPU per statement",
                get(b, "single_c16", "server_cpu_us_per_statement"),
                "<=",
                600,
                "µs",
            )
            add(
                b,
                "batch-100 POST c4: statements/s",
                get(b, "batch100_c4", "statements_per_s"),
                ">=",
                3500,
                "stmt/s",
            )
            add(
                b,
                "batch-100 POST c4: server CPU per statement",
                get(b, "batch100_c4", "server_cpu_us_per_statement"),
                "<=",
                200,
                "µs",
            )
        else:
            add(
                b,
                "single POST c16: statements/s",
                get(b, "single_c16", "statements_per_s"),
                ">=",
                1000,
                "stmt/s",
            )
            add(
                b,
                "batch-100 POST c4: statements/s",
                get(b, "batch100_c4", "statements_per_s"),
                ">=",
                3500,
                "stmt/s",
            )
        for ingest, empty_phase in (("single_c16", "single_c16"), ("batch100_c4", "batch100_c4")):
            at = find_prefix(records, b, "stored_ingest", f"{ingest}_at_")
            empty = get(b, empty_phase, "statements_per_s")
            if at:
                n = at[0]["phase"].rsplit("_", 1)[-1]
                share = _ratio(at[0].get("statements_per_s"), empty)
                add(
                    b,
                    f"{ingest} with {int(n):,} stored: share of the empty-store rate",
                    round(share * 100, 1) if share is not None else None,
                    ">=",
                    80,
                    "%",
                    "quick profile: small store" if quick else "",
                )
        for q in find_prefix(records, b, "query_mix", "query_mix_"):
            n = int(q["phase"].rsplit("_", 1)[-1])
            note = "quick profile: not the target store size" if quick else ""
            if n >= 1_000_000:
                add(
                    b,
                    f"query mix at {n:,}: p95 per page",
                    (q.get("latency_ms") or {}).get("p95"),
                    "<",
                    50,
                    "ms",
                )
            elif b == "sqlite":
                add(
                    b,
                    f"query mix at {n:,}: requests/s",
                    q.get("requests_per_s"),
                    ">=",
                    800,
                    "req/s",
                    note,
                )
                add(
                    b,
                    f"query mix at {n:,}: p95 per page",
                    (q.get("latency_ms") or {}).get("p95"),
                    "<=",
                    50,
                    "ms",
                    note,
                )
        if b == "sqlite":
            st = find_prefix(records, b, "state_docs", "state_c")
            if st and st[0].get("available") is False:
                add(b, "State documents c16", None, ">=", 1500, "req/s", st[0].get("note", ""))
            elif st:
                add(
                    b,
                    "State documents c16: requests/s",
                    st[0].get("requests_per_s"),
                    ">=",
                    1500,
                    "req/s",
                )
                add(
                    b,
                    "State documents c16: p99 latency",
                    (st[0].get("latency_ms") or {}).get("p99"),
                    "<=",
                    50,
                    "ms",
                )
            growth = []
            for r in records:
                if (
                    r.get("backend") == b
                    and r.get("scenario") in ("single_post", "batch_post", "stored_ingest")
                    and r.get("server_rss_start_mb") is not None
                ):
                    growth.append(r["server_rss_end_mb"] - r["server_rss_start_mb"])
            if growth:
                add(
                    b,
                    "memory flat while ingesting: largest RSS growth in a measured phase",
                    round(max(growth), 1),
                    "<=",
                    32,
                    "MiB",
                    "growth between the end of warm-up and the end of the phase",
                )
        errors = sum(int(r.get("errors") or 0) for r in records if r.get("backend") == b)
        errors += sum(
            int((r.get("warmup") or {}).get("errors") or 0)
            for r in records
            if r.get("backend") == b
        )
        errors += sum(1 for r in records if r.get("backend") == b and r.get("crash"))
        errors += sum(1 for c in result.get("crashes", []) if c.get("backend") == b)
        add(b, "zero errors in every scenario", errors, "==", 0, "errors")
    return out


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        if digits == 0:
            return f"{value:,.0f}"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _x(value: Any) -> str:
    if value is None:
        return DASH
    if value >= 10:
        return f"{value:.0f}{TIMES}"
    if value >= 0.1:
        return f"{value:.2f}{TIMES}"
    return f"{value:.3f}{TIMES}"


SCENARIO_TITLES = {
    "single_post": "1 single POST",
    "batch_post": "2 batch POST",
    "preload": "preload (batches over HTTP)",
    "query_mix": "3 query mix",
    "stored_ingest": "ingest with store full",
    "state_docs": "4 State documents",
    "projections": "5 projections",
    "verify": "6 lrs verify",
}


def markdown(result: dict[str, Any], json_name: str) -> str:
    m = result["machine"]
    summary = result["summary"]
    records = summary["records"]
    baseline = summary["baseline"]
    lines: list[str] = []
    prof = result["profile"]
    lines.append(f"## Profile `{prof}`: run of {result['started']}")
    lines.append("")
    lines.append(
        f"Repeats: {result['options']['repeat']} (figures are medians; error counts are sums). "
        f"Took {result['duration_s']:.0f} s. Raw data: `bench/results/{json_name}`."
    )
    if prof == "quick":
        lines.append("")
        lines.append(
            "Quick profile: small sizes for a smoke test; the targets below are only "
            "indicative (run `python -m bench run --profile full` for the real figures)."
        )
    lines.append("")
    lines.append(
        "**Machine**: "
        f"{m['cpu_model']}, {m['logical_cores']} logical cores "
        f"({m['physical_cores']} physical), {m['ram_gib']} GiB RAM; {m['os']}; "
        f"Python {m['python']}; SQLite {m['sqlite']}; PostgreSQL "
        f"{m.get('postgresql') or 'not used'}; load average at start "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}; "
        f"commit {m.get('commit') or '?'}."
    )
    pkgs = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    lines.append(f"Packages: {pkgs}.")
    if m.get("postgresql_settings"):
        lines.append(
            "PostgreSQL settings: "
            + ", ".join(f"{k}={v}" for k, v in m["postgresql_settings"].items())
            + "."
        )
    lines.append("")

    lines.append("### Targets")
    lines.append("")
    lines.append("| Backend | Target | Measured | Required | Status |")
    lines.append("|---|---|---:|---:|---|")
    for t in result["targets"]:
        status = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
        if t.get("note"):
            status += f" ({t['note']})"
        measured = _f(
            t["measured"], 1 if isinstance(t["measured"], float) and t["measured"] < 100 else 0
        )
        lines.append(
            f"| {t['backend']} | {t['target']} | {measured} {t['unit']} | "
            f"{t['op']} {_f(t['threshold'])} {t['unit']} | {status} |"
        )
    lines.append("")

    for backend in sorted({r["backend"] for r in records}, key=lambda b: b != "sqlite"):
        lines.append(f"### {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}")
        lines.append("")
        lines.append(
            "| Scenario | Phase | Conc. | req/s | stmt/s | p50 ms | p95 ms | p99 ms | Errors "
            "| CPU µs/req | CPU µs/stmt | Peak RSS MiB (HWM / in phase) | RSS growth MiB | B/stmt "
            "| Rate ÷ driver | CPU ÷ driver | Size ÷ driver |"
        )
        lines.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in records:
            if r["backend"] != backend or r["scenario"] in ("verify", "projections"):
                continue
            title = SCENARIO_TITLES.get(r["scenario"], r["scenario"])
            if r.get("available") is False:
                lines.append(
                    f"| {title} | {r['phase']} | | {r.get('note', 'not available')} "
                    "| | | | | | | | | | | | | |"
                )
                continue
            if r.get("crash") and r.get("requests") is None:
                lines.append(
                    f"| {title} | {r['phase']} | | **crashed**: {r['crash']} "
                    "| | | | | | | | | | | | | |"
                )
                continue
            lat = r.get("latency_ms") or {}
            rr = ratios(r, baseline) or {}
            cpu_req = _f(r.get("server_cpu_us_per_request"))
            cpu_stmt = _f(r.get("server_cpu_us_per_statement"))
            if r.get("db_cpu_us_per_request") is not None:
                cpu_req += f" + {_f(r.get('db_cpu_us_per_request'))} db"
                if r.get("statements"):
                    cpu_stmt += f" + {_f(r.get('db_cpu_us_per_statement'))} db"
            if not r.get("statements"):
                cpu_stmt = DASH
            growth = None
            if r.get("server_rss_end_mb") is not None:
                growth = round(r["server_rss_end_mb"] - r["server_rss_start_mb"], 1)
            errors = int(r.get("errors") or 0) + int((r.get("warmup") or {}).get("errors") or 0)
            err = f"**{errors}**" if errors else "0"
            size = _f(r.get("bytes_per_statement")) if r.get("statements") else DASH
            lines.append(
                f"| {title} | {r['phase']} | {r.get('concurrency', '')} "
                f"| {_f(r.get('requests_per_s'))} "
                f"| {_f(r.get('statements_per_s')) if r.get('statements') else DASH} "
                f"| {_f(lat.get('p50'), 1)} | {_f(lat.get('p95'), 1)} | {_f(lat.get('p99'), 1)} "
                f"| {err} | {cpu_req} | {cpu_stmt} | {_f(r.get('server_peak_rss_mb'))} / "
                f"{_f(r.get('server_rss_peak_mb'))} "
                f"| {_f(growth, 1)} | {size} "
                f"| {_x(rr.get('rate'))} | {_x(rr.get('cpu'))} | {_x(rr.get('bytes'))} |"
            )
        lines.append("")
        cmds = [
            r
            for r in records
            if r["backend"] == backend and r["scenario"] in ("verify", "projections")
        ]
        if cmds:
            lines.append(
                "| Command | Events | Wall s | Events/s | Events/s net of startup "
                "| CPU µs/event | Peak RSS MiB | Rate ÷ scan baseline | Status |"
            )
            lines.append("|---|--:|--:|--:|--:|--:|--:|--:|---|")
            for r in cmds:
                if r.get("skipped"):
                    lines.append(f"| {r['phase']} | | | | | | | | skipped: {r['skipped'][:120]} |")
                    continue
                rr = ratios(r, baseline) or {}
                status = "ok" if not r.get("errors") else f"**failed** (exit {r['returncode']})"
                lines.append(
                    f"| `{r['command']}` | {_f(r.get('events'))} | {_f(r.get('wall_s'), 2)} "
                    f"| {_f(r.get('events_per_s'))} | {_f(r.get('events_per_s_net'))} "
                    f"| {_f(r.get('cpu_us_per_event'), 1)} | {_f(r.get('peak_rss_mb'))} "
                    f"| {_x(rr.get('rate'))} | {status} |"
                )
            lines.append("")
        queries = [r for r in records if r["backend"] == backend and r.get("by_kind")]
        if queries:
            base_kinds = (baseline.get(backend, {}).get("query") or {}).get("by_kind") or {}
            lines.append("Query mix per kind (per page; driver baseline p95 in brackets):")
            lines.append("")
            lines.append("| Phase | " + " | ".join(queries[0]["by_kind"]) + " |")
            lines.append("|---|" + "--:|" * len(queries[0]["by_kind"]))
            for r in queries:
                cells = []
                for kind in queries[0]["by_kind"]:
                    k = r["by_kind"].get(kind) or {}
                    b = base_kinds.get(kind) or {}
                    cell = f"p50 {_f(k.get('p50_ms'), 1)} / p95 {_f(k.get('p95_ms'), 1)} ms"
                    if b:
                        cell += f" ({_f(b.get('p95_ms'), 2)})"
                    cells.append(cell)
                lines.append(f"| {r['phase']} | " + " | ".join(cells) + " |")
            lines.append("")
        base = baseline.get(backend)
        if base:
            lines.append(
                "Direct-driver baseline (no HTTP, no LRS: JSON text into a simple "
                "table, same durability settings):"
            )
            lines.append("")
            lines.append(
                "| Baseline | rows/s | ops/s | p50 ms | p95 ms | p99 ms | CPU µs/row "
                "| CPU µs/op | B/row |"
            )
            lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            rows = [(f"insert {k}", v) for k, v in base.get("insert", {}).items()]
            rows += [(k, base[k]) for k in ("query", "state", "scan") if base.get(k)]
            for name, v in rows:
                lat = v.get("latency_ms") or {}
                lines.append(
                    f"| {name} | {_f(v.get('rows_per_s'))} | {_f(v.get('operations_per_s'))} "
                    f"| {_f(lat.get('p50'), 2)} | {_f(lat.get('p95'), 2)} "
                    f"| {_f(lat.get('p99'), 2)} | {_f(v.get('cpu_us_per_row'), 1)} "
                    f"| {_f(v.get('cpu_us_per_op'), 1)} | {_f(v.get('bytes_per_row'))} |"
                )
            lines.append("")
    observations = []
    for r in records:
        wal = r.get("sqlite_wal_bytes_at_stop")
        if wal and wal > 64 * 2**20 and r.get("db_size_bytes"):
            observations.append(
                f"- {r['backend']} / {r['scenario']}: the SQLite WAL was "
                f"{wal / 2**20:,.0f} MiB when the server stopped (database "
                f"{r['db_size_bytes'] / 2**20:,.0f} MiB): checkpoints do not keep up or "
                "never reset the WAL."
            )
        hwm, seen = r.get("server_peak_rss_mb"), r.get("server_rss_peak_mb")
        if hwm and seen and hwm > 2 * seen and hwm > 300:
            observations.append(
                f"- {r['backend']} / {r['phase']}: the server's RSS high-water mark is "
                f"{hwm:,.0f} MiB but never above {seen:,.0f} MiB while sampled during the "
                "measured part: a short-lived spike (at startup or in the warm-up)."
            )
    seen_obs: set[str] = set()
    observations = [o for o in observations if not (o in seen_obs or seen_obs.add(o))]
    if observations:
        lines.append("### Observations")
        lines.append("")
        lines += observations[:20]
        lines.append("")
    problems = []
    for c in result.get("crashes", []):
        problems.append(f"- {c['backend']} / {c['scenario']}: {c['what']}")
    for r in records:
        samples = list(r.get("error_samples") or []) + list(
            (r.get("warmup") or {}).get("error_samples") or []
        )
        for s in samples[:3]:
            problems.append(
                f"- {r['backend']} / {r['phase']}: {s['status']} on "
                f"`{s['request'][:160]}`: {str(s['detail'])[:200]}"
            )
    if problems:
        lines.append("### Errors")
        lines.append("")
        lines += problems[:40]
        lines.append("")
    if result.get("notes"):
        lines.append("### Notes")
        lines.append("")
        lines += [f"- {n}" for n in result["notes"]]
        lines.append("")
    return "\n".join(lines)


HEADER = """# Benchmark results

Written by `python -m bench run` (see `bench/README.md`). Each profile has its own
generated section below; a run replaces only the section of its profile. Text
outside the generated sections is kept.
"""


def write_markdown(result: dict[str, Any], path: Path, json_name: str) -> None:
    prof = result["profile"]
    begin = f"<!-- BEGIN GENERATED: {prof} -->"
    end = f"<!-- END GENERATED: {prof} -->"
    section = f"{begin}\n{markdown(result, json_name)}\n{end}"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        # Keep the full profile's section first: it is the one the targets are judged on.
        if prof == "full" and "<!-- BEGIN GENERATED: quick -->" in text:
            idx = text.index("<!-- BEGIN GENERATED: quick -->")
            text = text[:idx] + section + "\n\n" + text[idx:]
        else:
            text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def console_summary(result: dict[str, Any]) -> str:
    out = []
    baseline = result["summary"]["baseline"]
    for r in result["summary"]["records"]:
        if r.get("skipped"):
            out.append(f"{r['backend']:<10} {r['phase']:<28} skipped: {r['skipped'][:80]}")
            continue
        if r.get("available") is False:
            out.append(f"{r['backend']:<10} {r['phase']:<28} {r.get('note')}")
            continue
        if r.get("events_per_s") is not None or r.get("command"):
            net = r.get("events_per_s_net")
            rate = (
                f"{_f(net):>9} events/s net" if net else f"{_f(r.get('events_per_s')):>9} events/s"
            )
            out.append(f"{r['backend']:<10} {r['phase']:<28} {rate}  exit={r.get('returncode')}")
            continue
        lat = r.get("latency_ms") or {}
        rr = ratios(r, baseline) or {}
        err = int(r.get("errors") or 0) + int((r.get("warmup") or {}).get("errors") or 0)
        out.append(
            f"{r['backend']:<10} {r['phase']:<28} {_f(r.get('requests_per_s')):>7} req/s "
            f"{_f(r.get('statements_per_s')) if r.get('statements') else '-':>7} stmt/s "
            f"p50 {_f(lat.get('p50'), 1):>6} p95 {_f(lat.get('p95'), 1):>6} "
            f"p99 {_f(lat.get('p99'), 1):>6} ms  cpu/stmt "
            f"{_f(cpu_per_statement(r)) if r.get('statements') else '-':>6} µs  err {err}"
            f"  rate/driver {_x(rr.get('rate'))}"
            + (f"  CRASH {r['crash']}" if r.get("crash") else "")
        )
    out.append("")
    for t in result["targets"]:
        status = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        out.append(
            f"[{status:>6}] {t['backend']}: {t['target']}: {t['measured']} "
            f"(need {t['op']} {t['threshold']} {t['unit']})"
        )
    for n in result.get("notes", []):
        out.append(f"note: {n}")
    out.append(f"errors: {result['errors_total']}  duration: {result['duration_s']} s")
    return "\n".join(out)
