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
