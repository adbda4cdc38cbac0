"""What every culturewatch DAG shares: start date, no catchup, owner and retries, the project's tag,
its documentation from its task module; and the param naming the run configuration."""

from __future__ import annotations

from types import ModuleType

from airflow.sdk import Param
from pendulum import datetime

from culturewatch.orchestration.airflow_api import PROJECT_TAG


def dag_args(tasks: ModuleType, *tags: str, **arguments: object) -> dict[str, object]:
    """The `@dag` arguments every DAG has (its documentation is its task module's, its tags start
    with the project's), plus `arguments` (schedule, params, max_active_runs...)."""
    return {
        "start_date": datetime(2026, 1, 1, tz="UTC"),
        "catchup": False,
        "default_args": {"owner": "culturewatch", "retries": 2},
        "doc_md": tasks.__doc__,
        "tags": [PROJECT_TAG, *tags],
        **arguments,
    }


def config_param() -> Param:
    """The run configuration a run reads: $CULTUREWATCH_CONFIG when the DAG is parsed, else the
    embedded one."""
    from culturewatch.orchestration.lanes import fleet_config_path  # the config schema: only when needed

    return Param(str(fleet_config_path()), type="string", description="run configuration YAML")
