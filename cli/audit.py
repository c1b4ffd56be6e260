"""`lrs verify`, `lrs export`, `lrs import`, `lrs checkpoint`: the log as an auditor sees it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


@click.command(help=(
    "Recompute the hash chain of the log (or of an export file, with no database: "
    "--export FILE); non-zero exit at the first bad position."
))
@click.option("--store", default=None, help="Verify one store's chain only.")
@click.option(
    "--export", "export_file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify this export file instead of the database (no database needed).",
)
@click.option(
    "--public-key", "public_key_file", default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check the signed checkpoints with this Ed25519 public key (PEM or base64) and "
    "say up to which position each store is signed.",
)
def verify(store: str | None, export_file: Path | None, public_key_file: Path | None) -> None:
    if export_file is not None and store is not None:
        raise click.UsageError("--store names a store of the database; an export says its own store")
    key = _public_key(public_key_file) if public_key_file is not None else None
    if export_file is not None:
        _verify_export(export_file, key)
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
    if key is not None:
        from lrs.audit.checkpoints import CheckpointError, check_log

        try:
            signatures = check_log(engine, key, store)
        except CheckpointError as exc:
            _fail(f"checkpoint error at position {exc.position}: {exc.reason}", 2)
            return
        click.echo(signatures.summary())


def _public_key(path: Path) -> Ed25519PublicKey:
    from cli.main import _fail
    from lrs.audit.checkpoints import KeyProblem, public_key

    try:
        return public_key(path.read_bytes())
    except KeyProblem as exc:
        _fail(f"{path}: {exc}")
        raise


def _verify_export(path: Path, key: Ed25519PublicKey | None) -> None:
    from cli.main import _fail
    from lrs.audit.checkpoints import Checker
    from lrs.audit.offline import ExportError, verify_export

    checker = Checker(key) if key is not None else None
    try:
        with path.open("rb") as stream, click.progressbar(
            length=path.stat().st_size, label="verifying export", file=sys.stderr
        ) as bar:
            report = verify_export(
                _tracked(stream, bar.update), on_row=checker.row if checker is not None else None
            )
    except ExportError as exc:
        _fail(f"export integrity error at {exc}", 2)
        return
    click.echo(report.summary())
    if checker is not None:
        click.echo(checker.result.summary())


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
    "Import an export into this database, verified as it is written, in one transaction "
    "(nothing is kept of an export that does not verify); refused unless its stores are "
    "empty here and this log ends before it (a freshly migrated database)."
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


@click.command(help=(
    "Sign the head hash of every store (or --store S) with the Ed25519 key of "
    "LRS_CHECKPOINT_KEY / LRS_CHECKPOINT_KEY_FILE (or --key-file) and append the "
    "signatures to the log; --generate-key FILE writes a new key instead."
))
@click.option("--store", "store_ids", multiple=True, help="Sign this store only (repeatable).")
@click.option("--key-file", default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The private key (PEM or base64); default LRS_CHECKPOINT_KEY(_FILE).")
@click.option("--generate-key", "new_key", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write a new private key to this file (mode 600), print its public key, sign nothing.")
def checkpoint(store_ids: tuple[str, ...], key_file: Path | None, new_key: Path | None) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs.audit import checkpoints

    if new_key is not None:
        _generate(new_key)
        return
    settings = _settings()
    try:
        key = (
            checkpoints.private_key(key_file.read_bytes()) if key_file is not None
            else checkpoints.signing_key(settings)
        )
    except checkpoints.KeyProblem as exc:
        _fail(str(exc))
        return
    if key is None:
        _fail("no signing key: set LRS_CHECKPOINT_KEY or LRS_CHECKPOINT_KEY_FILE, or pass --key-file")
        return
    engine = _migrated_engine(settings)
    done = checkpoints.sign_heads(
        engine, key, store_ids=store_ids or None, actor="cli",
        lock_timeout_seconds=settings.lock_timeout_seconds,
    )
    for signed in done:
        click.echo(
            f"{signed.store_id}: signed position {signed.position} (head {signed.head}), "
            f"checkpoint at position {signed.checkpoint_position}"
        )
    if not done:
        click.echo("nothing to sign: every store's newest event is already a checkpoint")


def _generate(path: Path) -> None:
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cli.main import _fail
    from lrs.audit.checkpoints import public_pem

    if path.exists():
        _fail(f"{path} exists: a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    click.echo(public_pem(key), nl=False)


@click.group(help="Rejected statement requests kept for integrators (LRS_REJECTIONS_*).")
def rejections() -> None:
    pass


@rejections.command("list", help="The last refusals (400) of each credential, newest first.")
@click.option("--store", "store_id", default=None, help="One store's only.")
@click.option("--key", default=None, help="One credential's only.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def rejections_list(store_id: str | None, key: str | None, as_json: bool) -> None:
    import json

    from cli.main import _migrated_engine, _settings
    from lrs import rejections as service

    settings = _settings()
    rows = service.listing(_migrated_engine(settings), service.policy_of(settings),
                           store_id=store_id, key=key)
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        more = f" ({row['bodyLength']} bytes, cut)" if row["truncated"] else ""
        click.echo(f"{row['at']}\t{row['store']}\t{row['key']}\t{row['method']} {row['status']}\t{row['reason']}")
        click.echo(f"\tbody{more}: {row['body'][:200]}")
