"""`lrs programmes define|list|retire`: programme definitions recorded as events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lrs.db import make_engine
from lrs.programmes import PROGRAMME_DEFINED, PROGRAMME_RETIRED
from tests.kpi_helpers import PROGRAMME
from tests.progress_helpers import log_events


def lrs(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "programmes", *args], input=stdin,
        env={**os.environ, "LRS_DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
    )


def test_define_list_and_retire(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    file = tmp_path / "onboarding.json"
    file.write_text(json.dumps({"id": "onboarding-2026", **PROGRAMME}))
    first = lrs(sqlite_url, "define", str(file))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["version"] == 1
    again = lrs(sqlite_url, "define", "-", "--id", "onboarding-2026", stdin=json.dumps(PROGRAMME))
    assert json.loads(again.stdout)["version"] == 2
    listed = json.loads(lrs(sqlite_url, "list").stdout)
    assert listed["onboarding-2026"]["version"] == 2
    assert listed["onboarding-2026"]["definition"]["modules"] == PROGRAMME["modules"]
    retired = lrs(sqlite_url, "retire", "onboarding-2026")
    assert retired.returncode == 0 and json.loads(lrs(sqlite_url, "list").stdout) == {}
    assert [e.type for e in log_events(engine)][-3:] == [PROGRAMME_DEFINED, PROGRAMME_DEFINED, PROGRAMME_RETIRED]


def test_a_bad_definition_names_the_property_and_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    file = tmp_path / "bad.json"
    file.write_text(json.dumps({**PROGRAMME, "surveys": [{"activity": PROGRAMME["roots"][0], "metric": "nps", "scale": [1, 5]}]}))
    before = len(log_events(engine))
    result = lrs(sqlite_url, "define", str(file), "--id", "p1")
    assert result.returncode != 0 and "surveys[0].scale" in result.stderr
    nothing = lrs(sqlite_url, "define", str(tmp_path / "bad.json"))
    assert nothing.returncode != 0 and "--id" in nothing.stderr
    assert len(log_events(engine)) == before
