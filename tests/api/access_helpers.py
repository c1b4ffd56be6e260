"""Readers of the log and the credentials table shared by the access-control tests."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select

from lrs import credentials, log
from lrs.events import RecordedEvent
from lrs.schema import credentials as credentials_table
from lrs.schema import events

# The same cheap argon2 parameters as the autouse fixture of tests/api/conftest.py,
# for fixtures that outlive one test (module scope) or live outside tests/api.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def cheapen_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "_hasher", CHEAP_HASHER)
    monkeypatch.setattr(credentials, "_DUMMY_HASH", CHEAP_HASHER.hash("unknown key"))


def head_position(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(events.c.position), 0))).scalar_one())


def all_events(engine: Engine, store_id: str | None = None) -> list[RecordedEvent]:
    return list(log.iter_forward(engine, 0, store_id=store_id))


def events_after(engine: Engine, position: int) -> list[RecordedEvent]:
    return list(log.iter_forward(engine, position))


def credential_row(engine: Engine, key: str) -> Any:
    with engine.connect() as conn:
        row = conn.execute(select(credentials_table).where(credentials_table.c.key == key)).first()
    assert row is not None, key
    return row
