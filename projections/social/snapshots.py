"""Team-level graph measures kept in ``social_metric_snapshot`` (design part a,
"batch metrics"): computed once per checkpoint of the view, then read back by
every process and worker until the view moves on, with the library version and
the parameters recorded beside the result.

A kept result answers only when it was computed from the same facts: the row's
position is the store's position the facts were read at (its last event at or
before the view's checkpoint: projections.social.reuse knows it only when nothing
was folded for the store while they were read), and its parameters
hash holds all else the result depends on (the window's bounds, the objections
in force, the view's version, the store's latest erasure, approximate). networkx
must be the version that computed it. The disclosure layer runs on every answer
after this, kept or not. Person-level results are never kept: no person's
identifier lands in the table.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import networkx as nx
import orjson
from sqlalchemy import Connection, and_, delete, exc, insert, inspect, select

from projections.social.network import Facts
from projections.social.schema import METRIC_SNAPSHOT
from projections.windows import Window

logger = logging.getLogger(__name__)
Result = dict[str, Any]


def kept(
    conn: Connection, store: str, window: Window | None, facts: Facts, *, level: str, measure: str,
    approximate: bool, current_opt_outs: set[str], compute: Callable[[], Result],
) -> Result:
    """The measure's result: the one kept for these facts, else computed (and kept)."""
    if level != "team" or facts.state is None or not inspect(conn).has_table(METRIC_SNAPSHOT.name):
        return compute()
    position, version, erased = facts.state
    params = {
        "since": window.since if window else None, "until": window.until if window else None,
        "approximate": approximate, "optOuts": sorted(current_opt_outs), "viewVersion": version, "erasure": erased,
    }
    key = {
        "store_id": store, "window": (window.label if window else "all")[:64], "level": level, "measure": measure,
        "params_hash": hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS)).hexdigest(),
    }
    table = METRIC_SNAPSHOT.sql
    where = and_(*(table.c[name] == value for name, value in key.items()))
    row = conn.execute(select(table.c.position, table.c.result_json, table.c.library_version).where(where)).first()
    if row is not None and row.position == position and row.library_version == nx.__version__:
        return dict(row.result_json)
    result = compute()
    # Written on a connection of its own: the read's connection may be a snapshot
    # (SQLite) or a replica that takes no writes. A write that fails (a busy
    # database, a read-only replica, a concurrent request keeping the same row)
    # only means the next request computes again.
    # One row per store, window, level and measure: a result of other parameters
    # (objections since changed, an older view version or erasure) never answers again.
    same = and_(*(table.c[name] == key[name] for name in ("store_id", "window", "level", "measure")))
    try:
        with conn.engine.begin() as write:
            write.execute(delete(table).where(same))
            write.execute(insert(table), [{**key, "position": position, "result_json": result,
                                           "library_version": nx.__version__}])
    except exc.DBAPIError as error:
        logger.info("social metric snapshot not kept: %s", str(error).splitlines()[0])
    return result
