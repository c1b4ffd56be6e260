"""A real headless Chromium (Debian's package) driven by Playwright, a real ``lrs serve``
and small page servers on other 127.0.0.1 ports: content on another origin, as a
browser runs it.

Without Chromium or Playwright these tests skip and say why, unless
``LRS_TEST_BROWSER_REQUIRED=1`` (set by ``.ci/run``), where they fail instead. The
browser is never downloaded: ``playwright install`` is not used.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Server, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install '.[test]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if os.environ.get("LRS_TEST_BROWSER_REQUIRED") == "1":
            pytest.fail(f"LRS_TEST_BROWSER_REQUIRED=1 but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class PageServer:
    """Serves HTML pages from a dict (path -> text), as any other web site would."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                encoded = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def trusted_site() -> Iterator[PageServer]:
    """A site named in LRS_CORS_ORIGINS (a course player the operator trusts)."""
    site = PageServer()
    yield site
    site.close()


@pytest.fixture(scope="module")
def hostile_site() -> Iterator[PageServer]:
    """Any other site the same browser visits."""
    site = PageServer()
    yield site
    site.close()


@pytest.fixture(scope="module")
def lrs_server(
    trusted_site: PageServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    # SQLite only: what these tests watch happens in the HTTP layer, before any
    # database; tests/api covers the same rules on both backends.
    workdir = tmp_path_factory.mktemp("browser-lrs")
    running = start_server(
        f"sqlite:///{workdir / 'lrs.sqlite3'}", workdir, LRS_CORS_ORIGINS=trusted_site.origin
    )
    yield running
    stop_server(running)
