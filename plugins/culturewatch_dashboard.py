"""Airflow plugin: the "Alignment" view in the Airflow UI's navigation (Browse menu).

Thin by design: the view lives in `culturewatch.dashboard` (queries on the marts, HTML and SVG).
Airflow 3 mounts the FastAPI app under /culturewatch on the API server and frames it at
/plugin/alignment; every request needs an authenticated Airflow user allowed to see the website
(the UI's session cookie, or a bearer token).
"""

from __future__ import annotations

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends

from culturewatch.dashboard.app import create_app
from culturewatch.links import VIEW_MOUNT, VIEW_PAGE

URL_PREFIX = VIEW_MOUNT


class CulturewatchDashboardPlugin(AirflowPlugin):
    name = "culturewatch_dashboard"
    fastapi_apps = [
        {
            "name": "culturewatch alignment",
            "app": create_app(dependencies=[Depends(requires_access_view(AccessView.WEBSITE))]),
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
