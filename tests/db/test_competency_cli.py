"""`lrs competency import|align|roles|teams|retire|profile`: an operator's configuration,
written as events like the admin API's, and a learner's profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from lrs import log
from lrs.credentials import ensure_default_store
from lrs.db import make_engine
from projections.competency import CompetencyProjection, queries
from projections.competency.schema import ITEMS
from projections.runner import Runner
from tests.competency_helpers import (
    ALIGNMENTS,
    CHAT,
    FW,
    MEET,
    ROLE,
    agent,
    big_case_package,
    case_package,
    cohort,
)
from tests.progress_helpers import write


def lrs(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "competency", *args],
        env={**os.environ, "LRS_DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
    )


def test_configure_then_read_a_profile(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    ensure_default_store(engine)
    files = {"fw.json": case_package(), "align.json": ALIGNMENTS, "role.json": ROLE,
             "team.json": {"name": "Support", "members": [agent("ann"), agent("bob")]}}
    for name, body in files.items():
        (tmp_path / name).write_text(json.dumps(body))
    imported = lrs(sqlite_url, "import", str(tmp_path / "fw.json"))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["framework_id"] == FW
    for args in (("align", str(tmp_path / "align.json")), ("roles", "meeting-host", str(tmp_path / "role.json")),
                 ("teams", "support", str(tmp_path / "team.json"))):
        done = lrs(sqlite_url, *args)
        assert done.returncode == 0, done.stderr
    write(engine, cohort())
    runner = Runner(engine, [CompetencyProjection()])
    runner.catch_up()
    runner.release()
    shown = lrs(sqlite_url, "profile", "--agent", json.dumps({"mbox": "mailto:ann@example.org"}),
                "--framework", FW, "--at", "2026-09-01T00:00:00Z")
    assert shown.returncode == 0, shown.stderr
    profile = json.loads(shown.stdout)
    assert {c["iri"]: c["status"] for c in profile["competencies"]} == {CHAT: "proficient", MEET: "proficient"}
    with engine.connect() as conn:
        assert profile["position"] == log.head(conn)[0]


def test_bad_input_is_refused_with_the_path_and_nothing_written(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    ensure_default_store(engine)
    broken = case_package()
    broken["CFAssociations"][0]["associationType"] = "isCousinOf"
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    with engine.connect() as conn:
        head = log.head(conn)[0]
    refused = lrs(sqlite_url, "import", str(tmp_path / "bad.json"))
    assert refused.returncode == 1 and "$.CFAssociations[0].associationType" in refused.stderr
    unknown = lrs(sqlite_url, "align", "--activity", "https://lms.example.org/q", "--competency", "urn:none")
    assert unknown.returncode == 1 and "$.alignments[0].competency" in unknown.stderr
    with engine.connect() as conn:
        assert log.head(conn)[0] == head


def test_import_waits_for_the_view_with_a_progress_bar(sqlite_url: str, tmp_path: Path) -> None:
    import threading
    import time

    engine = make_engine(sqlite_url)
    ensure_default_store(engine)
    write(engine, cohort())
    (tmp_path / "fw.json").write_text(json.dumps(case_package()))
    stop = threading.Event()

    def worker() -> None:  # what `lrs projections run` does
        runner = Runner(engine, [CompetencyProjection()])
        while not stop.is_set():
            runner.catch_up()
            time.sleep(0.1)
        runner.release()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        done = lrs(sqlite_url, "import", str(tmp_path / "fw.json"), "--wait", "--timeout", "60")
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    assert "competency view" in done.stderr
    with engine.connect() as conn:
        assert log.head(conn)[0] == json.loads(done.stdout)["position"]


def test_import_wait_times_out_without_a_worker(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    ensure_default_store(engine)
    (tmp_path / "fw.json").write_text(json.dumps(case_package()))
    done = lrs(sqlite_url, "import", str(tmp_path / "fw.json"), "--wait", "--timeout", "0.5")
    assert done.returncode == 1 and "is `lrs serve` or `lrs projections run` folding it?" in done.stderr


def test_a_framework_of_10000_items_imports_with_a_progress_bar(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    try:
        ensure_default_store(engine)
        (tmp_path / "big.json").write_text(json.dumps(big_case_package(10_000)))
        done = lrs(db_url, "import", str(tmp_path / "big.json"))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["items"] == 10_000
        assert "importing big.json" in done.stderr  # the bar's label (the bar itself only on a terminal)
        runner = Runner(engine, [CompetencyProjection()])
        runner.catch_up()
        runner.release()
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(ITEMS.sql)).scalar() == 10_000
            tree = queries.framework_tree(conn, "default", "https://case.example.org/uri/fw-big")
        assert [len(top["children"]) for top in tree["items"]] == [0] + [10] * 9
    finally:
        engine.dispose()


def test_settings_show_and_change_failed_attempts_visibility(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        ensure_default_store(engine)
        assert json.loads(lrs(db_url, "settings").stdout) == {"settings": {"negativeEvidence": True}}
        hidden = lrs(db_url, "settings", "--negative-evidence", "hide")
        assert hidden.returncode == 0, hidden.stderr
        assert json.loads(hidden.stdout)["settings"] == {"negativeEvidence": False}
        with engine.connect() as conn:
            assert log.head(conn)[0] == json.loads(hidden.stdout)["position"]
        assert json.loads(lrs(db_url, "settings").stdout) == {"settings": {"negativeEvidence": False}}
        refused = lrs(db_url, "settings", "--negative-evidence", "maybe")
        assert refused.returncode == 2 and "--negative-evidence" in refused.stderr
    finally:
        engine.dispose()


def test_esco_csvs_import_as_a_framework_and_roles(db_url: str, tmp_path: Path) -> None:
    from projections.competency import people
    from tests.competency_helpers import (
        ESCO,
        ESCO_COLLECTION,
        ESCO_OCCUPATIONS,
        ESCO_RELATIONS,
        ESCO_SKILLS,
    )

    engine = make_engine(db_url)
    try:
        ensure_default_store(engine)
        files = {"skills.csv": ESCO_SKILLS, "relations.csv": ESCO_RELATIONS, "occupations.csv": ESCO_OCCUPATIONS,
                 "collection.csv": ESCO_COLLECTION}
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        common = ("esco", "--skills", str(tmp_path / "skills.csv"), "--relations", str(tmp_path / "relations.csv"),
                  "--framework", "urn:esco:fw")
        with engine.connect() as conn:
            head = log.head(conn)[0]
        unknown = lrs(db_url, *common, "--occupation", f"{ESCO}occupation/o-none")
        assert unknown.returncode == 1 and "o-none: has no skill relations" in unknown.stderr
        with engine.connect() as conn:
            assert log.head(conn)[0] == head  # nothing written
        done = lrs(db_url, *common, "--occupation", f"{ESCO}occupation/o-data", "--occupation",
                   f"{ESCO}occupation/o-lead", "--occupations", str(tmp_path / "occupations.csv"),
                   "--collection", str(tmp_path / "collection.csv"), "--min-level", "0.6")
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert answer["items"] == 4 and answer["roles"] == ["esco-o-data", "esco-o-lead"]
        with engine.connect() as conn:
            assert log.head(conn)[0] == answer["position"] == head + 3  # the framework and two roles
        runner = Runner(engine, [CompetencyProjection()])
        runner.catch_up()
        runner.release()
        with engine.connect() as conn:
            found = queries.role(conn, "default", "esco-o-data")
            gaps = people.gaps(conn, "default", "nobody", {"mbox": "mailto:nobody@example.org"}, "esco-o-lead",
                               10**15, with_recommendations=False)
        assert found["name"] == "data engineer" and found["source"] == f"{ESCO}occupation/o-data"
        assert [(r["competency_iri"], r["importance"], r["min_level"]) for r in found["requirements"]] == [
            (f"{ESCO}skill/s-python", "essential", 0.6), (f"{ESCO}skill/s-sql", "essential", 0.6),
            (f"{ESCO}skill/s-teach", "optional", 0.6)]
        assert [g["competency"] for g in gaps["gaps"]] == [f"{ESCO}skill/s-teach"]
    finally:
        engine.dispose()
