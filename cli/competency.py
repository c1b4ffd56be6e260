"""`lrs competency ...`: the competency configuration (written as events, like the admin
API) and a learner's profile, for operators."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def _write(store_id: str, job: Callable[[Any], int]) -> int:
    from cli.main import _fail, _migrated_engine, _settings
    from lrs import log
    from lrs.errors import LrsError

    settings = _settings()
    try:
        with log.writing(_migrated_engine(settings), lock_timeout_seconds=settings.lock_timeout_seconds,
                         store_id=store_id) as writer:
            return job(writer)
    except LrsError as exc:
        _fail(exc.message)
        return 0


def _load(path: Path) -> Any:
    from cli.main import _fail

    try:
        return json.loads(path.read_bytes())
    except ValueError as exc:
        _fail(f"{path} is not JSON: {exc}")


META = {"actor": "cli"}
STORE = click.option("--store", "store_id", default="default", show_default=True)


@click.group(help="Competency frameworks, alignments, role profiles, teams; learner profiles.")
def competency() -> None:
    pass


@competency.command("import", help="Import a framework: CASE 1.0/1.1 CFPackage JSON, simple JSON, or CSV. "
                                    "A progress bar on stderr follows its items until the import is written.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@STORE
@click.option("--framework", default=None, help="CSV only: the framework's IRI.")
@click.option("--title", default=None, help="CSV only: the framework's title.")
@click.option("--wait", is_flag=True,
              help="Then wait, with a progress bar, until the competency view (folded by `lrs serve` or "
                   "`lrs projections run`) has applied the import.")
@click.option("--timeout", default=600.0, show_default=True, help="Seconds --wait waits at most.")
def import_(file: Path, store_id: str, framework: str | None, title: str | None, wait: bool, timeout: float) -> None:
    from lrs.competency import config, frameworks

    content = file.read_bytes()
    media = "text/csv" if file.suffix.lower() == ".csv" else "application/json"
    from cli.main import _fail
    from lrs.errors import LrsError

    with contextlib.ExitStack() as stack:
        bar = _ImportBar(stack, f"importing {file.name}")
        try:
            parsed = frameworks.parse(content, media, framework_id=framework, title=title, progress=bar.read)
        except LrsError as exc:
            _fail(exc.message)
            return
        position = _write(store_id, lambda w: config.import_in(w, store_id, parsed, content, META))
        bar.written()
    click.echo(json.dumps({"position": position, "framework_id": parsed["framework_id"],
                           "items": len(parsed["items"]), "relations": len(parsed["relations"])}))
    if wait:
        _wait_for_view(position, timeout)


class _ImportBar:
    """One step per item read, and a last one when the import event is committed (on a
    large framework, parsing and writing its one big event both take seconds). Opened
    at the first report, when the number of items is known."""

    def __init__(self, stack: contextlib.ExitStack, label: str) -> None:
        self.stack, self.label, self.done = stack, label, 0
        self.bar: Any = None

    def read(self, done: int, total: int) -> None:
        if self.bar is None:
            # Typed loosely: click's overloads of progressbar expect an iterable's item type.
            progressbar: Any = click.progressbar
            self.bar = self.stack.enter_context(progressbar(length=total + 1, label=self.label, file=sys.stderr))
        self.bar.update(done - self.done)
        self.done = done

    def written(self) -> None:
        if self.bar is not None:
            self.bar.update(1)


def _wait_for_view(position: int, timeout: float) -> None:
    """A progress bar of the view's checkpoint up to ``position`` (the import re-derives
    the evidence of every statement naming the framework's competencies: on a large
    store that takes a while)."""
    import time

    from sqlalchemy import select

    from cli.main import _fail, _migrated_engine, _settings
    from projections.schema import checkpoints

    engine = _migrated_engine(_settings())
    query = select(checkpoints.c.position).where(checkpoints.c.name == "competency")

    def reached() -> int:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    start = reached()
    deadline = time.monotonic() + timeout
    # Typed loosely: click's overloads of progressbar expect an iterable's item type.
    progressbar: Any = click.progressbar
    with progressbar(length=max(position - start, 1), label="competency view", show_pos=True,
                     file=sys.stderr) as bar:
        now = start
        while now < position:
            if time.monotonic() > deadline:
                _fail(f"the competency view is at position {now} of {position} after {timeout:g} s: "
                      "is `lrs serve` or `lrs projections run` folding it?")
            time.sleep(0.2)
            moved = reached()
            bar.update(min(moved, position) - now)
            now = moved


@competency.command(help="Convert ESCO CSVs and import them: the skills of the given occupations (and of a "
                         "collection) as a simple framework, each occupation's skill relations as a role "
                         "(esco-<id>; essential/optional as the importance). One write: all or nothing.")
@click.option("--skills", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="skills_<lang>.csv")
@click.option("--relations", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="occupationSkillRelations_<lang>.csv")
@click.option("--occupation", "occupations", multiple=True, help="An occupation's ESCO URI (repeatable).")
@click.option("--occupations", "names", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="occupations_<lang>.csv, for the roles' names.")
@click.option("--collection", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A skills collection CSV (conceptUri column), added to the framework.")
@click.option("--framework", "framework_id", required=True, help="The framework's IRI.")
@click.option("--title", default="ESCO skills", show_default=True)
@click.option("--min-level", default="0.7", show_default=True,
              help="The roles' required level: 0..1 (ESCO has no levels).")
@STORE
def esco(skills: Path, relations: Path, occupations: tuple[str, ...], names: Path | None, collection: Path | None,
         framework_id: str, title: str, min_level: str, store_id: str) -> None:
    from cli.main import _fail
    from lrs.competency import config, frameworks
    from lrs.competency import esco as converter
    from lrs.errors import LrsError

    try:
        level = float(min_level)
    except ValueError:
        level = -1.0
    if not 0 <= level <= 1:
        raise click.BadParameter("must be a number from 0 to 1", param_hint="--min-level")
    try:
        framework, roles = converter.convert(
            skills.read_bytes(), relations.read_bytes(), occupations=list(occupations),
            collection=collection.read_bytes() if collection else None,
            occupation_names=names.read_bytes() if names else None,
            framework_id=framework_id, title=title, min_level=level)
        body = json.dumps(framework).encode()
        parsed = frameworks.parse(body)
    except LrsError as exc:
        _fail(exc.message)
        return

    def job(writer: Any) -> int:
        position = config.import_in(writer, store_id, parsed, body, META)
        for ident, role in roles.items():
            position = config.role_in(writer, store_id, ident, role, META)
        return position

    position = _write(store_id, job)
    click.echo(json.dumps({"position": position, "framework_id": framework_id, "items": len(parsed["items"]),
                           "roles": sorted(roles)}))


@competency.command(help="Retire a framework: its competencies stop counting.")
@click.argument("framework")
@STORE
def retire(framework: str, store_id: str) -> None:
    from lrs.competency import config

    click.echo(json.dumps({"position": _write(store_id, lambda w: config.retire_in(w, store_id, framework, META))}))


@competency.command(help="Align activities to competencies: a JSON file {alignments: [...]}, or one pair.")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--activity", default=None)
@click.option("--competency", "competency_iri", default=None)
@click.option("--type", "kind", type=click.Choice(["assesses", "teaches"]), default="assesses", show_default=True)
@click.option("--weight", type=float, default=1.0, show_default=True)
@click.option("--remove", is_flag=True, help="Remove the alignments instead.")
@STORE
def align(file: Path | None, activity: str | None, competency_iri: str | None, kind: str, weight: float,
          remove: bool, store_id: str) -> None:
    from lrs.competency import config

    if file is not None:
        body = _load(file)
    elif activity and competency_iri:
        body = {"alignments": [{"activity": activity, "competency": competency_iri, "type": kind, "weight": weight}]}
    else:
        raise click.UsageError("give a FILE, or --activity and --competency")
    position = _write(store_id, lambda w: config.align_in(w, store_id, body, META, removing=remove))
    click.echo(json.dumps({"position": position, "alignments": len(body.get("alignments") or [])}))


@competency.command(help="Set a role profile from a JSON file {name, source, requirements}, or --remove it.")
@click.argument("role_id")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--remove", is_flag=True)
@STORE
def roles(role_id: str, file: Path | None, remove: bool, store_id: str) -> None:
    from lrs.competency import config

    if remove:
        position = _write(store_id, lambda w: config.remove_in(w, store_id, "role", role_id, META))
    elif file is None:
        raise click.UsageError("give the role's JSON FILE, or --remove")
    else:
        body = _load(file)
        position = _write(store_id, lambda w: config.role_in(w, store_id, role_id, body, META))
    click.echo(json.dumps({"position": position, "role": role_id}))


@competency.command(help="Set a team from a JSON file {name, members: [Agent]}, or --remove it.")
@click.argument("team_id")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--remove", is_flag=True)
@STORE
def teams(team_id: str, file: Path | None, remove: bool, store_id: str) -> None:
    from lrs.competency import config

    if remove:
        position = _write(store_id, lambda w: config.remove_in(w, store_id, "team", team_id, META))
    elif file is None:
        raise click.UsageError("give the team's JSON FILE, or --remove")
    else:
        body = _load(file)
        position = _write(store_id, lambda w: config.team_in(w, store_id, team_id, body, META))
    click.echo(json.dumps({"position": position, "team": team_id}))


@competency.command(help="Show the store's competency settings, or change them.")
@click.option("--negative-evidence", type=click.Choice(["show", "hide"]), default=None,
              help="Whether competency/read sees evidence below the mastery threshold (failed attempts).")
@STORE
def settings(negative_evidence: str | None, store_id: str) -> None:
    from cli.main import _migrated_engine, _settings
    from lrs.competency import settings as competency_settings

    if negative_evidence is None:
        deployment = _settings()
        with _migrated_engine(deployment).connect() as conn:
            found = competency_settings.current(
                conn, store_id, negative_evidence_default=deployment.competency_negative_evidence)
        click.echo(json.dumps({"settings": found}))
        return
    change = {"negativeEvidence": negative_evidence == "show"}
    answer: dict[str, Any] = {}

    def job(writer: Any) -> int:
        answer["settings"], position = competency_settings.change_in(writer, store_id, change, META)
        return position

    position = _write(store_id, job)
    click.echo(json.dumps({"position": position, **answer}))


@competency.command(help="A learner's profile as the competency view has it now (JSON).")
@click.option("--agent", required=True, help='A JSON Agent, e.g. \'{"mbox":"mailto:ann@example.org"}\'.')
@click.option("--framework", default=None, help="One framework's competencies, with roll-ups.")
@click.option("--at", "at", default=None, help="Evaluation instant (RFC 3339); default now.")
@STORE
def profile(agent: str, framework: str | None, at: str | None, store_id: str) -> None:
    from sqlalchemy import select

    from cli.main import _fail, _migrated_engine, _settings
    from lrs.clock import format_utc, to_micros, utcnow
    from lrs.errors import LrsError
    from lrs.xapi import value_formats
    from lrs.xapi.agents import ifi_key, key_hash, parse_agent_parameter
    from projections.competency import queries
    from projections.schema import checkpoints

    moment = utcnow() if at is None else value_formats.parse_timestamp(at)
    if moment is None:
        raise click.UsageError("--at must be a timestamp with a time zone")
    engine = _migrated_engine(_settings())
    try:
        parsed = parse_agent_parameter(agent, allow_group=False)
        with engine.connect() as conn:
            answer = queries.profile(conn, store_id, key_hash(ifi_key(parsed) or ""), parsed, framework, to_micros(moment))
            # The position the view reflects (its checkpoint): what `lrs serve` folded so far.
            position = conn.execute(select(checkpoints.c.position).where(checkpoints.c.name == "competency")).scalar()
    except LrsError as exc:
        _fail(exc.message)
        return
    click.echo(json.dumps({"position": position, "at": format_utc(moment), **answer}, indent=2))
