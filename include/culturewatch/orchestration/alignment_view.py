"""The Alignment view as the Airflow plugin mounts it, behind Airflow's authentication.

Every Airflow process that loads plugins imports the plugin file: the DAG processor while it parses
each DAG file (Cosmos reads its manifest through Airflow's object storage, which asks the plugins
for lineage readers), the scheduler, the workers. Only the API server serves the view. So the
plugin mounts `AlignmentViewApp`, an ASGI app that imports FastAPI, Airflow's API security and
`culturewatch.dashboard` when the API server first hands it a request (or a lifespan event), not
when the plugin is imported: importing the plugin costs ~1 ms instead of ~1.2 s of imports per parse
(tests/dags/test_dag_parse_time.py).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing this module imports nothing of the web stack
    from starlette.types import ASGIApp, Receive, Scope, Send


@cache
def _alignment_app() -> ASGIApp:
    """The view's FastAPI app; every route requires a user allowed to see Airflow's website."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view
    from fastapi import Depends

    from culturewatch.dashboard.app import create_app

    return create_app(dependencies=[Depends(requires_access_view(AccessView.WEBSITE))])


class AlignmentViewApp:
    """An ASGI app that builds the Alignment view on its first call and hands every call to it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _alignment_app()(scope, receive, send)
