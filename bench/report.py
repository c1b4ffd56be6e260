"""Machine description, targets, ratios to the driver baseline, and the Markdown."""

from __future__ import annotations

import operator
import os
import platform
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

Record = dict[str, Any]

DASH = "\u2013"  # an en dash: "no value" in the tables
TIMES = "\u00d7"  # the multiplication sign of ratios
PACKAGES = ("lrs", "fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "orjson",
            "uvloop", "httptools")  # fmt: skip
COMMAND_SCENARIOS = ("verify", "projections")

# ---------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_info() -> dict[str, Any]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    commit = _git("rev-parse", "--short", "HEAD") or None
    # Only changes to the product make the measured code differ from the commit.
    if commit and _git("status", "--porcelain", "--", "lrs", "api", "projections", "migrations"):
        commit += "+dirty"
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


def find(records: list[Record], backend: str, phase: str) -> Record | None:
    return next((r for r in records if r.get("backend") == backend and r.get("phase") == phase), None)


def find_prefix(records: list[Record], backend: str, scenario: str, prefix: str) -> list[Record]:
    return [
        r
        for r in records
        if r.get("backend") == backend
        and r.get("scenario") == scenario
        and str(r.get("phase", "")).startswith(prefix)
    ]


def dig(rec: Record | None, *path: str) -> Any:
    """``rec[path[0]][path[1]]...``, None where anything is missing."""
    value: Any = rec
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def record_errors(rec: Record) -> int:
    """Failed requests of the measured part and of the warm-up."""
    return int(rec.get("errors") or 0) + int(dig(rec, "warmup", "errors") or 0)


def backends_of(records: list[Record]) -> list[str]:
    """SQLite first: the targets are judged on it."""
    return sorted({r["backend"] for r in records}, key=lambda b: b != "sqlite")


def store_size(rec: Record) -> int:
    """The store size in a phase name such as ``query_mix_100000``."""
    return int(str(rec["phase"]).rsplit("_", 1)[-1])


def baseline_for(rec: Record, baseline: dict[str, Any]) -> tuple[str, Record] | None:
    """The driver-baseline counterpart of an LRS record (name, figures)."""
    base = baseline.get(rec.get("backend", ""))
    if not base:
        return None
    phase = str(rec.get("phase", ""))
    scenario = rec.get("scenario")
    name = None
    single = re.match(r"single_c(\d+)", phase)
    if single:
        name = "single_c1" if single.group(1) == "1" else "single_c16"
    elif phase.startswith("batch100"):
        name = "batch100_c4"
    elif phase.startswith("batch1000") or scenario == "preload":
        name = "batch1000_c1"
    if name:
        inserts = base.get("insert", {})
        return (f"insert {name}", inserts[name]) if name in inserts else None
    part = {"query_mix": "query", "state_docs": "state", "verify": "scan", "projections": "scan"}
    found = part.get(str(scenario))
    if found and base.get(found):
        return ("scan+sha256" if found == "scan" else found), base[found]
    return None


def _ratio(a: Any, b: Any) -> float | None:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        return None
    return round(a / b, 3)


def cpu_per_statement(rec: Record) -> float | None:
    """Server CPU per statement, PostgreSQL's backends included."""
    app = rec.get("server_cpu_us_per_statement")
    return None if app is None else app + (rec.get("db_cpu_us_per_statement") or 0)


def ratios(rec: Record, baseline: dict[str, Any]) -> dict[str, Any] | None:
    """Rate, CPU and size of an LRS record divided by its baseline counterpart's."""
    found = baseline_for(rec, baseline)
    if not found:
        return None
    name, base = found
    # ratio -> (LRS figure, baseline figure)
    if name.startswith("insert"):
        pairs = {
            "rate": (rec.get("statements_per_s"), "rows_per_s"),
            "cpu": (cpu_per_statement(rec), "cpu_us_per_row"),
            "bytes": (rec.get("bytes_per_statement"), "bytes_per_row"),
        }
    elif name in ("query", "state"):
        app = rec.get("server_cpu_us_per_request")
        db = rec.get("db_cpu_us_per_request") or 0
        pairs = {
            "rate": (rec.get("requests_per_s"), "operations_per_s"),
            "cpu": (None if app is None else app + db, "cpu_us_per_op"),
        }
    else:
        pairs = {
            "rate": (rec.get("events_per_s_net") or rec.get("events_per_s"), "rows_per_s"),
            "cpu": (rec.get("cpu_us_per_event"), "cpu_us_per_row"),
        }
    return {"baseline": name, **{k: _ratio(v, base.get(b)) for k, (v, b) in pairs.items()}}


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------

# One measured value of a target: (store size for the label or None, value).
Measured = tuple[int | None, Any]
Measure = Callable[[dict[str, Any], str], list[Measured]]
SQLITE = ("sqlite",)
POSTGRESQL = ("postgresql",)
BOTH = ("sqlite", "postgresql")
OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge, "<=": operator.le, "<": operator.lt, "==": operator.eq
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    backends: tuple[str, ...]
    label: str  # "{n:,}" stands for the store size of the measured record
    measure: Measure
    op: str
    required: float
    unit: str
    note: str = ""
    quick_note: str = ""  # the quick profile's stores are too small for this one


def _records(result: dict[str, Any]) -> list[Record]:
    return result["summary"]["records"]


def at_phase(phase: str, *path: str, optional: bool = False) -> Measure:
    """A figure of one phase. When the phase did not run, the target is reported as
    not measured, or (``optional``) left out."""

    def measure(result: dict[str, Any], b: str) -> list[Measured]:
        rec = find(_records(result), b, phase)
        return [] if rec is None and optional else [(None, dig(rec, *path))]

    return measure


def share_of_empty(ingest: str) -> Measure:
    """Ingestion rate on the preloaded store, in % of the rate on an empty one."""

    def measure(result: dict[str, Any], b: str) -> list[Measured]:
        records = _records(result)
        at = find_prefix(records, b, "stored_ingest", f"{ingest}_at_")
        if not at:
            return []
        empty = dig(find(records, b, ingest), "statements_per_s")
        share = _ratio(at[0].get("statements_per_s"), empty)
        return [(store_size(at[0]), None if share is None else round(share * 100, 1))]

    return measure


def query_mix(*path: str, million: bool) -> Measure:
    def measure(result: dict[str, Any], b: str) -> list[Measured]:
        return [
            (store_size(q), dig(q, *path))
            for q in find_prefix(_records(result), b, "query_mix", "query_mix_")
            if (store_size(q) >= 1_000_000) == million
        ]

    return measure


def largest_rss_growth(result: dict[str, Any], b: str) -> list[Measured]:
    growth = [
        r["server_rss_end_mb"] - r["server_rss_start_mb"]
        for r in _records(result)
        if r.get("backend") == b
        and r.get("scenario") in ("single_post", "batch_post", "embedded", "scaling", "stored_ingest")
        and r.get("server_rss_start_mb") is not None
    ]
    return [(None, round(max(growth), 1))] if growth else []


def error_count(result: dict[str, Any], b: str) -> list[Measured]:
    records = [r for r in _records(result) if r.get("backend") == b]
    errors = sum(record_errors(r) + bool(r.get("crash")) for r in records)
    errors += sum(1 for c in result.get("crashes", []) if c.get("backend") == b)
    return [(None, errors)]


QUICK_STORE = "quick profile: not the target store size"

# In the order of the table: per backend, these rows, each where it applies.
TARGETS = (
    Target(SQLITE, "single POST c16: statements/s",
           at_phase("single_c16", "statements_per_s"), ">=", 1500, "stmt/s"),
    Target(SQLITE, "single POST c16: p99 latency",
           at_phase("single_c16", "latency_ms", "p99"), "<=", 50, "ms"),
    Target(SQLITE, "single POST c16: server CPU per statement",
           at_phase("single_c16", "server_cpu_us_per_statement"), "<=", 600, "µs"),
    Target(SQLITE, "batch-100 POST c4: statements/s",
           at_phase("batch100_c4", "statements_per_s"), ">=", 3500, "stmt/s"),
    Target(SQLITE, "batch-100 POST c4: server CPU per statement",
           at_phase("batch100_c4", "server_cpu_us_per_statement"), "<=", 200, "µs"),
    Target(POSTGRESQL, "single POST c16: statements/s",
           at_phase("single_c16", "statements_per_s"), ">=", 1000, "stmt/s"),
    Target(POSTGRESQL, "batch-100 POST c4: statements/s",
           at_phase("batch100_c4", "statements_per_s"), ">=", 3500, "stmt/s"),
    Target(BOTH, "single_c16 with {n:,} stored: share of the empty-store rate",
           share_of_empty("single_c16"), ">=", 80, "%", quick_note="quick profile: small store"),
    Target(BOTH, "batch100_c4 with {n:,} stored: share of the empty-store rate",
           share_of_empty("batch100_c4"), ">=", 80, "%", quick_note="quick profile: small store"),
    Target(SQLITE, "query mix at {n:,}: requests/s",
           query_mix("requests_per_s", million=False), ">=", 800, "req/s", quick_note=QUICK_STORE),
    Target(SQLITE, "query mix at {n:,}: p95 per page",
           query_mix("latency_ms", "p95", million=False), "<=", 50, "ms", quick_note=QUICK_STORE),
    Target(BOTH, "query mix at {n:,}: p95 per page",
           query_mix("latency_ms", "p95", million=True), "<", 50, "ms"),
    Target(SQLITE, "State documents c16: requests/s",
           at_phase("state_c16", "requests_per_s", optional=True), ">=", 1500, "req/s"),
    Target(SQLITE, "State documents c16: p99 latency",
           at_phase("state_c16", "latency_ms", "p99", optional=True), "<=", 50, "ms"),
    Target(SQLITE, "memory flat while ingesting: largest RSS growth in a measured phase",
           largest_rss_growth, "<=", 32, "MiB",
           note="growth between the end of warm-up and the end of the phase"),
    Target(BOTH, "zero errors in every scenario", error_count, "==", 0, "errors"),
)  # fmt: skip


def evaluate_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    quick = result["profile"] == "quick"
    out: list[dict[str, Any]] = []
    for b in backends_of(_records(result)):
        for t in TARGETS:
            if b not in t.backends:
                continue
            for n, value in t.measure(result, b):
                out.append(
                    {
                        "backend": b,
                        "target": t.label.format(n=n),
                        "measured": value,
                        "op": t.op,
                        "threshold": t.required,
                        "unit": t.unit,
                        "met": None if value is None else OPS[t.op](value, t.required),
                        "note": (t.quick_note if quick else "") or t.note,
                    }
                )
    return out


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
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


# A table column: its header and how a row renders in it.
Column = tuple[str, Callable[[Any], str]]


def _line(cells: Sequence[str]) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def table(
    columns: Sequence[Column],
    rows: Iterable[Any],
    align: str,
    whole_row: Callable[[Any], list[str] | None] = lambda _row: None,
) -> list[str]:
    """A Markdown table, ``align`` giving each column's l(eft) or r(ight); ``whole_row``
    may give a row's leading cells instead (the rest left empty), for a row without
    figures."""
    lines = [_line([head for head, _ in columns])]
    lines.append("|" + "|".join("---" if a == "l" else "--:" for a in align) + "|")
    for row in rows:
        cells = whole_row(row) or [cell(row) for _, cell in columns]
        lines.append(_line(cells + [""] * (len(columns) - len(cells))))
    return [*lines, ""]


def _key(name: str, digits: int = 0) -> Callable[[Record], str]:
    return lambda r: _f(r.get(name), digits)


def _at(*path: str, digits: int = 0) -> Callable[[Record], str]:
    return lambda r: _f(dig(r, *path), digits)


SCENARIO_TITLES = {
    "single_post": "1 single POST",
    "batch_post": "2 batch POST",
    "embedded": "2e POSTs, default `lrs serve` (views in process)",
    "preload": "preload (batches over HTTP)",
    "query_mix": "3 query mix",
    "stored_ingest": "ingest with store full",
    "state_docs": "4 State documents",
    "projections": "5 projections",
    "verify": "6 lrs verify",
    "scaling": "7 `lrs serve --workers N`",
}


def _title(rec: Record) -> str:
    return SCENARIO_TITLES.get(rec["scenario"], str(rec["scenario"]))


def _with_db(per: str) -> Callable[[Record], str]:
    """Server CPU per request or statement, and the database's beside it."""

    def cell(r: Record) -> str:
        text = _f(r.get(f"server_cpu_us_per_{per}"))
        if r.get("db_cpu_us_per_request") is not None:
            text += f" + {_f(r.get(f'db_cpu_us_per_{per}'))} db"
        return text

    return cell


def _per_statement(cell: Callable[[Record], str]) -> Callable[[Record], str]:
    return lambda r: cell(r) if r.get("statements") else DASH


def _rss_growth(r: Record) -> str:
    end = r.get("server_rss_end_mb")
    return _f(None if end is None else round(end - r["server_rss_start_mb"], 1), 1)


def _errors(r: Record) -> str:
    return f"**{record_errors(r)}**" if record_errors(r) else "0"


def _ratio_cell(baseline: dict[str, Any], name: str) -> Callable[[Record], str]:
    return lambda r: _x((ratios(r, baseline) or {}).get(name))


def scenario_columns(baseline: dict[str, Any]) -> list[Column]:
    return [
        ("Scenario", _title),
        ("Phase", lambda r: r["phase"]),
        ("Conc.", lambda r: str(r.get("concurrency", ""))),
        ("req/s", _key("requests_per_s")),
        ("stmt/s", _per_statement(_key("statements_per_s"))),
        *((f"{p} ms", _at("latency_ms", p, digits=1)) for p in ("p50", "p95", "p99")),
        ("Errors", _errors),
        ("CPU µs/req", _with_db("request")),
        ("CPU µs/stmt", _per_statement(_with_db("statement"))),
        (
            "Peak RSS MiB (HWM / in phase)",
            lambda r: f"{_f(r.get('server_peak_rss_mb'))} / {_f(r.get('server_rss_peak_mb'))}",
        ),
        ("RSS growth MiB", _rss_growth),
        ("B/stmt", _per_statement(_key("bytes_per_statement"))),
        ("Rate ÷ driver", _ratio_cell(baseline, "rate")),
        ("CPU ÷ driver", _ratio_cell(baseline, "cpu")),
        ("Size ÷ driver", _ratio_cell(baseline, "bytes")),
    ]


def _command(r: Record) -> str:
    together = r.get("projections")
    return f"`{r['command']}`" + (f" (every projection: {together})" if together else "")


def command_columns(baseline: dict[str, Any]) -> list[Column]:
    return [
        ("Command", _command),
        ("Events", _key("events")),
        ("Wall s", _key("wall_s", 2)),
        ("Events/s", _key("events_per_s")),
        ("Events/s net of startup", _key("events_per_s_net")),
        ("CPU µs/event", _key("cpu_us_per_event", 1)),
        ("Peak RSS MiB", _key("peak_rss_mb")),
        ("Rate ÷ scan baseline", _ratio_cell(baseline, "rate")),
        ("Status", lambda r: f"**failed** (exit {r['returncode']})" if r.get("errors") else "ok"),
    ]


def kind_columns(kinds: Iterable[str], base_kinds: dict[str, Any]) -> list[Column]:
    def cell(kind: str) -> Callable[[Record], str]:
        def render(r: Record) -> str:
            k = r["by_kind"].get(kind) or {}
            text = f"p50 {_f(k.get('p50_ms'), 1)} / p95 {_f(k.get('p95_ms'), 1)} ms"
            base = base_kinds.get(kind)
            return text + (f" ({_f(base.get('p95_ms'), 2)})" if base else "")

        return render

    return [("Phase", lambda r: r["phase"]), *((k, cell(k)) for k in kinds)]


# Rows are (name, figures).
BASELINE_COLUMNS: list[Column] = [
    ("Baseline", lambda row: row[0]),
    *((head, lambda row, c=cell: c(row[1])) for head, cell in (
        ("rows/s", _key("rows_per_s")),
        ("ops/s", _key("operations_per_s")),
        ("p50 ms", _at("latency_ms", "p50", digits=2)),
        ("p95 ms", _at("latency_ms", "p95", digits=2)),
        ("p99 ms", _at("latency_ms", "p99", digits=2)),
        ("CPU µs/row", _key("cpu_us_per_row", 1)),
        ("CPU µs/op", _key("cpu_us_per_op", 1)),
        ("B/row", _key("bytes_per_row")),
    )),
]  # fmt: skip


def _measured(t: dict[str, Any]) -> str:
    value = t["measured"]
    return _f(value, 1 if isinstance(value, float) and value < 100 else 0) + f" {t['unit']}"


def _status(t: dict[str, Any]) -> str:
    status = {True: "met", False: "**missed**", None: "not measured"}[t["met"]]
    return status + (f" ({t['note']})" if t.get("note") else "")


TARGET_COLUMNS: list[Column] = [
    ("Backend", lambda t: t["backend"]),
    ("Target", lambda t: t["target"]),
    ("Measured", _measured),
    ("Required", lambda t: f"{t['op']} {_f(t['threshold'])} {t['unit']}"),
    ("Status", _status),
]


def _header(result: dict[str, Any], json_name: str) -> list[str]:
    m = result["machine"]
    lines = [
        f"## Profile `{result['profile']}`: run of {result['started']}",
        "",
        f"Repeats: {result['options']['repeat']} (figures are medians; error counts are sums). "
        f"Took {result['duration_s']:.0f} s. Raw data: `bench/results/{json_name}`.",
        "",
    ]
    if result["profile"] == "quick":
        lines += [
            "Quick profile: small sizes for a smoke test; the targets below are only "
            "indicative (run `python -m bench run --profile full` for the real figures).",
            "",
        ]
    lines.append(
        "**Machine**: "
        f"{m['cpu_model']}, {m['logical_cores']} logical cores "
        f"({m['physical_cores']} physical), {m['ram_gib']} GiB RAM; {m['os']}; "
        f"Python {m['python']}; SQLite {m['sqlite']}; PostgreSQL "
        f"{m.get('postgresql') or 'not used'}; load average at start "
        f"{', '.join(str(x) for x in m['load_average_at_start'])}; "
        f"commit {m.get('commit') or '?'}."
    )
    lines.append("Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + ".")
    if m.get("postgresql_settings"):
        settings = ", ".join(f"{k}={v}" for k, v in m["postgresql_settings"].items())
        lines.append(f"PostgreSQL settings: {settings}.")
    lines.append("")
    return lines


def _backend_section(backend: str, records: list[Record], baseline: dict[str, Any]) -> list[str]:
    mine = [r for r in records if r["backend"] == backend]
    lines = [f"### {'SQLite' if backend == 'sqlite' else 'PostgreSQL'}", ""]

    def crashed(r: Record) -> list[str] | None:
        if r.get("crash") and r.get("requests") is None:
            return [_title(r), r["phase"], "", f"**crashed**: {r['crash']}"]
        return None

    # Scaling runs have their own table (below); a crashed one stays in this one.
    served = [
        r for r in mine
        if r["scenario"] not in COMMAND_SCENARIOS
        and not (r["scenario"] == "scaling" and r.get("statements_per_s") is not None)
    ]
    lines += table(scenario_columns(baseline), served, "ll" + "r" * 15, crashed)
    lines += scaling_table(mine)
    commands = [r for r in mine if r["scenario"] in COMMAND_SCENARIOS]
    if commands:
        lines += table(command_columns(baseline), commands, "l" + "r" * 7 + "l")
    queries = [r for r in mine if r.get("by_kind")]
    if queries:
        base_kinds = dig(baseline, backend, "query", "by_kind") or {}
        lines += ["Query mix per kind (per page; driver baseline p95 in brackets):", ""]
        kinds = list(queries[0]["by_kind"])
        lines += table(kind_columns(kinds, base_kinds), queries, "l" + "r" * len(kinds))
    base = baseline.get(backend)
    if base:
        lines += [
            "Direct-driver baseline (no HTTP, no LRS: JSON text into a simple "
            "table, same durability settings):",
            "",
        ]
        rows = [(f"insert {k}", v) for k, v in base.get("insert", {}).items()]
        rows += [(k, base[k]) for k in ("query", "state", "scan") if base.get(k)]
        lines += table(BASELINE_COLUMNS, rows, "l" + "r" * 8)
    return lines


def _per_core(r: Record, key: str) -> str:
    """Statements per CPU-second of one side (server or database): what one core of
    it sustains, the figure that projects the run to a bigger machine."""
    us = r.get(key)
    return _f(1e6 / us) if isinstance(us, (int, float)) and us > 0 else DASH


SCALING_COLUMNS: list[Column] = [
    ("Processes", lambda r: str(r["workers"])),
    ("Phase", lambda r: r["phase"].split("_", 1)[1]),
    ("stmt/s", _key("statements_per_s")),
    ("p99 ms", _at("latency_ms", "p99", digits=1)),
    ("Server CPU µs/stmt", _key("server_cpu_us_per_statement")),
    ("PostgreSQL CPU µs/stmt", _key("db_cpu_us_per_statement")),
    ("stmt per server core-second", lambda r: _per_core(r, "server_cpu_us_per_statement")),
    ("stmt per PostgreSQL core-second", lambda r: _per_core(r, "db_cpu_us_per_statement")),
    ("Errors", _errors),
]


def scaling_table(records: list[Record]) -> list[str]:
    """Scenario 7 as its own table: one row per process count and phase."""
    rows = [
        {**r, "workers": int(r["phase"][1:].split("_", 1)[0])}
        for r in records if r["scenario"] == "scaling" and r.get("statements_per_s") is not None
    ]
    if not rows:
        return []
    rows.sort(key=lambda r: (r["phase"].split("_", 1)[1], r["workers"]))
    return [
        "`lrs serve --workers N` on one PostgreSQL (the rate per core of each side "
        "projects the figures to a machine with more cores):",
        "",
        *table(SCALING_COLUMNS, rows, "ll" + "r" * 7),
    ]


def _observations(records: list[Record]) -> list[str]:
    out: list[str] = []
    for r in records:
        wal = r.get("sqlite_wal_bytes_at_stop")
        if wal and wal > 64 * 2**20 and r.get("db_size_bytes"):
            out.append(
                f"- {r['backend']} / {r['scenario']}: the SQLite WAL was "
                f"{wal / 2**20:,.0f} MiB when the server stopped (database "
                f"{r['db_size_bytes'] / 2**20:,.0f} MiB): checkpoints do not keep up or "
                "never reset the WAL."
            )
        hwm, seen = r.get("server_peak_rss_mb"), r.get("server_rss_peak_mb")
        if hwm and seen and hwm > 2 * seen and hwm > 300:
            out.append(
                f"- {r['backend']} / {r['phase']}: the server's RSS high-water mark is "
                f"{hwm:,.0f} MiB but never above {seen:,.0f} MiB while sampled during the "
                "measured part: a short-lived spike (at startup or in the warm-up)."
            )
    return list(dict.fromkeys(out))[:20]


def _problems(result: dict[str, Any], records: list[Record]) -> list[str]:
    out = [f"- {c['backend']} / {c['scenario']}: {c['what']}" for c in result.get("crashes", [])]
    for r in records:
        samples = list(r.get("error_samples") or []) + list(
            dig(r, "warmup", "error_samples") or []
        )
        out += [
            f"- {r['backend']} / {r['phase']}: {s['status']} on "
            f"`{s['request'][:160]}`: {str(s['detail'])[:200]}"
            for s in samples[:3]
        ]
    return out[:40]


def _section(title: str, items: list[str]) -> list[str]:
    return [f"### {title}", "", *items, ""] if items else []


def markdown(result: dict[str, Any], json_name: str) -> str:
    records = result["summary"]["records"]
    baseline = result["summary"]["baseline"]
    lines = _header(result, json_name)
    lines += ["### Targets", "", *table(TARGET_COLUMNS, result["targets"], "llrrl")]
    for backend in backends_of(records):
        lines += _backend_section(backend, records, baseline)
    lines += _section("Observations", _observations(records))
    lines += _section("Errors", _problems(result, records))
    lines += _section("Notes", [f"- {n}" for n in result.get("notes", [])])
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
    elif prof == "full" and "<!-- BEGIN GENERATED: quick -->" in text:
        # Keep the full profile's section first: it is the one the targets are judged on.
        idx = text.index("<!-- BEGIN GENERATED: quick -->")
        text = text[:idx] + section + "\n\n" + text[idx:]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def console_summary(result: dict[str, Any]) -> str:
    out = []
    baseline = result["summary"]["baseline"]
    for r in result["summary"]["records"]:
        head = f"{r['backend']:<10} {r['phase']:<28}"
        if r.get("command"):
            net = r.get("events_per_s_net")
            rate = f"{_f(net):>9} events/s net" if net else f"{_f(r.get('events_per_s')):>9} events/s"
            out.append(f"{head} {rate}  exit={r.get('returncode')}")
            continue
        lat = r.get("latency_ms") or {}
        per_stmt = bool(r.get("statements"))
        out.append(
            f"{head} {_f(r.get('requests_per_s')):>7} req/s "
            f"{_f(r.get('statements_per_s')) if per_stmt else '-':>7} stmt/s "
            f"p50 {_f(lat.get('p50'), 1):>6} p95 {_f(lat.get('p95'), 1):>6} "
            f"p99 {_f(lat.get('p99'), 1):>6} ms  cpu/stmt "
            f"{_f(cpu_per_statement(r)) if per_stmt else '-':>6} µs  err {record_errors(r)}"
            f"  rate/driver {_x((ratios(r, baseline) or {}).get('rate'))}"
            + (f"  CRASH {r['crash']}" if r.get("crash") else "")
        )
    out.append("")
    for t in result["targets"]:
        status = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        out.append(
            f"[{status:>6}] {t['backend']}: {t['target']}: {t['measured']} "
            f"(need {t['op']} {t['threshold']} {t['unit']})"
        )
    out += [f"note: {n}" for n in result.get("notes", [])]
    out.append(f"errors: {result['errors_total']}  duration: {result['duration_s']} s")
    return "\n".join(out)
