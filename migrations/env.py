"""Alembic environment. ``lrs migrate`` passes a live connection in ``attributes``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from migrations.models import target_metadata

config = context.config


def _run(connection, *, models: bool) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        # The declarations matter to `alembic check` and autogenerate, not to an
        # upgrade: `lrs migrate` (lrs.migrate) leaves them, and projections, alone.
        target_metadata=target_metadata() if models else None,
        # SQLite cannot ALTER most things: batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, models=False)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run(conn, models=True)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
