"""``lrs analytics settings`` and ``lrs people import|opt-out|opt-in``: analytics
configuration as events in the log (lrs.analytics), the same rules as the admin API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

STORE = click.option("--store", "store_id", default="default", show_default=True, help="The store.")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def _engine() -> Any:
    from cli.main import _migrated_engine, _settings

    return _migrated_engine(_settings())


def _fail(message: str) -> None:
    from cli.main import _fail as fail

    fail(message)


@click.group(help="Analytics settings of a store (time zone, thresholds, privacy mode).")
def analytics() -> None:
    pass


@analytics.command("settings", help="Show the settings, or change those given (an analytics.settings.changed event).")
@STORE
@click.option("--timezone", default=None, help="IANA time zone, e.g. Europe/Amsterdam.")
@click.option("--fiscal-year-start", "fiscal", type=int, default=None, help="Month the fiscal year starts (1-12).")
@click.option("--min-group-size", type=int, default=None, help="Smallest group a count is shown for (>= 3).")
@click.option("--min-group-size-performance", type=int, default=None, help="The same for score/rate breakdowns (>= 3).")
@click.option("--co-participation-cap", type=int, default=None, help="Largest gathering that makes pairs.")
@click.option("--identified", "mode", flag_value="identified", default=None, help="Identified mode (needs --legal-basis).")
@click.option("--aggregate", "mode", flag_value="aggregate", help="Aggregate mode (the default).")
@click.option("--legal-basis", default=None, help="The works agreement or legal basis for identified mode.")
@click.option("--group-extension", "group_extensions", multiple=True,
              help="A context extension key whose value may be a Group (repeat; replaces the list).")
@click.option("--no-group-extensions", is_flag=True, help="Read no extension for Groups.")
@click.option("--person-retention-quarters", "retention", type=int, default=None,
              help="Quarters person-level social answers cover, up to the newest activity (default 4).")
@AS_JSON
def settings(
    store_id: str, timezone: str | None, fiscal: int | None, min_group_size: int | None,
    min_group_size_performance: int | None, co_participation_cap: int | None, mode: str | None,
    legal_basis: str | None, group_extensions: tuple[str, ...], no_group_extensions: bool, retention: int | None,
    as_json: bool,
) -> None:
    from lrs import analytics as service
    from lrs.errors import LrsError

    change: dict[str, object] = {
        name: value
        for name, value in (
            ("timezone", timezone), ("fiscalYearStartMonth", fiscal), ("minGroupSize", min_group_size),
            ("minGroupSizePerformance", min_group_size_performance),
            ("coParticipationCap", co_participation_cap), ("mode", mode), ("legalBasis", legal_basis),
            ("personRetentionQuarters", retention),
        )
        if value is not None
    }
    if group_extensions or no_group_extensions:
        change["groupExtensions"] = list(group_extensions)
    engine = _engine()
    try:
        if change:
            current, position = service.change_settings(engine, store_id, change, actor="cli")
        else:
            current, position = service.current_settings(engine, store_id), None
    except LrsError as exc:
        _fail(exc.message)
        return
    if as_json:
        click.echo(json.dumps({"settings": current, "position": position}))
    else:
        for name, value in current.items():
            click.echo(f"{name}: {value}")


@click.group(help="People: team memberships from HR, objections to social analytics.")
def people() -> None:
    pass


@people.command("import", help="Import team memberships from a CSV file (agent, team, valid_from, valid_to).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@STORE
@click.option("--merge", is_flag=True, help="Add to earlier imports instead of replacing them.")
@AS_JSON
def import_(file: Path, store_id: str, merge: bool, as_json: bool) -> None:
    from lrs import analytics as service
    from lrs.errors import LrsError

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"{file}: not UTF-8 text")
        return
    try:
        count, position = service.import_memberships(
            _engine(), store_id, text, source=file.name, merge=merge, actor="cli"
        )
    except LrsError as exc:
        _fail(f"{file}: {exc.message}")
        return
    if as_json:
        click.echo(json.dumps({"imported": count, "position": position}))
    else:
        click.echo(f"{count} memberships imported at position {position}")


def _opt(agent: str, store_id: str, reason: str, opted_out: bool, as_json: bool) -> None:
    from lrs import analytics as service
    from lrs.errors import LrsError

    try:
        parsed = service.parse_agent("agent", agent)
        position = service.set_opt_out(_engine(), store_id, parsed, opted_out=opted_out, actor="cli", reason=reason)
    except LrsError as exc:
        _fail(exc.message)
        return
    if as_json:
        click.echo(json.dumps({"optedOut": opted_out, "position": position}))
    else:
        click.echo(f"{'opted out' if opted_out else 'opted in'} at position {position}")


@people.command("opt-out", help="Record an objection: AGENT (a mailto: IRI or a JSON Agent) leaves social analytics.")
@click.argument("agent")
@STORE
@click.option("--reason", default="", help="Why (a ticket, a letter).")
@AS_JSON
def opt_out(agent: str, store_id: str, reason: str, as_json: bool) -> None:
    _opt(agent, store_id, reason, True, as_json)


@people.command("opt-in", help="Withdraw an objection: AGENT's later statements count again.")
@click.argument("agent")
@STORE
@click.option("--reason", default="")
@AS_JSON
def opt_in(agent: str, store_id: str, reason: str, as_json: bool) -> None:
    _opt(agent, store_id, reason, False, as_json)
