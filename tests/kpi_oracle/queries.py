"""The KPI reads as first written (the oracle of tests/unit/test_kpi_sql_oracle.py).

Reads of the KPI view: load facts, the programme definition valid at the
answer's position and the store's settings from a connection (live tables or a
replay), work the KPIs out (projections.kpi.engine) and pass every cell through
the disclosure layer (projections.disclosure).

Every function returns the JSON answer with, under ``TIDY``, the same figures as
rows of the tidy long format the CSV export writes (docs/kpi.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from lrs.errors import InvalidParameter
from projections.disclosure import Disclosure, hidden, share
from projections.kpi.queries import (
    OBSERVATIONAL,
    SERIES_METRICS,
    TIDY,
    _name,
    _names,
    _window_json,
    definition,
    definitions,
    policy,
    store_settings,
)
from projections.kpi.schema import facts
from projections.kpi.scope import NO_TEAM, team_lookup
from projections.windows import GRAINS, Period, buckets_between, current_quarter
from projections.windows import parse_period as parse_window
from tests.kpi_oracle import engine
from tests.kpi_oracle.engine import Fact, Programme

_FACT_COLUMNS = [c for c in facts.c if c.name != "store_id"]


# ------------------------------------------------------------------ loading


_NAMES = [c.name for c in _FACT_COLUMNS]
_JSON = [i for i, name in enumerate(_NAMES) if name in ("parent_ids", "grouping_ids", "category_ids")]
_BOOL = [i for i, name in enumerate(_NAMES) if name in ("success", "completion", "group_mode")]
_SELECT = f"SELECT {', '.join(_NAMES)} FROM kpi_facts WHERE store_id = {{}}"


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _fetch(conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def load_facts(conn: Connection, store: str, where: str = "", params: Sequence[Any] = ()) -> list[Fact]:
    """The store's fact rows (those matching ``where``, SQL with ``{p}`` for each
    placeholder) as plain dicts. Read through the driver's cursor: at 100,000 rows,
    building SQLAlchemy rows costs more than the KPI math itself."""
    p = _placeholder(conn)
    sql = _SELECT.format(p) + (" AND (" + where.format(p=p) + ")" if where else "")
    rows = _fetch(conn, sql, (store, *params))
    loads, out = orjson.loads, []
    for row in rows:
        values = list(row)
        for i in _JSON:
            values[i] = loads(values[i])
        for i in _BOOL:
            if values[i] is not None:
                values[i] = bool(values[i])
        out.append(dict(zip(_NAMES, values, strict=True)))
    return out


def _chunks(items: Sequence[str], size: int = 400) -> list[Sequence[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _like(value: str) -> str:
    """A LIKE pattern matching a JSON array holding ``value`` (a prefilter: SQLite's
    LIKE ignores ASCII case, so the rows are checked again exactly in Python)."""
    quoted = orjson.dumps(value).decode()
    return "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def programme_facts(conn: Connection, store: str, definition: dict[str, Any]) -> list[Fact]:
    """The facts that may belong to a programme, read by activity rather than the
    whole store: the activity tree first (distinct activity x parents), then facts
    on the programme's activities and facts whose context names one of them."""
    p = _placeholder(conn)
    edges = _fetch(conn, f"SELECT DISTINCT activity_id, parent_ids FROM kpi_facts WHERE store_id = {p} "
                         "AND parent_ids <> '[]'", (store,))
    tree = engine.descendants(
        ({"activity_id": a, "parent_ids": orjson.loads(parents)} for a, parents in edges),
        [*definition["roots"], *definition["modules"]],
    )
    named = sorted({*definition["roots"], *definition["modules"], *definition["tags"]})
    ids = sorted({*named, *tree, *(s["activity"] for s in definition.get("surveys") or ())})
    found: dict[tuple[str, str], Fact] = {}
    for chunk in _chunks(ids):
        for f in load_facts(conn, store, "activity_id IN (" + ", ".join(["{p}"] * len(chunk)) + ")", chunk):
            found[(f["statement_id"], f["agent_hash"])] = f
    for chunk in _chunks(named, 100):
        where = " OR ".join(f"{c} LIKE {{p}} ESCAPE '\\'" for _ in chunk for c in ("parent_ids", "grouping_ids", "category_ids"))
        for f in load_facts(conn, store, where, [_like(i) for i in chunk for _ in range(3)]):
            found[(f["statement_id"], f["agent_hash"])] = f
    return sorted(found.values(), key=lambda f: f["position"])


def evidence_facts(conn: Connection, store: str, rule: dict[str, Any] | None) -> list[Fact]:
    """Facts on the activity types or activities a rule names (application evidence,
    business metrics)."""
    if not rule:
        return []
    types, ids = list(rule.get("activityTypes") or ()), list(rule.get("activities") or ())
    found: dict[tuple[str, str], Fact] = {}
    for column, values in (("activity_type", types), ("activity_id", ids)):
        for chunk in _chunks(values):
            for f in load_facts(conn, store, f"{column} IN (" + ", ".join(["{p}"] * len(chunk)) + ")", chunk):
                found[(f["statement_id"], f["agent_hash"])] = f
    return list(found.values())


def _period(window: str | None, explicit: Period | None, fiscal_start: int) -> Period:
    if explicit is not None:
        return explicit
    if window is not None:
        return parse_window(window, fiscal_start)
    return current_quarter(datetime.now(UTC).date(), fiscal_start)


# ------------------------------------------------------------------ cells

class Cells:
    """Builds one answer: disclosure applied once per cell, tidy rows alongside."""

    def __init__(self, disclosure: Disclosure, programme: str, period: Period) -> None:
        self.d = disclosure
        self.programme, self.period = programme, period
        self.rows: list[dict[str, Any]] = []

    def _row(self, metric: str, value: Any, numerator: Any = None, denominator: Any = None, n: Any = None,
             *, dimension: str = "all", dimension_value: str = "", suppressed: bool = False,
             period: str | None = None, grain: str | None = None) -> None:
        self.rows.append({
            "programme": self.programme, "period": period or self.period.label,
            "grain": grain or self.period.grain, "metric": metric,
            "dimension": dimension, "dimension_value": dimension_value,
            "value": None if suppressed else value, "numerator": None if suppressed else numerator,
            "denominator": None if suppressed else denominator, "n": None if suppressed else n,
            "suppressed": suppressed,
        })

    def count(self, metric: str, n: int, **where: Any) -> dict[str, Any]:
        shown = self.d.count(n)
        self._row(metric, shown, n=shown, suppressed=shown is None, **where)
        return {"value": shown} if shown is not None else {"suppressed": True}

    def ratio(self, metric: str, numerator: int, denominator: int, kind: str = "count", **where: Any) -> dict[str, Any]:
        k = self.d.k(kind)  # type: ignore[arg-type]
        if hidden(denominator, k):
            self.d.suppressed_cells += 1
            self._row(metric, None, suppressed=True, **where)
            return {"suppressed": True, "reason": f"fewer than {k} people"}
        value = share(numerator, denominator)
        self._row(metric, value, numerator, denominator, denominator, **where)
        return {"value": value, "numerator": numerator, "denominator": denominator}

    def measure(self, metric: str, value: Any, n: int, kind: str = "count", **where: Any) -> Any:
        """A figure about ``n`` people (a mean, a median, a total): None when n is too small."""
        if hidden(n, self.d.k(kind)):  # type: ignore[arg-type]
            self.d.suppressed_cells += 1
            self._row(metric, None, suppressed=True, **where)
            return None
        self._row(metric, value, n=n, **where)
        return value


# ------------------------------------------------------------------ figures

def _headline(p: Programme, period: Period, all_facts: Sequence[Fact]) -> dict[str, Any]:
    """The raw figures of one programme over one period (before disclosure)."""
    window = p.in_period(period)
    enrolled = engine.learners(window)
    until = period.end.isoformat()
    completed = {a: f for a, f in p.completions(until).items() if a in enrolled}
    outcomes = {a: r for a, r in engine.assessed(f for f in window if f["activity_id"] not in p.surveys).items()}
    return {
        "window": window, "enrolled": enrolled, "completed": completed, "outcomes": outcomes,
        "nps": engine.nps(v for (_, _), v in engine.latest_ratings(window, p.surveys, "nps").items()),
    }


def _programme(conn: Connection, store: str, programme_id: str) -> tuple[Programme, dict[str, Any], list[Fact], dict[str, Any]]:
    found = definition(conn, store, programme_id)
    d = found["definition"]
    # A fact both rules name is one observation, not two (docs/kpi.md, Results).
    evidence = list({(f["statement_id"], f["agent_hash"]): f for rule in (d.get("application"), d.get("businessMetrics"))
                     for f in evidence_facts(conn, store, rule)}.values())
    return Programme(programme_id, d, programme_facts(conn, store, d)), found, evidence, store_settings(conn, store)


def evaluation(
    conn: Connection, store: str, programme_id: str, *, window: str | None, explicit: Period | None = None,
    compare: bool = False,
) -> dict[str, Any]:
    """Kirkpatrick levels, completion and group vs solo for one programme and window."""
    p, found, all_facts, values = _programme(conn, store, programme_id)
    period = _period(window, explicit, values["fiscalYearStartMonth"])
    cells = Cells(Disclosure(policy(values)), programme_id, period)
    now = _headline(p, period, all_facts)
    window_facts, enrolled, completed, outcomes = now["window"], now["enrolled"], now["completed"], now["outcomes"]
    before = _headline(p, period.previous(), all_facts) if compare else None

    inputs: dict[str, Any] = {"enrolled": cells.count("enrolled", len(enrolled))}
    if before is not None and "value" in inputs["enrolled"]:
        previous = cells.d.count(len(before["enrolled"]))
        inputs["enrolled"].update({"previous": previous, "delta": None if previous is None else len(enrolled) - previous})
    inputs["learningHours"] = {"value": cells.measure("learning_hours", engine.learning_hours(window_facts), len(enrolled))}

    satisfaction = engine.latest_ratings(window_facts, p.surveys, "satisfaction")
    respondents = {agent for agent, _ in satisfaction}
    reaction: dict[str, Any] = {}
    if not p.surveys:
        reaction = {"status": "not-configured", "hint": "add survey items (metric satisfaction or nps) to the programme"}
    else:
        if any(s["metric"] == "satisfaction" for s in p.surveys.values()):
            scale = next(s["scale"] for s in p.surveys.values() if s["metric"] == "satisfaction")
            mean = round(sum(satisfaction.values()) / len(satisfaction), 2) if satisfaction else None
            reaction["satisfaction"] = {
                "value": cells.measure("satisfaction", mean, len(respondents)), "scale": scale,
                "respondents": cells.d.count(len(respondents)),
                "responseRate": cells.ratio("satisfaction_response_rate", len(respondents), len(enrolled)),
            }
        if any(s["metric"] == "nps" for s in p.surveys.values()):
            score = now["nps"]
            if hidden(score["n"], cells.d.k()):
                cells.d.suppressed_cells += 1
                cells._row("nps", None, suppressed=True)
                reaction["nps"] = {"suppressed": True, "reason": f"fewer than {cells.d.k()} respondents"}
            else:
                cells._row("nps", score["value"], n=score["n"])
                reaction["nps"] = {k: v for k, v in score.items() if k != "n"} | {"respondents": score["n"]}
                if before is not None and not hidden(before["nps"]["n"], cells.d.k()):
                    reaction["nps"]["previous"] = before["nps"]["value"]

    passed = sum(1 for r in outcomes.values() if r)
    best = engine.best_scores(f for f in window_facts if f["activity_id"] not in p.surveys)
    learning = {
        "passRate": cells.ratio("pass_rate", passed, len(outcomes)),
        "medianBestScore": cells.measure("median_best_score", engine.median_or_none(best.values()), len(best)),
    }
    if before is not None and "value" in learning["passRate"]:
        prev = before["outcomes"]
        if not hidden(len(prev), cells.d.k()):
            learning["passRate"]["previous"] = share(sum(1 for r in prev.values() if r), len(prev))

    application = p.definition.get("application")
    if application:
        done = engine.applied(p, completed, all_facts)
        behaviour: dict[str, Any] = {"applicationRate": {**cells.ratio("application_rate", len(done), len(completed)),
                                         "withinDays": application["withinDays"]}}
    else:
        behaviour = {"status": "not-configured", "hint": "name application evidence (activity types) in the programme"}

    metrics = p.definition.get("businessMetrics")
    if metrics:
        types, ids = set(metrics["activityTypes"]), set(metrics["activities"])
        observed = [f for f in all_facts if period.holds(f["day"]) and f["agent_hash"] in enrolled
                    and (f["activity_type"] in types or f["activity_id"] in ids)]
        values_seen = [f["raw_score"] for f in observed if f["raw_score"] is not None]
        people = engine.learners(observed)
        results: dict[str, Any] = {
            "status": "configured", "observations": cells.measure("business_observations", len(observed), len(people)),
            "learners": cells.d.count(len(people)),
            "meanValue": cells.measure("business_mean_value", round(sum(values_seen) / len(values_seen), 3) if values_seen else None, len(people)),
        }
    else:
        results = {"status": "not-configured", "hint": "map business-metric activity types in the programme"}

    days = engine.days_to_complete(p, completed)
    completion = {
        **cells.ratio("completion_rate", len(completed), len(enrolled)),
        "medianDaysToComplete": cells.measure("median_days_to_complete", engine.median_or_none(days.values()), len(days)),
    }
    if p.definition["completion"] is None:
        completion = {"status": "not-configured", "hint": "name modules or roots: a tags-only programme has no completion rule"}
    elif before is not None and "value" in completion and not hidden(len(before["enrolled"]), cells.d.k()):
        completion["previous"] = share(len(before["completed"]), len(before["enrolled"]))

    group = engine.learners(f for f in window_facts if f["group_mode"])
    modes = {"group": group & enrolled, "solo": enrolled - group}
    hide = cells.d.breakdown({m: len(v) for m, v in modes.items()}, "performance", with_total=False).suppressed
    by_mode: dict[str, Any] = {}
    for mode, people in modes.items():
        if mode in hide:
            for metric in ("learners", "completion_rate", "pass_rate"):
                cells._row(metric, None, dimension="mode", dimension_value=mode, suppressed=True)
            by_mode[mode] = {"suppressed": True, "reason": f"fewer than {cells.d.k('performance')} people"}
            continue
        mode_outcomes = {a: r for a, r in outcomes.items() if a in people}
        cells._row("learners", len(people), n=len(people), dimension="mode", dimension_value=mode)
        rate = cells.ratio("completion_rate", len([a for a in completed if a in people]), len(people), "performance",
                           dimension="mode", dimension_value=mode)
        pass_rate = cells.ratio("pass_rate", sum(1 for r in mode_outcomes.values() if r), len(mode_outcomes),
                                "performance", dimension="mode", dimension_value=mode)
        by_mode[mode] = {"learners": len(people), "completionRate": rate, "passRate": pass_rate}
    by_mode["note"] = OBSERVATIONAL

    return {
        "programme": programme_id, "version": found["version"],
        "window": _window_json(period, values),
        "privacy": cells.d.block(),
        "levels": {
            "L0_inputs": inputs, "L1_reaction": reaction, "L2_learning": learning,
            "L3_behaviour": behaviour, "L4_results": results,
        },
        "completion": completion,
        "byMode": by_mode,
        "definitions": "docs/kpi.md#evaluation",
        TIDY: cells.rows,
    }


def programme_list(conn: Connection, store: str, *, window: str | None) -> dict[str, Any]:
    """Every current programme with headline KPIs and Kirkpatrick coverage."""
    values = store_settings(conn, store)
    period = _period(window, None, values["fiscalYearStartMonth"])
    all_facts = load_facts(conn, store)
    disclosure = Disclosure(policy(values))
    rows: list[dict[str, Any]] = []
    out = []
    for programme_id, found in definitions(conn, store).items():
        p = Programme(programme_id, found["definition"], all_facts)
        cells = Cells(disclosure, programme_id, period)
        now = _headline(p, period, all_facts)
        d = found["definition"]
        passed = sum(1 for r in now["outcomes"].values() if r)
        nps_cell: dict[str, Any] = {"suppressed": True} if hidden(now["nps"]["n"], disclosure.k()) else {"value": now["nps"]["value"], "respondents": now["nps"]["n"]}
        out.append({
            "programme": programme_id, "version": found["version"], "name": d.get("name"),
            "theme": d.get("theme"),
            "enrolled": cells.count("enrolled", len(now["enrolled"])),
            "completionRate": cells.ratio("completion_rate", len(now["completed"]), len(now["enrolled"])),
            "passRate": cells.ratio("pass_rate", passed, len(now["outcomes"])),
            "nps": nps_cell if d.get("surveys") and any(s["metric"] == "nps" for s in d["surveys"]) else {"status": "not-configured"},
            "coverage": {
                "L0_inputs": True, "L1_reaction": bool(d.get("surveys")),
                "L2_learning": bool(engine.assessed(p.members)), "L3_behaviour": bool(d.get("application")),
                "L4_results": bool(d.get("businessMetrics")),
            },
        })
        rows.extend(cells.rows)
    return {"window": _window_json(period, values), "privacy": disclosure.block(), "programmes": out,
            "definitions": "docs/kpi.md#programmes", TIDY: rows}


def funnel(conn: Connection, store: str, programme_id: str, *, window: str | None, explicit: Period | None = None) -> dict[str, Any]:
    """Per module, in the programme's order: learners who attempted it, completed
    it, and stalled at it (their furthest module, not completed, nothing for
    ``inactivityDays``)."""
    p, found, _, values = _programme(conn, store, programme_id)
    period = _period(window, explicit, values["fiscalYearStartMonth"])
    cells = Cells(Disclosure(policy(values)), programme_id, period)
    inactivity = int(values.get("inactivityDays", 14))
    window_facts = p.in_period(period)
    upto = [f for f in p.members if f["day"] < period.end.isoformat()]
    modules = p.definition["modules"]
    newest = conn.execute(select(func.max(facts.c.day)).where(facts.c.store_id == store)).scalar() or period.start.isoformat()
    reference = min(period.end, date.fromisoformat(newest) + timedelta(days=1))
    idle_before = (reference - timedelta(days=inactivity)).isoformat()
    last_seen: dict[str, str] = {}
    for f in upto:
        last_seen[f["agent_hash"]] = max(last_seen.get(f["agent_hash"], ""), f["day"])
    finished = p.completions(period.end.isoformat())
    attempted: dict[str, set[str]] = {m: set() for m in modules}
    completed: dict[str, set[str]] = {m: set() for m in modules}
    for f in window_facts:
        module = p.module_of(f)
        if module is not None:
            attempted[module].add(f["agent_hash"])
    for f in upto:
        if f["activity_id"] in completed and engine.is_completion(f):
            completed[f["activity_id"]].add(f["agent_hash"])
    stalled: dict[str, set[str]] = {m: set() for m in modules}
    for agent in engine.learners(window_facts):
        if agent in finished or last_seen.get(agent, "") >= idle_before:
            continue
        reached = [m for m in modules if agent in attempted[m]]
        if reached and agent not in completed[reached[-1]]:
            stalled[reached[-1]].add(agent)
    names = _names(conn, store, modules)
    out = []
    for module in modules:
        where = {"dimension": "module", "dimension_value": module}
        out.append({
            "activity": module, "name": names.get(module),
            "attempted": cells.count("attempted", len(attempted[module]), **where).get("value"),
            "completed": cells.count("completed", len(completed[module] & attempted[module]), **where).get("value"),
            "stalledHere": cells.count("stalled", len(stalled[module]), **where).get("value"),
        })
    return {"programme": programme_id, "version": found["version"], "window": _window_json(period, values),
            "privacy": cells.d.block(), "inactivityDays": inactivity, "modules": out,
            "definitions": "docs/kpi.md#funnel", TIDY: cells.rows}


def series(
    conn: Connection, store: str, programme_id: str, *, metrics: Sequence[str], grain: str,
    window: str | None, explicit: Period | None, by: str = "all",
) -> dict[str, Any]:
    """One point per bucket of ``grain`` (local days, ISO weeks, months, fiscal
    quarters) for each metric; a point about fewer than k people is suppressed."""
    for metric in metrics:
        if metric not in SERIES_METRICS:
            raise InvalidParameter("metrics", f"{metric!r} is not a series metric (known: {', '.join(SERIES_METRICS)})")
    if grain not in GRAINS:
        raise InvalidParameter("grain", f"must be one of {', '.join(GRAINS)}")
    p, found, _, values = _programme(conn, store, programme_id)
    fiscal = values["fiscalYearStartMonth"]
    period = _period(window, explicit, fiscal)
    labels = buckets_between(period, grain, fiscal)
    cells = Cells(Disclosure(policy(values)), programme_id, period)
    if by == "team":
        return _team_series(conn, store, p, found, values, period, grain, metrics, cells)
    figures_by_bucket = series_figures(p, period, grain, fiscal)
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in metrics}
    for label in labels:
        figures = figures_by_bucket[label]
        people = figures["active_learners"]
        for metric in metrics:
            where: dict[str, Any] = {"grain": grain, "period": label}
            n: int = figures["completions"] if metric == "completions" else people
            if hidden(n, cells.d.k()):
                cells.d.suppressed_cells += 1
                cells._row(metric, None, suppressed=True, **where)
                out[metric].append({"bucket": label, "value": None, "suppressed": True})
            else:
                cells._row(metric, figures[metric], n=n, **where)
                out[metric].append({"bucket": label, "value": figures[metric]})
    return {"programme": programme_id, "version": found["version"], "grain": grain,
            "window": _window_json(period, values), "privacy": cells.d.block(),
            "series": [{"metric": m, "by": "all", "points": out[m]} for m in metrics],
            "definitions": "docs/kpi.md#series", TIDY: cells.rows}


def series_figures(p: Programme, period: Period, grain: str, fiscal: int) -> dict[str, dict[str, Any]]:
    """The raw figures of each bucket (before disclosure): learners active on the
    programme, learners whose programme completion falls in it, statements, hours."""
    column = GRAINS[grain]
    labels = buckets_between(period, grain, fiscal)
    by_bucket: dict[str, list[Fact]] = {label: [] for label in labels}
    for f in p.in_period(period):
        by_bucket[f[column]].append(f)
    done_in: dict[str, int] = dict.fromkeys(labels, 0)
    for f in p.completions().values():
        if period.holds(f["day"]):
            done_in[f[column]] += 1
    return {
        label: {
            "active_learners": len(engine.learners(bucket)), "completions": done_in[label],
            "statements": len({f["statement_id"] for f in bucket}), "learning_hours": engine.learning_hours(bucket),
        }
        for label, bucket in by_bucket.items()
    }


def teams_on(lookup: dict[str, list[tuple[str, str, str]]], agent: str, day: str) -> list[str]:
    """The teams a learner belonged to on a local day (valid from inclusive, to exclusive)."""
    found = sorted({team for team, start, end in lookup.get(agent, ()) if start <= day and (not end or day < end)})
    return found or [NO_TEAM]


def team_figures(p: Programme, period: Period, grain: str, fiscal: int,
                 lookup: dict[str, list[tuple[str, str, str]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """team -> bucket -> raw figures, each learner counted in the team(s) they were
    in on the day of the fact (a completion: on the day they completed)."""
    column = GRAINS[grain]
    labels = buckets_between(period, grain, fiscal)
    grouped: dict[str, dict[str, list[Fact]]] = {}
    for f in p.in_period(period):
        for team in teams_on(lookup, f["agent_hash"], f["day"]):
            grouped.setdefault(team, {label: [] for label in labels})[f[column]].append(f)
    done: dict[str, dict[str, int]] = {}
    for agent, f in p.completions().items():
        if period.holds(f["day"]):
            for team in teams_on(lookup, agent, f["day"]):
                grouped.setdefault(team, {label: [] for label in labels})
                done.setdefault(team, dict.fromkeys(labels, 0))[f[column]] += 1
    return {
        team: {
            label: {
                "active_learners": len(engine.learners(bucket)), "completions": done.get(team, {}).get(label, 0),
                "statements": len({f["statement_id"] for f in bucket}), "learning_hours": engine.learning_hours(bucket),
            }
            for label, bucket in buckets.items()
        }
        for team, buckets in sorted(grouped.items())
    }


def _team_series(conn: Connection, store: str, p: Programme, found: dict[str, Any], values: dict[str, Any],
                 period: Period, grain: str, metrics: Sequence[str], cells: Cells) -> dict[str, Any]:
    """One series per team; in each bucket the teams are a breakdown of the
    programme's total, so a small team's point hides with complementary
    suppression (the total is public in the ``by=all`` series)."""
    fiscal = values["fiscalYearStartMonth"]
    labels = buckets_between(period, grain, fiscal)
    figures = team_figures(p, period, grain, fiscal, team_lookup(conn, store))
    points: dict[tuple[str, str], list[dict[str, Any]]] = {(t, m): [] for t in figures for m in metrics}
    for label in labels:
        for metric in metrics:
            people = {t: figures[t][label]["completions" if metric == "completions" else "active_learners"] for t in figures}
            hide = cells.d.breakdown(people, "count").suppressed
            for team in figures:
                where: dict[str, Any] = {"grain": grain, "period": label, "dimension": "team", "dimension_value": team}
                if team in hide:
                    cells._row(metric, None, suppressed=True, **where)
                    points[(team, metric)].append({"bucket": label, "value": None, "suppressed": True})
                else:
                    cells._row(metric, figures[team][label][metric], n=people[team], **where)
                    points[(team, metric)].append({"bucket": label, "value": figures[team][label][metric]})
    return {"programme": p.id, "version": found["version"], "grain": grain, "by": "team",
            "window": _window_json(period, values), "privacy": cells.d.block(),
            "series": [{"metric": m, "by": "team", "team": t, "points": points[(t, m)]} for t in figures for m in metrics],
            "definitions": "docs/kpi.md#series", TIDY: cells.rows}


def themes(conn: Connection, store: str, *, year: str) -> dict[str, Any]:
    """Each programme's quarterly theme in a fiscal year: reach among the store's
    active learners of that quarter, completions, contributions, and the change in
    reach from the previous quarter's theme."""
    if not (len(year) == 4 and year.isdigit()):
        raise InvalidParameter("year", "must be a fiscal year, YYYY")
    values = store_settings(conn, store)
    fiscal = values["fiscalYearStartMonth"]
    all_facts = load_facts(conn, store)
    disclosure = Disclosure(policy(values))
    listed = []
    for programme_id, found in definitions(conn, store).items():
        theme = found["definition"].get("theme")
        if theme and theme["quarter"][:4] in (year, str(int(year) - 1)):
            listed.append((theme["quarter"], programme_id, found["definition"]))
    listed.sort()
    reach_by_quarter: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    out = []
    for quarter, programme_id, d in listed:
        period = parse_window(quarter, fiscal)
        p = Programme(programme_id, d, all_facts)
        cells = Cells(disclosure, programme_id, period)
        active = engine.learners(f for f in all_facts if period.holds(f["day"]))
        window_facts = p.in_period(period)
        reached = engine.learners(window_facts)
        reach = cells.ratio("theme_reach", len(reached), len(active))
        completions = sum(1 for f in p.completions().values() if period.holds(f["day"]))
        contributions = sum(1 for f in window_facts if f["verb_class"] == "social")
        if "value" in reach and reach["value"] is not None:
            reach_by_quarter.setdefault(quarter, reach["value"])
        previous = reach_by_quarter.get(period.previous().label)
        entry = {
            "quarter": quarter, "programme": programme_id, "theme": d["theme"].get("id"),
            "label": _name(d["theme"].get("label")), "reach": reach,
            "activeLearners": cells.count("theme_learners", len(reached)).get("value"),
            "completions": cells.measure("theme_completions", completions, len(reached)),
            "contributions": cells.measure("theme_contributions", contributions, len(reached)),
            "deltaReach": None if previous is None or reach.get("value") is None else round(reach["value"] - previous, 3),
        }
        if quarter[:4] == year:
            out.append(entry)
            rows.extend(cells.rows)
    return {"year": year, "privacy": disclosure.block(),
            "reachDenominator": "active learners in the store in that quarter",
            "themes": out, "definitions": "docs/kpi.md#themes", TIDY: rows}
