"""The failed-login limit of a real ``lrs serve`` counts the connection's peer:
X-Forwarded-For only names the client behind a proxy listed in LRS_TRUSTED_PROXIES
(uvicorn alone would trust it from 127.0.0.1, which would let one client pose as
many)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import start_server, stop_server

HEADERS = {"X-Experience-API-Version": "1.0.3"}


def _guesses(endpoint: str, forwarded_for: list[str]) -> list[int]:
    with httpx.Client(headers=HEADERS, timeout=60) as http:
        return [
            http.get(
                endpoint + "statements", auth=("no-such-key", f"guess-{index}"),
                headers={"X-Forwarded-For": address},
            ).status_code
            for index, address in enumerate(forwarded_for)
        ]


def test_x_forwarded_for_counts_only_from_trusted_proxies(sqlite_url: str, tmp_path: Path):
    limits = {"LRS_AUTH_FAILURES_PER_KEY": "0", "LRS_AUTH_FAILURES_PER_ADDRESS": "3"}
    spoofed = [f"198.51.100.{n}" for n in range(5)]
    server = start_server(sqlite_url, tmp_path, **limits)
    try:
        assert _guesses(server.endpoint, spoofed) == [401, 401, 401, 429, 429]
    finally:
        stop_server(server)
    server = start_server(sqlite_url, tmp_path, LRS_TRUSTED_PROXIES="127.0.0.1", **limits)
    try:
        assert _guesses(server.endpoint, spoofed) == [401] * 5
        assert _guesses(server.endpoint, ["203.0.113.1"] * 4) == [401, 401, 401, 429]
    finally:
        stop_server(server)
