"""A store at a glance, read from the inline statement index as of a log position.

The index is written in the append's own transaction, so it is always at the log
head: an answer "as of position P" only has to leave out what came after P. Every
query here is bounded by P, voiding included: a statement counts unless a voiding
statement at or before P withdrew it (Data 2.3.2), so a past moment shows the
statements that then stood, not the ones that stand today.

"Learners" are the agents the xAPI ``agent`` filter matches (Communication 2.1.3:
the actor or an Agent/Group object, Group members one by one), taken from the
filter index (``statement_keys``) rather than by parsing statements: an answer
over a store of 100,000 statements stays a few indexed queries. Statements whose
object is a StatementRef (voidings above all) carry their target's keys in that
index (Communication 2.1.3.s3), so they are left out of the learner counts: a
voiding must not bring back the learner of the statement it withdrew.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, and_, exists, func, or_, select

from lrs.clock import format_utc, from_micros
from lrs.schema import events, statement_keys, statements
from lrs.xapi.statement_rules import AGENT

DAY_MICROS = 86_400_000_000
MAX_DAYS = 366
MAX_LATEST = 100

_voider = statements.alias("voider")


def _standing(store_id: str, bound: int, s: Any = statements) -> Any:
    """Statements of the store at or before ``bound`` that no voiding statement at or
    before ``bound`` withdrew. ``voided`` is today's flag: a statement not voided
    today was not voided then either (a voiding is never undone), so only the few
    voided ones take the look-up.

    The look-up must go through the (store, voids_statement_id) index. Without
    table statistics SQLite prefers the (store, position) index for it, which makes
    each look-up a scan of the store (seconds at 100,000 statements); ``position + 0``
    is not an indexable term, so it leaves SQLite only the right index (PostgreSQL
    picks it by its statistics anyway)."""
    return and_(
        s.c.store_id == store_id,
        s.c.position <= bound,
        or_(
            s.c.voided.is_(False),
            ~exists().where(
                _voider.c.store_id == store_id,
                _voider.c.voids_statement_id == s.c.statement_id,
                _voider.c.position + 0 <= bound,
            ),
        ),
    )


def recorded_at(conn: Connection, position: int) -> str | None:
    """When the event at ``position`` was recorded (fixed-width UTC text)."""
    value = conn.execute(select(events.c.recorded_at).where(events.c.position == position)).scalar()
    return None if value is None else str(value)


def position_at(conn: Connection, moment: str) -> int:
    """The last log position recorded at or before ``moment`` (fixed-width UTC text)."""
    value = conn.execute(
        select(func.coalesce(func.max(events.c.position), 0)).where(events.c.recorded_at <= moment)
    ).scalar_one()
    return int(value)


def day_of(micros: int) -> int:
    """Days since 1970-01-01 (UTC) of a stored time in microseconds."""
    return micros // DAY_MICROS


def date_of_day(day: int) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)).date().isoformat()


def overview(
    conn: Connection, store_id: str, bound: int, *, first_day: int, last_day: int, latest: int
) -> dict[str, Any]:
    """Statements and active learners per UTC day from ``first_day`` to ``last_day``
    (days since the epoch, both included), totals, and the ``latest`` newest statements."""
    s, k = statements, statement_keys
    standing = _standing(store_id, bound)
    low, high = first_day * DAY_MICROS, (last_day + 1) * DAY_MICROS
    in_window = and_(s.c.stored_us >= low, s.c.stored_us < high)
    day = (s.c.stored_us // DAY_MICROS).label("day")
    learner_join = s.join(
        k, and_(k.c.position == s.c.position, k.c.kind == AGENT, s.c.ref_statement_id.is_(None))
    )

    # Statements per day over the store's whole history: the window's days and the
    # total in one pass.
    per_day = {
        row.day: int(row.n)
        for row in conn.execute(select(day, func.count().label("n")).where(standing).group_by(day))
    }
    # Who was active on which day of the window: per-day counts and the window's
    # distinct count from the same rows (at most days x learners of the window).
    learners_per_day: dict[int, int] = {}
    window_keys: set[str] = set()
    for row in conn.execute(
        select(day, k.c.key_hash).select_from(learner_join).where(standing, in_window).distinct()
    ):
        learners_per_day[row.day] = learners_per_day.get(row.day, 0) + 1
        window_keys.add(row.key_hash)
    total_learners = _learners(conn, store_id, bound)
    days = [
        {
            "date": date_of_day(d),
            "statements": per_day.get(d, 0),
            "learners": learners_per_day.get(d, 0),
        }
        for d in range(first_day, last_day + 1)
    ]
    return {
        "window": {
            "since": date_of_day(first_day),
            "until": date_of_day(last_day),
            "statements": sum(d["statements"] for d in days),
            "learners": len(window_keys),
        },
        "totals": {"statements": sum(per_day.values()), "learners": total_learners},
        "days": days,
        "latest": latest_statements(conn, store_id, bound, latest),
    }


_other_key = statement_keys.alias("other_key")
_other = statements.alias("other")


def _learners(conn: Connection, store_id: str, bound: int) -> int:
    """Distinct learners of the standing statements at ``bound``, without joining
    every statement: the agent keys up to ``bound`` come from the filter index alone
    (a covering index), and only learners met in a voided or StatementRef statement
    are checked, each for one statement that counts (an EXISTS that usually stops at
    its first row: comments and shares make most learners suspects)."""
    s, k = statements, statement_keys
    agent_keys = and_(k.c.store_id == store_id, k.c.kind == AGENT, k.c.position <= bound)
    every = conn.execute(select(func.count(func.distinct(k.c.key_hash))).where(agent_keys)).scalar_one()
    doubtful = (
        select(k.c.key_hash)
        .select_from(s.join(k, k.c.position == s.c.position))
        .where(
            agent_keys, s.c.store_id == store_id, s.c.position <= bound,
            or_(s.c.voided.is_(True), s.c.ref_statement_id.is_not(None)),
        )
        .distinct()
        .subquery()
    )
    o, ok = _other, _other_key
    counts = exists().where(
        ok.c.store_id == store_id, ok.c.kind == AGENT, ok.c.key_hash == doubtful.c.key_hash,
        ok.c.position <= bound, o.c.position == ok.c.position, o.c.ref_statement_id.is_(None),
        _standing(store_id, bound, o),
    )
    gone = conn.execute(select(func.count()).select_from(doubtful).where(~counts)).scalar_one()
    return int(every) - int(gone)


def latest_statements(conn: Connection, store_id: str, bound: int, limit: int) -> list[dict[str, Any]]:
    """The newest standing statements, each cut to what a list shows (the full
    statement is one GET /statements?statementId= away)."""
    if limit == 0:
        return []
    s = statements
    rows = conn.execute(
        select(s.c.position, s.c.stored_us, events.c.data)
        .select_from(s.join(events, events.c.position == s.c.position))
        .where(_standing(store_id, bound))
        .order_by(s.c.position.desc())
        .limit(limit)
    ).all()
    return [_summary(row.position, row.stored_us, orjson.loads(row.data)) for row in rows]


def _summary(position: int, stored_us: int, statement: dict[str, Any]) -> dict[str, Any]:
    obj = statement.get("object") or {}
    kept_object = {key: obj[key] for key in ("objectType", "id", "definition") if key in obj}
    if obj.get("objectType") in ("Agent", "Group"):
        kept_object = {
            key: obj[key] for key in ("objectType", "name", "mbox", "mbox_sha1sum", "openid", "account")
            if key in obj
        }
    return {
        "position": position,
        "id": statement["id"],
        "stored": format_utc(from_micros(stored_us)),
        "actor": statement.get("actor"),
        "verb": statement.get("verb"),
        "object": kept_object,
    }
