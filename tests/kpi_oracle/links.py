"""The KPI view's per-activity counts (kpi_activities.statements and kpi_links)
worked out from fact rows: what the fold keeps must equal this
(tests/unit/test_kpi_properties.py), and the SQL oracle test loads fact tables
with these counts beside them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lrs.xapi.agents import key_hash

KINDS = {"parent": "parent_ids", "grouping": "grouping_ids", "category": "category_ids"}


def derived(store_id: str, facts: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(activity rows, link rows) of a store's fact rows: one statement counted
    once however many learners' rows it made."""
    statements: dict[str, dict[str, Any]] = {}
    for f in facts:
        statements.setdefault(f["statement_id"], f)
    activities: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in sorted(statements.values(), key=lambda f: f["position"]):
        a = f["activity_id"]
        row = activities.setdefault(a, {
            "store_id": store_id, "activity_hash": key_hash(a), "activity_id": a, "type": f["activity_type"],
            "name": None, "first_position": f["position"], "statements": 0})
        row["statements"] += 1
        for kind, column in KINDS.items():
            for context in f[column]:
                link = links.setdefault((a, kind, context), {
                    "store_id": store_id, "activity_hash": key_hash(a), "kind": kind, "context_hash": key_hash(context),
                    "activity_id": a, "context_id": context, "statements": 0})
                link["statements"] += 1
    return list(activities.values()), list(links.values())
