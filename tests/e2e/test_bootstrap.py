"""The bootstrap credential of a real ``lrs serve``: created once, never reset on a
restart (a rotated secret stays rotated), and a weak bootstrap secret stops the
server unless it runs in dev mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.conftest import KEY, SECRET, free_port, start_server, stop_server

HEADERS = {"X-Experience-API-Version": "1.0.3"}


def _status(endpoint: str, key: str, secret: str) -> int:
    with httpx.Client(auth=(key, secret), headers=HEADERS, timeout=30) as http:
        return http.get(endpoint + "statements").status_code


def test_a_restart_keeps_a_secret_rotated_through_the_api(db_url: str, tmp_path: Path):
    server = start_server(db_url, tmp_path)
    try:
        assert _status(server.endpoint, KEY, SECRET) == 200
        admin = server.endpoint.replace("/xapi/", "/admin/")
        with httpx.Client(auth=(KEY, SECRET), timeout=30) as http:
            rotated = http.post(f"{admin}credentials/{KEY}/rotate")
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
    finally:
        stop_server(server)
    # LRS_BOOTSTRAP_SECRET still names the old secret: it must not come back.
    server = start_server(db_url, tmp_path)
    try:
        assert _status(server.endpoint, KEY, SECRET) == 401
        assert _status(server.endpoint, KEY, new_secret) == 200
        assert "LRS_BOOTSTRAP_SECRET" in server.output.read_text()  # says it was left alone
    finally:
        stop_server(server)


def _serve(sqlite_url: str, tmp_path: Path, secret: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``lrs serve`` that is expected to stop before serving."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("LRS_")}
    env.update(LRS_DATABASE_URL=sqlite_url, LRS_BOOTSTRAP_KEY="admin", LRS_BOOTSTRAP_SECRET=secret)
    return subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--port", str(free_port()), *args], env=env,
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )


def test_weak_bootstrap_secrets_stop_the_server(sqlite_url: str, tmp_path: Path):
    for weak in ("change-me", "admin", "password", "short-secret-15", "Change-Me-Change-Me-2024",
                 "admin-admin-admin-admin", "aaaaaaaaaaaaaaaaaaaa"):
        done = _serve(sqlite_url, tmp_path, weak)
        assert done.returncode != 0, (weak, done.stdout)
        assert "LRS_BOOTSTRAP_SECRET" in done.stderr and "--dev" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert "LRS endpoint" not in done.stdout


def test_dev_mode_accepts_a_weak_secret_with_a_warning(sqlite_url: str, tmp_path: Path):
    for args, env in (((), {"LRS_DEV": "true"}), (("--dev",), {})):
        server = start_server(
            sqlite_url, tmp_path, serve_args=args, LRS_BOOTSTRAP_SECRET="change-me", **env
        )
        try:
            assert _status(server.endpoint, KEY, "change-me") == 200
            log = server.output.read_text()
            assert "warning" in log.lower() and "LRS_BOOTSTRAP_SECRET" in log
        finally:
            stop_server(server)
