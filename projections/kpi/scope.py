"""One programme's facts as SQL (projections.kpi.queries reads KPIs through it).

The aggregation runs in the database (GROUP BY, COUNT DISTINCT, MIN/MAX, a window
function for the latest rating) over the facts of the programme's activity set;
Python receives at most one row per learner (or per bucket), never the fact rows.
The definitions are those of docs/kpi.md and projections.kpi.engine; the tests
compare every answer with the plain-Python fold they replaced
(tests/kpi_oracle.py).

A fact belongs to the programme when its activity is a root, module, tag or survey
item of it, or descends from a root or a module in the activity tree as the facts
declare it (context parents), or when one of its parent, grouping or category activities is a
root, module or tag.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Text,
    and_,
    case,
    distinct,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from projections.kpi import engine
from projections.kpi.logic import CONTEXT_KINDS
from projections.kpi.schema import activities, facts, links, memberships
from projections.windows import GRAINS, Period

NO_TEAM = "(no team)"
# The most values a read binds in one IN list (SQLite allows 32,766 variables).
MAX_LISTED = 5000
_CONTEXT = (facts.c.parent_ids, facts.c.grouping_ids, facts.c.category_ids)
IS_COMPLETION = or_(facts.c.verb_class.in_(sorted(engine.DONE)), facts.c.completion.is_(true()))
# engine.outcome in SQL: a pass 1, a fail 0, no assessment outcome NULL.
OUTCOME = case(
    (facts.c.verb_class.in_(sorted(engine.PASS)), 1),
    (facts.c.verb_class == "failed", 0),
    (facts.c.success.is_(true()), 1),
    (facts.c.success.is_(false()), 0),
    else_=None,
)


# A completing fact's time with its buckets, as one text: ts is fixed-width, so the
# least text is the earliest fact, and MIN/MAX carry its buckets along.
DONE_KEY = facts.c.ts + "|" + facts.c.day + "|" + facts.c.iso_week + "|" + facts.c.month + "|" + facts.c.quarter


def _done(text: str) -> Done:
    ts, day, week, month, quarter = text.split("|")
    return Done(ts, {"day": day, "iso_week": week, "month": month, "quarter": quarter})


def whole_store(store: str) -> ColumnElement[bool]:
    """The store's facts, for a pass over (nearly) all of them: written so that no
    index applies, since reading every row through an index of (store, ...) is a
    random read per row where a scan in table order is sequential."""
    return (facts.c.store_id + "") == store


def _text(column: Any) -> Any:
    # The Json columns hold orjson text; compare them as text, not as bound JSON.
    return type_coerce(column, Text)


@dataclass(frozen=True)
class Done:
    """The fact that completed the programme for a learner: its time and buckets."""

    ts: str
    buckets: dict[str, str]


@dataclass(frozen=True)
class LearnerFigures:
    outcome: bool | None        # any pass (True), only fails (False), no outcome (None)
    best: float | None          # best scaled score
    grouped: bool               # any fact done in a group
    seconds: float              # learning time (see Scope._hours)


class Scope:
    """A programme definition applied to a store's facts, read in SQL."""

    def __init__(self, conn: Connection, store: str, programme_id: str, definition: dict[str, Any],
                 excluded: Collection[str] = ()) -> None:
        self.conn, self.store, self.id, self.definition = conn, store, programme_id, definition
        # Learners whose objection is in force (hashes): left out of every count.
        self.who = present(excluded)
        d = definition
        self.named = set(d["roots"]) | set(d["modules"]) | set(d["tags"])
        # The activity tree and the context links come from the per-activity counts
        # (schema LINKS), a few rows per activity, not from the facts.
        counts, linked = self._counts(sorted(self.named), excluded)
        tree_edges = [{"activity_id": a, "parent_ids": [c]} for (a, kind, c), n in linked.items() if kind == "parent" and n]
        self.tree = engine.descendants(tree_edges, d["roots"])
        self.modules = engine.descendants(tree_edges, d["modules"])
        self.surveys = {s["activity"]: s for s in d.get("surveys") or ()}
        ids = self.named | set(self.tree) | set(self.modules) | set(self.surveys)
        # An activity all of whose statements name a programme activity in their
        # context is a member whole; one where only some do is checked per fact.
        whole = {a for (a, _, c), n in linked.items() if c in self.named and n and n == counts.get(a)}
        some = {a for (a, _, c), n in linked.items() if c in self.named and n}
        ids |= whole
        mixed = sorted(some - ids)
        # (facts on an activity of ``ids``) or (on a mixed one, naming a programme activity)
        self._context: ColumnElement[bool] | None = and_(
            facts.c.activity_id.in_(mixed),
            or_(*(self._names(column, i) for i in sorted(self.named) for column in _CONTEXT)),
        ) if mixed else None
        self.member: ColumnElement[bool] = facts.c.activity_id.in_(sorted(ids))
        if self._context is not None:
            self.member = or_(self.member, self._context)
        self.base = and_(facts.c.store_id == store, self.member, *self.who)
        self._ids = sorted(ids)
        self._windows: dict[tuple[Any, Any], ColumnElement[bool]] = {}
        # A pass over every time: over most of the store it reads the table in
        # order (see whole_store); over a small part, through the activity index.
        self.mine = sum(counts.get(a, 0) for a in ids | set(mixed))
        everything = sum(counts.values())
        self.all_time = and_(whole_store(store), self.member, *self.who) if 4 * self.mine >= everything else self.base

    def _counts(self, named: Sequence[str], excluded: Collection[str]
                ) -> tuple[dict[str, int], dict[tuple[str, str, str], int]]:
        """(activity -> valid statements, (activity, kind, context) -> statements)
        for the parent links and the links to ``named``, less the statements only
        learners who objected made: their statements declare no tree and no
        membership (an answer equals one over a store without their facts)."""
        counts = dict(self.conn.execute(
            select(activities.c.activity_id, activities.c.statements).where(activities.c.store_id == self.store)
        ).all())
        wanted = or_(links.c.kind == "parent", links.c.context_id.in_(named)) if named else links.c.kind == "parent"
        linked = {
            (a, kind, c): n for a, kind, c, n in self.conn.execute(
                select(links.c.activity_id, links.c.kind, links.c.context_id, links.c.statements)
                .where(links.c.store_id == self.store, wanted)
            )
        }
        if not excluded:
            return counts, linked
        others = facts.alias("others")
        gone = self.conn.execute(
            select(facts.c.statement_id, facts.c.activity_id, *_CONTEXT).distinct()
            .where(facts.c.store_id == self.store, facts.c.agent_hash.in_(sorted(excluded)),
                   ~exists().where(others.c.store_id == facts.c.store_id, others.c.statement_id == facts.c.statement_id,
                                   others.c.agent_hash.not_in(sorted(excluded))))
        ).all()
        for _, activity, *contexts in gone:
            counts[activity] -= 1
            for kind, ids in zip(CONTEXT_KINDS, contexts, strict=True):
                for context in ids:
                    if (activity, kind, context) in linked:
                        linked[(activity, kind, context)] -= 1
        return counts, linked

    def _names(self, column: Any, activity_id: str) -> ColumnElement[bool]:
        """The JSON array in ``column`` holds ``activity_id`` (case-sensitive, unlike
        SQLite's LIKE; an activity id is an IRI, so its quoted form only matches an
        element of the array)."""
        quoted = literal(orjson.dumps(activity_id).decode(), Text)
        if self.conn.dialect.name == "postgresql":
            return func.strpos(_text(column), quoted) > 0
        return func.instr(_text(column), quoted) > 0

    # ----------------------------------------------------------------- filters

    @staticmethod
    def within(period: Period) -> ColumnElement[bool]:
        # The bounds on ts (UTC, a day either side of the local days: no zone is a
        # day away from UTC) change no answer; they let the time index find the rows.
        return and_(
            facts.c.day >= period.start.isoformat(), facts.c.day < period.end.isoformat(),
            facts.c.ts >= (period.start - timedelta(days=1)).isoformat(),
            facts.c.ts < (period.end + timedelta(days=1)).isoformat(),
        )

    def during(self, period: Period) -> ColumnElement[bool]:
        """The programme's facts in the period, read through the index that finds
        fewer rows: the time index when the window holds fewer facts than the
        programme's activities have statements, else the activity index (the
        other index's terms written so that it cannot apply; the answer is the same)."""
        key = (period.start, period.end)
        if key not in self._windows:
            held = self.conn.execute(
                select(func.count()).select_from(facts).where(facts.c.store_id == self.store, self.within(period))
            ).scalar() or 0
            if held <= self.mine:
                unindexed: ColumnElement[bool] = (facts.c.activity_id + "").in_(self._ids)
                if self._context is not None:
                    unindexed = or_(unindexed, self._context)
                self._windows[key] = and_(facts.c.store_id == self.store, unindexed, self.within(period), *self.who)
            else:
                self._windows[key] = and_(self.base, facts.c.day >= period.start.isoformat(),
                                          facts.c.day < period.end.isoformat())
        return self._windows[key]

    # ----------------------------------------------------------------- learners

    def learners(self, *where: Any) -> set[str]:
        return set(self.conn.scalars(select(facts.c.agent_hash).distinct().where(self.base, *where)))

    def learners_during(self, period: Period) -> set[str]:
        return set(self.conn.scalars(select(facts.c.agent_hash).distinct().where(self.during(period))))

    def completions(self, until: str | None = None) -> dict[str, Done]:
        """learner -> the completion of the programme (facts on local days before
        ``until``, exclusive): every module completed (``all-modules``), or any root
        (``any-root``); its time is when the last needed piece was first done."""
        rule = self.definition["completion"]
        if rule is None:
            return {}
        targets = self.definition["modules"] if rule == "all-modules" else self.definition["roots"]
        where = [facts.c.store_id == self.store, facts.c.activity_id.in_(targets), IS_COMPLETION, *self.who]
        if until is not None:
            where.append(facts.c.day < until)
        firsts = (
            select(facts.c.agent_hash, func.min(DONE_KEY).label("key"))
            .where(*where).group_by(facts.c.agent_hash, facts.c.activity_id).subquery()
        )
        if rule == "all-modules":
            done = (
                select(firsts.c.agent_hash, func.max(firsts.c.key)).group_by(firsts.c.agent_hash)
                .having(func.count() == len(self.definition["modules"]))
            )
        else:
            done = select(firsts.c.agent_hash, func.min(firsts.c.key)).group_by(firsts.c.agent_hash)
        return {agent: _done(text) for agent, text in self.conn.execute(done)}

    def learner_figures(self, period: Period) -> dict[str, LearnerFigures]:
        """learner -> their figures (LearnerFigures) for every learner with a fact in
        the period, in one pass over the period's facts."""
        surveys = sorted(self.surveys)
        counted = facts.c.activity_id.not_in(surveys) if surveys else true()
        ended = and_(facts.c.verb_class == "terminated", facts.c.duration_s.is_not(None))
        sessions = (
            select(
                facts.c.agent_hash,
                func.max(case((counted, OUTCOME), else_=None)).label("outcome"),
                func.max(case((counted, facts.c.scaled_score), else_=None)).label("best"),
                func.max(case((facts.c.group_mode.is_(true()), 1), else_=0)).label("grouped"),
                func.max(case((ended, 1), else_=0)).label("ended"),
                func.sum(case((ended, facts.c.duration_s), else_=None)).label("terminated"),
                func.sum(case((ended, None), else_=facts.c.duration_s)).label("other"),
            )
            .where(self.during(period))
            .group_by(facts.c.agent_hash, facts.c.activity_id, facts.c.registration)
            .subquery()
        )
        rows = self.conn.execute(
            select(
                sessions.c.agent_hash, func.max(sessions.c.outcome), func.max(sessions.c.best),
                func.max(sessions.c.grouped),
                func.sum(case((sessions.c.ended == 1, sessions.c.terminated), else_=sessions.c.other)),
            ).group_by(sessions.c.agent_hash)
        )
        return {
            agent: LearnerFigures(None if outcome is None else bool(outcome), best, bool(group), seconds or 0.0)
            for agent, outcome, best, group, seconds in rows
        }

    def any_outcome(self) -> bool:
        return self.conn.execute(select(literal(1)).where(self.base, OUTCOME.is_not(None)).limit(1)).first() is not None

    def first_seen(self, until: str, among: Collection[str] | None = None) -> dict[str, str]:
        """learner -> the time of their first programme fact on a day before ``until``
        (for a learner who completed before ``until``, their first fact of all); with
        ``among``, for those learners only (a short list is matched in the database,
        which then groups only their facts)."""
        where = [self.all_time, facts.c.day < until]
        if among is not None and len(among) <= MAX_LISTED:
            if not among:
                return {}
            where.append(facts.c.agent_hash.in_(sorted(among)))
        rows = self.conn.execute(select(facts.c.agent_hash, func.min(facts.c.ts)).where(*where).group_by(facts.c.agent_hash))
        return {agent: ts for agent, ts in rows if among is None or agent in among}

    def last_day(self, *where: Any) -> dict[str, str]:
        rows = self.conn.execute(select(facts.c.agent_hash, func.max(facts.c.day)).where(self.all_time, *where).group_by(facts.c.agent_hash))
        return {agent: day for agent, day in rows}

    def count_during(self, period: Period, *where: Any) -> int:
        return int(self.conn.execute(select(func.count()).select_from(facts).where(self.during(period), *where)).scalar() or 0)

    # ----------------------------------------------------------------- ratings and hours

    def latest_ratings(self, *where: Any) -> dict[str, list[tuple[str, str, float]]]:
        """metric -> [(learner, item, rating)]: each learner's latest in-scale rating
        on each survey item, in the order the learner first rated the item."""
        out: dict[str, list[tuple[str, str, float]]] = {"satisfaction": [], "nps": []}
        items = [(a, s["scale"]) for a, s in self.surveys.items()]
        if not items:
            return out
        rated = or_(*(
            and_(facts.c.activity_id == a, facts.c.rating_value >= low, facts.c.rating_value <= high)
            for a, (low, high) in items
        ))
        key = (facts.c.agent_hash, facts.c.activity_id)
        ranked = (
            select(
                facts.c.agent_hash, facts.c.activity_id, facts.c.rating_value,
                func.row_number().over(partition_by=key, order_by=(facts.c.ts.desc(), facts.c.position.desc())).label("rank"),
                func.min(facts.c.position).over(partition_by=key).label("first"),
            )
            # Survey items are the programme's own: no membership test needed.
            .where(facts.c.store_id == self.store, facts.c.rating_value.is_not(None), rated, *self.who, *where).subquery()
        )
        rows = self.conn.execute(
            select(ranked.c.agent_hash, ranked.c.activity_id, ranked.c.rating_value)
            .where(ranked.c.rank == 1).order_by(ranked.c.first)
        )
        for a, i, v in rows:
            out[self.surveys[i]["metric"]].append((a, i, v))
        return out

    @staticmethod
    def _hours(source: Any, by: Sequence[str]) -> Any:
        """Seconds from ``result.duration`` per ``by``: per learner x activity x
        registration, the durations of ``terminated`` statements when there are any
        (a cmi5 session's total), otherwise of every statement carrying one."""
        ended = source.c.verb_class == "terminated"
        keys = [source.c[name] for name in by]
        sessions = (
            select(
                *keys,
                func.max(case((ended, 1), else_=0)).label("ended"),
                func.sum(case((ended, source.c.duration_s), else_=None)).label("terminated"),
                func.sum(case((ended, None), else_=source.c.duration_s)).label("other"),
            )
            .where(source.c.duration_s.is_not(None))
            .group_by(*keys, source.c.agent_hash, source.c.activity_id, source.c.registration)
            .subquery()
        )
        seconds = case((sessions.c.ended == 1, sessions.c.terminated), else_=sessions.c.other)
        return select(*(sessions.c[name] for name in by), func.sum(seconds)).group_by(*(sessions.c[name] for name in by))

    # ----------------------------------------------------------------- modules (the funnel)

    def attempted(self, period: Period) -> dict[str, set[str]]:
        """module -> learners with a fact in the period on it or below it (the
        activity's module, else the first module among its context activities)."""
        modules = self.definition["modules"]
        out: dict[str, set[str]] = {m: set() for m in modules}
        by_activity: dict[str, list[str]] = {}
        for activity, module in self.modules.items():
            by_activity.setdefault(module, []).append(activity)
        for module, ids in by_activity.items():
            out[module] |= self.learners(self.within(period), facts.c.activity_id.in_(sorted(ids)))
        # Beside a module's own activities only grouping and category activities can
        # name one: a fact whose parent is in a module's tree is itself in that tree.
        rows = self.conn.execute(
            select(facts.c.agent_hash, *_CONTEXT).distinct()
            .where(self.during(period), facts.c.activity_id.not_in(sorted(self.modules)),
                   or_(_text(facts.c.grouping_ids) != "[]", _text(facts.c.category_ids) != "[]"))
        )
        for agent, parents, groupings, categories in rows:
            named = next((self.modules[i] for i in (*parents, *groupings, *categories) if i in self.modules), None)
            if named is not None:
                out[named].add(agent)
        return out

    def completed_modules(self, until: str) -> dict[str, set[str]]:
        modules = self.definition["modules"]
        out: dict[str, set[str]] = {m: set() for m in modules}
        rows = self.conn.execute(
            select(facts.c.agent_hash, facts.c.activity_id).distinct()
            .where(facts.c.store_id == self.store, facts.c.activity_id.in_(modules), IS_COMPLETION, facts.c.day < until,
                   *self.who)
        )
        for agent, module in rows:
            out[module].add(agent)
        return out

    # ----------------------------------------------------------------- series

    def buckets(self, period: Period, grain: str) -> dict[str, dict[str, Any]]:
        """bucket -> active learners, statements and learning hours of the period's facts."""
        column = GRAINS[grain]
        source = select(facts).where(self.during(period)).subquery()
        out: dict[str, dict[str, Any]] = {}
        for label, people, statements in self.conn.execute(
            select(source.c[column], func.count(distinct(source.c.agent_hash)), func.count(distinct(source.c.statement_id)))
            .group_by(source.c[column])
        ):
            out[label] = {"active_learners": people, "statements": statements, "learning_hours": 0.0}
        for label, seconds in self.conn.execute(self._hours(source, (column,))):
            out[label]["learning_hours"] = round((seconds or 0) / 3600, 2)
        return out

    def team_buckets(self, period: Period, grain: str) -> dict[tuple[str, str], dict[str, Any]]:
        """(team, bucket) -> the figures of ``buckets``, each fact counted in the
        team(s) its learner was in on its day (valid from inclusive, to exclusive;
        no team: NO_TEAM)."""
        column = GRAINS[grain]
        m = memberships
        joined = (
            select(
                facts.c.statement_id, facts.c.agent_hash, facts.c.activity_id, facts.c.registration,
                facts.c.verb_class, facts.c.duration_s, facts.c[column],
                func.coalesce(m.c.team, NO_TEAM).label("team"),
            )
            .distinct()
            .select_from(facts.outerjoin(m, and_(
                m.c.store_id == facts.c.store_id, m.c.agent_hash == facts.c.agent_hash,
                m.c.valid_from <= facts.c.day, or_(m.c.valid_to == "", facts.c.day < m.c.valid_to),
            )))
            .where(self.during(period))
            .subquery()
        )
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for team, label, people, statements in self.conn.execute(
            select(joined.c.team, joined.c[column], func.count(distinct(joined.c.agent_hash)),
                   func.count(distinct(joined.c.statement_id)))
            .group_by(joined.c.team, joined.c[column])
        ):
            out[(team, label)] = {"active_learners": people, "statements": statements, "learning_hours": 0.0}
        for team, label, seconds in self.conn.execute(self._hours(joined, ("team", column))):
            out[(team, label)]["learning_hours"] = round((seconds or 0) / 3600, 2)
        return out


def store_learners(conn: Connection, store: str, period: Period, excluded: Collection[str] = ()) -> int:
    """Learners with any fact in the store in the period (the reach denominator)."""
    return int(conn.execute(
        select(func.count(distinct(facts.c.agent_hash)))
        .where(facts.c.store_id == store, Scope.within(period), *present(excluded))
    ).scalar() or 0)


def present(excluded: Collection[str]) -> tuple[ColumnElement[bool], ...]:
    """The condition that leaves out the learners (hashes) who objected: design
    part d, an opt-out removes the agent from aggregate counts, and the read layer
    filters with the current opt-out set (so it applies to answers about the past)."""
    return (facts.c.agent_hash.not_in(sorted(excluded)),) if excluded else ()


def team_lookup(conn: Connection, store: str) -> dict[str, list[tuple[str, str, str]]]:
    """agent hash -> [(team, valid from, valid to)] from the HR imports."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for row in conn.execute(select(memberships.c.agent_hash, memberships.c.team, memberships.c.valid_from,
                                   memberships.c.valid_to).where(memberships.c.store_id == store)):
        out.setdefault(row.agent_hash, []).append((row.team, row.valid_from, row.valid_to))
    return out


def teams_on(lookup: dict[str, list[tuple[str, str, str]]], agent: str, day: str) -> list[str]:
    """The teams a learner belonged to on a local day (valid from inclusive, to exclusive)."""
    found = sorted({team for team, start, end in lookup.get(agent, ()) if start <= day and (not end or day < end)})
    return found or [NO_TEAM]
