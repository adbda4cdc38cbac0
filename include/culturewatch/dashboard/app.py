"""The Alignment view as a small FastAPI app; the Airflow plugin mounts it with Airflow's auth.

Pages (all server-rendered, no script):
  /alignment               one model: headline metrics over versions, VSM scores beside Hofstede's,
                           the deviation-ratio ranking, any two versions compared, open regressions,
                           runs
  /alignment/leaderboard   every model side by side, sortable
  /alignment/run           one probe run (always exists for a run in the marts, however it started)
  /alignment/answers       the raw prompts and replies of a run, filtered and paged
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse

from culturewatch.dashboard.answers import (
    AnswerFilter,
    UnknownRun,
    load_answers,
    load_run,
    render_answers,
    render_run,
)
from culturewatch.dashboard.layout import Links, esc, html_page, navigation
from culturewatch.dashboard.leaderboard import load_leaderboard, render_leaderboard
from culturewatch.dashboard.page import render_page, render_unavailable
from culturewatch.dashboard.queries import WarehouseUnavailable, load_dashboard
from culturewatch.errors import CulturewatchError
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


def _text() -> Any:
    """A fresh optional text parameter (FastAPI binds a Query object to one parameter)."""
    return Query(default=None, max_length=500)


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

    def links(request: Request) -> Links:
        return Links(mount=request.scope.get("root_path", "").rstrip("/"), airflow=base_url)

    def page(request: Request, render: Callable[[Links], str]) -> HTMLResponse:
        where = links(request)
        try:
            return HTMLResponse(render(where), headers=SECURITY_HEADERS)
        except WarehouseUnavailable as unavailable:  # nothing published yet: say so (not an error)
            return HTMLResponse(render_unavailable(str(unavailable)), headers=SECURITY_HEADERS)
        except UnknownRun as unknown:
            return HTMLResponse(_message(where, "Unknown run", str(unknown)), 404, headers=SECURITY_HEADERS)
        except CulturewatchError as bad:  # e.g. a run id that cannot be one
            return HTMLResponse(_message(where, "Bad request", str(bad)), 400, headers=SECURITY_HEADERS)

    @app.get("/alignment", response_class=HTMLResponse)
    def alignment(
        request: Request,
        model: str | None = _text(),
        version: str | None = _text(),
        setting: str | None = Query(default=None, max_length=100),
        compare: str | None = _text(),
        metric: str | None = Query(default=None, max_length=100),
    ) -> HTMLResponse:
        del metric  # named by alert links (which metric led here); the page shows them all
        return page(
            request,
            lambda where: render_page(
                load_dashboard(
                    paths(), model=model, version=version, setting=setting, compare=compare or None
                ),
                where,
            ),
        )

    @app.get("/alignment/leaderboard", response_class=HTMLResponse)
    def leaderboard(
        request: Request,
        sort: str | None = Query(default=None, max_length=100),
        order: str | None = Query(default=None, max_length=4),
        versions: str | None = Query(default=None, max_length=10),
    ) -> HTMLResponse:
        return page(
            request, lambda where: render_leaderboard(load_leaderboard(paths(), sort, order, versions), where)
        )

    @app.get("/alignment/run", response_class=HTMLResponse)
    def run(request: Request, run_id: str = Query(max_length=500)) -> HTMLResponse:
        return page(request, lambda where: render_run(load_run(paths(), run_id), where))

    @app.get("/alignment/answers", response_class=HTMLResponse)
    def answers(
        request: Request,
        run_id: str = Query(max_length=500),
        country: str | None = Query(default=None, max_length=20),
        prompt_language: str | None = Query(default=None, max_length=20),
        item: str | None = Query(default=None, max_length=50),
        dimension: str | None = Query(default=None, max_length=10),
        page_number: int = Query(default=1, ge=1, le=100_000, alias="page"),
    ) -> HTMLResponse:
        chosen = AnswerFilter(run_id, country, prompt_language, item, dimension, page_number)
        return page(request, lambda where: render_answers(load_answers(paths(), chosen), where))

    return app


def _message(links: Links, title: str, text: str) -> str:
    return html_page(title, navigation(links) + f"<h1>{esc(title)}</h1><p id='message'>{esc(text)}</p>")
