"""`lrs verify`, `lrs export`, `lrs import`, `lrs checkpoint`: the log as an auditor sees it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import click


@click.command(help=(
    "Recompute the hash chain of the log (or of an export file, with no database: "
    "--export FILE); non-zero exit at the first bad position."
))
@click.option("--store", default=None, help="Verify one store's chain only.")
@click.option(
    "--export", "export_file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify this export file instead of the database (no database needed).",
)
def verify(store: str | None, export_file: Path | None) -> None:
    if export_file is not None:
        _verify_export(export_file)
        return
    from sqlalchemy.exc import DBAPIError

    from cli.main import _engine, _fail, _migrated_engine, _settings
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


def _verify_export(path: Path) -> None:
    from cli.main import _fail
    from lrs.audit.offline import ExportError, verify_export

    try:
        with path.open("rb") as stream, click.progressbar(
            length=path.stat().st_size, label="verifying export", file=sys.stderr
        ) as bar:
            report = verify_export(_tracked(stream, bar.update))
    except ExportError as exc:
        _fail(f"export integrity error at {exc}", 2)
        return
    click.echo(report.summary())


def _tracked(stream: BinaryIO, update: Callable[[int], None]) -> Iterator[bytes]:
    """The lines of ``stream``, telling ``update`` their bytes every megabyte or so."""
    done = 0
    for line in stream:
        done += len(line)
        if done >= 1 << 20:
            update(done)
            done = 0
        yield line
    update(done)


@click.command(help="Write the log of a store (default: every store) with every byte it refers to.")
@click.option("--store", default=None, help="Export this store's chain only.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write ('-': standard output).")
def export(store: str | None, out: Path) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs.audit.export import count_events, export_lines

    engine = _migrated_engine(_settings())
    if store is not None:
        from lrs.credentials import store_exists

        if not store_exists(engine, store):
            _fail(f"no store {store!r}")
    total = count_events(engine, store)
    target = sys.stdout.buffer if str(out) == "-" else None
    partial = out.with_name(out.name + ".partial")
    with click.progressbar(length=total, label="exporting", file=sys.stderr) as bar:
        if target is not None:
            for line in export_lines(engine, store, progress=bar.update):
                target.write(line)
            target.flush()
            return
        # Written aside, then renamed: a file at --out is always a whole export.
        with partial.open("wb") as stream:
            for line in export_lines(engine, store, progress=bar.update):
                stream.write(line)
        partial.replace(out)
    click.echo(f"exported {total} events to {out}", err=True)


@click.command("import", help=(
    "Import an export into this database: verified first, refused unless its stores "
    "are empty here and this log ends before it (a freshly migrated database)."
))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs.audit.load import import_export
    from lrs.audit.offline import ExportError
    from lrs.errors import LrsError

    settings = _settings()
    engine = _migrated_engine(settings)
    try:
        with click.progressbar(label="importing", length=_row_count(file), file=sys.stderr) as bar:
            report = import_export(
                engine, file, lock_timeout_seconds=settings.lock_timeout_seconds, progress=bar.update
            )
    except ExportError as exc:
        _fail(f"the export does not verify: {exc}", 2)
        return
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(report.summary())


def _row_count(file: Path) -> int:
    """The event count the manifest (the last line) announces; 0 if unreadable."""
    import orjson

    with file.open("rb") as stream:
        size = file.stat().st_size
        stream.seek(max(0, size - 65536))
        tail = stream.read().splitlines()
    try:
        return int(orjson.loads(tail[-1]).get("events", 0))
    except (orjson.JSONDecodeError, IndexError, AttributeError, ValueError, TypeError):
        return 0
