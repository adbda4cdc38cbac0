"""The Alignment view as a small FastAPI app; the Airflow plugin mounts it with Airflow's auth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse

from culturewatch.dashboard.page import render_page, render_unavailable
from culturewatch.dashboard.queries import WarehouseUnavailable, load_dashboard
from culturewatch.settings import DataPaths, data_paths

# No script at all; inline styles and SVG only; forms submit to this view; framed by Airflow only.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(
    paths: Callable[[], DataPaths] = data_paths,
    dependencies: Sequence[Any] = (),
    base_url: str = "",
) -> FastAPI:
    """`paths` is called per request (the data dir comes from the environment); `dependencies`
    guard every route (the plugin passes Airflow's authentication); `base_url` prefixes links
    into the Airflow UI ("" = the same origin)."""
    app = FastAPI(
        title="culturewatch alignment", dependencies=list(dependencies), docs_url=None, redoc_url=None
    )

    @app.get("/alignment", response_class=HTMLResponse)
    def alignment(
        model: str | None = Query(default=None, max_length=500),
        version: str | None = Query(default=None, max_length=500),
        setting: str | None = Query(default=None, max_length=100),
    ) -> HTMLResponse:
        try:
            view = load_dashboard(paths(), model=model, version=version, setting=setting)
        except WarehouseUnavailable as unavailable:
            return HTMLResponse(
                render_unavailable(str(unavailable)), status_code=503, headers=SECURITY_HEADERS
            )
        return HTMLResponse(render_page(view, base_url), headers=SECURITY_HEADERS)

    return app
