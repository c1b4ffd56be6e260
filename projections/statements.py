"""A base for projections that fold statements: voiding is handled here, once.

xAPI Data 2.3.2: a voiding statement withdraws its target; a voiding statement
cannot itself be voided; and the voiding may be stored before its target, which
then never counts. A projection built on ``StatementProjection`` only says what a
statement contributes (``contribute``: it writes rows and returns where), how to
take a statement's contribution back out of one of those rows (``withdraw``),
and what it will read (``announce``). The base keeps a ledger per statement: the
rows it contributed to, or that it was voided first.

A projection never reads the statement index to learn about voiding: in a replay
or a rebuild that would let later voidings into the past.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, String

from lrs.events import STATEMENT_STORED, RecordedEvent
from lrs.log.redactions import MARKER
from projections.tables import Json, Key, Table, table
from projections.view import Reads, View

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def ledger(name: str) -> Table:
    """The ledger table of the statement projection ``name``."""
    return table(
        f"{name}_statements",
        Column("store_id", String(64), primary_key=True),
        Column("statement_id", String(36), primary_key=True),
        Column("voided", Boolean, nullable=False),
        # [[table name, [key values]], ...]: where the statement's contribution went.
        Column("contributions", Json, nullable=False),
    )


def voided_target(statement: dict[str, Any]) -> str | None:
    """The id a voiding statement voids (Data 2.3.2), or None for any other. A
    statement an erasure took out whole keeps only that of itself (lrs.erasure)."""
    if MARKER in statement:
        voids = statement.get("voids")
        return voids.lower() if isinstance(voids, str) else None
    obj = statement.get("object") or {}
    if statement["verb"]["id"] == VOIDED and obj.get("objectType") == "StatementRef":
        return str(obj["id"]).lower()
    return None


class StatementProjection(ABC):
    name: str
    version: int
    event_types: frozenset[str] = frozenset((STATEMENT_STORED,))
    # The projection's own tables; ``tables`` adds the ledger.
    own_tables: tuple[Table, ...]
    ledger: Table

    @property
    def tables(self) -> tuple[Table, ...]:
        return (*self.own_tables, self.ledger)

    # ------------------------------------------------------- what a projection says

    @abstractmethod
    def announce(self, statement: dict[str, Any], event: RecordedEvent, reads: Reads) -> None:
        """Add to ``reads`` what ``contribute`` will read for this statement."""

    @abstractmethod
    def contribute(
        self, statement: dict[str, Any], event: RecordedEvent, view: View
    ) -> Sequence[tuple[Table, Key]]:
        """Fold the statement in; return the rows (table, key) it contributed to."""

    def announce_withdrawal(self, table: Table, key: Key, reads: Reads) -> None:  # noqa: B027
        """Add to ``reads`` what ``withdraw`` will read beyond the row itself (nothing by default)."""

    @abstractmethod
    def withdraw(
        self, table: Table, key: Key, statement_id: str, event: RecordedEvent, view: View
    ) -> None:
        """Take the statement's contribution back out of one row (``event``: the voiding)."""

    def settle(self, view: View) -> None:  # noqa: B027 - a hook; most have nothing to settle
        """Before the batch is written (see projections.view ``edit``): nothing by default."""

    # ------------------------------------------------------------------ the fold

    def preload(self, events: Sequence[RecordedEvent], view: View) -> None:
        reads = Reads()
        targets: list[tuple[str, str]] = []
        for event in events:
            statement = event.payload()
            store = event.store_id
            reads.key(self.ledger, (store, statement["id"].lower()))
            target = voided_target(statement)
            if target is not None:
                reads.key(self.ledger, (store, target))
                targets.append((store, target))
            elif MARKER not in statement:
                self.announce(statement, event, reads)
        view.load(reads)
        # What voidings will withdraw, known once the ledger rows are in.
        withdrawals = Reads()
        tables = {t.name: t for t in self.own_tables}
        for store, target in targets:
            row = view.get(self.ledger, (store, target))
            for name, key in (row or {}).get("contributions") or ():
                withdrawals.key(tables[name], tuple(key))
                self.announce_withdrawal(tables[name], tuple(key), withdrawals)
        view.load(withdrawals)

    def handle(self, event: RecordedEvent, view: View) -> None:
        statement = event.payload()
        store = event.store_id
        target = voided_target(statement)
        if target is not None:
            self._void(store, target, event, view)
            return
        if MARKER in statement:
            return  # erased whole: contributes nothing (lrs.erasure)
        statement_id = statement["id"].lower()
        seen = view.get(self.ledger, (store, statement_id))
        if seen is not None and seen["voided"]:
            return  # its voiding came first
        contributed = self.contribute(statement, event, view)
        if contributed:
            view.put(
                self.ledger,
                {
                    "store_id": store, "statement_id": statement_id, "voided": False,
                    "contributions": [[t.name, list(key)] for t, key in contributed],
                },
            )

    def _void(self, store: str, target: str, event: RecordedEvent, view: View) -> None:
        seen = view.get(self.ledger, (store, target))
        if seen is not None and seen["voided"]:
            return
        tables = {t.name: t for t in self.own_tables}
        for name, key in (seen or {}).get("contributions") or ():
            self.withdraw(tables[name], tuple(key), target, event, view)
        view.put(
            self.ledger,
            {"store_id": store, "statement_id": target, "voided": True, "contributions": []},
        )
