"""Reads of the competency view: each takes a connection (live tables or a replay),
the store and the evaluation instant ``at_us``, and returns plain JSON.

Every number comes from logic (the same functions the fold uses): a cell whose
last evidence is later than ``at`` is recomputed from its rows up to ``at``.

A learner's reads also take ``as_of``, a log position the view has folded past: the
evidence rows valid then (from_position <= P < to_position, design §8) give the
cells as a replay of the log to P would, without the replay. The configuration
(items, frameworks) is read as it is now, which is what it was at P when no
configuration event came after P (api.routers.competency_common checks that).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from lrs.clock import format_utc, from_micros
from lrs.errors import InvalidParameter
from lrs.xapi.agents import key_hash
from projections.competency import logic
from projections.competency.schema import (
    CELLS,
    CONFIGURED,
    EVIDENCE,
    FRAMEWORKS,
    ITEMS,
    LEARNERS,
    RELATIONS,
    ROLES,
    TEAM_MEMBERS,
    TEAMS,
)

P = logic.PARAMS
frameworks_t, items_t, cells_t, evidence_t = FRAMEWORKS.sql, ITEMS.sql, CELLS.sql, EVIDENCE.sql


def when(us: int | None) -> str | None:
    return None if us is None else format_utc(from_micros(us))


# ------------------------------------------------------------------ configuration


def framework(conn: Connection, store: str, framework_id: str) -> dict[str, Any]:
    row = conn.execute(select(frameworks_t).where(
        frameworks_t.c.store_id == store, frameworks_t.c.framework_hash == key_hash(framework_id))).first()
    if row is None:
        raise InvalidParameter("framework", f"{framework_id} is not a framework of this store")
    return dict(row._mapping)


def frameworks(conn: Connection, store: str) -> dict[str, Any]:
    rows = conn.execute(select(frameworks_t).where(frameworks_t.c.store_id == store).order_by(frameworks_t.c.framework_id))
    return {"frameworks": [
        {"id": r.framework_id, "title": r.title, "format": r.format, "version": r.version, "retired": r.retired,
         "items": r.items, "scale": r.scale, "sourceSha256": r.source_sha256} for r in rows]}


def framework_items(conn: Connection, store: str, framework_hash: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(items_t).where(items_t.c.store_id == store, items_t.c.framework_hash == framework_hash)
                        .order_by(items_t.c.ordinal))
    return [dict(r._mapping) for r in rows]


def framework_tree(conn: Connection, store: str, framework_id: str) -> dict[str, Any]:
    fw = framework(conn, store, framework_id)
    items = framework_items(conn, store, fw["framework_hash"])
    relations = conn.execute(select(RELATIONS.sql).where(
        RELATIONS.sql.c.store_id == store, RELATIONS.sql.c.framework_hash == fw["framework_hash"])
        .order_by(RELATIONS.sql.c.source_iri, RELATIONS.sql.c.target_iri, RELATIONS.sql.c.type))
    nodes = {i["iri"]: {"iri": i["iri"], "code": i["code"], "name": i["name"], "type": i["type"],
                        "masteryThreshold": i["mastery_threshold"], "children": []} for i in items}
    roots: list[dict[str, Any]] = []
    for item in items:
        parent = nodes.get(item["parent_iri"] or "")
        (parent["children"] if parent is not None else roots).append(nodes[item["iri"]])
    return {"framework": {"id": fw["framework_id"], "title": fw["title"], "format": fw["format"],
                          "version": fw["version"], "retired": fw["retired"], "scale": fw["scale"]},
            "items": roots,
            "relations": [{"source": r.source_iri, "target": r.target_iri, "type": r.type} for r in relations]}


def item(conn: Connection, store: str, iri: str, name: str = "competency") -> dict[str, Any]:
    row = conn.execute(select(items_t).where(items_t.c.store_id == store, items_t.c.iri_hash == key_hash(iri))).first()
    if row is None:
        raise InvalidParameter(name, f"{iri} is not a competency of this store's frameworks")
    return dict(row._mapping)


def scale_of(conn: Connection, store: str, framework_hash: str, cache: dict[str, Any]) -> list[dict[str, Any]]:
    if framework_hash not in cache:
        row = conn.execute(select(frameworks_t.c.scale).where(
            frameworks_t.c.store_id == store, frameworks_t.c.framework_hash == framework_hash)).first()
        cache[framework_hash] = row.scale if row is not None else []
    found: list[dict[str, Any]] = cache[framework_hash]
    return found


def role(conn: Connection, store: str, role_id: str) -> dict[str, Any]:
    row = conn.execute(select(ROLES.sql).where(ROLES.sql.c.store_id == store, ROLES.sql.c.role_id == role_id)).first()
    if row is None:
        raise InvalidParameter("role", f"{role_id!r} is not a role of this store")
    return dict(row._mapping)


def team_members(conn: Connection, store: str, team_id: str) -> list[dict[str, Any]]:
    if conn.execute(select(TEAMS.sql.c.team_id).where(TEAMS.sql.c.store_id == store, TEAMS.sql.c.team_id == team_id)).first() is None:
        raise InvalidParameter("team", f"{team_id!r} is not a team of this store")
    rows = conn.execute(select(TEAM_MEMBERS.sql).where(
        TEAM_MEMBERS.sql.c.store_id == store, TEAM_MEMBERS.sql.c.team_id == team_id).order_by(TEAM_MEMBERS.sql.c.learner_key))
    return [dict(r._mapping) for r in rows]


def agents(conn: Connection, store: str, keys: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):
        for row in conn.execute(select(LEARNERS.sql).where(
                LEARNERS.sql.c.store_id == store, LEARNERS.sql.c.learner_key.in_(ordered[start:start + 500]))):
            found[row.learner_key] = row.agent
    return found


# ---------------------------------------------------------------------- cells


def valid(as_of: int | None) -> ColumnElement[bool]:
    """Evidence rows valid at log position ``as_of`` (None: now, the open rows)."""
    e = evidence_t.c
    if as_of is None:
        return e.to_position.is_(None)
    return and_(e.from_position <= as_of, or_(e.to_position.is_(None), e.to_position > as_of))


def evidence_rows(conn: Connection, store: str, learner: str, competency_hash: str,
                  as_of: int | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(select(evidence_t).where(
        evidence_t.c.store_id == store, evidence_t.c.learner_key == learner,
        evidence_t.c.competency_hash == competency_hash, valid(as_of)))
    return [dict(r._mapping) for r in rows]


def as_at(conn: Connection, row: dict[str, Any] | None, at_us: int, as_of: int | None = None) -> dict[str, Any] | None:
    """A stored cell as of ``at``: itself, or recomputed from its rows up to ``at``."""
    if row is None or row["t_first_us"] > at_us:
        return None
    if row["t_last_us"] <= at_us:
        return row
    rows = evidence_rows(conn, row["store_id"], row["learner_key"], row["competency_hash"], as_of)
    return logic.cell_at(rows, row["threshold"], at_us)


def configured(conn: Connection, store: str) -> int:
    """The position of the store's last configuration event (0: none yet)."""
    row = conn.execute(select(CONFIGURED.sql.c.position).where(CONFIGURED.sql.c.store_id == store)).first()
    return 0 if row is None else int(row.position)


def cells_as_of(conn: Connection, store: str, learner: str, as_of: int) -> list[dict[str, Any]]:
    """A learner's cells as the log gave them at position ``as_of``: from the evidence rows
    that began by then (one read by key prefix), by logic.cell_of."""
    return cells_where(conn, store, as_of, evidence_t.c.learner_key == learner)


def cells_where(conn: Connection, store: str, as_of: int, *tests: ColumnElement[bool]) -> list[dict[str, Any]]:
    """The cells at position ``as_of`` of the evidence rows that pass ``tests``, in key order."""
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in conn.execute(select(evidence_t).where(evidence_t.c.store_id == store, evidence_t.c.from_position <= as_of,
                                                   *tests)):
        by_cell[(r.learner_key, r.competency_hash)].append(dict(r._mapping))
    found = []
    for (learner, competency_hash) in sorted(by_cell):
        cell = logic.cell_of(by_cell[(learner, competency_hash)], as_of)
        if cell is not None:
            found.append({"store_id": store, "learner_key": learner, "competency_hash": competency_hash, **cell})
    return found


def learner_cells(conn: Connection, store: str, learner: str, at_us: int,
                  as_of: int | None = None) -> dict[str, dict[str, Any]]:
    """competency hash -> cell at ``at`` (as of log position ``as_of``; None: now)."""
    if as_of is None:
        rows = [dict(r._mapping) for r in conn.execute(
            select(cells_t).where(cells_t.c.store_id == store, cells_t.c.learner_key == learner))]
    else:
        rows = cells_as_of(conn, store, learner, as_of)
    found = {}
    for row in rows:
        cell = as_at(conn, row, at_us, as_of)
        if cell is not None:
            found[row["competency_hash"]] = cell
    return found


def competency_cells(conn: Connection, store: str, competency_hash: str, at_us: int,
                     as_of: int | None = None) -> dict[str, dict[str, Any]]:
    """learner key -> cell at ``at`` (as of log position ``as_of``; None: now)."""
    if as_of is None:
        rows = [dict(r._mapping) for r in conn.execute(
            select(cells_t).where(cells_t.c.store_id == store, cells_t.c.competency_hash == competency_hash))]
    else:
        rows = cells_where(conn, store, as_of, evidence_t.c.competency_hash == competency_hash)
    found = {}
    for row in rows:
        cell = as_at(conn, row, at_us, as_of)
        if cell is not None:
            found[row["learner_key"]] = cell
    return found


def describe(cell: dict[str, Any] | None, at_us: int, scale: list[dict[str, Any]]) -> dict[str, Any]:
    """A cell's numbers for an answer."""
    state = logic.evaluate(cell, at_us)
    if cell is None:
        return {"status": "none", "level": None, "label": None, "confidence": 0.0, "evidenceCount": 0}
    return {
        "status": state["status"], "level": cell["level"], "label": logic.label(cell["level"], scale),
        "confidence": state["confidence"], "threshold": cell["threshold"], "evidenceCount": cell["n_evidence"],
        "sources": cell["n_sources"], "firstEvidenceAt": when(cell["t_first_us"]),
        "lastEvidenceAt": when(cell["t_last_us"]), "validUntil": when(cell["valid_until_us"]),
        "reason": state["reason"],
    }


def profile(conn: Connection, store: str, learner: str, agent: dict[str, Any], framework_id: str | None,
            at_us: int, as_of: int | None = None) -> dict[str, Any]:
    cells = learner_cells(conn, store, learner, at_us, as_of)
    scales: dict[str, Any] = {}
    answer: dict[str, Any] = {"agent": agent}
    if framework_id is not None:
        fw = framework(conn, store, framework_id)
        answer["framework"] = {"id": fw["framework_id"], "title": fw["title"]}
        items = framework_items(conn, store, fw["framework_hash"])
    else:
        hashes = sorted(cells)
        items = [dict(r._mapping) for r in conn.execute(select(items_t).where(
            items_t.c.store_id == store, items_t.c.iri_hash.in_(hashes)))] if hashes else []
        items.sort(key=lambda i: (i["framework_hash"], i["ordinal"]))
    competencies = []
    for i in items:
        cell = cells.get(i["iri_hash"])
        if cell is None:
            continue
        competencies.append({"iri": i["iri"], "code": i["code"], "name": i["name"],
                             **describe(cell, at_us, scale_of(conn, store, i["framework_hash"], scales))})
    answer["competencies"] = competencies
    answer["rollups"] = rollups(items, cells, at_us) if framework_id is not None else []
    return answer


def rollups(items: list[dict[str, Any]], cells: dict[str, dict[str, Any]], at_us: int) -> list[dict[str, Any]]:
    """Parents: proficient children / children, and the mean level of the children with
    evidence (derived; design §4 roll-up)."""
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in items:
        if i["parent_iri"]:
            children[i["parent_iri"]].append(i)
    by_iri = {i["iri"]: i for i in items}
    out = []
    for parent in sorted(children, key=lambda p: by_iri[p]["ordinal"] if p in by_iri else 0):
        kids = children[parent]
        levels = [cells[k["iri_hash"]]["level"] for k in kids if k["iri_hash"] in cells]
        proficient = sum(1 for k in kids if logic.status(cells.get(k["iri_hash"]), at_us) == "proficient")
        out.append({"iri": parent, "name": by_iri[parent]["name"] if parent in by_iri else "",
                    "coverage": {"proficient": proficient, "children": len(kids)},
                    "level": sum(levels) / len(levels) if levels else None, "derived": True})
    return out


def evidence(conn: Connection, store: str, learner: str, competency_iri: str, at_us: int,
             negative: bool, as_of: int | None = None) -> dict[str, Any]:
    found = item(conn, store, competency_iri)
    rows = [r for r in evidence_rows(conn, store, learner, found["iri_hash"], as_of) if r["t_us"] <= at_us]
    threshold = found["mastery_threshold"] if found["mastery_threshold"] is not None else P.theta
    cell = logic.recompute(rows, threshold)
    active, superseded = logic.active(rows)
    active_ids = {r["statement_id"] for r in active}
    listed = []
    for r in sorted(rows, key=lambda r: (-r["t_us"], r["statement_id"])):
        if not negative and r["kind"] != "lifecycle" and r["s"] < threshold:
            continue
        entry: dict[str, Any] = {
            "statement": r["statement_id"], "activity": r["activity_iri"] or None, "kind": r["kind"],
            "score": r["s"], "weight": r["w"], "time": when(r["t_us"]), "path": r["path"],
            "active": r["statement_id"] in active_ids,
        }
        if cell is not None and entry["active"]:
            entry["recencyWeight"] = logic.recency(cell["t_last_us"], r["t_us"], P.h_level_days)
        if r["statement_id"] in superseded:
            entry["supersededBy"] = superseded[r["statement_id"]]
        listed.append(entry)
    summary: dict[str, Any] = {"params": {**P.describe(), "theta": threshold}}
    if cell is not None:
        summary.update(level=cell["level"], confidence=logic.confidence(cell, at_us), massLast=cell["mass_last"],
                       tLast=when(cell["t_last_us"]), status=logic.status(cell, at_us))
    return {"competency": competency_iri, "cell": summary, "evidence": listed}


def history(conn: Connection, store: str, learner: str, competency_iri: str, start_us: int, end_us: int,
            step_us: int, as_of: int | None = None) -> dict[str, Any]:
    found = item(conn, store, competency_iri)
    rows = evidence_rows(conn, store, learner, found["iri_hash"], as_of)
    threshold = found["mastery_threshold"] if found["mastery_threshold"] is not None else P.theta
    points: list[dict[str, Any]] = []
    t = start_us
    while t <= end_us and len(points) < 1000:
        cell = logic.cell_at(rows, threshold, t)
        state = logic.evaluate(cell, t)
        points.append({"at": when(t), "status": state["status"], "level": state["level"],
                       "confidence": state["confidence"]})
        t += step_us
    return {"competency": competency_iri, "points": points}
