"""`lrs documents ...`: a document's history, and any past version of it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

_KINDS = {"state": "state", "activity-profile": "activity_profile", "agent-profile": "agent_profile"}


def _identify(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options that name one document of any of the three resources."""
    for decorator in reversed(
        [
            click.argument("kind", type=click.Choice(sorted(_KINDS))),
            click.option("--store", "store_id", default="default", show_default=True),
            click.option("--activity-id", default=None, help="State and Activity Profile."),
            click.option("--agent", default=None, help='State and Agent Profile: a JSON Agent, e.g. \'{"mbox":"mailto:a@b.c"}\'.'),
            click.option("--registration", default=None, help="State: the registration, if any."),
            click.option("--id", "doc_id", required=True, help="The stateId or profileId."),
        ]
    ):
        function = decorator(function)
    return function


def _scope(kind: str, activity_id: str | None, agent: str | None, registration: str | None) -> Any:
    from lrs.documents import Scope
    from lrs.errors import LrsError
    from lrs.xapi.agents import parse_agent_parameter

    resource = _KINDS[kind]
    needs_activity = resource in ("state", "activity_profile")
    needs_agent = resource in ("state", "agent_profile")
    if needs_activity != (activity_id is not None) or needs_agent != (agent is not None):
        wanted = " and ".join(p for p, n in (("--activity-id", needs_activity), ("--agent", needs_agent)) if n)
        raise click.UsageError(f"{kind} documents are named by {wanted} (and --id)")
    if registration is not None and resource != "state":
        raise click.UsageError("--registration only applies to state documents")
    try:
        parsed = parse_agent_parameter(agent, allow_group=False) if agent else None
    except LrsError as exc:
        raise click.UsageError(exc.message) from None
    return Scope(resource, activity_id, parsed, registration.lower() if registration else None)


@click.group(help="Document resources (State, Activity Profile, Agent Profile) and their history.")
def documents() -> None:
    pass


@documents.command(help="Every version of a document, oldest first, deletions included.")
@_identify
@click.option("--json", "as_json", is_flag=True)
def history(kind: str, store_id: str, activity_id: str | None, agent: str | None,
            registration: str | None, doc_id: str, as_json: bool) -> None:
    from cli.main import _migrated_engine, _settings
    from lrs.documents import history as versions_of

    versions = versions_of(_migrated_engine(_settings()), store_id, _scope(kind, activity_id, agent, registration), doc_id)
    if as_json:
        click.echo(json.dumps(versions))
        return
    if not versions:
        click.echo("no versions: this document was never written")
    for version in versions:
        what = "deleted" if version["deleted"] else f"{version['contentType']}, {version['length']} bytes, etag {version['etag']}"
        click.echo(f"v{version['version']} at position {version['position']} ({version['recorded_at']}): {what}")


@documents.command(help="A document's content as it stood at a time or log position (default: now).")
@_identify
@click.option("--as-of", "as_of", default=None, help="A timestamp with a time zone, or a log position.")
def get(kind: str, store_id: str, activity_id: str | None, agent: str | None,
        registration: str | None, doc_id: str, as_of: str | None) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs import documents as service
    from lrs.clock import format_utc
    from lrs.errors import LrsError
    from lrs.xapi.value_formats import parse_timestamp

    engine = _migrated_engine(_settings())
    scope = _scope(kind, activity_id, agent, registration)
    try:
        if as_of is None:
            document = service.read(engine, store_id, scope, doc_id)
        elif as_of.isdigit():
            document = service.read_as_of(engine, store_id, scope, doc_id, position=int(as_of))
        else:
            moment = parse_timestamp(as_of)
            if moment is None:
                raise click.UsageError("--as-of takes a log position or a timestamp with a time zone")
            document = service.read_as_of(engine, store_id, scope, doc_id, moment=format_utc(moment))
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(f"# {document.content_type}, etag {document.etag}, position {document.position}, {document.updated}", err=True)
    sys.stdout.buffer.write(document.content)
    sys.stdout.flush()
