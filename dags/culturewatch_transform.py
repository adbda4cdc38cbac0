"""Build the warehouse marts with dbt whenever new raw responses land.

Scheduled on the raw-responses Asset that the probe DAG emits. Astronomer Cosmos renders
the dbt project as a task group, so every seed, model and test is its own task in the UI;
the marts land in `$CULTUREWATCH_DATA_DIR/warehouse.duckdb`, schema `marts`. The last task
logs the per-country deviation-ratio table of each run.

Data quality: `validate_marts` runs the marts checkpoints (expectations/) on the marts rows of
every run whose raw answers passed and whose marts were not validated yet, records `validated` or
`quarantined` in raw/run_status (its log has the Data Docs link), and when it quarantines a run it
rebuilds the marts so the run drops out before the marts asset (and the alerts reading it) fires.
`marts_quality_gate` fails for a quarantined run and notifies ops.

One task at a time (`max_active_tasks=1`): DuckDB has a single writer per database file.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from cosmos import DbtTaskGroup
from pendulum import datetime

from culturewatch.assets import MARTS, RAW_RESPONSES
from culturewatch.quality.airflow_notifier import DataQualityFailedNotifier
from culturewatch.transform.cosmos_setup import (
    execution_config,
    profile_config,
    project_config,
    render_config,
)


@dag(
    schedule=[RAW_RESPONSES],
    start_date=datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    # DuckDB allows one writer per file: Cosmos renders every dbt node as its own task, and a
    # Celery worker would run independent nodes at once and fail on the warehouse's write lock.
    max_active_tasks=1,
    default_args={"owner": "culturewatch", "retries": 2},
    tags=["culturewatch", "transform", "dbt"],
    doc_md=__doc__,
)
def culturewatch_transform():
    dbt_build = DbtTaskGroup(
        group_id="dbt",
        project_config=project_config(),
        profile_config=profile_config(),
        execution_config=execution_config(),
        render_config=render_config(),
        operator_args={"install_deps": False},
    )

    @task(outlets=[MARTS])
    def summarize() -> list[dict]:
        """Logs each run's deviation-ratio table; returns each model version's headline numbers."""
        from culturewatch.reporting.summary import deviation_ratio_table, headline_numbers, run_ids
        from culturewatch.settings import data_paths

        paths = data_paths()
        for run_id in run_ids(paths):
            print(deviation_ratio_table(paths, run_id))
        return headline_numbers(paths)

    @task
    def validate_marts() -> list[dict]:
        from culturewatch.quality.gates import gate_marts
        from culturewatch.settings import data_paths

        return gate_marts(data_paths())

    @task(retries=0, on_failure_callback=DataQualityFailedNotifier())
    def marts_quality_gate(verdicts: list[dict]) -> None:
        from culturewatch.quality.gates import raise_if_quarantined

        raise_if_quarantined(verdicts)

    verdicts = validate_marts()
    dbt_build >> verdicts >> summarize()
    marts_quality_gate(verdicts)


culturewatch_transform()
