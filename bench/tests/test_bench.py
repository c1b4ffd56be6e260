"""Unit checks of the harness pieces that need no server: ``pytest bench/tests``."""

from __future__ import annotations

import collections
import re

import orjson
import pytest

from bench import generator
from bench.harness import _merge_values, merge_repeats
from bench.loadgen import _extract_more, percentile

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    return generator.generate(11, 6000, learners=300)


def test_deterministic_and_prefix_stable(stream: list[dict]) -> None:
    assert generator.generate(11, 6000, learners=300) == stream
    assert generator.generate(11, 1000, learners=300) == stream[:1000]
    assert generator.generate(12, 50, learners=300) != stream[:50]


def test_ids_unique_and_timestamps_in_the_past(stream: list[dict]) -> None:
    assert len({s["id"] for s in stream}) == len(stream)
    for s in stream:
        assert TIMESTAMP.match(s["timestamp"]), s["timestamp"]
    assert stream[-1]["timestamp"] < "2025-01-01"


def test_traffic_has_the_expected_variety(stream: list[dict]) -> None:
    verbs = collections.Counter(s["verb"]["id"].rsplit("/", 1)[-1] for s in stream)
    for verb in (
        "launched",
        "initialized",
        "experienced",
        "attempted",
        "answered",
        "passed",
        "failed",
        "completed",
        "terminated",
        "progressed",
        "played",
        "commented",
        "voided",
        "mentored",
    ):
        assert verbs[verb], verb
    kinds = collections.Counter(
        s["object"]["definition"].get("interactionType")
        for s in stream
        if "definition" in s.get("object", {})
    )
    for kind in ("choice", "true-false", "fill-in", "matching", "numeric", "likert"):
        assert kinds[kind], kind
    objects = collections.Counter(s["object"].get("objectType", "Activity") for s in stream)
    assert objects["StatementRef"] and objects["Agent"]
    assert any("registration" in s.get("context", {}) for s in stream)
    assert any("team" in s.get("context", {}) for s in stream)
    assert any("mbox" in s["actor"] for s in stream)
    assert any("account" in s["actor"] for s in stream)


def test_voids_target_earlier_non_voiding_statements(stream: list[dict]) -> None:
    index = {s["id"]: i for i, s in enumerate(stream)}
    voided = set()
    for i, s in enumerate(stream):
        if s["verb"]["id"].endswith("/voided"):
            target = s["object"]["id"]
            assert index[target] <= i - 200
            assert not stream[index[target]]["verb"]["id"].endswith("/voided")
            assert target not in voided
            voided.add(target)


def test_attachments_use_file_urls() -> None:
    stmts = generator.generate(3, 40_000, learners=200)
    with_attachments = [s for s in stmts if "attachments" in s]
    assert with_attachments
    for s in with_attachments:
        for a in s["attachments"]:
            assert a["fileUrl"].startswith("https://")
            assert re.fullmatch(r"[0-9a-f]{64}", a["sha2"])


def test_valid_xapi(stream: list[dict]) -> None:
    validation = pytest.importorskip("lrs.xapi.validation")
    for s in stream:
        validation.validate_statement(s, "1.0.3")
        validation.validate_statement(s, "2.0.0")


def test_catalog_lists_what_was_used() -> None:
    gen = generator.TrafficGenerator(5, 300)
    stmts = gen.take(3000)
    cat = gen.catalog()
    actors = {orjson.dumps(generator._ifi(s["actor"])) for s in stmts}
    assert {orjson.dumps(a) for a in cat.learners} <= actors | {
        orjson.dumps(generator._ifi(s["object"]))
        for s in stmts
        if s["object"].get("objectType") == "Agent"
    }
    regs = {s["context"]["registration"] for s in stmts if "registration" in s.get("context", {})}
    assert set(cat.registrations) >= regs
    assert cat.first_timestamp == stmts[0]["timestamp"]


def test_extract_more() -> None:
    assert (
        _extract_more(b'{"statements":[],"more":"/xapi/statements?more=abc"}')
        == "/xapi/statements?more=abc"
    )
    assert _extract_more(b'{"more":"","statements":[]}') == ""
    assert _extract_more(b'{"statements":[{"result":{"response":"more"}}],"more":""}') == ""


def test_percentile_and_medians() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([], 0.5) is None
    assert _merge_values([{"a": 1, "errors": 1}, {"a": 3, "errors": 2}, {"a": 2, "errors": 0}]) == {
        "a": 2,
        "errors": 3,
    }
    reps = [
        {"records": [{"backend": "sqlite", "scenario": "s", "phase": "p", "x": v}], "baseline": {}}
        for v in (5, 1, 3)
    ]
    merged = merge_repeats(reps)
    assert merged["records"][0]["x"] == 3 and merged["records"][0]["runs"] == 3


def test_query_mix_turns_every_filter_into_parameters() -> None:
    import random

    from bench.httpclient import RequestBuilder
    from bench.loadgen import QUERY_MIX, query_jobs

    gen = generator.TrafficGenerator(4, 200)
    gen.take(3000)
    catalog = gen.catalog(50).as_dict()
    catalog["stored_from"] = "2026-01-01T00:00:00.000000Z"
    catalog["stored_until"] = "2026-01-02T00:00:00.000000Z"

    class Driver:
        builder = RequestBuilder("127.0.0.1", 1, "key", "secret")

    jobs = query_jobs(Driver, {"max_pages": 4}, catalog, 2000, random.Random(1))  # type: ignore[arg-type]
    expected = {
        "agent": ["agent="],
        "verb": ["verb="],
        "activity": ["activity="],
        "related_activity": ["activity=", "related_activities=true"],
        "registration": ["registration="],
        "window": ["since=", "until="],
        "team": ["agent=", "related_agents=true"],
    }
    assert {job.kind for job in jobs} == set(QUERY_MIX)
    for job in jobs:
        params = job.label.split("?", 1)[1].split(" [")[0].split("&")
        assert params[-1].startswith("limit=")
        filters = [p for p in params[:-1] if p != "ascending=true"]
        wanted = [p for f in QUERY_MIX[job.kind][1] for p in expected[f]]
        assert len(filters) == len(wanted), job.label
        assert all(p.startswith(w) for p, w in zip(filters, wanted, strict=True)), job.label


def _record(backend: str, phase: str, scenario: str, **figures: object) -> dict:
    return {"backend": backend, "phase": phase, "scenario": scenario, **figures}


def test_targets_are_read_from_the_records() -> None:
    from bench import report

    records = [
        _record("sqlite", "single_c16", "single_post", statements_per_s=2000.0,
                latency_ms={"p99": 60.0}, server_cpu_us_per_statement=500.0, errors=0),
        _record("sqlite", "single_c16_at_100000", "stored_ingest", statements_per_s=1000.0,
                errors=1, warmup={"errors": 2}),
        _record("sqlite", "query_mix_1000000", "query_mix", latency_ms={"p95": 20.0}),
        _record("postgresql", "batch100_c4", "batch_post", statements_per_s=100.0, crash="x"),
    ]  # fmt: skip
    result = {"profile": "full", "summary": {"records": records, "baseline": {}}, "crashes": []}
    targets = {(t["backend"], t["target"]): t for t in report.evaluate_targets(result)}
    met = {key: t["met"] for key, t in targets.items()}
    assert met[("sqlite", "single POST c16: statements/s")] is True
    assert met[("sqlite", "single POST c16: p99 latency")] is False
    assert met[("sqlite", "batch-100 POST c4: statements/s")] is None  # not run
    share = targets[("sqlite", "single_c16 with 100,000 stored: share of the empty-store rate")]
    assert (share["measured"], share["met"]) == (50.0, False)
    assert met[("sqlite", "query mix at 1,000,000: p95 per page")] is True
    assert targets[("sqlite", "zero errors in every scenario")]["measured"] == 3
    assert targets[("postgresql", "zero errors in every scenario")]["measured"] == 1
    # Only where they apply: no State phase ran, PostgreSQL has no CPU target.
    assert not any("State" in target for _, target in targets)
    assert ("postgresql", "single POST c16: server CPU per statement") not in targets


def test_markdown_tables_have_a_cell_per_column() -> None:
    from bench import report

    records = [
        _record("sqlite", "single_c1", "single_post", concurrency=1, requests=10,
                statements=10, statements_per_s=5.0, latency_ms={"p50": 1.0}),
        _record("sqlite", "single_c8", "single_post", crash="server did not start"),
        _record("sqlite", "verify_10", "verify", command="lrs verify", events=10,
                wall_s=1.0, returncode=0, errors=0),
    ]  # fmt: skip
    result = {
        "profile": "quick", "started": "now", "duration_s": 1.0, "options": {"repeat": 1},
        "machine": {"cpu_model": "x", "logical_cores": 2, "physical_cores": 2, "ram_gib": 1,
                    "os": "y", "python": "3", "sqlite": "3", "load_average_at_start": [0.0],
                    "packages": {}},
        "summary": {"records": records, "baseline": {}}, "crashes": [], "notes": [],
    }  # fmt: skip
    result["targets"] = report.evaluate_targets(result)
    text = report.markdown(result, "run.json")
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    assert len(tables) == 3  # targets, scenarios, commands
    for table in tables:
        assert {row.count("|") for row in table} == {table[0].count("|")}, table
    assert "**crashed**: server did not start" in text
    assert "| `lrs verify` | 10 | 1.00 |" in text


def test_scaling_rows_give_each_sides_rate_per_core() -> None:
    from bench import report

    records = [
        _record("postgresql", "w2_single_c16", "scaling", statements_per_s=800.0,
                server_cpu_us_per_statement=1000.0, db_cpu_us_per_statement=250.0, errors=0),
        _record("postgresql", "w1_single_c16", "scaling", statements_per_s=500.0,
                server_cpu_us_per_statement=800.0, db_cpu_us_per_statement=200.0, errors=0),
        _record("postgresql", "w4_single_c16", "scaling", crash="server did not start"),
    ]  # fmt: skip
    lines = report.scaling_table(records)
    rows = [line for line in lines if line.startswith("| 1 ") or line.startswith("| 2 ")]
    # One row per process count that ran, in process order; 1e6 / µs per statement.
    assert rows == [
        f"| 1 | single_c16 | 500 | {report.DASH} | 800 | 200 | 1,250 | 5,000 | 0 |",
        f"| 2 | single_c16 | 800 | {report.DASH} | 1,000 | 250 | 1,000 | 4,000 | 0 |",
    ]
    assert not any(line.startswith("| 4 ") for line in lines)  # the crash is in the main table
