"""Airflow plugin: the "Alignment" view in the Airflow UI's navigation (Browse menu).

Thin by design: the view lives in `culturewatch.dashboard` (queries on the marts, HTML and SVG).
Airflow 3 mounts the FastAPI app under /culturewatch on the API server and frames it at
/plugin/alignment; every request needs an authenticated Airflow user allowed to see the website
(the UI's session cookie, or a bearer token). The app is built by the API server on its first
request (`culturewatch.orchestration.alignment_view`), so the other processes that load plugins
(the DAG processor on every parse, schedulers, workers) never import it.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from culturewatch.links import VIEW_MOUNT, VIEW_PAGE
from culturewatch.orchestration.alignment_view import AlignmentViewApp

URL_PREFIX = VIEW_MOUNT


class CulturewatchDashboardPlugin(AirflowPlugin):
    name = "culturewatch_dashboard"
    fastapi_apps = [
        {
            "name": "culturewatch alignment",
            "app": AlignmentViewApp(),  # built on its first request: parsing DAGs stays light
            "url_prefix": URL_PREFIX,
        }
    ]
    external_views = [
        {
            "name": "Alignment",
            "href": f"{URL_PREFIX}/{VIEW_PAGE}",
            "destination": "nav",
            "category": "browse",
            "url_route": "alignment",
        }
    ]
