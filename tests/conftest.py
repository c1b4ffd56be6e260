"""Shared fixtures: real databases on both backends.

Every test that takes ``db_url`` (or ``engine``) runs twice: on a fresh SQLite
file and on a fresh PostgreSQL database. PostgreSQL is found through
``LRS_TEST_POSTGRES_URL`` (default: the local server at 127.0.0.1:5432, database
``test``); when none is reachable those runs skip with the reason, unless
``LRS_TEST_POSTGRES_REQUIRED=1`` (set by ``.ci/run``), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lrs.db import make_engine
from lrs.migrate import upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_admin_url() -> str:
    return os.environ.get("LRS_TEST_POSTGRES_URL", DEFAULT_PG_URL)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


class _PostgresServer:
    """Creates one migrated template database, then a cheap copy per test."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=2)
        self.template = f"lrs_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(self.url_for(self.template))
        upgrade(engine)
        engine.dispose()

    def url_for(self, database: str) -> str:
        return make_url(self.admin_url).set(database=database).render_as_string(
            hide_password=False
        )

    def create(self) -> str:
        name = f"lrs_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


@pytest.fixture(scope="session")
def _postgres() -> Iterator[_PostgresServer]:
    url = _pg_admin_url()
    try:
        server = _PostgresServer(url)
    except Exception as exc:  # the reason goes into the skip message
        reason = f"PostgreSQL not reachable at {url}: {str(exc).splitlines()[0]}"
        if os.environ.get("LRS_TEST_POSTGRES_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    yield server
    server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "lrs.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: _PostgresServer = request.getfixturevalue("_postgres")
    name = server.create()
    try:
        yield server.url_for(name)
    finally:
        server.drop(name)


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "lrs.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, lock_timeout_seconds=30)
    yield eng
    eng.dispose()
