"""The competency model's rules (projections.competency.logic), by hypothesis: bounds,
order and time-translation independence, weight-scale invariance, monotonicity, one
vote per activity, and a plain oracle (design §11, properties 6-10 and 13)."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.competency import logic

DAY = logic.DAY_US
THETA = 0.7
KINDS = ("assessment", "exposure", "authority")


@st.composite
def rows(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> list[dict]:
    n = draw(st.integers(min_size, max_size))
    out = []
    for i in range(n):
        kind = draw(st.sampled_from(KINDS))
        out.append({
            "statement_id": f"{i:08d}-{draw(st.integers(0, 99)):02d}", "kind": kind,
            "activity_iri": f"urn:a:{draw(st.integers(0, 4))}", "authority": f"auth:{draw(st.integers(0, 2))}",
            "s": draw(st.floats(0, 1)), "w": draw(st.sampled_from((0.25, 0.5, 1.0, 3.0))),
            "t_us": draw(st.integers(0, 800)) * DAY // 4, "valid_until_us": None,
        })
    return out


def oracle(evidence: list[dict], theta: float, at: int) -> tuple[float, float]:
    """Level and confidence(at) with naive loops over the latest row per vote."""
    latest: dict = {}
    for r in evidence:
        vote = ("authority", r["authority"]) if r["kind"] == "authority" else (r["activity_iri"], r["kind"])
        if vote not in latest or (r["t_us"], r["statement_id"]) > (latest[vote]["t_us"], latest[vote]["statement_id"]):
            latest[vote] = r
    active = list(latest.values())
    t_last = max(r["t_us"] for r in active)
    num = math.fsum(r["w"] * 0.5 ** ((t_last - r["t_us"]) / (90 * DAY)) * r["s"] for r in active)
    den = math.fsum(r["w"] * 0.5 ** ((t_last - r["t_us"]) / (90 * DAY)) for r in active)
    mass = math.fsum(r["w"] * 0.5 ** ((at - r["t_us"]) / (365 * DAY)) for r in active)
    return num / den, 1 - math.exp(-mass / 2.0)


@given(rows())
def test_bounds(evidence: list[dict]) -> None:
    cell = logic.recompute(evidence, THETA)
    assert cell is not None
    active, _ = logic.active(evidence)
    assert min(r["s"] for r in active) <= cell["level"] <= max(r["s"] for r in active)
    at = cell["t_last_us"] + 10 * DAY
    assert 0 <= logic.confidence(cell, at) < 1


@given(rows(), st.randoms())
def test_order_of_the_rows_does_not_matter(evidence: list[dict], rnd: random.Random) -> None:
    shuffled = list(evidence)
    rnd.shuffle(shuffled)
    assert logic.recompute(shuffled, THETA) == logic.recompute(evidence, THETA)


@given(rows(), st.integers(-10**15, 10**15), st.integers(0, 2000))
def test_shifting_every_time_changes_nothing(evidence: list[dict], delta: int, after: int) -> None:
    moved = [{**r, "t_us": r["t_us"] + delta} for r in evidence]
    cell, shifted = logic.recompute(evidence, THETA), logic.recompute(moved, THETA)
    assert cell is not None and shifted is not None
    at = cell["t_last_us"] + after * DAY // 8
    assert logic.evaluate(cell, at) == logic.evaluate(shifted, at + delta)


@given(rows(), st.sampled_from((0.001, 0.5, 3.0, 1000.0)))
def test_scaling_every_weight_leaves_the_level(evidence: list[dict], scale: float) -> None:
    cell = logic.recompute(evidence, THETA)
    scaled = logic.recompute([{**r, "w": r["w"] * scale} for r in evidence], THETA)
    assert cell is not None and scaled is not None
    assert math.isclose(cell["level"], scaled["level"], rel_tol=1e-12, abs_tol=1e-12)


@given(rows(), st.floats(0, 1), st.integers(0, 800), st.sampled_from(("assessment", "exposure")))
def test_new_evidence_moves_the_level_towards_its_score_and_raises_confidence(
    evidence: list[dict], s: float, day: int, kind: str
) -> None:
    before = logic.recompute(evidence, THETA)
    assert before is not None
    new = {"statement_id": "zzzz", "kind": kind, "activity_iri": "urn:a:new", "authority": "auth:0", "s": s,
           "w": 1.0, "t_us": day * DAY // 4, "valid_until_us": None}
    after = logic.recompute([*evidence, new], THETA)
    assert after is not None
    if s >= before["level"]:
        assert after["level"] >= before["level"] - 1e-12
    else:
        assert after["level"] <= before["level"] + 1e-12
    at = max(after["t_last_us"], new["t_us"]) + DAY
    assert logic.confidence(after, at) >= logic.confidence(before, at) - 1e-12


@given(rows(), st.integers(0, 3000), st.integers(0, 3000))
def test_without_new_evidence_confidence_only_falls(evidence: list[dict], a: int, b: int) -> None:
    cell = logic.recompute(evidence, THETA)
    assert cell is not None
    early, late = sorted((a, b))
    start = cell["t_last_us"]
    assert logic.confidence(cell, start + late * DAY // 4) <= logic.confidence(cell, start + early * DAY // 4)


@given(rows(), st.data())
def test_an_older_attempt_of_a_known_activity_changes_nothing(evidence: list[dict], data: st.DataObject) -> None:
    scored = [r for r in evidence if r["kind"] != "authority"]
    if not scored:
        return
    known = data.draw(st.sampled_from(scored))
    older = {**known, "statement_id": "00000000-older", "t_us": known["t_us"] - 1, "s": data.draw(st.floats(0, 1))}
    # Only older than the latest row of its vote (activity, kind): then it is superseded.
    latest = max((r for r in scored if (r["activity_iri"], r["kind"]) == (known["activity_iri"], known["kind"])),
                 key=lambda r: (r["t_us"], r["statement_id"]))
    older["t_us"] = min(older["t_us"], latest["t_us"] - 1)
    assert logic.recompute([*evidence, older], THETA) == logic.recompute(evidence, THETA)


@given(rows(), st.integers(0, 3000))
def test_the_oracle_agrees(evidence: list[dict], later: int) -> None:
    cell = logic.recompute(evidence, THETA)
    assert cell is not None
    at = cell["t_last_us"] + later * DAY // 4
    level, confidence = oracle(evidence, THETA, at)
    assert math.isclose(cell["level"], level, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(logic.confidence(cell, at), confidence, rel_tol=1e-12, abs_tol=1e-12)


def test_the_design_figures() -> None:
    """One passed assessment gives 0.39, three give 0.78, one assertion (w=3) 0.78."""
    one = {"statement_id": "a", "kind": "assessment", "activity_iri": "urn:a", "authority": "", "s": 0.9,
           "w": 1.0, "t_us": 0, "valid_until_us": None}
    assert round(logic.confidence(logic.recompute([one], THETA) or {}, 0), 2) == 0.39
    three = [{**one, "statement_id": str(i), "activity_iri": f"urn:a{i}"} for i in range(3)]
    assert round(logic.confidence(logic.recompute(three, THETA) or {}, 0), 2) == 0.78
    asserted = {**one, "kind": "authority", "w": 3.0, "s": 0.78}
    cell = logic.recompute([asserted], THETA)
    assert cell is not None and round(logic.confidence(cell, 0), 2) == 0.78
    two_years = 730 * DAY
    assert logic.status(cell, two_years) == "needs-refresh" and round(logic.confidence(cell, two_years), 2) == 0.31


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(("essential", "optional")), st.floats(0, 1)), min_size=1, max_size=8),
       st.data())
def test_readiness_is_bounded_and_monotone_in_credit(reqs: list, data: st.DataObject) -> None:
    value = logic.readiness(reqs)
    assert 0 <= value <= 1
    i = data.draw(st.integers(0, len(reqs) - 1))
    raised = list(reqs)
    raised[i] = (reqs[i][0], data.draw(st.floats(reqs[i][1], 1)))
    assert logic.readiness(raised) >= value - 1e-12


@given(st.floats(0.05, 1), st.floats(0, 1), st.floats(0, 1))
def test_a_higher_level_never_lowers_a_requirements_credit(required: float, low: float, high: float) -> None:
    low, high = sorted((low, high))
    base = {"statement_id": "a", "kind": "assessment", "activity_iri": "urn:a", "authority": "", "w": 3.0,
            "t_us": 0, "valid_until_us": None}
    cells = [logic.recompute([{**base, "s": s}], THETA) for s in (low, high)]
    credits = [logic.gap(required, c, DAY)["credit"] for c in cells]
    assert credits[1] >= credits[0]


def _authority(sid: str, t: int, *, kind: str = "authority", authority: str = "auth:0") -> dict:
    return {"statement_id": sid, "kind": kind, "activity_iri": "urn:c", "authority": authority,
            "s": 1.0 if kind == "authority" else 0.0, "w": 3.0 if kind == "authority" else 0.0,
            "t_us": t, "valid_until_us": None}


def test_proficient_since_is_the_start_of_the_current_proficient_stretch() -> None:
    # One assertion (w = 3, confidence 0.78) stays proficient until its mass decays
    # below 2 ln 2 (about 406 days); a second one 30 days later keeps the stretch.
    first, again = _authority("a", 0), _authority("b", 30 * DAY, authority="auth:1")
    assert logic.proficient_since([first, again], THETA, 100 * DAY) == 0
    # Re-asserted after it had decayed to needs-refresh: a new stretch.
    late = _authority("c", 500 * DAY, authority="auth:1")
    assert logic.status(logic.cell_at([first], THETA, 499 * DAY), 499 * DAY) == "needs-refresh"
    assert logic.proficient_since([first, late], THETA, 600 * DAY) == 500 * DAY
    # Lapsed (revoked) in between, then asserted again: from the new assertion.
    revoked = _authority("r", 40 * DAY, kind="lifecycle")
    regained = _authority("d", 50 * DAY, authority="auth:1")
    assert logic.proficient_since([first, revoked, regained], THETA, 60 * DAY) == 50 * DAY
    # Not proficient at `at`: none.
    assert logic.proficient_since([first, revoked], THETA, 60 * DAY) is None
    assert logic.proficient_since([first], THETA, 700 * DAY) is None


@given(rows(), st.integers(0, 900))
def test_proficient_since_agrees_with_the_status_at_every_instant(evidence: list[dict], days: int) -> None:
    at = days * DAY // 4 * 2
    since = logic.proficient_since(evidence, THETA, at)
    assert (since is not None) == (logic.status(logic.cell_at(evidence, THETA, at), at) == "proficient")
    if since is not None:
        # Proficient at every instant from `since` to `at`, checked on a grid and at each evidence instant.
        probes = {since, at, *(r["t_us"] for r in evidence if since <= r["t_us"] <= at)}
        probes |= set(range(since, at + 1, max(1, (at - since) // 50)))
        assert all(logic.status(logic.cell_at(evidence, THETA, t), t) == "proficient" for t in probes)
        # And it starts there: just before, it was not (or there was no evidence yet).
        assert since == 0 or logic.status(logic.cell_at(evidence, THETA, since - 1), since - 1) != "proficient"
