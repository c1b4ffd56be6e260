"""`lrs analytics settings` and `lrs people import|opt-out|opt-in`: configuration as
events in the log, with the admin API's rules (run in process with click's runner)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from cli.main import main
from lrs import analytics, log
from tests.progress_helpers import head


def _run(sqlite_url: str, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), env={"LRS_DATABASE_URL": sqlite_url}, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def _events(engine: Engine, kind: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [e.payload() for e in log.read_forward(conn, 0, 10_000) if e.type == kind]


def test_people_import_records_one_event_with_every_row(sqlite_url: str, tmp_path: Path) -> None:
    from lrs.db import make_engine

    engine = make_engine(sqlite_url)
    csv = tmp_path / "teams.csv"
    csv.write_text(
        "agent,team,valid_from,valid_to\n"
        "mailto:Ann@Example.com,sales-nl,2026-01-01,\n"
        '"{""account"": {""homePage"": ""https://hr.example.com"", ""name"": ""E-1041""}}",ops-de,,2026-07-01\n',
        encoding="utf-8",
    )
    out = json.loads(_run(sqlite_url, "people", "import", str(csv), "--json"))
    assert out["imported"] == 2
    (event,) = _events(engine, analytics.MEMBERSHIP_IMPORTED)
    rows = event["memberships"]  # type: ignore[index]
    assert rows[0]["agentKey"] == "mbox:mailto:Ann@example.com" and rows[0]["validTo"] is None
    assert rows[1]["agent"] == {"account": {"homePage": "https://hr.example.com", "name": "E-1041"}}
    assert rows[1]["validFrom"] is None and rows[1]["validTo"] == "2026-07-01"
    assert event["source"] == "teams.csv" and event["merge"] is False  # type: ignore[index]


def test_a_bad_file_names_the_row_and_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    from lrs.db import make_engine

    engine = make_engine(sqlite_url)
    before = head(engine)
    csv = tmp_path / "teams.csv"
    csv.write_text("agent,team,valid_from\nmailto:a@example.com,sales,2026-13-01\n", encoding="utf-8")
    out = _run(sqlite_url, "people", "import", str(csv), code=1)
    assert "csv.row[2].valid_from" in out and "YYYY-MM-DD" in out
    assert head(engine) == before


def test_settings_and_opt_out_from_the_command_line(sqlite_url: str) -> None:
    out = _run(sqlite_url, "analytics", "settings", "--identified", code=1)
    assert "legalBasis" in out
    done = json.loads(_run(sqlite_url, "analytics", "settings", "--identified", "--legal-basis", "DPIA 7",
                           "--timezone", "Europe/Berlin", "--json"))
    assert done["settings"]["mode"] == "identified" and done["settings"]["timezone"] == "Europe/Berlin"
    shown = _run(sqlite_url, "analytics", "settings")
    assert "legalBasis: DPIA 7" in shown
    to = "https://lms.example.com/xapi/extensions/to"
    keys = json.loads(_run(sqlite_url, "analytics", "settings", "--group-extension", to, "--json"))
    assert keys["settings"]["groupExtensions"] == [to] and keys["settings"]["timezone"] == "Europe/Berlin"
    assert "groupExtensions[0]" in _run(sqlite_url, "analytics", "settings", "--group-extension", "to", code=1)
    cleared = json.loads(_run(sqlite_url, "analytics", "settings", "--no-group-extensions", "--json"))
    assert cleared["settings"]["groupExtensions"] == []
    kept = json.loads(_run(sqlite_url, "analytics", "settings", "--person-retention-quarters", "8", "--json"))
    assert kept["settings"]["personRetentionQuarters"] == 8
    assert json.loads(_run(sqlite_url, "people", "opt-out", "mailto:bob@example.com", "--json"))["optedOut"] is True
    assert json.loads(_run(sqlite_url, "people", "opt-in", "mailto:bob@example.com", "--json"))["optedOut"] is False
    assert "agent" in _run(sqlite_url, "people", "opt-out", "bob", code=1)
