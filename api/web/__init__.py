"""Pages this server renders itself, every byte of them shipped in this package: the
dashboard at ``/dashboard/`` and the API documentation (Swagger UI) at ``/docs``.

Nothing is fetched from another site at run time, so both work in an air-gapped
deployment: the dashboard is plain ES modules, CSS and hand-drawn SVG (no build
step), and Swagger UI's files come from the ``swagger-ui-py`` package, which ships
them. Both run under a Content-Security-Policy without inline scripts
(api.middleware.SecurityHeaders).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

HERE = Path(__file__).parent
DASHBOARD = "/dashboard"
DOCS = "/docs"
DOCS_ASSETS = "/docs/assets"


def swagger_ui_files() -> Path:
    """Swagger UI's files as the swagger-ui-py package ships them (found without
    importing it: its own web framework adapters are not needed)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing (pip install swagger-ui-py)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install(app: FastAPI) -> None:
    """Serve the dashboard and the API documentation (call with FastAPI's own
    ``docs_url`` and ``redoc_url`` set to None)."""

    async def dashboard_root() -> Response:
        # Relative module paths in the page resolve against the trailing slash.
        return RedirectResponse(f"{DASHBOARD}/", status_code=308)

    async def docs_page() -> Response:
        return FileResponse(HERE / "docs" / "index.html", media_type="text/html")

    async def docs_start() -> Response:
        return FileResponse(HERE / "docs" / "start.js", media_type="text/javascript")

    app.add_api_route(DASHBOARD, dashboard_root, include_in_schema=False)
    app.add_api_route(DOCS, docs_page, include_in_schema=False)
    app.add_api_route(f"{DOCS}/start.js", docs_start, include_in_schema=False)
    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_files()), name="docs-assets")
    app.mount(DASHBOARD, StaticFiles(directory=HERE / "dashboard", html=True), name="dashboard")
