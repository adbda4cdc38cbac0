"""What every culturewatch DAG shares: start date, no catchup, owner and retries; and the param
naming the run configuration."""

from __future__ import annotations

from airflow.sdk import Param
from pendulum import datetime


def dag_args(**arguments: object) -> dict[str, object]:
    """The `@dag` arguments every DAG has, plus `arguments` (schedule, params, tags, doc_md...)."""
    return {
        "start_date": datetime(2026, 1, 1, tz="UTC"),
        "catchup": False,
        "default_args": {"owner": "culturewatch", "retries": 2},
        **arguments,
    }


def config_param() -> Param:
    """The run configuration a run reads: $CULTUREWATCH_CONFIG when the DAG is parsed, else the
    embedded one."""
    from culturewatch.orchestration.lanes import fleet_config_path  # the config schema: only when needed

    return Param(str(fleet_config_path()), type="string", description="run configuration YAML")
