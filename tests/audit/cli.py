"""The `lrs` command as a real subprocess (see tests/db/test_verify_cli.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

from tests.db.test_verify_cli import lrs_command


def run_lrs(db_url: str, *args: str, env: Mapping[str, str] | None = None,
            stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LRS_DATABASE_URL": db_url, **(env or {})}
    return subprocess.run(
        [*lrs_command(), *args], env=full, capture_output=True, text=True, timeout=300,
        input=stdin.decode() if stdin is not None else None,
    )
