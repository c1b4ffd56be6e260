"""Commands of the ``lrs`` console script: serve, migrate, verify, credentials, stores, reindex."""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

import click
from sqlalchemy import Engine

from lrs.config import Settings


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _engine(settings: Settings) -> Engine:
    from lrs.db import make_engine

    return make_engine(settings.database_url, lock_timeout_seconds=settings.lock_timeout_seconds)


def _migrated_engine(settings: Settings) -> Engine:
    """The engine of a database that has the LRS schema; a clear error otherwise."""
    from lrs.migrate import current_revision

    engine = _engine(settings)
    try:
        revision = current_revision(engine)
    except Exception as exc:
        _fail(f"cannot open {_redacted(settings.database_url)}: {str(exc).splitlines()[0]}")
    if revision is None:
        _fail(f"{_redacted(settings.database_url)} has no LRS schema yet: run `lrs migrate`")
    return engine


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(help="An event-sourced xAPI Learning Record Store. Settings come from LRS_* variables.")
@click.version_option(package_name="lrs")
def main() -> None:
    pass


@main.command(help="Migrate the database, then serve the xAPI endpoint at /xapi/.")
@click.option("--host", default=None, help="Interface to bind (LRS_HOST, default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (LRS_PORT, default 8000).")
def serve(host: str | None, port: int | None) -> None:
    import uvicorn

    from api.app import create_app
    from lrs.credentials import bootstrap
    from lrs.migrate import upgrade

    settings = _settings(host=host, port=port)
    engine = _engine(settings)
    upgrade(engine)
    demo = bootstrap(
        engine,
        key=settings.bootstrap_key,
        secret=settings.bootstrap_secret,
        public_url=settings.public_url,
    )
    endpoint = f"http://{settings.host}:{settings.port}/xapi/"
    click.echo(f"LRS endpoint: {endpoint}")
    click.echo(f"Database:     {_redacted(settings.database_url)}")
    if demo is not None:
        click.echo(f"Demo credential (shown once): key={demo[0]} secret={demo[1]}")
        click.echo(f"  try: curl -u {demo[0]}:{demo[1]} -H 'X-Experience-API-Version: 1.0.3' {endpoint}statements")
    elif settings.bootstrap_key:
        click.echo(f"Bootstrap credential: key={settings.bootstrap_key}")
    sys.stdout.flush()
    app = create_app(settings, engine)
    # Everything imported and built so far lives as long as the server. Left in the
    # collector's oldest generation, it made each full collection a 60-80 ms pause
    # (the slowest hundredth of requests); frozen, a full collection takes ~1 ms.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        http="httptools",
        loop="auto",
    )


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command(help="Apply every pending migration (alembic upgrade head).")
def migrate() -> None:
    from lrs.migrate import current_revision, upgrade

    settings = _settings()
    engine = _engine(settings)
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}")


@main.command(help="Recompute the hash chain of the log; non-zero exit at the first bad position.")
@click.option("--store", default=None, help="Verify one store's chain only.")
def verify(store: str | None) -> None:
    from sqlalchemy.exc import DBAPIError

    from lrs import log
    from lrs.errors import LogIntegrityError

    settings = _settings()
    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            total = log.head(conn)[0]
    except DBAPIError:
        # No log to read: the diagnosis every command gives. Alembic is imported only
        # then, since it is a good part of this command's start-up.
        _migrated_engine(settings)
        raise
    try:
        with click.progressbar(length=total, label="verifying", file=sys.stderr) as bar:
            report = log.verify(engine, store_id=store, progress=bar.update)
    except LogIntegrityError as exc:
        _fail(f"log integrity error at position {exc.position}: {exc.reason}", 2)
        return
    click.echo(report.summary())


@main.command(help="Drop the statement index and document heads; rebuild them from the log.")
def reindex() -> None:
    from lrs import log
    from lrs.documents import rebuild_heads
    from lrs.index import reindex as run

    engine = _migrated_engine(_settings())
    with engine.connect() as conn:
        total = log.head(conn)[0]
    with click.progressbar(length=total, label="reindexing", file=sys.stderr) as bar:
        count = run(engine, progress=bar.update)
    documents = rebuild_heads(engine)
    click.echo(f"indexed {count} statements and {documents} documents")


@main.group(help="Stores (tenants): each has its own statements, documents and hash chain.")
def stores() -> None:
    pass


@stores.command("create")
@click.argument("store_id")
@click.option("--name", default="", help="Human-readable name.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stores_create(store_id: str, name: str, as_json: bool) -> None:
    from lrs.credentials import create_store
    from lrs.errors import LrsError

    try:
        create_store(_migrated_engine(_settings()), store_id, name, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
    click.echo(json.dumps({"id": store_id, "name": name or store_id}) if as_json else f"store {store_id} created")


@stores.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def stores_list(as_json: bool) -> None:
    from lrs.credentials import list_stores

    rows = list_stores(_migrated_engine(_settings()))
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['name']}\tcreated {row['created_at']}")


@main.group(help="Key/secret credentials for HTTP Basic.")
def credentials() -> None:
    pass


@credentials.command("create")
@click.option("--store", "store_id", default="default", show_default=True)
@click.option("--scope", "scopes", multiple=True, help="Repeat for several (default: all, admin).")
@click.option("--label", default="")
@click.option("--key", default=None, help="Choose the key (default: random).")
@click.option("--secret", default=None, help="Choose the secret (default: random).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def credentials_create(
    store_id: str, scopes: tuple[str, ...], label: str, key: str | None, secret: str | None,
    as_json: bool,
) -> None:
    from lrs.credentials import FULL_RIGHTS, create_credential, ensure_default_store
    from lrs.errors import LrsError

    settings = _settings()
    engine = _migrated_engine(settings)
    ensure_default_store(engine)
    try:
        credential, new_secret = create_credential(
            engine, store_id=store_id, scopes=scopes or FULL_RIGHTS, label=label, key=key,
            secret=secret, public_url=settings.public_url, actor="cli",
        )
    except LrsError as exc:
        _fail(exc.message)
        return
    if as_json:
        click.echo(json.dumps({"key": credential.key, "secret": new_secret, "store": store_id,
                               "scopes": sorted(credential.scopes), "id": credential.id}))
    else:
        click.echo(f"key:    {credential.key}\nsecret: {new_secret}   (shown once)")


@credentials.command("list")
@click.option("--store", "store_id", default=None)
@click.option("--json", "as_json", is_flag=True)
def credentials_list(store_id: str | None, as_json: bool) -> None:
    from lrs.credentials import list_credentials

    rows = list_credentials(_migrated_engine(_settings()), store_id)
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['key']}\t{row['store']}\t{','.join(row['scopes'])}\t{state}\t{row['label']}")


@credentials.command("revoke")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def credentials_revoke(key: str, as_json: bool) -> None:
    from lrs.credentials import revoke
    from lrs.errors import LrsError

    try:
        revoke(_migrated_engine(_settings()), key, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
    click.echo(json.dumps({"key": key, "revoked": True}) if as_json else f"credential {key} revoked")


@credentials.command("rotate")
@click.argument("key")
@click.option("--secret", default=None, help="Choose the new secret (default: random).")
@click.option("--json", "as_json", is_flag=True)
def credentials_rotate(key: str, secret: str | None, as_json: bool) -> None:
    from lrs.credentials import rotate
    from lrs.errors import LrsError

    try:
        new_secret = rotate(_migrated_engine(_settings()), key, secret, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
        return
    if as_json:
        click.echo(json.dumps({"key": key, "secret": new_secret}))
    else:
        click.echo(f"key:    {key}\nsecret: {new_secret}   (shown once; the old secret no longer works)")


from cli.documents import documents  # noqa: E402 - registered after the group exists
from cli.projections import projections  # noqa: E402

main.add_command(documents)
main.add_command(projections)


if __name__ == "__main__":
    main()
