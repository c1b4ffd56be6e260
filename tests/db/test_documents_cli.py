"""`lrs documents history|get`: an auditor's view of one document's versions."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from lrs import documents
from lrs.db import make_engine

AGENT = {"mbox": "mailto:learner@example.com"}
NAME = ["state", "--activity-id", "http://example.com/a", "--agent", json.dumps(AGENT), "--id", "bookmark"]


def lrs(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "documents", *args],
        env={**os.environ, "LRS_DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
    )


def test_history_lists_versions_and_get_returns_each_as_it_was(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    scope = documents.Scope(documents.STATE, "http://example.com/a", AGENT)
    positions = []
    for body in (b'{"page": 1}', b'{"page": 2}'):
        positions.append(
            documents.write(engine, "default", scope, "bookmark", body, "application/json",
                            merge=True, if_match=None, if_none_match=None,
                            precondition_required=False, metadata={}).position
        )
    documents.delete_one(engine, "default", scope, "bookmark", if_match=None, if_none_match=None, metadata={})

    listed = lrs(sqlite_url, "history", *NAME, "--json")
    assert listed.returncode == 0, listed.stderr
    versions = json.loads(listed.stdout)
    assert [v["deleted"] for v in versions] == [False, False, True]
    assert [v["position"] for v in versions[:2]] == positions

    first = lrs(sqlite_url, "get", *NAME, "--as-of", str(positions[0]))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"page": 1}
    merged = lrs(sqlite_url, "get", *NAME, "--as-of", str(positions[1]))
    assert json.loads(merged.stdout) == {"page": 2}
    gone = lrs(sqlite_url, "get", *NAME)
    assert gone.returncode != 0 and "no document" in gone.stderr


def test_a_document_must_be_named_fully(sqlite_url: str) -> None:
    result = lrs(sqlite_url, "history", "agent-profile", "--activity-id", "http://example.com/a", "--id", "p")
    assert result.returncode == 2 and "--agent" in result.stderr
