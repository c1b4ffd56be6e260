"""The competency rules, pure: no database, no clock (docs: shared competency design §3-§7).

- ``observe(statement)``: what of a statement evidence can be derived from (kept, so
  that a framework or an alignment that arrives later re-derives it: retroactivity);
- ``extract(observation, config)``: the evidence rows, by rules E1-E5 over the
  alignment sources A1-A5;
- ``recompute(rows, theta)``: a cell from its rows (one vote per activity and kind,
  one per authority), sorted by (t, statement id) so arrival order never matters;
- ``evaluate(cell, at)``: confidence, status, label and reason at an instant.

Times are integer microseconds since the epoch; only differences of times enter the
formulas, so shifting every time by the same amount changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lrs.clock import to_micros
from lrs.xapi import value_formats
from lrs.xapi.agents import identity, ifi_key, key_hash

DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class Params:
    """The model's constants (a change is a projection version bump: the view rebuilds)."""

    theta: float = 0.7          # mastery threshold when the framework gives none (CaSS's cut-off)
    h_level_days: float = 90.0  # recency half-life of the level
    h_conf_days: float = 365.0  # half-life of the evidence mass (forgetting)
    k: float = 2.0              # evidence mass giving confidence 1 - 1/e
    c_min: float = 0.5          # confidence needed to count as proficient

    def describe(self) -> dict[str, float]:
        return {"theta": self.theta, "hLevelDays": self.h_level_days, "hConfDays": self.h_conf_days,
                "k": self.k, "cMin": self.c_min}


PARAMS = Params()

# Weights of the kinds of evidence (§3).
W_AUTHORITY, W_ASSESSMENT, W_EXPOSURE = 3.0, 1.0, 0.25

ADL = "http://adlnet.gov/expapi/verbs/"
TLA = "https://w3id.org/xapi/tla/verbs/"
COMP = "https://w3id.org/xapi/comp/verbs/"
# E1: an authority says the learner has the competency.
GAIN_VERBS = frozenset(
    (f"{TLA}achieved", f"{ADL}achieved", f"{TLA}conferred", f"{TLA}asserted", f"{TLA}mastered",
     f"{COMP}achievedcompetency", f"{COMP}conferred", f"{COMP}asserted")
)
# E2: an authority takes it back.
LOSS_VERBS = frozenset(
    (f"{TLA}expired", f"{TLA}forfeited", f"{TLA}revoked", f"{ADL}expired", f"{ADL}forfeited",
     f"{COMP}expiredcompetency", f"{COMP}revoked")
)
# Verbs whose object is the learner and whose actor the granting organisation.
OBJECT_IS_LEARNER = frozenset(v for v in GAIN_VERBS | LOSS_VERBS if v.rsplit("/", 1)[-1] in ("conferred", "revoked"))
COMPLETION_VERBS = frozenset((f"{ADL}completed", "https://w3id.org/xapi/adl/verbs/satisfied"))
CONFIDENCE_EXT = "https://w3id.org/xapi/tla/extensions/confidence"
MASTERY_EXT = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
EXPIRES_EXT = "https://w3id.org/xapi/comp/contextextensions/expires"
# Our activity-definition extension (A3): [{competency, type, weight}].
ALIGNMENT_EXT = "https://w3id.org/xapi/lrs/extensions/competency-alignment"

CONTEXT_WEIGHTS = {"parent": 1.0, "grouping": 1.0, "other": 0.5, "category": 0.5}


def micros(timestamp: str) -> int | None:
    parsed = value_formats.parse_timestamp(timestamp)
    return None if parsed is None else to_micros(parsed)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def observe(statement: dict[str, Any]) -> dict[str, Any] | None:
    """What evidence may ever be derived from this statement, or None when no rule can
    match it (no result, completion or competency verb), or its learner is not an Agent."""
    verb = statement["verb"]["id"]
    result = statement.get("result") or {}
    score = (result.get("score") or {}).get("scaled")
    success, completion = result.get("success"), result.get("completion")
    if not (verb in GAIN_VERBS or verb in LOSS_VERBS or verb in COMPLETION_VERBS
            or score is not None or success is not None or completion is True):
        return None
    obj = statement["object"]
    learner = obj if verb in OBJECT_IS_LEARNER else statement["actor"]
    if learner.get("objectType", "Agent") != "Agent" or ifi_key(learner) is None:
        return None  # Groups are skipped in v1; an Agent as object only for conferred/revoked
    context = statement.get("context") or {}
    iris: list[list[str]] = []
    if obj.get("objectType", "Activity") != "SubStatement" and isinstance(obj.get("id"), str) and verb not in OBJECT_IS_LEARNER:
        iris.append([obj["id"], "object.id"])
    for kind in ("parent", "grouping", "other", "category"):
        for activity in (context.get("contextActivities") or {}).get(kind) or ():
            iris.append([activity["id"], f"context.contextActivities.{kind}"])
    definition = obj.get("definition") or {} if obj.get("objectType", "Activity") == "Activity" else {}
    if isinstance(definition.get("moreInfo"), str):
        iris.append([definition["moreInfo"], "object.definition.moreInfo"])
    declared = []
    for entry in (definition.get("extensions") or {}).get(ALIGNMENT_EXT) or ():
        if isinstance(entry, dict) and isinstance(entry.get("competency"), str):
            weight = _number(entry.get("weight"))
            declared.append({
                "competency": entry["competency"],
                "type": entry.get("type") if entry.get("type") in ("teaches", "assesses") else "assesses",
                "weight": weight if weight is not None and 0 < weight <= 1 else 1.0,
            })
    extensions = context.get("extensions") or {}
    stored = micros(statement["stored"])
    timestamp = micros(statement.get("timestamp") or statement["stored"])
    assert stored is not None and timestamp is not None
    expires = extensions.get(EXPIRES_EXT)
    authority = statement.get("authority")
    return {
        "learner_key": key_hash(ifi_key(learner) or ""), "learner": identity(learner),
        "activity_iri": obj.get("id") if verb not in OBJECT_IS_LEARNER and isinstance(obj.get("id"), str) else "",
        "verb": verb, "scaled": _number(score),
        "success": success if isinstance(success, bool) else None,
        "completion": completion if isinstance(completion, bool) else None,
        # Evidence time: never later than when the LRS learned of it (§1.3).
        "t_us": min(timestamp, stored),
        "data": {
            "iris": iris, "declared": declared,
            "confidence": _number((result.get("extensions") or {}).get(CONFIDENCE_EXT, extensions.get(CONFIDENCE_EXT))),
            "mastery": _number(extensions.get(MASTERY_EXT)),
            "expires_us": micros(expires) if isinstance(expires, str) else None,
            "authority": ifi_key(authority) or "" if isinstance(authority, dict) else "",
        },
    }


def mentions(observation: dict[str, Any]) -> set[str]:
    """The IRIs a later framework or alignment could make this observation evidence of."""
    data = observation["data"]
    return {iri for iri, _ in data["iris"]} | {d["competency"] for d in data["declared"]}


class Config(Protocol):
    def threshold(self, competency_iri: str) -> float | None:
        """The mastery threshold of a competency in use (None: not a competency)."""
        ...

    def alignments(self, activity_iri: str) -> list[dict[str, Any]]:
        """The admin alignments (A5) of an activity: [{competency_iri, type, weight}]."""
        ...


def aligned(observation: dict[str, Any], config: Config) -> list[tuple[str, str, float, str, bool]]:
    """(competency, alignment type, weight, path, via A1/A2) by sources A1-A5, the most
    specific first, one per competency."""
    found: dict[str, tuple[str, str, float, str, bool]] = {}

    def add(iri: str, kind: str, weight: float, path: str, direct: bool) -> None:
        if iri not in found and config.threshold(iri) is not None:
            found[iri] = (iri, kind, weight, path, direct)

    data = observation["data"]
    for iri, path in data["iris"]:
        if path == "object.id":
            add(iri, "direct", 1.0, path, True)                                        # A1
    for iri, path in data["iris"]:
        if path.startswith("context."):
            add(iri, "assesses", CONTEXT_WEIGHTS[path.rsplit(".", 1)[1]], path, True)  # A2
    for entry in data["declared"]:                                                    # A3
        add(entry["competency"], entry["type"], entry["weight"], "object.definition.extensions", False)
    for iri, path in data["iris"]:
        if path == "object.definition.moreInfo":
            add(iri, "teaches", 1.0, path, False)                                      # A4
    if observation["activity_iri"]:
        for alignment in config.alignments(observation["activity_iri"]):               # A5
            add(alignment["competency_iri"], alignment["type"], alignment["weight"], "alignment:admin", False)
    return [found[iri] for iri in sorted(found)]


def extract(observation: dict[str, Any], config: Config) -> list[dict[str, Any]]:
    """Evidence rows of an observation: the first matching rule per competency (§3)."""
    rows = []
    verb, data = observation["verb"], observation["data"]
    scaled, success = observation["scaled"], observation["success"]
    for iri, kind, weight, path, direct in aligned(observation, config):
        theta = config.threshold(iri)
        assert theta is not None
        row: dict[str, Any] = {"competency_iri": iri, "path": path, "valid_until_us": None,
                               "authority": data["authority"], "theta": theta}
        if verb in GAIN_VERBS and direct:                                            # E1
            c = data["confidence"]
            s = 1.0 if c is None else (max(-1.0, min(1.0, c)) + 1) / 2
            row.update(kind="authority", s=s, w=W_AUTHORITY, valid_until_us=data["expires_us"])
        elif verb in LOSS_VERBS and direct:                                          # E2
            row.update(kind="lifecycle", s=0.0, w=0.0)
        elif scaled is not None or success is not None:                              # E3
            if scaled is not None:
                s = max(scaled, 0.0)
                if success is True and data["mastery"] is not None:
                    s = max(s, theta)
                elif success is False:
                    s = min(s, theta - 0.01)
            else:
                s = 1.0 if success else 0.0
            w = W_ASSESSMENT * weight * (0.5 if kind == "teaches" else 1.0)
            row.update(kind="assessment", s=max(0.0, min(1.0, s)), w=w, valid_until_us=data["expires_us"])
        elif observation["completion"] is True or verb in COMPLETION_VERBS:          # E4
            row.update(kind="exposure", s=1.0, w=W_EXPOSURE * weight)
        else:
            continue
        rows.append(row)
    return rows


# ----------------------------------------------------------------------- the model


def _vote(row: dict[str, Any]) -> tuple[str, str]:
    """One vote per activity and kind; an authority's assertions count once each."""
    if row["kind"] == "authority":
        return ("authority", row["authority"])
    return (row["activity_iri"], row["kind"])


def _order(row: dict[str, Any]) -> tuple[int, str]:
    return (row["t_us"], row["statement_id"])


def active(rows: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The active scoring rows (latest per vote, by (t, statement id)), in that order,
    and which statement superseded each inactive one."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    scoring = [r for r in rows if r["kind"] != "lifecycle"]
    for row in sorted(scoring, key=_order):
        latest[_vote(row)] = row
    winners = {id(r) for r in latest.values()}
    superseded = {r["statement_id"]: latest[_vote(r)]["statement_id"] for r in scoring if id(r) not in winners}
    return sorted(latest.values(), key=_order), superseded


def recency(t_last: int, t: int, half_life_days: float) -> float:
    return float(2.0 ** (-(t_last - t) / (half_life_days * DAY_US)))


def level_of(rows: Sequence[dict[str, Any]], t_last: int, params: Params = PARAMS) -> float:
    weights = [r["w"] * recency(t_last, r["t_us"], params.h_level_days) for r in rows]
    level = math.fsum(w * r["s"] for w, r in zip(weights, rows, strict=True)) / math.fsum(weights)
    lo, hi = min(r["s"] for r in rows), max(r["s"] for r in rows)
    return min(hi, max(lo, level))  # rounding may not step outside the scores


def recompute(rows: Iterable[dict[str, Any]], theta: float, params: Params = PARAMS) -> dict[str, Any] | None:
    """A cell from its evidence rows (any order), or None when none is active."""
    rows = list(rows)
    evidence, _ = active(rows)
    if not evidence:
        return None
    t_last = evidence[-1]["t_us"]
    level = level_of(evidence, t_last, params)
    mass = math.fsum(r["w"] * recency(t_last, r["t_us"], params.h_conf_days) for r in evidence)
    positive = [r for r in evidence if r["s"] >= theta]
    trend = None
    if len(evidence) > 1:
        before = level_of(evidence[:-1], evidence[-2]["t_us"], params)
        trend = "higher" if evidence[-1]["s"] >= before else "lower"
    lapses = [r["t_us"] for r in rows if r["kind"] == "lifecycle"]
    return {
        "threshold": theta, "level": level, "mass_last": mass,
        "t_first_us": evidence[0]["t_us"], "t_last_us": t_last,
        "t_last_positive_us": positive[-1]["t_us"] if positive else None,
        "n_evidence": len(evidence),
        "n_assessed": sum(1 for r in evidence if r["kind"] in ("assessment", "authority")),
        "n_positive": len(positive), "n_negative": len(evidence) - len(positive),
        "n_sources": len({_vote(r)[1] if r["kind"] == "authority" else r["activity_iri"] for r in evidence}),
        "lapsed_at_us": max(lapses) if lapses else None,
        "valid_until_us": positive[-1]["valid_until_us"] if positive else None,
        "last_kind": evidence[-1]["kind"], "trend": trend,
    }


def holds(row: dict[str, Any], position: int | None) -> bool:
    """An evidence row's interval (design §8) contains ``position`` (None: now, the open rows)."""
    if position is None:
        return row["to_position"] is None
    return bool(row["from_position"] <= position and (row["to_position"] is None or row["to_position"] > position))


def cell_of(rows: Sequence[dict[str, Any]], position: int | None = None,
            params: Params = PARAMS) -> dict[str, Any] | None:
    """A cell as the log gave it at ``position`` (None: now) from every evidence row the
    cell ever had: recompute of the rows valid then, under the threshold they were
    derived with; ``updated_position``, the last position up to then that opened or
    closed one of them. Rows that begin after ``position`` play no part, so this equals
    the cell of a replay of the log to ``position``."""
    valid = [r for r in rows if holds(r, position)]
    cell = recompute(valid, valid[0]["theta"], params) if valid else None
    if cell is None:
        return None
    changed = 0
    for r in rows:
        if position is None or r["from_position"] <= position:
            changed = max(changed, r["from_position"])
            if r["to_position"] is not None and (position is None or r["to_position"] <= position):
                changed = max(changed, r["to_position"])
    return {"competency_iri": valid[0]["competency_iri"], "updated_position": changed, **cell}


def confidence(cell: dict[str, Any], at_us: int, params: Params = PARAMS) -> float:
    """1 - exp(-mass(at)/k); the mass decays from t_last with half-life h_conf."""
    elapsed = max(0, at_us - cell["t_last_us"])
    mass = cell["mass_last"] * 2.0 ** (-elapsed / (params.h_conf_days * DAY_US))
    return float(1.0 - math.exp(-mass / params.k))


def status(cell: dict[str, Any] | None, at_us: int, params: Params = PARAMS) -> str:
    if cell is None:
        return "none"
    positive = cell["t_last_positive_us"]
    if (cell["lapsed_at_us"] is not None and positive is not None and cell["lapsed_at_us"] > positive) or (
        cell["valid_until_us"] is not None and cell["valid_until_us"] < at_us
    ):
        return "lapsed"
    if cell["level"] >= cell["threshold"]:
        return "proficient" if confidence(cell, at_us, params) >= params.c_min else "needs-refresh"
    return "developing"


def label(level: float | None, scale: Sequence[dict[str, Any]]) -> str | None:
    """The highest band of the framework's scale whose min_score the level reaches."""
    if level is None:
        return None
    found = None
    for band in sorted(scale, key=lambda b: b["min_score"]):
        if band["min_score"] <= level:
            found = band["label"]
    return found


def reason(cell: dict[str, Any], state: str) -> str:
    if state == "lapsed":
        return "LAPSED"
    if state == "needs-refresh":
        return "STALE"
    if cell["last_kind"] == "authority":
        return "AUTHORITY"
    if cell["n_sources"] < 2 or cell["trend"] is None:
        return "FEW_SOURCES"
    return "RECENT_HIGHER" if cell["trend"] == "higher" else "RECENT_LOWER"


def evaluate(cell: dict[str, Any] | None, at_us: int, params: Params = PARAMS) -> dict[str, Any]:
    """Status, confidence and reason of a cell at ``at`` (a cell already cut to t <= at)."""
    state = status(cell, at_us, params)
    if cell is None:
        return {"status": state, "level": None, "confidence": 0.0, "reason": None}
    return {"status": state, "level": cell["level"], "confidence": confidence(cell, at_us, params),
            "reason": reason(cell, state)}


def cell_at(rows: Sequence[dict[str, Any]], theta: float, at_us: int, params: Params = PARAMS) -> dict[str, Any] | None:
    """The cell as the evidence up to ``at`` gives it (the level of a past instant)."""
    return recompute([r for r in rows if r["t_us"] <= at_us], theta, params)


def proficient_since(rows: Sequence[dict[str, Any]], theta: float, at_us: int,
                     params: Params = PARAMS) -> int | None:
    """When the cell became proficient and stayed so up to ``at`` (None: not proficient
    at ``at``): an exported credential's validFrom (design §10).

    Status only changes upward when evidence arrives; between two evidence instants
    confidence decays and an expiry may pass, so a stretch can only break there. Hence
    it suffices to evaluate the cell at each evidence instant and just before the next:
    a stretch broken by decay, expiry or a lapse starts again at the evidence that
    restored it."""
    instants = sorted({r["t_us"] for r in rows if r["t_us"] <= at_us})
    since = None
    for i, t in enumerate(instants):
        cell = cell_at(rows, theta, t, params)
        end = instants[i + 1] - 1 if i + 1 < len(instants) else at_us
        if status(cell, t, params) != "proficient":
            since = None
        elif since is None:
            since = t
        if since is not None and status(cell, end, params) != "proficient":
            since = None
    return since


# ------------------------------------------------------------------ gaps and ranking

IMPORTANCE_WEIGHT = {"essential": 1.0, "optional": 0.3}


def gap(required: float, cell: dict[str, Any] | None, at_us: int, params: Params = PARAMS) -> dict[str, Any]:
    """One requirement of a role against a learner's cell (§5)."""
    if cell is None:
        return {"gap": required, "gapType": "missing", "met": False, "credit": 0.0}
    state = status(cell, at_us, params)
    conf = confidence(cell, at_us, params)
    level = cell["level"]
    credit = (min(1.0, level / required) if required > 0 else 1.0) if conf >= params.c_min else 0.0
    if state == "lapsed":
        kind = "lapsed"
        credit = 0.0
    elif level < required:
        kind = "below"
    elif conf < params.c_min:
        kind = "stale"
    else:
        kind = "none"
    return {"gap": max(0.0, required - level), "gapType": kind, "met": kind == "none", "credit": credit}


def readiness(requirements: Sequence[tuple[str, float]]) -> float:
    """sum(importance * credit) / sum(importance) over (importance, credit) pairs: 0 to 1."""
    total = math.fsum(IMPORTANCE_WEIGHT[i] for i, _ in requirements)
    if total == 0:
        return 0.0
    return min(1.0, math.fsum(IMPORTANCE_WEIGHT[i] * c for i, c in requirements) / total)


def expert_order(cell: dict[str, Any], at_us: int, learner_key: str, params: Params = PARAMS) -> tuple[float, int, str]:
    return (-(cell["level"] * confidence(cell, at_us, params)), -cell["n_sources"], learner_key)


def learner_key_of(agent: dict[str, Any]) -> str:
    return key_hash(ifi_key(agent) or "")

