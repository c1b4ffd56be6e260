"""A real ``lrs serve`` (uvicorn) on 127.0.0.1, on each backend."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# A secret `lrs serve` accepts outside dev mode (lrs.credentials.weak_secret).
KEY, SECRET = "e2e-key", "e2e-Qm7vR2xK9pL4wZ8t"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    endpoint: str
    database_url: str
    process: subprocess.Popen[bytes]
    output: Path


def start_server(
    database_url: str, workdir: Path, *, serve_args: tuple[str, ...] = (), port: int | None = None,
    **env: str,
) -> Server:
    port = port or free_port()
    output = workdir / "serve.log"
    environment = {
        **os.environ,
        "LRS_DATABASE_URL": database_url,
        "LRS_BOOTSTRAP_KEY": KEY,
        "LRS_BOOTSTRAP_SECRET": SECRET,
        "LRS_DATA_DIR": str(workdir),
        **env,
    }
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    endpoint = f"http://127.0.0.1:{port}/xapi/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"lrs serve exited:\n{output.read_text()}")
        try:
            with urllib.request.urlopen(endpoint + "about", timeout=1) as response:
                if response.status == 200:
                    return Server(endpoint, database_url, process, output)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"lrs serve did not answer in time:\n{output.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(db_url, tmp_path)
    yield running
    stop_server(running)
