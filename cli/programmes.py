"""`lrs programmes ...`: define, retire and list programme definitions (KPI view)."""

from __future__ import annotations

import json
from typing import Any

import click


@click.group(help="Programme definitions for the KPI view (each definition is an event in the log).")
def programmes() -> None:
    pass


@programmes.command(help="Record a programme definition from a JSON FILE ('-': standard input): "
                         "a new version when the programme exists.")
@click.argument("file", type=click.File("r"))
@click.option("--id", "programme_id", default=None, help="The programme id (default: the file's \"id\" property).")
@click.option("--store", "store_id", default="default", show_default=True)
def define(file: Any, programme_id: str | None, store_id: str) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs import programmes as service
    from lrs.errors import LrsError

    try:
        body = json.load(file)
    except json.JSONDecodeError as exc:
        _fail(f"{file.name}: not JSON ({exc})")
        return
    if isinstance(body, dict) and "id" in body:
        programme_id = programme_id or body["id"]
        body = {k: v for k, v in body.items() if k != "id"}
    if not isinstance(programme_id, str):
        _fail("name the programme: --id, or an \"id\" property in the file")
        return
    try:
        version, position = service.define(_migrated_engine(_settings()), store_id, programme_id, body, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(json.dumps({"programme": programme_id, "version": version, "position": position}))


@programmes.command(help="Retire a programme (it leaves the lists; its history stays).")
@click.argument("programme_id")
@click.option("--store", "store_id", default="default", show_default=True)
def retire(programme_id: str, store_id: str) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs import programmes as service
    from lrs.errors import LrsError

    try:
        version, position = service.retire(_migrated_engine(_settings()), store_id, programme_id, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(json.dumps({"programme": programme_id, "version": version, "position": position, "retired": True}))


@programmes.command(name="list", help="Every programme's current definition (JSON).")
@click.option("--store", "store_id", default="default", show_default=True)
def list_(store_id: str) -> None:
    from cli.main import _migrated_engine, _settings
    from lrs import programmes as service

    click.echo(json.dumps(service.current(_migrated_engine(_settings()), store_id), indent=2))
