"""Links from a number to the page behind it, built the same way by the alerts, the Alignment view
and the report, so every link resolves whoever started the run.

- A probe run that ran under Airflow links to its DAG run: `marts.runs.airflow_dag_run_id`, the
  id Airflow gave it (`manual__…` from the UI or the REST API, `probe__<run id>` from the watch,
  the demo's `airflow dags test` run). Never a guessed id.
- A run probed outside Airflow (`culturewatch probe`) links to the Alignment view's run page,
  which always exists: the run's facts from the marts and its raw answers.
- The Alignment view lives under `VIEW_MOUNT` of the Airflow API server (the plugin's prefix).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import quote, urlencode

import duckdb

PROBE_DAG_ID = "culturewatch_probe"
VIEW_MOUNT = "/culturewatch"  # where the plugin mounts the Alignment view on the API server
VIEW_PAGE = "alignment"


def airflow_run_path(dag_run_id: str, dag_id: str = PROBE_DAG_ID) -> str:
    """The Airflow UI's page of one DAG run."""
    return f"/dags/{quote(dag_id, safe='')}/runs/{quote(dag_run_id, safe='')}"


def view_path(page: str = "", mount: str = VIEW_MOUNT, /, **params: object) -> str:
    """A page of the Alignment view with its query (None values left out), e.g.
    `/culturewatch/alignment/run?run_id=…`."""
    path = f"{mount.rstrip('/')}/{VIEW_PAGE}" + (f"/{page}" if page else "")
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{path}?{query}" if query else path


def run_path(run_id: str, dag_run_id: str | None, mount: str = VIEW_MOUNT) -> str:
    """The page of a probe run: its Airflow DAG run when it ran under Airflow, else the view's."""
    if dag_run_id:
        return airflow_run_path(dag_run_id)
    return view_path("run", mount, run_id=run_id)


DEFAULT_UI_URL = "http://localhost:8080"


def default_ui_url() -> str:
    """The Airflow UI's base URL when none is configured: $AIRFLOW__API__BASE_URL, else localhost."""
    return os.environ.get("AIRFLOW__API__BASE_URL") or DEFAULT_UI_URL


def absolute(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}"


def dag_run_ids(
    connection: duckdb.DuckDBPyConnection, run_ids: Iterable[str | None]
) -> dict[str, str | None]:
    """run id -> the Airflow DAG run that probed it (None: outside Airflow), from marts.runs; an
    older published build without the column gives None for every run."""
    wanted = sorted({run_id for run_id in run_ids if run_id})
    if not wanted:
        return {}
    present = connection.execute(
        "select count(*) from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'runs' and column_name = 'airflow_dag_run_id'"
    ).fetchone()
    found: dict[str, str | None] = dict.fromkeys(wanted)
    if present and present[0]:
        for run_id, dag_run_id in connection.execute(
            "select run_id, airflow_dag_run_id from marts.runs where list_contains(?, run_id)", [wanted]
        ).fetchall():
            found[run_id] = dag_run_id
    return found
