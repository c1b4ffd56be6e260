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
@click.option("--workers", default=None, type=int, help="Server processes (LRS_WORKERS, default 1; PostgreSQL only).")
@click.option(
    "--dev", is_flag=True, default=False,
    help="Development mode (LRS_DEV): a weak LRS_BOOTSTRAP_SECRET only prints a warning.",
)
def serve(host: str | None, port: int | None, workers: int | None, dev: bool) -> None:
    import uvicorn

    from api.app import create_app
    from lrs.credentials import bootstrap
    from lrs.migrate import upgrade

    settings = _settings(host=host, port=port, workers=workers, dev=dev or None)
    if settings.workers > 1 and settings.is_sqlite:
        _fail(
            "LRS_WORKERS / --workers above 1 needs PostgreSQL: SQLite has one writer, and "
            "one server process already uses all of it (the log's lock is taken in-process). "
            "Run one process on SQLite, or set LRS_DATABASE_URL to a PostgreSQL database."
        )
    _check_bootstrap_secret(settings)
    engine = _engine(settings)
    upgrade(engine)
    done = bootstrap(
        engine,
        key=settings.bootstrap_key,
        secret=settings.bootstrap_secret,
        public_url=settings.public_url,
    )
    endpoint = f"http://{settings.host}:{settings.port}/xapi/"
    click.echo(f"LRS endpoint: {endpoint}")
    click.echo(f"Database:     {_redacted(settings.database_url)}")
    if done.notice:
        click.echo(f"Note: {done.notice}")
    demo = done.demo
    if demo is not None:
        click.echo(f"Demo credential (shown once): key={demo[0]} secret={demo[1]}")
        click.echo(f"  try: curl -u {demo[0]}:{demo[1]} -H 'X-Experience-API-Version: 1.0.3' {endpoint}statements")
    elif settings.bootstrap_key:
        click.echo(f"Bootstrap credential: key={settings.bootstrap_key}")
    sys.stdout.flush()
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "log_config": logging_config(settings),
        # Access lines come from the app (api.observe), with request ids.
        "access_log": False,
        # The client address limits failed logins: X-Forwarded-For only counts from
        # the proxies named in LRS_TRUSTED_PROXIES (uvicorn would trust 127.0.0.1).
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        "http": "httptools",
        "loop": "auto",
        # SIGTERM: stop accepting, let in-flight requests finish (and their group
        # commits: the writer drains its queue when the app stops), then exit.
        "timeout_graceful_shutdown": settings.shutdown_seconds,
    }
    if settings.workers > 1:
        _serve_workers(settings, options)
        return
    app = create_app(settings, engine)
    # Everything imported and built so far lives as long as the server. Left in the
    # collector's oldest generation, it made each full collection a 60-80 ms pause
    # (the slowest hundredth of requests); frozen, a full collection takes ~1 ms.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, **options)


def _serve_workers(settings: Settings, options: dict[str, Any]) -> None:
    """N server processes on one port (uvicorn's workers), sharing one PostgreSQL.

    Everything shared between processes lives in PostgreSQL: the log's lock (so
    positions, stored and Consistent-Through stay exact), credentials, leases of the
    views. Metrics of all processes are added up through the Prometheus client's
    multiprocess directory. Rate limits and caches are per process.
    """
    import os
    import shutil
    import tempfile

    import uvicorn

    directory = tempfile.mkdtemp(prefix="lrs-metrics-")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    # The children read their settings from the environment: carry the command line over.
    os.environ.update(
        PROMETHEUS_MULTIPROC_DIR=directory,
        LRS_HOST=settings.host, LRS_PORT=str(settings.port), LRS_DEV="true" if settings.dev else "false",
        LRS_DATABASE_URL=settings.database_url, LRS_PUBLIC_URL=settings.public_url,
    )
    try:
        uvicorn.run("api.app:app_from_env", factory=True, workers=settings.workers, **options)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def logging_config(settings: Settings) -> dict[str, Any]:
    """Logging of the server and uvicorn: JSON lines (with the request id, where there
    is one) or plain text, at LRS_LOG_LEVEL."""
    level = settings.log_level.upper()
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if settings.log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lrs": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "lrs", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": ["stderr"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "lrs", "lrs.access")
        },
    }


def _check_bootstrap_secret(settings: Settings) -> None:
    """Stop before touching anything when the bootstrap secret is weak (outside dev mode)."""
    from lrs.credentials import WEAK_SECRET_RULE, weak_secret

    if not (settings.bootstrap_key and settings.bootstrap_secret):
        return
    reason = weak_secret(settings.bootstrap_key, settings.bootstrap_secret)
    if reason is None:
        return
    message = f"LRS_BOOTSTRAP_SECRET is too weak: {reason}; {WEAK_SECRET_RULE}"
    if settings.dev:
        click.echo(f"warning: {message}. Accepted in dev mode (--dev, LRS_DEV) only.", err=True)
        return
    _fail(
        f"{message}. Set a strong one, e.g. the output of "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`; for local "
        "development only, `lrs serve --dev` (or LRS_DEV=true) accepts it with a warning."
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


@main.command(help="Rebuild derived tables from the log (all of them by default).")
@click.argument("names", nargs=-1)
def rebuild(names: tuple[str, ...]) -> None:
    """`lrs rebuild [index] [documents] [progress] ...`: the statement index and the
    document heads are rebuilt holding the log's lock (writes wait meanwhile), the
    views as the projection runner rebuilds them."""
    _rebuild(names)


@main.command(help="Rebuild the statement index and the document heads from the log (lrs rebuild index documents).")
def reindex() -> None:
    _rebuild(("index", "documents"))


def _rebuild(names: tuple[str, ...]) -> None:
    import time

    from lrs import log
    from projections.registry import rebuildables

    known = {item.name: item for item in rebuildables()}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise click.UsageError(f"nothing called {', '.join(unknown)}; known: {', '.join(known)}")
    engine = _migrated_engine(_settings())
    with engine.connect() as conn:
        total = log.head(conn)[0]
    for item in [known[name] for name in names] or list(known.values()):
        started = time.perf_counter()
        with click.progressbar(length=total, label=f"rebuilding {item.name}", file=sys.stderr) as bar:
            count = item.rebuild(engine, bar.update)
        elapsed = time.perf_counter() - started
        click.echo(f"{item.name} ({item.what}): {count} in {elapsed:.1f} s")


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


from cli.analytics import analytics, people  # noqa: E402
from cli.audit import checkpoint, export, import_, rejections, verify  # noqa: E402 - registered after the group exists
from cli.competency import competency  # noqa: E402
from cli.documents import documents  # noqa: E402
from cli.erasure import erase  # noqa: E402
from cli.forwarding import forwarding  # noqa: E402
from cli.programmes import programmes  # noqa: E402
from cli.projections import projections  # noqa: E402

main.add_command(verify)
main.add_command(export)
main.add_command(import_)
main.add_command(checkpoint)
main.add_command(rejections)
main.add_command(competency)
main.add_command(documents)
main.add_command(erase)
main.add_command(forwarding)
main.add_command(projections)
main.add_command(analytics)
main.add_command(people)
main.add_command(programmes)


if __name__ == "__main__":
    main()
