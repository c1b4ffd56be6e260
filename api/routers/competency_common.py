"""What the competency routes share: the instant ``at``, who may read which agent,
and the answer (api.viewing's, with ``at`` echoed).

The competency reads (``answer_by_interval``) answer ``asOf`` from the live tables
by the evidence rows' validity intervals (competency design §8) when they can: the
view has folded past the position and no configuration event came after it (the
configuration tables are not bitemporal). Otherwise ``asOf`` is a replay of the log
(projections.service), which gives the same answer slower
(tests/db/test_competency_as_of.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy import Connection
from starlette.responses import Response

from api import deps, viewing
from api.deps import App, run, services
from lrs import log
from lrs.clock import format_utc, to_micros, utcnow
from lrs.competency import settings
from lrs.credentials import Credential
from lrs.errors import Forbidden, InvalidParameter
from lrs.xapi import value_formats
from lrs.xapi.agents import ifi_key, key_hash, parse_agent_parameter
from projections.competency import queries
from projections.runner import folded_position, position_at
from projections.service import AsOf

VIEW = "competency"
WHOLE_STORE = ("competency/read", "all/read")
MINE = "competency/read/mine"


@dataclass(frozen=True)
class At:
    text: str
    us: int


def _at(at: Annotated[str | None, Query(description="Evaluation instant (RFC 3339); default: now. Always echoed.")] = None) -> At:
    if at is None:
        moment = utcnow()
    else:
        parsed = value_formats.parse_timestamp(at)
        if parsed is None:
            raise InvalidParameter("at", "must be a timestamp with a time zone (RFC 3339)")
        moment = parsed
    return At(format_utc(moment), to_micros(moment))


AtParam = Annotated[At, Depends(_at)]


@dataclass(frozen=True)
class Learner:
    agent: dict[str, Any]
    key: str


def learner(agent: str) -> Learner:
    parsed = parse_agent_parameter(agent, allow_group=False)
    return Learner({k: v for k, v in parsed.items() if k != "name"}, key_hash(ifi_key(parsed) or ""))


def whole_store(credential: Credential) -> bool:
    return credential.allows(*WHOLE_STORE)


def may_read(credential: Credential, person: Learner | None) -> None:
    """competency/read (or all/read, all) reads the store; competency/read/mine only the
    credential's own agent (its authority), and nothing about other people."""
    if whole_store(credential):
        return
    if MINE in credential.scopes:
        if person is not None and key_hash(ifi_key(credential.authority) or "") == person.key:
            return
        raise Forbidden("competency/read/mine reads only the credential's own agent (its authority)")
    raise Forbidden(f"this credential lacks the scope for this request ({' or '.join((*WHOLE_STORE, MINE))})")


def may_read_configuration(credential: Credential) -> None:
    """Frameworks, roles and teams' names: any competency reader."""
    if not (whole_store(credential) or MINE in credential.scopes):
        raise Forbidden(f"this credential lacks the scope for this request ({' or '.join((*WHOLE_STORE, MINE))})")


async def negative_evidence(request: Request, credential: Credential) -> bool:
    """Whether this reader sees failed attempts: a whole-store reader, in a store whose
    setting (now, also for an asOf answer: an access policy) shows them."""
    if not whole_store(credential):
        return False
    app = services(request)

    def read() -> bool:
        with app.engine.connect() as conn:
            return bool(settings.current(conn, credential.store_id,
                                         negative_evidence_default=app.settings.competency_negative_evidence)
                        ["negativeEvidence"])

    return await run(app, read)


async def answer(request: Request, app: App, credential: Credential, window: viewing.Window, at: At,
                 read: Callable[[Connection], dict[str, Any]]) -> Response:
    return await viewing.answer(request, app, VIEW, credential.store_id, window,
                                lambda conn: {"at": at.text, **read(conn)})


async def answer_by_interval(request: Request, app: App, credential: Credential, window: viewing.Window, at: At,
                         read: Callable[[Connection, int | None], dict[str, Any]]) -> Response:
    """``answer`` for the competency reads: ``read(conn, as_of)`` with ``as_of`` the log
    position of an ``asOf`` read from the live tables by interval, or None (now, or a
    replay to that position)."""
    if window.as_of is None:
        return await answer(request, app, credential, window, at, lambda conn: read(conn, None))
    viewing.check_declared(request)
    store, projection = credential.store_id, app.views.projections[VIEW]

    def by_interval() -> tuple[int, dict[str, Any]] | None:
        bound = _bound(app, window.as_of)
        with app.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One snapshot for the checks and the reads (SQLite's read transaction is one).
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            folded = folded_position(conn, projection)
            if folded is None or folded < bound or queries.configured(conn, store) > bound:
                return None
            return bound, {"at": at.text, **read(conn, bound)}

    found = await deps.run(app, by_interval, heavy=True)
    if found is None:
        return await answer(request, app, credential, window, at, lambda conn: read(conn, None))
    return viewing.respond(*found)


def _bound(app: App, as_of: AsOf | None) -> int:
    """The log position an ``asOf`` names, as projections.service reads it."""
    assert as_of is not None
    with app.engine.connect() as conn:
        head = log.head(conn)[0]
    if as_of.position is not None:
        if as_of.position > head:
            raise InvalidParameter("asOf", f"position {as_of.position} is beyond the log head ({head})")
        return as_of.position
    # A moment after the newest event is the present: the head.
    return min(position_at(app.engine, as_of.moment or ""), head)


def example(body: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": body}}}}
