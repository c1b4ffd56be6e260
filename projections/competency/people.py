"""Reads about people: experts, pairings, role gaps with recommendations, the team heat
map and coverage (design §5-§7). Every list has a total order, so the same inputs
always give the same answer. ``as_of`` (a log position, or None: now) selects the
evidence rows valid then, as in projections.competency.queries.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, select

from lrs.errors import InvalidParameter
from lrs.xapi.agents import key_hash
from projections.competency import logic
from projections.competency.queries import (
    agents,
    as_at,
    cells_where,
    competency_cells,
    framework,
    framework_items,
    item,
    learner_cells,
    role,
    scale_of,
    team_members,
    valid,
    when,
)
from projections.competency.schema import (
    ALIGNMENTS,
    CELLS,
    EVIDENCE,
    ITEMS,
    RELATIONS,
    TEAM_MEMBERS,
)

P = logic.PARAMS


def _threshold(found: dict[str, Any]) -> float:
    return P.theta if found["mastery_threshold"] is None else float(found["mastery_threshold"])


def minimum(conn: Connection, store: str, found: dict[str, Any], value: float | str) -> dict[str, Any]:
    """A minimum level given as a number, or as a label of the competency's framework
    scale (its band's min_score): {"level", "label"}."""
    scale = scale_of(conn, store, found["framework_hash"], {})
    if isinstance(value, str):
        band = next((b for b in scale if b["label"] == value), None)
        if band is None:
            labels = ", ".join(b["label"] for b in scale) or "none: give a number from 0 to 1"
            raise InvalidParameter("minLevel", f"{value!r} is not a label of the competency's framework scale ({labels})")
        return {"level": band["min_score"], "label": value}
    return {"level": value, "label": logic.label(value, scale)}


def experts(conn: Connection, store: str, competency_iri: str, at_us: int, *, team: str | None = None,
            min_level: float | str | None = None, limit: int = 10, as_of: int | None = None) -> dict[str, Any]:
    found = item(conn, store, competency_iri)
    ranked = ranked_experts(conn, store, found["iri_hash"], at_us, as_of)
    if team is not None:
        members = {m["learner_key"] for m in team_members(conn, store, team)}
        ranked = [e for e in ranked if e[0] in members]
    least = None if min_level is None else minimum(conn, store, found, min_level)
    if least is not None:
        ranked = [e for e in ranked if e[1]["level"] >= least["level"]]
    ranked = ranked[:limit]
    names = agents(conn, store, {key for key, _ in ranked})
    return {"competency": competency_iri, **({"minLevel": least} if least is not None else {}), "experts": [
        {"agent": names.get(key), "level": cell["level"], "confidence": logic.confidence(cell, at_us),
         "score": cell["level"] * logic.confidence(cell, at_us), "evidenceCount": cell["n_evidence"],
         "sources": cell["n_sources"], "lastEvidenceAt": when(cell["t_last_us"])} for key, cell in ranked]}


def ranked_experts(conn: Connection, store: str, competency_hash: str, at_us: int,
                   as_of: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Proficient cells at ``at``: level x confidence desc, sources desc, learner key."""
    cells = competency_cells(conn, store, competency_hash, at_us, as_of)
    proficient = [(key, c) for key, c in cells.items() if logic.status(c, at_us) == "proficient"]
    return sorted(proficient, key=lambda e: logic.expert_order(e[1], at_us, e[0]))


def pairings(conn: Connection, store: str, competency_iri: str, team: str, at_us: int, per_expert: int = 3,
             as_of: int | None = None) -> dict[str, Any]:
    """Experts of the team x team members with a missing or below gap, capped per expert."""
    found = item(conn, store, competency_iri)
    members = {m["learner_key"]: m["agent"] for m in team_members(conn, store, team)}
    cells = competency_cells(conn, store, found["iri_hash"], at_us, as_of)
    threshold = _threshold(found)
    experts_ = [key for key, _ in ranked_experts(conn, store, found["iri_hash"], at_us, as_of) if key in members]
    learners = []
    for key in sorted(members):
        g = logic.gap(threshold, cells.get(key), at_us)
        if g["gapType"] in ("missing", "below"):
            learners.append((-g["gap"], key))
    learners.sort()
    pairs, queue = [], [key for _, key in learners]
    for expert in experts_:
        taken, queue = queue[:per_expert], queue[per_expert:]
        if taken:
            pairs.append({"expert": members[expert], "learners": [members[k] for k in taken]})
    return {"competency": competency_iri, "team": team, "pairings": pairs,
            "unpaired": [members[k] for k in queue]}


def _required(req: dict[str, Any], scale: list[dict[str, Any]]) -> float:
    level = req["min_level"]
    if isinstance(level, str):
        return next((b["min_score"] for b in scale if b["label"] == level), P.theta)
    return float(level)


def gaps(conn: Connection, store: str, learner: str, agent: dict[str, Any], role_id: str, at_us: int,
         *, with_recommendations: bool = True, as_of: int | None = None) -> dict[str, Any]:
    found_role = role(conn, store, role_id)
    cells = learner_cells(conn, store, learner, at_us, as_of)
    scales: dict[str, Any] = {}
    met, open_, credits = [], [], []
    for req in found_role["requirements"]:
        comp = item(conn, store, req["competency_iri"], "role")
        required = _required(req, scale_of(conn, store, comp["framework_hash"], scales))
        cell = cells.get(comp["iri_hash"])
        g = logic.gap(required, cell, at_us)
        credits.append((req["importance"], g["credit"]))
        entry = {"competency": comp["iri"], "name": comp["name"], "importance": req["importance"],
                 "required": required, "level": cell["level"] if cell else None,
                 "confidence": logic.confidence(cell, at_us) if cell else 0.0}
        if g["met"]:
            met.append(entry)
        else:
            open_.append({**entry, "gapType": g["gapType"], "gap": g["gap"]})
    open_.sort(key=lambda e: (-logic.IMPORTANCE_WEIGHT[e["importance"]], -e["gap"], e["competency"]))
    met.sort(key=lambda e: e["competency"])
    if with_recommendations:
        team_keys = _teammates(conn, store, learner)
        for entry in open_:
            entry["recommendations"] = recommend(conn, store, learner, entry, cells, at_us, as_of)
            entry["helpers"] = helpers(conn, store, entry["competency"], at_us, team_keys, exclude=learner, as_of=as_of)
    return {"agent": agent, "role": {"id": found_role["role_id"], "name": found_role["name"], "source": found_role["source"]},
            "readiness": logic.readiness(credits), "met": met, "gaps": open_}


def _teammates(conn: Connection, store: str, learner: str) -> set[str]:
    t = TEAM_MEMBERS.sql
    teams = [r.team_id for r in conn.execute(select(t.c.team_id).where(t.c.store_id == store, t.c.learner_key == learner))]
    if not teams:
        return set()
    return {r.learner_key for r in conn.execute(select(t.c.learner_key).where(t.c.store_id == store, t.c.team_id.in_(teams)))}


def helpers(conn: Connection, store: str, competency_iri: str, at_us: int, team: set[str], *, exclude: str,
            as_of: int | None = None) -> list[dict[str, Any]]:
    """The top 3 experts in the competency, the learner's teammates first."""
    ranked = [(key, c) for key, c in ranked_experts(conn, store, key_hash(competency_iri), at_us, as_of)
              if key != exclude]
    ranked.sort(key=lambda e: (e[0] not in team, *logic.expert_order(e[1], at_us, e[0])))
    names = agents(conn, store, {key for key, _ in ranked[:3]})
    return [{"agent": names.get(key), "level": c["level"], "confidence": logic.confidence(c, at_us),
             "sameTeam": key in team} for key, c in ranked[:3]]


def recommend(conn: Connection, store: str, learner: str, gap: dict[str, Any], cells: dict[str, Any],
              at_us: int, as_of: int | None = None) -> list[dict[str, Any]]:
    """Next activities for one gap: a precedes-predecessor not yet proficient first (its
    activities, marked as prerequisite), then the competency's own (design §6)."""
    target = item(conn, store, gap["competency"])
    out = []
    r = RELATIONS.sql
    predecessors = sorted(row.source_iri for row in conn.execute(select(r.c.source_iri).where(
        r.c.store_id == store, r.c.target_hash == target["iri_hash"], r.c.type == "precedes")))
    missing = [p for p in predecessors if logic.status(cells.get(key_hash(p)), at_us) != "proficient"]
    for p in missing:
        for rec in candidates(conn, store, learner, p, "missing", 0.0, prerequisites_ok=True, as_of=as_of):
            out.append({**rec, "competency": p, "why": [f"prerequisite of {gap['competency']}", *rec["why"]]})
    for rec in candidates(conn, store, learner, gap["competency"], gap["gapType"], gap["gap"],
                          prerequisites_ok=not missing, as_of=as_of):
        out.append({**rec, "competency": gap["competency"]})
    return out[:10]


def candidates(conn: Connection, store: str, learner: str, competency_iri: str, gap_type: str, gap: float,
               *, prerequisites_ok: bool, as_of: int | None = None) -> list[dict[str, Any]]:
    found = item(conn, store, competency_iri)
    threshold = _threshold(found)
    kinds: dict[str, tuple[str, float]] = {}
    a = ALIGNMENTS.sql
    for row in conn.execute(select(a).where(a.c.store_id == store, a.c.competency_hash == found["iri_hash"])):
        kinds[row.activity_iri] = (row.type, row.weight)
    e = EVIDENCE.sql
    passed, seen = set(), defaultdict(list)
    for row in conn.execute(select(e.c.activity_iri, e.c.path, e.c.learner_key, e.c.s, e.c.kind).where(
            e.c.store_id == store, e.c.competency_hash == found["iri_hash"], e.c.activity_iri != "", valid(as_of))):
        seen[row.activity_iri].append(row)
        if row.learner_key == learner and row.s >= threshold:
            passed.add(row.activity_iri)
    for activity, rows in seen.items():
        if activity not in kinds:
            kinds[activity] = ("teaches" if rows[0].path == "object.definition.moreInfo" else "assesses", 1.0)
    prefer = "assesses" if gap_type == "stale" or (gap_type == "below" and gap < 0.1) else "teaches"
    ranked = []
    for activity, (kind, weight) in kinds.items():
        if activity in passed:
            continue
        rate = pass_rate(conn, store, activity, threshold, as_of)
        why = []
        why.append("verifies a stale competency" if prefer == "assesses" and kind == "assesses" else
                   f"{kind} the {'missing' if gap_type == 'missing' else 'needed'} competency")
        why.append("prerequisites met" if prerequisites_ok else "prerequisites not yet met")
        if rate is not None:
            why.append(f"pass rate {rate:.2f}")
        key = (not prerequisites_ok, kind != prefer, -weight, -(rate or 0.0), activity)
        ranked.append((key, {"activity": activity, "alignment": kind, "weight": weight, "passRate": rate, "why": why}))
    return [rec for _, rec in sorted(ranked, key=lambda r: r[0])]


def pass_rate(conn: Connection, store: str, activity_iri: str, threshold: float,
              as_of: int | None = None) -> float | None:
    """Share of the active assessment rows on the activity (latest per learner and
    competency) with a score at the threshold."""
    e = EVIDENCE.sql
    latest: dict[tuple[str, str], tuple[int, str, float]] = {}
    for row in conn.execute(select(e.c.learner_key, e.c.competency_hash, e.c.t_us, e.c.statement_id, e.c.s).where(
            e.c.store_id == store, e.c.activity_hash == key_hash(activity_iri), e.c.kind == "assessment",
            valid(as_of))):
        key = (row.learner_key, row.competency_hash)
        if key not in latest or (row.t_us, row.statement_id) > latest[key][:2]:
            latest[key] = (row.t_us, row.statement_id, row.s)
    if not latest:
        return None
    return sum(1 for _, _, s in latest.values() if s >= threshold) / len(latest)


def scope_items(conn: Connection, store: str, role_id: str | None, framework_id: str | None) -> list[dict[str, Any]]:
    """The competencies of a role's requirements, or of a framework."""
    if role_id is not None:
        return [item(conn, store, r["competency_iri"], "role") for r in role(conn, store, role_id)["requirements"]]
    assert framework_id is not None
    return framework_items(conn, store, framework(conn, store, framework_id)["framework_hash"])


def heatmap(conn: Connection, store: str, members: dict[str, Any], items: list[dict[str, Any]], at_us: int,
            as_of: int | None = None) -> dict[str, Any]:
    """Members x competencies: how many are in each status, and the mean level. The
    members' cells are read in one query (by learner, the cells' key prefix)."""
    by_competency: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    c = CELLS.sql
    keys = sorted(members)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        if as_of is None:
            rows = [dict(r._mapping) for r in conn.execute(
                select(c).where(c.c.store_id == store, c.c.learner_key.in_(chunk)))]
        else:
            rows = cells_where(conn, store, as_of, EVIDENCE.sql.c.learner_key.in_(chunk))
        for row in rows:
            cell = as_at(conn, row, at_us, as_of)
            if cell is not None:
                by_competency[row["competency_hash"]][row["learner_key"]] = cell
    rows = []
    for comp in items:
        cells = by_competency.get(comp["iri_hash"], {})
        counts = {"proficient": 0, "needs-refresh": 0, "developing": 0, "lapsed": 0, "none": 0}
        levels = []
        for key in members:
            cell = cells.get(key)
            counts[logic.status(cell, at_us)] += 1
            if cell is not None:
                levels.append(cell["level"])
        rows.append({"competency": comp["iri"], "name": comp["name"], "proficient": counts["proficient"],
                     "needsRefresh": counts["needs-refresh"], "developing": counts["developing"],
                     "lapsed": counts["lapsed"], "none": counts["none"],
                     "meanLevel": sum(levels) / len(levels) if levels else None})
    return {"members": len(members), "rows": rows}


def coverage(conn: Connection, store: str, items: list[dict[str, Any]], min_experts: int, at_us: int,
             as_of: int | None = None) -> dict[str, Any]:
    """Competencies with fewer than ``min_experts`` proficient people: knowledge at risk."""
    at_risk = []
    for comp in items:
        ranked = ranked_experts(conn, store, comp["iri_hash"], at_us, as_of)
        if len(ranked) < min_experts:
            names = agents(conn, store, {key for key, _ in ranked})
            at_risk.append({"competency": comp["iri"], "name": comp["name"], "proficient": len(ranked),
                            "experts": [names.get(key) for key, _ in ranked]})
    at_risk.sort(key=lambda r: (r["proficient"], r["competency"]))
    return {"minExperts": min_experts, "competencies": len(items), "atRisk": at_risk}


def item_rows(conn: Connection, store: str, hashes: list[str]) -> list[dict[str, Any]]:
    i = ITEMS.sql
    return [dict(r._mapping) for r in conn.execute(select(i).where(i.c.store_id == store, i.c.iri_hash.in_(hashes)))]
