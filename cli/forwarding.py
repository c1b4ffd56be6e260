"""`lrs forwarding ...`: targets (add, list, status, pause, resume, remove) and the
forwarder worker (run). The CLI acts as the system administrator: any store."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from lrs.events import DEFAULT_STORE


def _engine() -> Any:
    from cli.main import _migrated_engine, _settings

    return _migrated_engine(_settings())


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group(help="Forward statements to other LRSs and webhooks.")
def forwarding() -> None:
    pass


@forwarding.command(help="Add a target: another LRS (--kind lrs) or a webhook (--kind webhook).")
@click.argument("target_id")
@click.option("--kind", type=click.Choice(["lrs", "webhook"]), required=True)
@click.option("--url", required=True, help="LRS: its xAPI endpoint (…/xapi/). Webhook: the URL to POST to.")
@click.option("--basic", "basic", default=None, metavar="KEY:SECRET", envvar="LRS_FORWARDING_BASIC",
              help="Basic credentials at the target LRS (or env LRS_FORWARDING_BASIC).")
@click.option("--bearer", default=None, envvar="LRS_FORWARDING_BEARER",
              help="A bearer token for the target LRS (or env LRS_FORWARDING_BEARER).")
@click.option("--xapi-version", "xapi_version", type=click.Choice(["1.0.3", "2.0.0"]), default=None)
@click.option("--secret", default=None, envvar="LRS_FORWARDING_SECRET",
              help="Webhook signing secret (or env LRS_FORWARDING_SECRET); default: generated, shown once.")
@click.option("--filter", "filter_json", default=None, help='JSON, e.g. {"verbs": ["http://…/passed"]}')
@click.option("--views", "views_json", default=None,
              help='Webhooks: view changes to send, JSON, e.g. {"progress": {"statuses": ["passed"]}}')
@click.option("--store", default=DEFAULT_STORE, show_default=True, help="The store the target belongs to.")
@click.option("--from", "start", type=click.Choice(["start", "now"]), default=None,
              help="Whole log (default for lrs) or new statements only (default for webhook).")
@click.option("--json", "as_json", is_flag=True)
def add(target_id: str, kind: str, url: str, basic: str | None, bearer: str | None,
        xapi_version: str | None, secret: str | None, filter_json: str | None,
        views_json: str | None, store: str,
        start: str | None, as_json: bool) -> None:
    from cli.main import _settings
    from lrs.errors import LrsError
    from lrs.forwarding import targets

    body: dict[str, Any] = {"id": target_id, "kind": kind, "url": url, "store": store}
    if basic is not None:
        key, sep, password = basic.partition(":")
        if not sep:
            raise click.UsageError("--basic takes KEY:SECRET")
        body["auth"] = {"basic": [key, password]}
    if bearer is not None:
        body["auth"] = {"bearer": bearer}
    if xapi_version:
        body["xapiVersion"] = xapi_version
    if secret is not None:
        body["secret"] = secret
    if start:
        body["from"] = start
    if filter_json:
        try:
            body["filter"] = json.loads(filter_json)
        except ValueError as exc:
            raise click.UsageError(f"--filter is not JSON: {exc}") from None
    if views_json:
        try:
            body["views"] = json.loads(views_json)
        except ValueError as exc:
            raise click.UsageError(f"--views is not JSON: {exc}") from None
    from lrs.forwarding.sealing import Sealer
    from projections.feeds import VIEW_FEEDS

    settings = _settings()
    try:
        created, generated = targets.add(
            _engine(), body, store_id=DEFAULT_STORE,
            allow_private=settings.forwarding_allow_private, actor="cli",
            views=frozenset(VIEW_FEEDS), sealer=Sealer.from_setting(settings.forwarding_key),
        )
    except LrsError as exc:
        _fail(exc.message)
        return
    if as_json:
        click.echo(json.dumps({**created, **({"secret": generated} if generated else {})}))
        return
    click.echo(f"added {kind} target {target_id} -> {url}")
    if generated:
        click.echo(f"secret: {generated}   (shown once; the receiver verifies signatures with it)")


@forwarding.command(name="list", help="Every target.")
@click.option("--json", "as_json", is_flag=True)
def list_(as_json: bool) -> None:
    from lrs.forwarding import targets

    rows = targets.list_targets(_engine())
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"paused: {row['pausedReason']}" if row["paused"] else "active"
        click.echo(f"{row['id']}  {row['kind']}  {row['url']}  store={row['store']}  {state}")


@forwarding.command(help="Where delivery to a target stands: position, lag, errors, rejections.")
@click.argument("target_id")
@click.option("--json", "as_json", is_flag=True)
def status(target_id: str, as_json: bool) -> None:
    from lrs.errors import LrsError
    from lrs.forwarding import targets
    from projections.forwarding.forwarder import status as delivery_status

    engine = _engine()
    try:
        target = targets.get(engine, target_id)
        state = delivery_status(engine, target_id).as_json()
    except LrsError as exc:
        _fail(exc.message)
        return
    if as_json:
        click.echo(json.dumps({**target, "status": state}))
        return
    lag = state["lag"]
    click.echo(f"{target_id} ({target['kind']} -> {target['url']}): "
               + (f"PAUSED: {target['pausedReason']}" if target["paused"] else "active"))
    click.echo(f"  position {state['position']} of {state['head']} "
               f"(lag {lag['events']} events, {lag['seconds']} s)")
    click.echo(f"  delivered {state['delivered']}, rejected {state['rejected']}, "
               f"last success {state['lastSuccessAt'] or 'never'}")
    if state["lastError"]:
        click.echo(f"  last error at {state['lastErrorAt']} (retries {state['retries']}, "
                   f"next attempt {state['nextAttemptAt']}): {state['lastError']}")
    if state["lastRejection"]:
        click.echo(f"  last rejection: {state['lastRejection']}")


@forwarding.command(help="Pause a target (statements wait in the log).")
@click.argument("target_id")
@click.option("--reason", default="paused by an operator", show_default=True)
def pause(target_id: str, reason: str) -> None:
    from lrs.errors import LrsError
    from lrs.forwarding import targets

    try:
        changed = targets.pause(_engine(), target_id, reason, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(f"{target_id} paused" if changed else f"{target_id} was already paused")


@forwarding.command(help="Resume a paused target where it stopped.")
@click.argument("target_id")
def resume(target_id: str) -> None:
    from lrs.errors import LrsError
    from lrs.forwarding import targets

    try:
        changed = targets.resume(_engine(), target_id, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(f"{target_id} resumed" if changed else f"{target_id} was not paused")


@forwarding.command(help="Remove a target.")
@click.argument("target_id")
def remove(target_id: str) -> None:
    from lrs.errors import LrsError
    from lrs.forwarding import targets

    try:
        targets.remove(_engine(), target_id, actor="cli")
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(f"{target_id} removed")


@forwarding.command(help="Seal every target's secret with the first key of LRS_FORWARDING_KEY "
                    "(after putting a new key first, or to seal secrets stored before a key was set).")
def rekey() -> None:
    from cli.main import _settings
    from lrs.forwarding import targets
    from lrs.forwarding.sealing import Sealer

    sealer = Sealer.from_setting(_settings().forwarding_key)
    if sealer is None:
        _fail("LRS_FORWARDING_KEY is not set: there is no key to seal with")
        return
    resealed, unreadable = targets.rekey(_engine(), sealer)
    click.echo(f"sealed {resealed} secret(s) with key {sealer.current}")
    if unreadable:
        _fail("no configured key opens the secret of: " + ", ".join(unreadable)
              + " (add the old key to LRS_FORWARDING_KEY, or remove and add these targets again)")


@forwarding.command(help="Deliver to every target, continuously (a worker of its own).")
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between passes.")
def run(once: bool, interval: float) -> None:
    from cli.main import _settings
    from projections.forwarding.forwarder import Forwarder

    forwarder = Forwarder(_engine(), _settings())
    try:
        while True:
            moved = forwarder.run_once()
            if once:
                click.echo(json.dumps(moved))
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        forwarder.close()
