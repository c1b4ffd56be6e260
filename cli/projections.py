"""`lrs projections ...`: run the workers, see their state, rebuild, replay."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from projections.runner import Runner


@click.group(help="Read models built from the log (progress, ...).")
def projections() -> None:
    pass


def _runner() -> Runner:
    from cli.main import _migrated_engine, _settings
    from projections.registry import all_projections
    from projections.runner import Runner

    return Runner(_migrated_engine(_settings()), all_projections())


@projections.command(help="Fold new events into every projection, continuously (a worker).")
@click.option("--once", is_flag=True, help="Catch up once, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--forward/--no-forward", default=True, show_default=True,
              help="Also deliver to the forwarding targets (lrs forwarding).")
def run(once: bool, interval: float, forward: bool) -> None:
    from cli.main import _migrated_engine, _settings
    from projections.forwarding.forwarder import Forwarder
    from projections.runner import ProjectionError

    runner = _runner()
    # The projector forwards too (production: LRS_FORWARDING_IN_PROCESS=false on the
    # API, so that the servers only serve).
    settings = _settings()
    forwarder = Forwarder(_migrated_engine(settings), settings) if forward else None
    try:
        while True:
            try:
                reached = runner.catch_up()
                if forwarder is not None:
                    forwarder.run_once()
                if once:
                    click.echo(json.dumps(reached))
                    return
            except ProjectionError as exc:
                click.echo(f"error: {exc}", err=True)
                if once:
                    sys.exit(2)
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        runner.release()
        if forwarder is not None:
            forwarder.close()


@projections.command(help="Head of the log, checkpoint and lag of each projection.")
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    rows = _runner().status()
    if as_json:
        click.echo(json.dumps([
            {"name": s.name, "version": s.version, "position": s.position, "head": s.head,
             "lag": s.lag, "updated_at": s.updated_at, "error": s.error,
             "error_position": s.error_position}
            for s in rows
        ]))
        return
    for s in rows:
        state = f"stopped at {s.error_position}: {s.error}" if s.error else "ok"
        click.echo(f"{s.name} v{s.version}: position {s.position} of {s.head} (lag {s.lag}) {state}")


@projections.command(help="Forget a projection and fold it again from position 0.")
@click.argument("name")
def rebuild(name: str) -> None:
    from lrs import log
    from projections.runner import ProjectionBusy

    runner = _runner()
    if name not in runner.projections:
        raise click.UsageError(f"no projection {name!r}; known: {', '.join(runner.projections)}")
    with runner.source.connect() as conn:
        head = log.head(conn)[0]
    started = time.perf_counter()
    try:
        with click.progressbar(length=head, label=f"rebuilding {name}", file=sys.stderr) as bar:
            position = runner.rebuild(name, progress=bar.update)
    except ProjectionBusy as exc:
        raise click.ClickException(str(exc)) from None
    elapsed = time.perf_counter() - started
    click.echo(f"{name} rebuilt to position {position} in {elapsed:.1f} s ({head / max(elapsed, 1e-9):.0f} events/s)")
    runner.release()


@projections.command(help="Build a projection as it stood at a time or log position, into a SQLite file.")
@click.argument("name")
@click.option("--as-of", "as_of", required=True, help="A timestamp (2026-11-01T00:00:00Z) or a log position.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--store", "store_id", default=None, help="Only this store's events (default: all stores).")
def replay(name: str, as_of: str, out: Path, store_id: str | None) -> None:
    from cli.main import _migrated_engine, _settings
    from lrs.clock import format_utc
    from lrs.db import make_engine
    from lrs.xapi.value_formats import parse_timestamp
    from projections.registry import by_name
    from projections.runner import position_at
    from projections.runner import replay as run_replay

    engine = _migrated_engine(_settings())
    try:
        projection = by_name(name)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    if as_of.isdigit():
        bound = int(as_of)
    else:
        moment = parse_timestamp(as_of)
        if moment is None:
            raise click.UsageError("--as-of takes a log position or a timestamp with a time zone")
        bound = position_at(engine, format_utc(moment))
    if out.exists():
        raise click.UsageError(f"{out} exists; choose a new file")
    target = make_engine(f"sqlite:///{out}")
    runner = run_replay(engine, projection, target, until=bound, store_id=store_id)
    click.echo(f"{name} as of position {runner.position(name)} written to {out}")
