"""`lrs erase`: remove a person's data from a store (lrs.erasure), or show what
would go (--dry-run)."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click


@click.command(help=(
    "Erase a person (an xAPI Agent given as JSON) from a store: statements they are in, "
    "their documents and attachments, every view; an lrs.erasure event records it. "
    "--dry-run lists what would be affected and writes nothing."
))
@click.option("--agent", "agent_json", required=True, help='The Agent, e.g. \'{"mbox": "mailto:a@example.com"}\'.')
@click.option("--store", default=None, help="The store (default: the default store).")
@click.option("--legal-basis", default=None, help="Why the data is erased (required, recorded in the log).")
@click.option("--dry-run", is_flag=True, default=False, help="List what would be affected; write nothing.")
@click.option("--operator", default=None, help="Who asks (recorded; default: the system user).")
@click.option("--json", "as_json", is_flag=True, default=False, help="Print JSON.")
def erase(
    agent_json: str, store: str | None, legal_basis: str | None, dry_run: bool,
    operator: str | None, as_json: bool,
) -> None:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs import erasure
    from lrs.errors import LrsError
    from lrs.events import DEFAULT_STORE
    from lrs.xapi.agents import parse_agent_parameter
    from projections.erasure import refold, view_changes, view_rows
    from projections.registry import all_projections
    from projections.runner import Runner

    settings = _settings()
    store_id = store or DEFAULT_STORE
    try:
        agent = parse_agent_parameter(agent_json)
        if not dry_run:
            erasure.check_legal_basis(legal_basis, "--legal-basis")
    except LrsError as exc:
        raise click.UsageError(f"{exc}") from None
    engine = _migrated_engine(settings)
    secret = settings.pseudonym_secret.encode() if settings.pseudonym_secret else None
    projections = all_projections()
    if dry_run:
        try:
            found = erasure.plan(engine, store_id, agent, secret)
        except LrsError as exc:
            _fail(str(exc))
            return
        result: dict[str, Any] = {"dryRun": True, **found.as_dict(),
                                  "viewRows": view_rows(engine, projections, store_id, agent),
                                  "viewChanges": view_changes(engine, projections, found)}
        click.echo(json.dumps(result, indent=2) if as_json else _describe(result))
        return
    if secret is None:
        _fail("LRS_PSEUDONYM_SECRET must be set: the erasure records a fingerprint of the "
              "person keyed with it (and the placeholder that replaces them is named by it)")
        return
    assert legal_basis is not None
    request = erasure.Request(store_id, agent, legal_basis, {"operator": operator or getpass.getuser()})
    try:
        outcome = erasure.erase(engine, request, secret, lock_timeout_seconds=settings.lock_timeout_seconds)
    except LrsError as exc:
        _fail(str(exc))
        return
    runner = Runner(engine, projections)
    try:
        folded = refold(runner)
    finally:
        runner.release()
    result = {"dryRun": False, "erasure": outcome.erasure_event_id, "position": outcome.position,
              "fingerprint": outcome.fingerprint, **outcome.plan.as_dict(), "viewsFolded": folded}
    click.echo(json.dumps(result, indent=2) if as_json else _describe(result))


def _describe(result: dict[str, Any]) -> str:
    counts = result["counts"]
    head = "would erase" if result["dryRun"] else f"erased (event {result['erasure']}, position {result['position']})"
    lines = [
        f"{head} in store {result['store']}: {counts['statementsErased']} statement(s) whole, "
        f"{counts['statementsRedacted']} with the person replaced, {counts['documents']} document(s), "
        f"{counts['attachments']} attachment(s), {counts['otherEvents']} other event(s) naming "
        f"them, {counts['events']} event payload(s)"
    ]
    for kind in ("erased", "redacted"):
        for item in result["statements"][kind]:
            lines.append(f"  statement {item['id']} {kind} ({', '.join(item['roles'])})")
    lines += [f"  document {doc}" for doc in result["documents"]]
    lines += [f"  attachment {sha2}" for sha2 in result["attachments"]]
    lines += [f"  event {other} (the person replaced)" for other in result["otherEvents"]]
    if "viewChanges" in result:
        lines += [
            f"  view {name}: {n['removed']} row(s) removed, {n['added']} added "
            f"({result['viewRows'].get(name, 0)} keyed by the person)"
            for name, n in result["viewChanges"].items()
        ]
    if "viewsFolded" in result:
        lines.append("views folded again from the redacted log: " + ", ".join(
            f"{name} to {position}" for name, position in result["viewsFolded"].items()) )
    return "\n".join(lines)
